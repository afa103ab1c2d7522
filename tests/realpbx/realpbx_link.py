"""The network between our application and Asterisk's AMI, which a test can cut.

`AmiLink` is a TCP relay on a free loopback port: the application's AMI settings point at it, it
relays to Asterisk's manager port. `cut()` is a network outage: every relayed connection is
dropped and new ones are refused (nothing listens) until `restore()` listens on the same port
again. Asterisk itself runs on untouched, writing its queue log and CDR.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket


class AmiLink:
    def __init__(self, ami_port: int) -> None:
        self._target = ami_port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self.connections = 0
        self.received = bytearray()
        """Everything Asterisk sent over the relayed connections (a trace of the AMI stream)."""

    @property
    def up(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = int(sock.getsockname()[1])
        self._server = await asyncio.start_server(self._accept, sock=sock)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target)
        except OSError:
            writer.close()
            return
        self.connections += 1
        self._writers |= {writer, up_writer}
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer, self.received)),
        ]
        self._tasks.update(pumps)
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for w in (writer, up_writer):
            self._drop(w)
        for t in pumps:
            t.cancel()
        self._tasks.difference_update(pumps)

    @staticmethod
    async def _pump(
        src: asyncio.StreamReader, dst: asyncio.StreamWriter, record: bytearray | None = None
    ) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            while data := await src.read(65536):
                if record is not None:
                    record += data
                dst.write(data)
                await dst.drain()

    def _drop(self, writer: asyncio.StreamWriter) -> None:
        self._writers.discard(writer)
        sock = writer.get_extra_info("socket")
        with contextlib.suppress(OSError):
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        writer.close()

    async def cut(self) -> None:
        """The outage: stop listening (reconnects are refused), drop every relayed connection."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for w in list(self._writers):
            self._drop(w)
        await asyncio.sleep(0)

    async def restore(self) -> None:
        if self._server is None:
            await self.start()

    async def stop(self) -> None:
        await self.cut()
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
