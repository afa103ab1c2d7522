"""The Asterisk side of AudioSocket: a simulated channel streams a caller's voice to a server.

Frames are `kind (1 byte) | length (2 bytes, big endian) | payload`: 0x01 the call's 16-byte
UUID, 0x10 audio (signed linear 16-bit LE, 8 kHz mono, 320 bytes = 20 ms), 0x00 hangup.

`AudioSocketLink` is one connection: it sends the UUID frame first, then audio frames paced at one
per 20 ms of virtual time (`stream`), and notes when the server sends 0x00 or closes. Used by:
* `stream_call`: the dialplan's `AudioSocket(uuid,host:port)` on 12349 (trace 07): the caller's
  conversation speech until the server sends 0x00 (trace 07), closes, or the caller's talk time
  runs out (then the simulator sends 0x00, as before);
* `pbx/sim/tap.py`: the live-transcript tap (ChanSpy on a Local channel running AudioSocket);
* `pbx/sim/agi_client.py`: the IVR's `EXEC AudioSocket` (the caller says an address).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import struct
import uuid
from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING

from pbx.sim.voice import FRAME_S, SILENCE, looped_frames

if TYPE_CHECKING:
    from pbx.sim.model import Channel, SimPbx

KIND_HANGUP, KIND_UUID, KIND_AUDIO = 0x00, 0x01, 0x10
CONNECT_TIMEOUT_S = 5.0


def frame(kind: int, payload: bytes) -> bytes:
    return struct.pack(">BH", kind, len(payload)) + payload


def parse_target(data: str) -> tuple[str, str, int] | None:
    """`<uuid>,<host>:<port>[,...]` (AudioSocket's arguments) as (uuid, host, port), or None."""
    parts = data.split(",")
    if len(parts) < 2:
        return None
    try:
        call_uuid = str(uuid.UUID(parts[0].strip()))
    except ValueError:
        return None
    host, sep, port = parts[1].strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return call_uuid, host.strip("[]"), int(port)


class StreamEnd(StrEnum):
    """Why `AudioSocketLink.stream` returned."""

    SERVER = "server"  # the server sent 0x00, closed the socket, or a write failed
    STOPPED = "stopped"  # one of the stop events was set (a hangup on our side)
    LIMIT = "limit"  # the time limit was reached
    EXHAUSTED = "exhausted"  # the frame source ran dry


class AudioSocketLink:
    """One AudioSocket connection, client (Asterisk) side."""

    def __init__(self, pbx: SimPbx, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._pbx = pbx
        self._reader = reader
        self._writer = writer
        self.server_hangup = asyncio.Event()
        self.frames_sent = 0
        self._reading = asyncio.ensure_future(self._read_frames())

    @classmethod
    async def open(cls, pbx: SimPbx, call_uuid: str, host: str, port: int) -> AudioSocketLink | None:
        """Connect and send the UUID frame; None when the server cannot be reached."""
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port), timeout=CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError):
            return None
        link = cls(pbx, reader, writer)
        try:
            writer.write(frame(KIND_UUID, uuid.UUID(call_uuid).bytes))
            await writer.drain()
        except OSError:
            link.server_hangup.set()
        return link

    async def _read_frames(self) -> None:
        # The server may send audio back (ignored) and ends the call with 0x00 or by closing.
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while True:
                kind, length = struct.unpack(">BH", await self._reader.readexactly(3))
                if length:
                    await self._reader.readexactly(length)
                if kind == KIND_HANGUP:
                    break
        self.server_hangup.set()

    async def stream(
        self, frames: Iterator[bytes], *stop: asyncio.Event, limit: float = math.inf
    ) -> StreamEnd:
        """Send 0x10 frames from `frames`, one per 20 ms of virtual time, until the server hangs
        up, a `stop` event is set, `limit` virtual seconds have been streamed, or `frames` ends.

        Paced against the clock (frame i is due at start + i * 20 ms), not by sleeping 20 ms
        after each write, so a high time scale does not make the stream drift."""
        pbx = self._pbx
        start = pbx.now()
        for index, payload in enumerate(frames):
            offset = index * FRAME_S
            if offset >= limit:
                # The last frame lasts its 20 ms too: the limit is reached at start + limit.
                hit = await pbx.wait(start + limit - pbx.now(), self.server_hangup, *stop)
                if hit is not None:
                    return StreamEnd.SERVER if hit == 0 else StreamEnd.STOPPED
                return StreamEnd.LIMIT
            delay = start + offset - pbx.now()
            if delay > 0:
                hit = await pbx.wait(delay, self.server_hangup, *stop)
            else:
                # Behind schedule (a loaded machine, a high time scale): catch up with a burst,
                # but yield between frames so a 0x00 from the server is seen at once.
                await asyncio.sleep(0)
                hit = None
            if hit is None:
                hit = next((i for i, ev in enumerate((self.server_hangup, *stop)) if ev.is_set()), None)
            if hit is not None:
                return StreamEnd.SERVER if hit == 0 else StreamEnd.STOPPED
            try:
                self._writer.write(frame(KIND_AUDIO, payload))
                await self._writer.drain()
            except OSError:
                self.server_hangup.set()
                return StreamEnd.SERVER
            self.frames_sent += 1
        return StreamEnd.EXHAUSTED

    async def hang_up(self) -> None:
        """Send 0x00 (the channel hung up while the application ran)."""
        if self.server_hangup.is_set():
            return
        with contextlib.suppress(OSError):
            self._writer.write(frame(KIND_HANGUP, b""))
            await self._writer.drain()

    async def close(self) -> None:
        self._reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reading
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()


async def stream_call(pbx: SimPbx, ch: Channel, call_uuid: str, host: str, port: int, talk: float) -> None:
    """`AudioSocket(uuid,host:port)` in the dialplan: the caller talks for `talk` seconds."""
    link = await AudioSocketLink.open(pbx, call_uuid, host, port)
    if link is None:
        return
    try:
        pcm = pbx.speech_pcm(ch)
        frames = looped_frames(pcm, pbx.config.speech_gap) if pcm else _silence()
        end = await link.stream(frames, ch.interrupt, limit=talk)
        if end is not StreamEnd.SERVER:
            await link.hang_up()
    finally:
        await link.close()


def _silence() -> Iterator[bytes]:
    while True:
        yield SILENCE
