"""Reading what the websocket hub pushes: a message is one event or, when several waited for the
socket, a JSON array of them in order (`console_web.hub`); tests read events one at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Protocol


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
