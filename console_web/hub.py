"""Websocket hub: pushes domain events to browsers.

One bus subscriber for all sockets (issue 21). Each event is turned into its JSON text once
(caller numbers masked: by data type, not field name, since a channel name carries the number
too; the unmasked text is made only if a socket may see full numbers), then offered to every
socket that may see it: an append to that socket's bounded outbox, no task and no
`asyncio.wait` per event. One writer task per socket sends what its outbox holds, in order: a
message is one event (`{"type": ..., "data": ...}`), or, when several wait for the socket, a JSON
array of them in order (lib/live.js takes both). A socket is written at most once per `pace_s`
(20 ms): a board following every call gets some 50 messages a second, not one per event (at 400
calls the sends' system calls were the largest cost left on the loop); a socket written to less
often never waits.

* Who may see an event is routed, not asked of each socket: a socket opened with the viewer's
  `core.access.Scope` is filed under its audience keys (`seat:1001`, `team:…`, `district:…`) or
  as city-wide, and an event's audience (`DomainEvent.audience`, worked out once) picks the
  sockets from that index. The decision is `Scope.sees`'s rule, but an event costs the sockets it
  reaches, not the sockets open (profiled at 400 calls with 550 sockets: asking every socket's
  filter was the hub's largest cost). A socket with a free-form `allowed` filter is still asked.

* A socket opened with a feed (`console_web.feeds`: the page's event types) is offered only
  those types: the supervisor board applies four kinds and was sent every event (at 400 calls
  most of the hub's writes, each parsed in the browser for nothing).

* A socket that cannot keep up loses only its own backlog: when its outbox is full the backlog
  is dropped and replaced by one `StateResynced` frame, on which the page reloads what it shows
  (lib/live.js), as after a reconnect. Nobody else is closed or slowed.
* If the hub itself falls behind the bus (its one queue overflows), every socket gets that
  `StateResynced` frame the same way.
* A seat's device state comes from app_queue once per queue the seat is in (up to six identical
  facts for one phone change): the same state of the same seat within `coalesce_s` is pushed once.

Sockets are tracked by login session and user: logging out (`close_session`), disabling a user
(`close_user`) or the session running out closes that session's sockets with code 4401 and a
Chinese reason; the pages answer 4401 by going back to the login screen. Every `recheck_s` the
open sockets' sessions are checked again against the database, all in one `recheck` call (one
query: at 551 sockets, one check per socket was two queries and two thread hops each, some 9 %
of a core in threads holding the GIL against the loop), which also catches a logout or a disabled
account handled by another worker process, and a viewer whose teams or seat changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from console_web.feeds import Feed
from core.access import Scope
from core.bus import EventBus, Overflow, Subscription
from core.call_events import SeatDeviceStatusChanged
from core.events import DomainEvent, call_id_of, to_wire
from core.loopwatch import percentile
from core.privacy import mask_phone_numbers

log = logging.getLogger(__name__)

Filter = Callable[[DomainEvent], bool]
# Checks the open sockets' login sessions again, all at once: for each session (its token hash)
# why it ended (in Chinese), or the viewer's scope as it is now (teams and seats may have
# changed; its sockets are filed anew).
Recheck = Callable[[list[str]], Awaitable[Mapping[str, str | Scope]]]

SESSION_ENDED = 4401
HUB_QUEUE = 20_000  # the hub's own bus queue: events not yet offered to the sockets
BATCH_MAX = 200  # frames sent together as one array message, at most


def _text(wire: dict[str, Any]) -> str:
    # What Starlette's send_json writes, made once per event instead of once per socket.
    return json.dumps(wire, separators=(",", ":"), ensure_ascii=False)


RESYNC = _text({"type": "StateResynced", "data": {"source": "hub"}})
"""Sent instead of a backlog a socket could not take: the page reloads its state."""


@dataclass(eq=False)
class _Connection:
    session: str | None
    user: str | None
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.get_running_loop)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str = ""
    allowed: Filter | None = None
    scope: Scope | None = None
    feed: Feed | None = None  # None: every event type
    full_numbers: bool = False
    limit: int = 500
    outbox: deque[str] = field(default_factory=deque)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    resyncs: int = 0  # backlogs dropped for a StateResynced frame

    def _end(self, reason: str) -> None:
        if not self.ended.is_set():
            self.reason = reason
            self.ended.set()
            self.ready.set()

    def end(self, reason: str) -> None:
        """Safe from any thread (a sync route runs in a worker thread)."""
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is self.loop:
            self._end(reason)
        else:
            self.loop.call_soon_threadsafe(self._end, reason)

    def offer(self, frame: str) -> None:
        if len(self.outbox) >= self.limit:
            self.resync()
            return
        self.outbox.append(frame)
        self.ready.set()

    def take(self) -> str:
        """The next message: the one frame waiting, or the frames waiting (up to `BATCH_MAX`) as
        one JSON array in order, one write for many (at 400 calls the sends' system calls were the
        largest cost left on the loop)."""
        if len(self.outbox) == 1:
            return self.outbox.popleft()
        n = min(len(self.outbox), BATCH_MAX)
        return "[" + ",".join(self.outbox.popleft() for _ in range(n)) + "]"

    def resync(self) -> None:
        self.outbox.clear()
        self.outbox.append(RESYNC)
        self.resyncs += 1
        self.ready.set()


class WebsocketHub:
    def __init__(
        self,
        bus: EventBus,
        *,
        queue_size: int = 500,
        recheck_s: float = 30.0,
        coalesce_s: float = 1.0,
        pace_s: float = 0.02,
        recheck: Recheck | None = None,
    ) -> None:
        self._bus = bus
        self._recheck = recheck
        self._sweeper: asyncio.Task[None] | None = None
        self.pace_s = pace_s  # a socket gets at most one message per pace_s (what waited, batched)
        self._queue_size = queue_size
        self.recheck_s = recheck_s
        self.coalesce_s = coalesce_s
        self.clients = 0
        self._connections: set[_Connection] = set()
        # The routing index (see the module's docstring): every open socket is in exactly one of
        # `_everyone` (no filter, or a city-wide scope), `_asked` (a free-form filter) or
        # `_scoped` (a narrower scope, then also under each of its keys in `_by_key`).
        self._everyone: set[_Connection] = set()
        self._asked: set[_Connection] = set()
        self._scoped: set[_Connection] = set()
        self._by_key: dict[str, set[_Connection]] = {}
        self._sub: Subscription | None = None
        self._device_states: dict[str, tuple[object, bool, float]] = {}
        self.events_pushed = 0  # events offered to at least one socket
        self.events_coalesced = 0  # repeated device states not pushed
        # How old pushed events are when the hub offers them (now - the event's `at`, the AMI
        # Timestamp for PBX facts): the part of a push's delay spent before the sockets.
        self._ages: deque[float] = deque(maxlen=20_000)

    @property
    def resyncs(self) -> int:
        """Backlogs dropped for a StateResynced frame, over the sockets open now."""
        return sum(c.resyncs for c in self._connections)

    def health(self) -> dict[str, object]:
        """Open sockets, and the age of the last pushed events at the hub (ms: p50, p99, max)."""
        ages = sorted(self._ages)
        ms = {
            name: round(percentile(ages, q) * 1000, 1)
            for name, q in (("p50", 0.5), ("p99", 0.99), ("max", 1.0))
        }
        return {"sockets": self.clients, "push_age_ms": ms}

    def sockets_of_session(self, session: str) -> int:
        return sum(1 for c in self._connections if c.session == session and not c.ended.is_set())

    def close_session(self, session: str, reason: str = "已退出登录") -> int:
        """Close every socket opened with this login session (its token hash); returns how many."""
        hit = [c for c in list(self._connections) if c.session == session]
        for c in hit:
            c.end(reason)
        return len(hit)

    def close_user(self, user: str, reason: str = "账号已停用") -> int:
        """Close every socket of this user, whatever the session."""
        hit = [c for c in list(self._connections) if c.user == user]
        for c in hit:
            c.end(reason)
        return len(hit)

    # --- the one subscriber --------------------------------------------------------------------

    def _subscribe(self) -> None:
        if self._sub is None or self._sub.closed:
            self._sub = self._bus.subscribe(
                "ws-hub",
                self._dispatch,
                maxsize=HUB_QUEUE,
                overflow=Overflow.DROP,
                on_overflow=self._fell_behind,
            )

    def _fell_behind(self) -> None:
        """The bus dropped the hub's subscription (its queue was full): subscribe again at once,
        and have every socket reload its state for what was lost."""
        log.warning("websocket hub fell behind the bus: every socket reloads its state")
        self._sub = None
        self._subscribe()
        for c in self._connections:
            c.resync()

    def _coalesced(self, event: DomainEvent) -> bool:
        """A seat's device state already pushed within `coalesce_s` (another queue's copy)."""
        if not isinstance(event, SeatDeviceStatusChanged) or self.coalesce_s <= 0:
            return False
        now = time.monotonic()
        last = self._device_states.get(event.seat_id)
        self._device_states[event.seat_id] = (event.status, event.in_call, now)
        if last is not None and last[:2] == (event.status, event.in_call) and now - last[2] < self.coalesce_s:
            self.events_coalesced += 1
            return True
        return False

    # --- routing -------------------------------------------------------------------------------

    def _file(self, conn: _Connection) -> None:
        if conn.allowed is not None:
            self._asked.add(conn)
        elif conn.scope is None or conn.scope.citywide:
            self._everyone.add(conn)
        else:
            self._scoped.add(conn)
            for key in conn.scope.keys:
                self._by_key.setdefault(key, set()).add(conn)

    def _unfile(self, conn: _Connection) -> None:
        self._everyone.discard(conn)
        self._asked.discard(conn)
        if conn in self._scoped:
            self._scoped.discard(conn)
            for key in conn.scope.keys if conn.scope else ():
                bucket = self._by_key.get(key)
                if bucket is not None:
                    bucket.discard(conn)
                    if not bucket:
                        del self._by_key[key]

    def _rescope(self, conn: _Connection, scope: Scope) -> None:
        if scope != conn.scope:
            self._unfile(conn)
            conn.scope = scope
            self._file(conn)

    def _audience(self, event: DomainEvent) -> set[_Connection] | frozenset[_Connection]:
        """The scoped sockets that may see `event`: `Scope.sees` over its keys, from the index."""
        if not self._scoped:
            return frozenset()
        keys = event.audience()
        if not keys:  # a fact about no one: all may see it, unless it is about a call
            return frozenset() if call_id_of(event) is not None else self._scoped
        hit: set[_Connection] = set()
        for key in keys:
            bucket = self._by_key.get(key)
            if bucket:
                hit |= bucket
        return hit

    async def _dispatch(self, event: DomainEvent) -> None:
        if not self._connections or self._coalesced(event):
            return
        masked: str | None = None
        full: str | None = None
        wire: dict[str, Any] | None = None
        scoped = self._audience(event)
        asked = [c for c in self._asked if c.allowed is not None and c.allowed(event)] if self._asked else ()
        kind = event.event_type
        for group in (self._everyone, scoped, asked):
            for c in group:
                if c.ended.is_set() or (c.feed is not None and not c.feed.wants(kind)):
                    continue
                if wire is None:
                    wire = to_wire(event)
                if c.full_numbers:
                    full = full or _text(wire)
                    c.offer(full)
                else:
                    masked = masked or _text(mask_phone_numbers(wire))
                    c.offer(masked)
        if wire is not None:
            self.events_pushed += 1
            self._ages.append(time.time() - event.at.timestamp())

    # --- one socket ----------------------------------------------------------------------------

    async def _expire(self, conn: _Connection, expires_in_s: float) -> None:
        """Ends the socket when its session runs out, without waiting for a recheck."""
        await asyncio.sleep(max(0.0, expires_in_s))
        conn.end("登录已失效，请重新登录")

    def _sweep_soon(self) -> None:
        if self._recheck is not None and (self._sweeper is None or self._sweeper.done()):
            self._sweeper = asyncio.create_task(self._sweep())

    async def _sweep(self) -> None:
        """Every `recheck_s` while sockets are open: their sessions checked again, at once."""
        assert self._recheck is not None
        while self._connections:
            await asyncio.sleep(self.recheck_s)
            open_ = [c for c in self._connections if c.session is not None and not c.ended.is_set()]
            if not open_:
                continue
            try:
                now = await self._recheck(sorted({c.session for c in open_ if c.session}))
            except Exception:  # the database is down: keep the sockets, try again next time
                log.warning("websocket session recheck failed", exc_info=True)
                continue
            for c in open_:
                why = now.get(c.session or "")
                if isinstance(why, Scope):
                    self._rescope(c, why)
                elif why is not None:
                    c.end(why)

    async def serve(
        self,
        ws: WebSocket,
        *,
        allowed: Filter | None = None,
        scope: Scope | None = None,
        session: str | None = None,
        user: str | None = None,
        expires_in_s: float | None = None,
        full_numbers: bool = False,
        feed: Feed | None = None,
    ) -> None:
        """Pump events to one accepted websocket until it closes or its session ends.

        `scope`: the viewer's, routed by its audience keys (the console's sockets); `allowed`: a
        free-form filter asked of each event instead; neither: every event. `feed`: only its
        event types (the page's), else every type."""
        conn = _Connection(
            session=session,
            user=user,
            allowed=allowed,
            scope=scope,
            feed=feed,
            full_numbers=full_numbers,
            limit=self._queue_size,
        )
        self._subscribe()
        self.clients += 1
        self._connections.add(conn)
        self._file(conn)
        self._sweep_soon()
        tasks = [asyncio.create_task(self._drain_incoming(ws, conn))]
        if expires_in_s is not None:
            tasks.append(asyncio.create_task(self._expire(conn, expires_in_s)))
        try:
            await ws.send_json({"type": "hello", "data": {}})
            loop = asyncio.get_running_loop()
            last_sent = -self.pace_s
            while True:
                await conn.ready.wait()
                conn.ready.clear()
                if conn.ended.is_set():
                    if conn.reason:  # a session that ended, not a socket the browser closed
                        await ws.close(code=SESSION_ENDED, reason=conn.reason)
                    break
                # Written to less than `pace_s` ago: wait out the rest, and what comes meanwhile
                # goes in the same message (a busy board's many events; a quiet socket never waits).
                if (wait := last_sent + self.pace_s - loop.time()) > 0:
                    await asyncio.sleep(wait)
                while conn.outbox and not conn.ended.is_set():
                    await ws.send_text(conn.take())
                last_sent = loop.time()
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        finally:
            self.clients -= 1
            self._connections.discard(conn)
            self._unfile(conn)
            if not self._connections and self._sweeper is not None:
                tasks.append(self._sweeper)  # the last socket: no recheck is left to do
                self._sweeper = None
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _drain_incoming(self, ws: WebSocket, conn: _Connection) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            while True:
                await ws.receive_text()
        conn.ready.set()  # the browser is gone: the writer stops
        if not conn.ended.is_set():
            conn.ended.set()
