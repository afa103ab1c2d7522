"""A free loopback port, so parallel runs don't collide."""

from __future__ import annotations

import socket


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    """A port the OS says is free now on 127.0.0.1 (TCP by default; `socket.SOCK_DGRAM` for UDP)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
