"""Reading what the websocket hub pushes: a message is one event or, when several waited for the
socket, a JSON array of them in order (`console_web.hub`); tests read events one at a time."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any, Protocol

from core.bus import EventBus


class _JsonSocket(Protocol):
    def receive_json(self) -> Any: ...


def unpacked(message: Any) -> list[dict[str, Any]]:
    """The events of one pushed message, parsed or as text."""
    if isinstance(message, str | bytes):
        message = json.loads(message)
    return list(message) if isinstance(message, list) else [message]


def pushed(ws: _JsonSocket) -> Iterator[dict[str, Any]]:
    """The events a test client's socket receives, one at a time, arrays unpacked. Keep one
    iterator per socket: a message's later events wait in it for the next `next`."""
    while True:
        yield from unpacked(ws.receive_json())


class FakeSocket:
    """A websocket the hub serves (`WebsocketHub.serve`): records what is sent, the raw messages
    (`raw`) and their events unpacked (`frames`, the hello first); `gate` cleared: each send waits
    (a slow browser)."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self.closed: tuple[int, str] | None = None
        self.gate = asyncio.Event()
        self.gate.set()
        self.gone = asyncio.Event()

    async def send_json(self, data: dict[str, Any]) -> None:
        self.frames.append(data)

    async def send_text(self, text: str) -> None:
        await self.gate.wait()
        self.raw.append(text)
        self.frames.extend(unpacked(text))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = (code, reason)
        self.gone.set()

    async def receive_text(self) -> str:
        await self.gone.wait()
        raise RuntimeError("closed")

    def types(self) -> list[str]:
        return [f["type"] for f in self.frames if f["type"] != "hello"]


async def settle(bus: EventBus) -> None:
    """Until what was published has reached the fake sockets: the bus drained, then time for a
    socket written to just now to wait out the hub's pace (20 ms) and send."""
    await bus.drain()
    for _ in range(3):
        await asyncio.sleep(0.03)
        for _ in range(50):
            await asyncio.sleep(0)
