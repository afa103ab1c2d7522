"""Whether the addresses a command is about to listen on are free: `hotline demo` started twice
finds its ports taken by the first, and says so in Chinese instead of a traceback from whichever
server happened to bind first."""

from __future__ import annotations

import socket
from collections.abc import Iterable

from core.errors import ConfigurationError


def taken(addresses: Iterable[tuple[str, str, int]]) -> list[str]:
    """The `(label, host, port)` entries another process listens on now, as `label host:port`
    (port 0, "any free port", is never taken). Bound and released at once, as the servers will."""
    busy = []
    for label, host, port in addresses:
        if not port:
            continue
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                busy.append(f"{label} {host}:{port}")
    return busy


def refuse_taken(addresses: Iterable[tuple[str, str, int]]) -> None:
    """ConfigurationError (in Chinese) naming the `(label, host, port)` entries already `taken`."""
    if busy := taken(addresses):
        raise ConfigurationError(
            f"端口已被占用：{'、'.join(busy)}。可能已有一个热线服务或演示在运行：请先停止它，或换用其他端口"
        )
