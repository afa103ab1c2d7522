"""`AmiEvent`: one AMI event, parsed once at the edge.

The domain never sees raw panoramisk messages or dicts: the bridge turns each message into this
frozen value, stamped with Asterisk's own `Timestamp` header (`timestampevents = yes` in
manager.conf), falling back to the time of arrival when the header is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class AmiEvent:
    name: str
    uniqueid: str
    linkedid: str
    at: datetime
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, key: str, default: str = "") -> str:
        return self.headers.get(key, default)

    @classmethod
    def from_headers(
        cls,
        headers: Mapping[str, str],
        *,
        received_at: datetime | Callable[[], datetime] | None = None,
        owned: bool = False,
    ) -> AmiEvent:
        """Build from AMI headers (`Event`, `Uniqueid`, `Linkedid`, `Timestamp`, ...).

        `received_at`: the time of arrival, or the clock to read it from (read only when the
        `Timestamp` header is missing or unreadable). `owned`: `headers` is a fresh `dict` of
        `str` the caller hands over and never touches again (the bridge's), kept without a copy."""
        if owned and type(headers) is dict:
            frozen = MappingProxyType(headers)
        else:
            frozen = MappingProxyType({str(k): str(v) for k, v in headers.items()})
        stamp = frozen.get("Timestamp")
        at: datetime | None = None
        if stamp:
            try:
                at = datetime.fromtimestamp(float(stamp), UTC)
            except ValueError:
                at = None
        if at is None:
            arrived = received_at() if callable(received_at) else received_at
            at = arrived or datetime.now(UTC)
        return cls(
            name=frozen.get("Event", ""),
            uniqueid=frozen.get("Uniqueid", ""),
            linkedid=frozen.get("Linkedid", ""),
            at=at,
            headers=frozen,
        )


def parse_trace(data: bytes) -> list[tuple[str, dict[str, str]]]:
    """Split a recorded `.ami` trace into ("event"|"response"|"action", headers) messages.

    Lines beginning `#>>> ` are actions the client sent; they are grouped into "action" messages.
    """
    out: list[tuple[str, dict[str, str]]] = []
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
    current: dict[str, str] = {}
    action: dict[str, str] = {}

    def flush_current() -> None:
        nonlocal current
        if current:
            kind = "event" if "Event" in current else "response"
            out.append((kind, current))
            current = {}

    for line in text.split("\n"):
        if line.startswith("#>>> "):
            flush_current()
            body = line[5:]
            if body.strip() == "":
                if action:
                    out.append(("action", action))
                    action = {}
                continue
            key, _, value = body.partition(":")
            action[key.strip()] = value.strip()
            continue
        if action:
            out.append(("action", action))
            action = {}
        if line == "":
            flush_current()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        # Header values keep everything after the first ": " (values may contain colons).
        current[key.strip()] = value[1:] if value.startswith(" ") else value
    flush_current()
    if action:
        out.append(("action", action))
    return out
