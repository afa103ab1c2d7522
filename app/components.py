"""Components the lifespan starts in order and stops in reverse order."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Component:
    """A named thing with start/stop coroutines and a status line for the status page."""

    name: str
    label: str
    start: Callable[[], Awaitable[None]]
    stop: Callable[[], Awaitable[None]]
    required: bool = True
    up: bool = False
    detail: str = ""
    # A component whose health changes while it runs (the AMI link, the ASR model) reports it live
    # through `probe`; the AMI bridge also publishes its own ComponentStatusChanged events.
    probe: Callable[[], tuple[bool, str]] | None = None
    announces_itself: bool = False


@dataclass
class ComponentSet:
    items: list[Component] = field(default_factory=list)
    started: list[Component] = field(default_factory=list)

    def add(self, component: Component) -> None:
        self.items.append(component)

    async def start_all(self) -> None:
        for c in self.items:
            try:
                await c.start()
            except Exception as exc:
                c.up, c.detail = False, f"{type(exc).__name__}: {exc}"
                if c.required:
                    log.error("component %s failed to start: %s", c.name, exc)
                    await self.stop_all()
                    raise
                # Optional components (ASR, Redis fan-out) may be down: calls go on without them.
                log.warning("component %s is down: %s", c.name, exc)
                continue
            c.up = True
            self.started.append(c)

    async def stop_all(self) -> None:
        while self.started:
            c = self.started.pop()
            try:
                await c.stop()
            except Exception:
                log.exception("component %s failed to stop", c.name)
            c.up = False

    def status(self, probed: Mapping[str, tuple[bool, str]] | None = None) -> list[dict[str, object]]:
        """`probed`: probe results already taken (elsewhere: a round trip on a worker thread), by name."""
        probed = probed or {}
        out: list[dict[str, object]] = []
        for c in self.items:
            if c.probe is None or not c.up:
                up, detail = c.up, c.detail
            else:
                up, detail = probed[c.name] if c.name in probed else c.probe()
            out.append({"name": c.name, "label": c.label, "up": up, "detail": detail, "required": c.required})
        return out
