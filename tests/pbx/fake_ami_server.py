"""Fakes for the AMI adapter: a fake Asterisk Manager Interface server on a real TCP socket, a
recording tracker, and helpers to cut the recorded traces into byte streams.

The server speaks what Asterisk 22 speaks in `../shared/asterisk-traces/*.ami`: the banner
`Asterisk Call Manager/9.0.0`, `Login` (a bad secret gets `Response: Error / Message:
Authentication failed` and the socket is closed, as Asterisk does), single replies and
`EventList: start ... <Name>Complete` lists carrying the ActionID. It can write any bytes (a trace
replayed byte for byte, garbage) and drop the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from core.bus import EventBus
from core.events import DomainEvent
from pbx.ami_event import AmiEvent, parse_trace

TRACES = Path(__file__).resolve().parents[2].parent / "shared" / "asterisk-traces"
T = TypeVar("T")
BANNER = b"Asterisk Call Manager/9.0.0\r\n"
EOL = "\r\n"


# --- traces -------------------------------------------------------------------------------


def trace_files() -> list[Path]:
    return sorted(TRACES.glob("*.ami"))


def server_stream(data: bytes) -> bytes:
    """The bytes Asterisk sent: the trace without the `#>>> ` lines of the client's actions."""
    return b"".join(line for line in data.splitlines(keepends=True) if not line.startswith(b"#>>> "))


def trace_events(data: bytes) -> list[dict[str, str]]:
    """The headers of every `Event:` message in a trace, in order."""
    return [headers for kind, headers in parse_trace(data) if kind == "event"]


def snapshot_lists(data: bytes, action_id: str) -> list[dict[str, str]]:
    """The list items (not the `...Complete`) that answered the action `action_id` in a trace."""
    return [
        h
        for h in trace_events(data)
        if h.get("ActionID") == action_id and not h.get("Event", "").endswith("Complete")
    ]


def frame(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> bytes:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return ("".join(f"{k}: {v}{EOL}" for k, v in pairs) + EOL).encode()


def response(action_id: str, status: str = "Success", **headers: str) -> bytes:
    pairs = [("Response", status)]
    if action_id:
        pairs.append(("ActionID", action_id))
    pairs += list(headers.items())
    return frame(pairs)


def event_list(action_id: str, message: str, items: Sequence[Mapping[str, str]], complete: str) -> bytes:
    """An AMI list reply as Asterisk 22 writes it (see CoreShowChannels/QueueStatus in trace 02)."""
    out = [response(action_id, EventList="start", Message=message)]
    for item in items:
        out.append(frame({**item, "ActionID": action_id}))
    out.append(
        frame(
            [
                ("Event", complete),
                ("ActionID", action_id),
                ("EventList", "Complete"),
                ("ListItems", str(len(items))),
            ]
        )
    )
    return b"".join(out)


def numbered_events(count: int, *, name: str = "UserEvent", start: int = 0) -> bytes:
    return b"".join(
        frame(
            [
                ("Event", name),
                ("Privilege", "user,all"),
                ("Timestamp", f"{1795299000 + i}.000001"),
                ("Seq", str(i)),
            ]
        )
        for i in range(start, start + count)
    )


# --- the server ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReceivedAction:
    headers: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str:
        return self.get("Action")

    def get(self, key: str) -> str:
        values = self.getall(key)
        return values[-1] if values else ""

    def getall(self, key: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == key.lower()]

    def without_action_id(self) -> set[tuple[str, str]]:
        return {(k, v) for k, v in self.headers if k.lower() != "actionid"}


Handler = Callable[["FakeAmiConnection", ReceivedAction], bytes | None]


class FakeAmiConnection:
    def __init__(
        self, server: FakeAmiServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.logged_in = False
        self.closed = asyncio.Event()

    def write(self, data: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(data)

    def abort(self) -> None:
        self.writer.transport.abort()

    async def run(self) -> None:
        try:
            self.write(BANNER)
            while True:
                try:
                    raw = await self.reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                action = ReceivedAction(
                    tuple(
                        (k.strip(), v.strip())
                        for k, _, v in (line.partition(":") for line in raw.decode().split(EOL) if line)
                    )
                )
                self.server.actions.append(action)
                reply = self.server.answer(self, action)
                if reply:
                    self.write(reply)
                    await self.writer.drain()
                if action.name.lower() == "login" and not self.logged_in:
                    # Asterisk ends the session after a failed authentication.
                    self.writer.close()
                    return
        finally:
            self.closed.set()
            with contextlib.suppress(Exception):
                self.writer.close()


class FakeAmiServer:
    def __init__(self, *, username: str = "hotline", secret: str = "s3cret") -> None:
        self.username = username
        self.secret = secret
        self.actions: list[ReceivedAction] = []
        self.logins: list[bool] = []
        self.connections: list[FakeAmiConnection] = []
        self.channels: list[dict[str, str]] = []
        self.queue_status: list[dict[str, str]] = []
        self.handlers: dict[str, Handler] = {}
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in self.connections:
            conn.abort()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = FakeAmiConnection(self, reader, writer)
        self.connections.append(conn)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await conn.run()
        finally:
            self._tasks.discard(task)

    # --- what the server says ---

    @property
    def current(self) -> FakeAmiConnection:
        live = [c for c in self.connections if c.logged_in and not c.closed.is_set()]
        assert live, "no logged-in connection"
        return live[-1]

    def send(self, data: bytes) -> None:
        """Write raw bytes to the current logged-in connection."""
        self.current.write(data)

    def drop(self) -> None:
        """Abort every connection (RST), as when Asterisk restarts or the network fails."""
        for conn in self.connections:
            if not conn.closed.is_set():
                conn.abort()

    def on(self, action: str, handler: Handler) -> None:
        self.handlers[action.lower()] = handler

    def silence(self, action: str) -> None:
        self.on(action, lambda conn, a: None)

    def fail(self, action: str, message: str) -> None:
        self.on(action, lambda conn, a: response(a.get("ActionID"), "Error", Message=message))

    def actions_named(self, name: str) -> list[ReceivedAction]:
        return [a for a in self.actions if a.name.lower() == name.lower()]

    def answer(self, conn: FakeAmiConnection, action: ReceivedAction) -> bytes | None:
        name = action.name.lower()
        aid = action.get("ActionID")
        if name == "login":
            ok = action.get("Username") == self.username and action.get("Secret") == self.secret
            self.logins.append(ok)
            if not ok:
                return response(aid, "Error", Message="Authentication failed")
            conn.logged_in = True
            return response(aid, Message="Authentication accepted") + frame(
                [
                    ("Event", "FullyBooted"),
                    ("Privilege", "system,all"),
                    ("Uptime", "100"),
                    ("LastReload", "100"),
                    ("Status", "Fully Booted"),
                ]
            )
        if not conn.logged_in:
            return response(aid, "Error", Message="Permission denied")
        if name in self.handlers:
            return self.handlers[name](conn, action)
        return self.default_answer(action)

    def default_answer(self, action: ReceivedAction) -> bytes:
        name = action.name.lower()
        aid = action.get("ActionID")
        if name == "ping":
            return response(aid, Ping="Pong", Timestamp=f"{time.time():.6f}")
        if name == "coreshowchannels":
            return event_list(aid, "Channels will follow", self.channels, "CoreShowChannelsComplete")
        if name == "queuestatus":
            return event_list(aid, "Queue status will follow", self.queue_status, "QueueStatusComplete")
        messages = {
            "queueadd": "Added interface to queue",
            "queueremove": "Removed interface from queue",
            "queuepause": (
                "Interface paused successfully"
                if action.get("Paused") == "true"
                else "Interface unpaused successfully"
            ),
            "originate": "Originate successfully queued",
            "redirect": "Redirect successful",
            "hangup": "Channel Hungup",
            "setvar": "Variable Set",
            "reload": "Module Reloaded.",
            "bridge": "Channels have been bridged",  # main/features.c action_bridge
        }
        if name in messages:
            return response(aid, Message=messages[name])
        return response(aid, "Error", Message="Invalid/unknown command")


# --- the tracker and the bus --------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackerSaw(DomainEvent):
    """What the recording tracker returns for each event, so bus order can be checked."""

    name: str
    uniqueid: str = ""
    seq: str = ""


@dataclass
class RecordingTracker:
    """A fake `CallTracker`: records every call, returns one `TrackerSaw` per applied event."""

    fail_on: frozenset[str] = frozenset()
    rebuild_returns: list[DomainEvent] = field(default_factory=list)
    on_apply: Callable[[AmiEvent], None] | None = None
    calls: list[tuple[str, str]] = field(default_factory=list)
    applied: list[AmiEvent] = field(default_factory=list)
    rebuilds: list[tuple[list[AmiEvent], list[AmiEvent], datetime]] = field(default_factory=list)

    def apply(self, event: AmiEvent) -> list[DomainEvent]:
        self.calls.append(("apply", event.name))
        if self.on_apply is not None:
            self.on_apply(event)
        if event.name in self.fail_on:
            raise RuntimeError(f"tracker bug on {event.name}")
        self.applied.append(event)
        return [TrackerSaw(at=event.at, name=event.name, uniqueid=event.uniqueid, seq=event.get("Seq"))]

    def rebuild(
        self, channels: Sequence[AmiEvent], queue_status: Sequence[AmiEvent], at: datetime
    ) -> list[DomainEvent]:
        self.calls.append(("rebuild", ""))
        self.rebuilds.append((list(channels), list(queue_status), at))
        return list(self.rebuild_returns)

    def seqs(self) -> list[int]:
        return [int(e.get("Seq")) for e in self.applied if e.get("Seq")]


class BusLog:
    """Everything published on a real `EventBus`, in delivery order."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.events: list[DomainEvent] = []

    async def handle(self, event: DomainEvent) -> None:
        self.events.append(event)

    def of(self, kind: type[T]) -> list[T]:
        return [e for e in self.events if isinstance(e, kind)]


async def eventually(predicate: Callable[[], bool], what: str, *, timeout: float = 10.0) -> None:
    """Wait until `predicate()` holds; fail with `what` if it does not within `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.005)
