"""The spoken address when the whole-utterance engine is busy (issue 18, item 4: capacity): the
IVR's decode queues in the engine's decode line (asr.turns) behind another decode (a post-call
transcript, another caller's address); past the menu's `speech_timeout_s` the IVR stops waiting and
offers the keypad district menu (按键选择区), and the call goes to the district the caller keys. The
engine is the real `WhisperRecognizer` (its decode line, its guards) over a fake model that blocks
until released: nothing depends on timing but the IVR's own limit."""

from __future__ import annotations

import asyncio
import math
import struct
import threading
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asr.whisper_engine import WhisperRecognizer
from core.clock import ManualClock
from core.ivr_events import IvrReason, IvrRouted
from ivr.agi_server import AgiServer
from ivr.fakes import (
    Caller,
    FakeAddressLookup,
    FakeAsterisk,
    FakeQueueRouter,
    FakeSpeechSynth,
    FakeWaitEstimator,
    FixedServiceHours,
    Key,
    RecordingPublisher,
)
from ivr.menu import MenuBook
from ivr.service import IvrService
from ivr.variables import SCRIPT_IVR

from .conftest import OPEN_TIME

RATE = 8000
SAID = "静安区南京西路街道"


@dataclass
class _Segment:
    text: str
    no_speech_prob: float = 0.01
    avg_logprob: float = -0.2
    compression_ratio: float = 1.1


class BlockingModel:
    """faster-whisper's `WhisperModel.transcribe`, held until `release` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()
        self.decodes = 0

    def transcribe(self, audio: Any, **options: Any) -> tuple[list[_Segment], None]:
        self.decodes += 1
        self.entered.set()
        self.release.wait(30)
        return [_Segment(SAID)], None


def _tone(seconds: float) -> bytes:
    n = int(RATE * seconds)
    return struct.pack(f"<{n}h", *(int(8000 * math.sin(2 * math.pi * 300 * i / RATE)) for i in range(n)))


class EngineCapture:
    """ivr.ports.SpeechCapture deciding the caller's utterance with the engine on a worker thread,
    as the AudioSocket server does after endpointing."""

    def __init__(self, engine: WhisperRecognizer) -> None:
        self._engine = engine

    def expect(self, stream_id: str) -> Awaitable[str | None]:
        async def decode() -> str | None:
            return await asyncio.to_thread(self._engine.transcribe, _tone(1.0), RATE) or None

        return asyncio.ensure_future(decode())


async def test_given_the_engine_busy_when_the_caller_speaks_the_address_then_the_ivr_falls_back_to_the_keypad(
    env_block: str, book: MenuBook
) -> None:
    model = BlockingModel()
    engine = WhisperRecognizer(model, Path("fake-model"))
    # Another decode holds the engine (a post-call transcript): the caller's queues behind it.
    busy = threading.Thread(target=engine.transcribe, args=(_tone(2.0), RATE), daemon=True)
    busy.start()
    assert model.entered.wait(10)
    publisher = RecordingPublisher()
    ivr = IvrService(
        book,  # speech_timeout_s = 0.2 (the fixture's)
        router=FakeQueueRouter(),
        hours=FixedServiceHours(True),
        waits=FakeWaitEstimator(30.0),
        lookup=FakeAddressLookup(),
        capture=EngineCapture(engine),
        synth=FakeSpeechSynth(),
        publisher=publisher,
        clock=ManualClock(OPEN_TIME),
        audiosocket_address="127.0.0.1:9092",
    )
    server = AgiServer({SCRIPT_IVR: ivr.run}, command_timeout=5.0)
    await server.start("127.0.0.1", 0)
    try:
        variables = {"CHANNEL(linkedid)": "1795299094.0"}
        asterisk = FakeAsterisk(
            env_block, Caller([Key("4"), Key("4")], variables=variables), script=SCRIPT_IVR
        )
        await asterisk.run("127.0.0.1", server.port)
    finally:
        await server.stop()
        held_decodes = model.decodes
        model.release.set()  # the held decodes finish now
        busy.join(10)

    execs = [c for c in asterisk.commands if c.startswith("EXEC AudioSocket ")]
    assert len(execs) == 1  # not asked to speak again: the decoder is behind
    assert "hotline/address_not_heard" not in asterisk.prompts_played
    assert "hotline/district_menu_1" in asterisk.prompts_played  # 按键选择区 instead
    (routed,) = [e for e in publisher.events if isinstance(e, IvrRouted)]
    assert routed.reason is IvrReason.DISTRICT_KEYPAD
    assert asterisk.variables["HOTLINE_QUEUE"] == "q-310106-other"  # 4 on page 1: 静安区
    assert held_decodes == 1  # the IVR's decodes never reached the model while it was held
