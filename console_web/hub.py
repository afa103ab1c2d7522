"""Websocket hub: pushes domain events to browsers.

Each socket is a bus subscriber with a bounded queue and `Overflow.DROP`: a client that cannot
keep up is closed with code 1013 (try again later) instead of stalling the bus; the page then
reconnects and reloads its state. Caller numbers are masked before anything leaves the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from fastapi import WebSocket, WebSocketDisconnect

from core.bus import EventBus, Overflow
from core.events import DomainEvent, to_wire
from core.privacy import mask_fields

log = logging.getLogger(__name__)

Filter = Callable[[DomainEvent], bool]


class WebsocketHub:
    def __init__(self, bus: EventBus, *, queue_size: int = 500) -> None:
        self._bus = bus
        self._queue_size = queue_size
        self.clients = 0

    async def serve(self, ws: WebSocket, *, allowed: Filter | None = None) -> None:
        """Pump events to one accepted websocket until it closes."""
        outbox: asyncio.Queue[DomainEvent] = asyncio.Queue(maxsize=self._queue_size)
        overflowed = asyncio.Event()

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
        receiver = asyncio.create_task(self._drain_incoming(ws))
        try:
            await ws.send_json({"type": "hello", "data": {}})
            while not receiver.done():
                getter = asyncio.create_task(outbox.get())
                stopper = asyncio.create_task(overflowed.wait())
                done, _ = await asyncio.wait({getter, stopper, receiver}, return_when=asyncio.FIRST_COMPLETED)
                for t in (getter, stopper):
                    if t not in done:
                        t.cancel()
                if stopper in done:
                    await ws.close(code=1013, reason="客户端过慢，请重新连接")
                    break
                if getter in done:
                    wire = to_wire(getter.result())
                    wire["data"] = mask_fields(wire["data"])
                    await ws.send_json(wire)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self.clients -= 1
            self._bus.unsubscribe(sub)
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiver

    async def _drain_incoming(self, ws: WebSocket) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            while True:
                await ws.receive_text()
