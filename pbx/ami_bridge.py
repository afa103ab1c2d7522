"""`AmiBridge`: the Asterisk Manager Interface (AMI, TCP, panoramisk 1.4) feeding the `CallTracker`.

Protocol: one AMI session (`Login` with `Events: on`), kept alive with `Ping`, re-established with
capped, jittered exponential backoff. Every event Asterisk sends is parsed once into
`pbx.ami_event.AmiEvent` and handed to the tracker in AMI order; the domain events the tracker
returns are published on the bus in that order.

Emits on the bus:

* whatever `tracker.apply(event)` / `tracker.rebuild(...)` return (call and seat events);
* `core.events.StateResynced` after every (re)login, once the `CoreShowChannels` + `QueueStatus`
  snapshot has been rebuilt (the tracker's own one if `rebuild` returned it, else the bridge's);
* `core.events.ComponentStatusChanged(component="ami", up=...)` when the session comes up (logged
  in and snapshot taken) or goes down (drop, failed attempt, stop); only on change.

How it is wired (ARCHITECTURE.md, "panoramisk 1.4 needs guarding"):

* ONE sync callback for `*` that only enqueues the raw panoramisk `Message`; ONE consumer task
  parses, applies and publishes. An async callback would be scheduled, not awaited, and events
  would interleave.
* The queue is bounded. When it is half full the bridge pauses reading the socket
  (`transport.pause_reading()`), so TCP pushes back on Asterisk; it resumes at a quarter. Messages
  of the chunk already being parsed when the queue fills go to a spill list that cannot outgrow
  one socket read (reading is paused), and are moved into the queue, in order, as room frees up.
* Reconnection is the bridge's own: panoramisk's `Manager.connection_lost` would retry after a
  fixed delay, its pinger never reads the Pong, and on `FullyBooted` it re-sends the actions that
  were pending at the drop (a second `Originate` would ring a citizen twice). The `Manager` and
  `AMIProtocol` subclasses below switch those off and fail pending actions with
  `ConnectionError` instead, which `pbx.ami_control` turns into `PbxUnavailable`.

Events that arrive during the snapshot. A marker is put into the event queue *before* each
connection attempt, so it sits exactly between the last event of the old connection and the first
event of the new one. The consumer applies everything before it (old-connection events, to the old
state), then waits at the marker until the snapshot is taken, calls `tracker.rebuild(...)` and
publishes its events and `StateResynced`, and only then applies the events queued behind the
marker, i.e. every event of the new session in wire order, including those Asterisk sent while
the snapshot was being listed. (The snapshot's own list events carry the ActionID and go to the
action's reply, never into the queue.) Some of those events describe changes the snapshot already
shows; they are applied again on top of it. That is deliberate: re-applying a known fact is
harmless because the tracker's event ids are deterministic and consumers are idempotent by id,
whereas dropping them, or applying them before the rebuild replaces the state, would lose facts.
While the snapshot is being taken the consumer waits at the marker, so the queue cannot drain; the
snapshot's replies are behind whatever Asterisk sent first, so pausing reading then would starve
the snapshot, time it out and reconnect, again and again under a steady burst. Reading therefore
never pauses while a snapshot is pending: the events go to the spill list (bounded by what
Asterisk can send within `snapshot_timeout`), and back-pressure resumes once the snapshot is in.

Back-pressure and keepalive. A Pong is read only after every event Asterisk sent before it; with
reading paused it can wait unread for longer than `ping_timeout`. The keepalive therefore treats
incoming bytes (and our own paused reading) as proof of life and pings only a quiet link, so a
burst slows reading down and never makes the bridge drop its own connection (`bench/ami_burst.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.manager import Manager
from panoramisk.message import Message

from core.bus import EventPublisher
from core.clock import Clock, SystemClock
from core.errors import PbxActionFailed, PbxUnavailable
from core.events import ComponentStatusChanged, DomainEvent, StateResynced
from pbx.ami_control import ActionHeaders, message_headers, run_action
from pbx.ami_event import AmiEvent
from pbx.settings import AmiLogin

log = logging.getLogger(__name__)

COMPONENT = "ami"


class TrackerLike(Protocol):
    """The part of `pbx.tracker.CallTracker` the bridge drives (pure, synchronous)."""

    def apply(self, event: AmiEvent) -> list[DomainEvent]: ...

    def rebuild(
        self, channels: Sequence[AmiEvent], queue_status: Sequence[AmiEvent], at: datetime
    ) -> list[DomainEvent]: ...


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """Delay before attempt n+1 after n failures: `min(maximum, initial * factor**n)`, reduced by a
    random fraction of up to `jitter` (so many seats' servers do not reconnect in step, and the
    cap is never exceeded)."""

    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.maximum < self.initial or self.factor < 1:
            raise ValueError("reconnect policy needs 0 < initial <= maximum and factor >= 1")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    def delay(self, failures: int, rng: random.Random) -> float:
        base = min(self.maximum, self.initial * self.factor ** min(failures, 64))
        return base * (1 - self.jitter * rng.random())


@dataclass(frozen=True, slots=True)
class AmiBridgeStatus:
    connected: bool  # logged in (the snapshot may still be in progress)
    last_error: str
    events_handled: int  # AMI events handed to the tracker
    reconnects: int  # successful logins after the first one
    failed_attempts: int  # connect / login / snapshot attempts that failed
    resyncs: int  # snapshots rebuilt
    tracker_failures: int  # events (or rebuilds) on which the tracker raised
    queued: int  # raw messages waiting for the consumer
    reading_paused: bool


@dataclass(frozen=True, slots=True)
class _Snapshot:
    channels: tuple[AmiEvent, ...]
    queue_status: tuple[AmiEvent, ...]
    at: datetime


@dataclass(eq=False, slots=True)
class _SessionMarker:
    """Queue item between two connections; resolves to the snapshot, or None if the attempt failed."""

    snapshot: asyncio.Future[_Snapshot | None]


@dataclass(frozen=True, slots=True)
class _StatusChange:
    up: bool
    detail: str


class _SessionFailed(Exception):
    pass


EOL = "\r\n"
_NOT_PLAIN = ("\r\nActionID: ", "\r\nResult: ", "\r\nCommandID: ", "\r\nContent: ")


def _plain_event(frame: str) -> dict[str, str] | None:
    """The headers of an event frame that needs nothing of panoramisk (see `data_received`), or
    None. Header names are matched as Asterisk writes them; any other spelling falls back."""
    if not frame.startswith("Event: ") or any(mark in frame for mark in _NOT_PLAIN):
        return None
    headers: dict[str, str] = {}
    for line in frame.split(EOL):
        key, sep, value = line.partition(": ")
        if sep:
            headers[key] = value
    name = headers.get("Event", "")
    return None if name in ("Shutdown", "FullyBooted") or "content" in headers else headers


class _BridgeProtocol(AMIProtocol):  # type: ignore[misc]  # panoramisk is untyped
    """panoramisk's protocol, except that closing fails the pending actions.

    panoramisk would park them in `Manager.awaiting_actions` (to re-send after the next
    `FullyBooted`) or, if part of a list had arrived, drop them with their future never resolved.
    """

    # When bytes last came in (monotonic): a peer that is still sending is alive, whatever the
    # Pong behind those bytes is doing. See AmiBridge._keepalive.
    last_received: float = 0.0
    version: str | None  # panoramisk's: the banner's protocol version
    queue: deque[str]  # panoramisk's: the start of a frame not complete yet

    def data_received(self, data: bytes) -> None:
        """panoramisk's framing, with the bridge's own parse of plain events: a frame that is an
        event of no action (no ActionID) whose name only the bridge's `*` callback wants goes
        straight to it as a `str -> str` dict, the same headers `message_headers` makes of
        panoramisk's `Message` (the last of a repeated header wins). Everything else (responses,
        an action's list events, Shutdown, FullyBooted, `Result:` headers panoramisk unquotes) goes
        through panoramisk as before. At 400 calls panoramisk's `Message` (a case-folding dict
        built key by key) and its pattern dispatch were a fifth of the event loop."""
        self.last_received = time.monotonic()
        text = data.decode(getattr(self, "encoding", "ascii"), "ignore")
        if self.version is None and text.startswith("Asterisk Call Manager/"):
            banner, _, _ = text.partition(EOL)
            self.version = banner.partition("/")[2].strip()
        if self.queue:
            text = self.queue.popleft() + text
        frames = text.split(EOL + EOL)
        self.queue.append(frames.pop(-1))
        factory = self.factory
        for frame in frames:
            frame = frame.strip()  # Asterisk sometimes sends one EOL too many
            headers = _plain_event(frame)
            if headers is not None and factory is not None and factory.dispatch_plain(headers):
                continue
            message = Message.from_line(frame)
            if message is not None:
                self.handle_message(message)

    def close(self) -> None:
        pending = {id(a): a for a in self.responses.values()}
        super().close()
        if self.factory is not None:
            self.factory.awaiting_actions.clear()
        for action in pending.values():
            if not action.future.done():
                action.future.set_exception(ConnectionError("AMI connection closed"))


class _BridgeManager(Manager):  # type: ignore[misc]  # panoramisk is untyped
    """panoramisk's Manager with its own reconnection, pinger and action replay switched off."""

    pinger: asyncio.TimerHandle | None
    authenticated_future: asyncio.Future[Any] | None

    def __init__(self, on_lost: Callable[[object], None], **config: Any) -> None:
        super().__init__(**config)
        self._on_lost = on_lost
        self._only_star: dict[tuple[str, int], bool] = {}  # event name -> only `*` wants it

    def dispatch_plain(self, headers: dict[str, str]) -> bool:
        """An event parsed by `_BridgeProtocol` handed to the `*` callbacks, as `dispatch` would
        hand its `Message`, when no other pattern matches its name; False: it goes through
        panoramisk instead (its own `FullyBooted` callback, say)."""
        name = headers["Event"]
        key = (name, len(self.patterns))
        only_star = self._only_star.get(key)
        if only_star is None:
            only_star = all(p == "*" or r.match(name) is None for p, r in self.patterns)
            self._only_star[key] = only_star
        if not only_star:
            return False
        for callback in self.callbacks.get("*", ()):
            callback(self, headers)
        return True

    def connection_lost(self, exc: object) -> None:
        # panoramisk logs an error and calls connect() again after a fixed delay; the bridge
        # reconnects itself, with backoff and a snapshot.
        self._connected = False
        self.authenticated = False
        if self.pinger is not None:
            self.pinger.cancel()
            self.pinger = None
        self._on_lost(exc)

    def ping(self) -> None:
        # panoramisk's pinger writes a Ping every ping_interval and never reads the reply, so it
        # cannot notice a dead peer. The bridge's keepalive awaits the Pong with a timeout.
        self.pinger = None

    def login(self, future: asyncio.Future[Any]) -> bool:
        # The login future fails when the connection closes first; panoramisk would raise
        # inside this done-callback.
        if future.cancelled() or future.exception() is not None:
            self.authenticated_future = None
            return False
        return bool(super().login(future))

    async def send_awaiting_actions(self, *_: object) -> None:
        # Never replay actions after a reconnect: they may already have taken effect.
        self.awaiting_actions.clear()


class AmiBridge:
    """Keeps one AMI session up and turns its events into domain events on the bus.

    Construct anywhere; `await start()` inside the running loop (it creates the panoramisk
    Manager there). `start()` returns at once: the first connection happens in the background,
    and while Asterisk is down the bridge reports `ComponentStatusChanged(up=False)` and retries.
    Also the `AmiActionSender` that `pbx.ami_control.AmiCallControl` sends through.
    """

    def __init__(
        self,
        login: AmiLogin,
        *,
        tracker: TrackerLike,
        bus: EventPublisher,
        clock: Clock | None = None,
        reconnect: ReconnectPolicy | None = None,
        queue_maxsize: int = 10_000,
        connect_timeout: float = 5.0,
        login_timeout: float = 5.0,
        snapshot_timeout: float = 10.0,
        ping_interval: float = 10.0,
        ping_timeout: float = 5.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if queue_maxsize < 4:
            raise ValueError("queue_maxsize must be at least 4")
        self._login = login
        self._tracker = tracker
        self._bus = bus
        self._clock: Clock = clock or SystemClock()
        self._policy = reconnect or ReconnectPolicy()
        self._maxsize = queue_maxsize
        self._high_water = queue_maxsize // 2
        self._low_water = queue_maxsize // 4
        self._connect_timeout = connect_timeout
        self._login_timeout = login_timeout
        self._snapshot_timeout = snapshot_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._sleep = sleep
        self._rng = rng or random.Random()

        self._manager: _BridgeManager | None = None
        self._queue: asyncio.Queue[object] | None = None
        self._spill: deque[object] = deque()
        self._transport: asyncio.Transport | None = None
        self._reading_paused = False
        self._snapshot_pending = False
        self.max_depth = 0  # most raw messages ever waiting (queue + spill), for benches
        self.read_pauses = 0  # times back-pressure paused reading the socket
        self._lost: asyncio.Event | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._logged_in = False
        self._ever_logged_in = False
        self._stopping = False
        self._announced_up: bool | None = None

        self._last_error = ""
        self._events_handled = 0
        self._reconnects = 0
        self._failed_attempts = 0
        self._resyncs = 0
        self._tracker_failures = 0

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._supervisor is not None:
            raise RuntimeError("AmiBridge already started")
        loop = asyncio.get_running_loop()
        self._stopping = False
        self._queue = asyncio.Queue(maxsize=self._maxsize)
        self._manager = _BridgeManager(
            self._connection_lost,
            **asdict(self._login),
            events="on",
            loop=loop,
            protocol_factory=_BridgeProtocol,
        )
        # The only callback: it runs synchronously inside panoramisk's data_received, in wire order.
        self._manager.register_event("*", self._on_message)
        self._consumer = loop.create_task(self._consume(), name="ami-bridge:consumer")
        self._supervisor = loop.create_task(self._supervise(), name="ami-bridge:supervisor")

    async def stop(self, *, drain_timeout: float = 5.0) -> None:
        """Close the session, hand what is already queued to the tracker (up to `drain_timeout`),
        publish `ComponentStatusChanged(up=False)` if it was up, and stop the tasks."""
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is None:
            return
        self._stopping = True
        while not supervisor.done():
            supervisor.cancel()
            await asyncio.wait({supervisor}, timeout=0.5)
        with contextlib.suppress(asyncio.CancelledError, Exception):
            supervisor.result()
        self._drop_connection()
        self._enqueue(_StatusChange(False, "stopped"))
        if self._queue is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), drain_timeout)
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.cancel()
            await asyncio.gather(consumer, return_exceptions=True)
        self._manager = None

    @property
    def status(self) -> AmiBridgeStatus:
        return AmiBridgeStatus(
            connected=self._logged_in,
            last_error=self._last_error,
            events_handled=self._events_handled,
            reconnects=self._reconnects,
            failed_attempts=self._failed_attempts,
            resyncs=self._resyncs,
            tracker_failures=self._tracker_failures,
            queued=(self._queue.qsize() if self._queue is not None else 0) + len(self._spill),
            reading_paused=self._reading_paused,
        )

    def health(self) -> tuple[bool, str]:
        """(up, detail) for the status page: up when logged in; the detail says what is wrong or
        how far behind the bridge is (a burst being worked off is not an outage)."""
        st = self.status
        if not st.connected:
            return False, f"未连接：{st.last_error}" if st.last_error else "连接中"
        if st.queued:
            return True, f"积压 {st.queued} 条事件" + ("（已暂停读取）" if st.reading_paused else "")
        return True, ""

    # --- AmiActionSender -------------------------------------------------------------------

    def send_action(self, action: ActionHeaders, *, as_list: bool | None) -> asyncio.Future[Any]:
        manager = self._manager
        protocol = manager.protocol if manager is not None else None
        if (
            manager is None
            or protocol is None
            or not self._logged_in
            or protocol.closed
            or protocol.transport.is_closing()
        ):
            raise PbxUnavailable("AMI 未连接", action=str(action.get("Action", "?")), reason="not connected")
        headers = {k: v if isinstance(v, str) else list(v) for k, v in action.items()}
        panoramisk_action = Action(headers, as_list=as_list)
        future: asyncio.Future[Any] = manager.send_action(panoramisk_action, as_list=as_list)

        def forget_if_cancelled(done: asyncio.Future[Any]) -> None:
            # On timeout the future is cancelled; panoramisk would keep the action and keep
            # routing late replies with its ActionID into it. Forget it so they are dispatched.
            if done.cancelled():
                protocol.responses.pop(panoramisk_action.id, None)

        future.add_done_callback(forget_if_cancelled)
        return future

    # --- the producer side (sync, inside panoramisk's data_received) ----------------------

    def _on_message(self, _manager: object, message: object) -> None:
        self._enqueue(message)

    def _enqueue(self, item: object) -> None:
        queue = self._queue
        if queue is None:
            return
        if self._spill or queue.full():
            self._spill.append(item)
            if not self._snapshot_pending:
                self._pause_reading()
            self.max_depth = max(self.max_depth, queue.qsize() + len(self._spill))
            return
        queue.put_nowait(item)
        self.max_depth = max(self.max_depth, queue.qsize())
        if queue.qsize() >= self._high_water and not self._snapshot_pending:
            self._pause_reading()

    def _pause_reading(self) -> None:
        transport = self._transport
        if not self._reading_paused and transport is not None and not transport.is_closing():
            transport.pause_reading()
            self._reading_paused = True
            self.read_pauses += 1

    def _refill(self) -> None:
        queue = self._queue
        assert queue is not None
        while self._spill and not queue.full():
            queue.put_nowait(self._spill.popleft())
        if self._reading_paused and not self._spill and queue.qsize() <= self._low_water:
            self._reading_paused = False
            transport = self._transport
            if transport is not None and not transport.is_closing():
                transport.resume_reading()

    # --- the consumer ----------------------------------------------------------------------

    async def _consume(self) -> None:
        queue = self._queue
        assert queue is not None
        while True:
            item = await queue.get()
            try:
                self._refill()
                await self._handle(item)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("AMI bridge failed on %r", item)
            finally:
                queue.task_done()

    async def _handle(self, item: object) -> None:
        if isinstance(item, _SessionMarker):
            snapshot = await item.snapshot
            if snapshot is not None:
                await self._resync(snapshot)
        elif isinstance(item, _StatusChange):
            await self._announce(item.up, item.detail)
        else:
            await self._apply(item)

    async def _apply(self, message: object) -> None:
        headers = message if type(message) is dict else message_headers(message)  # see data_received
        event = AmiEvent.from_headers(headers, received_at=self._clock.now, owned=True)
        self._events_handled += 1
        try:
            produced = self._tracker.apply(event)
        except Exception:
            self._tracker_failures += 1
            log.exception("tracker failed on AMI event %s %r", event.name, dict(event.headers))
            return
        for domain_event in produced:
            await self._bus.publish(domain_event)

    async def _resync(self, snapshot: _Snapshot) -> None:
        await self._announce(
            True, f"logged in to {self._login.host}:{self._login.port} as {self._login.username}"
        )
        try:
            produced = self._tracker.rebuild(snapshot.channels, snapshot.queue_status, snapshot.at)
        except Exception as exc:
            self._tracker_failures += 1
            self._last_error = f"tracker rebuild failed: {exc!r}"
            log.exception("tracker failed to rebuild from the AMI snapshot")
            return
        self._resyncs += 1
        for domain_event in produced:
            await self._bus.publish(domain_event)
        if not any(isinstance(e, StateResynced) for e in produced):
            calls = {c.linkedid or c.uniqueid for c in snapshot.channels}
            seats = {m.get("Location") for m in snapshot.queue_status if m.name == "QueueMember"}
            await self._bus.publish(
                StateResynced(at=snapshot.at, source=COMPONENT, calls=len(calls), seats=len(seats))
            )

    async def _announce(self, up: bool, detail: str) -> None:
        if self._announced_up is up:
            return
        self._announced_up = up
        await self._bus.publish(
            ComponentStatusChanged(at=self._clock.now(), component=COMPONENT, up=up, detail=detail)
        )

    # --- the supervisor: connect, log in, snapshot, keep alive, back off -------------------

    async def _supervise(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                await self._session()
            except _SessionFailed as exc:
                self._failed_attempts += 1
                self._last_error = str(exc)
                log.warning("AMI session failed: %s", exc)
                self._enqueue(_StatusChange(False, str(exc)))
                delay = self._policy.delay(failures, self._rng)
                failures += 1
            else:
                # The session was up and has dropped: retry after the shortest delay.
                self._enqueue(_StatusChange(False, self._last_error or "connection lost"))
                failures = 0
                delay = self._policy.delay(0, self._rng)
            log.info("reconnecting to AMI in %.2f s", delay)
            await self._sleep(delay)

    async def _session(self) -> None:
        """One connection; returns when an established session drops, raises `_SessionFailed`
        when connecting, logging in or taking the snapshot fails."""
        loop = asyncio.get_running_loop()
        manager = self._manager
        assert manager is not None
        marker = _SessionMarker(loop.create_future())
        # Before connecting: nothing of the new connection can be queued ahead of the marker.
        self._enqueue(marker)
        lost = self._lost = asyncio.Event()
        try:
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow stop()'s
                # cancellation when a refused connect fails at the same moment.
                async with asyncio.timeout(self._connect_timeout):
                    transport, protocol = await loop.create_connection(
                        _BridgeProtocol, self._login.host, self._login.port
                    )
            except (OSError, TimeoutError) as exc:
                raise _SessionFailed(
                    f"cannot connect to AMI at {self._login.host}:{self._login.port}: {exc!r}"
                ) from exc
            self._transport = transport
            self._reading_paused = False
            connected: asyncio.Future[tuple[asyncio.BaseTransport, asyncio.BaseProtocol]]
            connected = loop.create_future()
            connected.set_result((transport, protocol))
            # panoramisk wires the protocol to the manager and sends Login (Events: on).
            manager.connection_made(connected)
            login = manager.authenticated_future
            assert login is not None  # set by connection_made, since the config has a username
            # asyncio.wait, not wait_for: cancelling the login future would break panoramisk's
            # own done-callback on it.
            done, _ = await asyncio.wait({login}, timeout=self._login_timeout)
            if not done:
                raise _SessionFailed("AMI login timed out")
            if login.cancelled() or login.exception() is not None:
                raise _SessionFailed("AMI connection closed during login")
            reply = login.result()
            if not reply.success:
                # Asterisk answers `Response: Error / Message: Authentication failed` and then
                # closes the connection.
                raise _SessionFailed(f"AMI login refused: {reply.get('Message', '') or reply!r}")
            self._logged_in = True
            if self._ever_logged_in:
                self._reconnects += 1
            self._ever_logged_in = True
            self._snapshot_pending = True
            try:
                snapshot = await self._take_snapshot()
            finally:
                self._snapshot_pending = False
            marker.snapshot.set_result(snapshot)
            keepalive = loop.create_task(self._keepalive(lost), name="ami-bridge:keepalive")
            try:
                await lost.wait()
            finally:
                keepalive.cancel()
                await asyncio.gather(keepalive, return_exceptions=True)
        finally:
            if not marker.snapshot.done():
                marker.snapshot.set_result(None)
            self._logged_in = False
            self._drop_connection()

    async def _take_snapshot(self) -> _Snapshot:
        try:
            channels = await run_action(
                self, {"Action": "CoreShowChannels"}, as_list=None, reply_timeout=self._snapshot_timeout
            )
            queues = await run_action(
                self, {"Action": "QueueStatus"}, as_list=None, reply_timeout=self._snapshot_timeout
            )
        except (PbxUnavailable, PbxActionFailed) as exc:
            raise _SessionFailed(f"AMI snapshot failed: {exc.message}") from exc
        # List events carry no Timestamp: stamp them with the time the snapshot completed.
        at = self._clock.now()
        return _Snapshot(
            channels=tuple(AmiEvent.from_headers(h, received_at=at) for h in channels.events),
            queue_status=tuple(AmiEvent.from_headers(h, received_at=at) for h in queues.events),
            at=at,
        )

    async def _keepalive(self, lost: asyncio.Event) -> None:
        """Ping when the link is quiet; drop it only when the peer has gone silent.

        A Pong travels behind every event Asterisk sent before it. During a burst the bridge
        pauses reading (back-pressure), so the Pong can sit unread in the socket for longer than
        `ping_timeout`: timing it out then would make the bridge drop a healthy connection and
        lose the burst (it did: 40 000 events, dropped after ~1 400). So traffic is proof of life:
        no Ping while bytes keep arriving or reading is paused by us, and a late Pong counts as
        missing only if nothing at all came in while waiting for it.
        """
        while not lost.is_set():
            await asyncio.sleep(self._ping_interval)
            if self._reading_paused or self._received_since(time.monotonic() - self._ping_interval):
                continue
            sent_at = time.monotonic()
            try:
                await run_action(self, {"Action": "Ping"}, as_list=False, reply_timeout=self._ping_timeout)
            except PbxUnavailable as exc:
                if exc.context.get("reason") == "timeout" and (
                    self._reading_paused or self._received_since(sent_at)
                ):
                    log.info("AMI Pong is behind unread events; the peer is alive")
                    continue
                self._last_error = f"AMI keepalive failed: {exc.message}"
                log.warning("%s; dropping the connection", self._last_error)
                self._drop_connection()
                lost.set()
            except PbxActionFailed:
                log.warning("AMI answered Ping with an error; the connection is alive")

    def _received_since(self, moment: float) -> bool:
        manager = self._manager
        protocol = manager.protocol if manager is not None else None
        return isinstance(protocol, _BridgeProtocol) and protocol.last_received > moment

    def _connection_lost(self, exc: object) -> None:
        if self._logged_in:
            self._last_error = f"AMI connection lost: {exc!r}" if exc else "AMI connection closed by peer"
            log.warning("%s", self._last_error)
        if self._lost is not None:
            self._lost.set()

    def _drop_connection(self) -> None:
        self._logged_in = False
        if self._manager is not None:
            # Fails pending actions (see _BridgeProtocol.close) and closes the socket; asyncio's
            # later connection_lost then finds the protocol closed and does nothing.
            self._manager.close()
        self._transport = None
        self._reading_paused = False
        if self._lost is not None:
            self._lost.set()
