"""Websocket hub: pushes domain events to browsers.

Each socket is a bus subscriber with a bounded queue and `Overflow.DROP`: a client that cannot
keep up is closed with code 1013 (try again later) instead of stalling the bus; the page then
reconnects and reloads its state. Caller numbers are masked before anything leaves the server.

Sockets are tracked by login session and user: logging out (`close_session`), disabling a user
(`close_user`) or the session running out closes that session's sockets with code 4401 and a
Chinese reason; the pages answer 4401 by going back to the login screen. Every `recheck_s` each
socket's session is checked again against the database (`revalidate`), which also catches a
logout or a disabled account handled by another worker process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import WebSocket, WebSocketDisconnect

from core.bus import EventBus, Overflow
from core.events import DomainEvent, to_wire
from core.privacy import mask_phone_numbers

log = logging.getLogger(__name__)

Filter = Callable[[DomainEvent], bool]
# Checks the socket's session again: None while it is valid, else why not (in Chinese).
Revalidate = Callable[[], Awaitable[str | None]]

SESSION_ENDED = 4401


@dataclass(eq=False)
class _Connection:
    session: str | None
    user: str | None
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.get_running_loop)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str = ""

    def _end(self, reason: str) -> None:
        if not self.ended.is_set():
            self.reason = reason
            self.ended.set()

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


class WebsocketHub:
    def __init__(self, bus: EventBus, *, queue_size: int = 500, recheck_s: float = 30.0) -> None:
        self._bus = bus
        self._queue_size = queue_size
        self.recheck_s = recheck_s
        self.clients = 0
        self._connections: set[_Connection] = set()

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

    async def _watch(
        self, conn: _Connection, revalidate: Revalidate | None, expires_in_s: float | None
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = None if expires_in_s is None else loop.time() + max(0.0, expires_in_s)
        while not conn.ended.is_set():
            wait = self.recheck_s if revalidate is not None else None
            if deadline is not None:
                left = deadline - loop.time()
                if left <= 0:
                    conn.end("登录已失效，请重新登录")
                    return
                wait = left if wait is None else min(wait, left)
            if wait is None:
                return
            await asyncio.sleep(wait)
            if revalidate is not None and not conn.ended.is_set():
                try:
                    why = await revalidate()
                except Exception:  # the database is down: keep the socket, try again next time
                    log.warning("websocket session recheck failed", exc_info=True)
                    continue
                if why is not None:
                    conn.end(why)

    async def serve(
        self,
        ws: WebSocket,
        *,
        allowed: Filter | None = None,
        session: str | None = None,
        user: str | None = None,
        revalidate: Revalidate | None = None,
        expires_in_s: float | None = None,
        full_numbers: bool = False,
    ) -> None:
        """Pump events to one accepted websocket until it closes or its session ends."""
        outbox: asyncio.Queue[DomainEvent] = asyncio.Queue(maxsize=self._queue_size)
        overflowed = asyncio.Event()
        conn = _Connection(session=session, user=user)

        async def enqueue(event: DomainEvent) -> None:
            if allowed is None or allowed(event):
                try:
                    outbox.put_nowait(event)
                except asyncio.QueueFull:
                    overflowed.set()

        sub = self._bus.subscribe(
            f"ws:{id(ws)}",
            enqueue,
            maxsize=self._queue_size,
            overflow=Overflow.DROP,
            on_overflow=overflowed.set,
        )
        self.clients += 1
        self._connections.add(conn)
        receiver = asyncio.create_task(self._drain_incoming(ws))
        watcher = asyncio.create_task(self._watch(conn, revalidate, expires_in_s))
        try:
            await ws.send_json({"type": "hello", "data": {}})
            while not receiver.done():
                getter = asyncio.create_task(outbox.get())
                stopper = asyncio.create_task(overflowed.wait())
                ender = asyncio.create_task(conn.ended.wait())
                done, _ = await asyncio.wait(
                    {getter, stopper, ender, receiver}, return_when=asyncio.FIRST_COMPLETED
                )
                for t in (getter, stopper, ender):
                    if t not in done:
                        t.cancel()
                if ender in done:
                    await ws.close(code=SESSION_ENDED, reason=conn.reason)
                    break
                if stopper in done:
                    await ws.close(code=1013, reason="客户端过慢，请重新连接")
                    break
                if getter in done:
                    wire = to_wire(getter.result())
                    # By data type, not field name: a channel name carries the number too.
                    await ws.send_json(wire if full_numbers else mask_phone_numbers(wire))
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self.clients -= 1
            self._connections.discard(conn)
            self._bus.unsubscribe(sub)
            for task in (receiver, watcher):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _drain_incoming(self, ws: WebSocket) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            while True:
                await ws.receive_text()
