"""The Asterisk side of AudioSocket: `AudioSocket(uuid,host:port)` for a simulated channel.

Frames are `kind (1 byte) | length (2 bytes, big endian) | payload`: 0x01 the call's 16-byte
UUID, 0x10 audio (signed linear 16-bit LE, 8 kHz mono, 320 bytes = 20 ms), 0x00 hangup. The
simulated caller sends silence every 20 ms of virtual time until the server sends 0x00 (trace
07), the server closes the socket, or the caller's talk time runs out (then it sends 0x00).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pbx.sim.model import Channel, SimPbx

KIND_HANGUP, KIND_UUID, KIND_AUDIO = 0x00, 0x01, 0x10
FRAME_S = 0.02


def frame(kind: int, payload: bytes) -> bytes:
    return struct.pack(">BH", kind, len(payload)) + payload


async def stream_call(pbx: SimPbx, ch: Channel, call_uuid: str, host: str, port: int, talk: float) -> None:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=5.0)
    except (OSError, TimeoutError):
        return
    server_hangup = asyncio.Event()

    async def read_frames() -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while True:
                kind, length = struct.unpack(">BH", await reader.readexactly(3))
                if length:
                    await reader.readexactly(length)
                if kind == KIND_HANGUP:
                    break
        server_hangup.set()

    reading = asyncio.ensure_future(read_frames())
    try:
        writer.write(frame(KIND_UUID, uuid.UUID(call_uuid).bytes))
        silence = bytes(320)
        elapsed = 0.0
        while elapsed < talk and not server_hangup.is_set() and not ch.interrupt.is_set():
            writer.write(frame(KIND_AUDIO, silence))
            await writer.drain()
            await pbx.wait(FRAME_S, server_hangup, ch.interrupt)
            elapsed += FRAME_S
        if not server_hangup.is_set():
            writer.write(frame(KIND_HANGUP, b""))
            await writer.drain()
    except OSError:
        pass
    finally:
        reading.cancel()
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
