"""Issue 18: the spoken address the IVR gave up on does not keep the decoder busy. The PBX
simulator runs the dialplan over real FastAGI and streams the caller's address clip over a real
AudioSocket connection to the AudioSocket server; its Whisper engine is the real
`WhisperRecognizer` over a stand-in model (`tests.support.gated_whisper`) that is busy with
another decode (a post-call transcript) for the whole call. Past `speech_timeout_s` the IVR offers
the keypad district menu, and the caller's decode, still waiting in the decode line, leaves it
without ever reaching the model; the decode that held the model then ends normally."""

from __future__ import annotations

import asyncio
import threading
from array import array
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from asr.audiosocket import AudioSocketServer
from asr.speech import AsrSpeechCapture
from asr.whisper_engine import WhisperRecognizer
from core.asr_events import AsrStreamEnded
from core.bus import EventBus
from core.clock import ManualClock
from core.events import DomainEvent
from core.ivr_events import IvrReason, IvrRouted
from ivr.adapters import RoutingAddressLookup
from ivr.agi_server import AgiServer
from ivr.assembly import _shanghai
from ivr.fakes import (
    FakeQueueRouter,
    FakeSpeechSynth,
    FakeWaitEstimator,
    FixedServiceHours,
    RecordingPublisher,
)
from ivr.menu import load_menu
from ivr.service import IvrService
from ivr.variables import SCRIPT_IVR
from pbx.sim import DEFAULT_AUDIO_DIR, AgiTarget, CallerSpec, Dist, SimulatorConfig, run_simulator
from tests.support.gated_whisper import Decode, GatedModel
from tests.support.polling import until

pytest.importorskip("numpy", reason="未安装 whisper 附加依赖（pip install -e '.[whisper]'）")
pytest.importorskip("opencc", reason="未安装 whisper 附加依赖（pip install -e '.[whisper]'）")

OPEN = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
CLIP = "address-01-jingan-linfenlu.wav"


async def test_given_the_decoder_busy_when_the_ivr_gives_up_then_the_callers_decode_never_runs() -> None:
    model = GatedModel({"占用": Decode(["录音转写"]), "上海市": Decode(["静安区临汾路街道"], open=True)})
    engine = WhisperRecognizer(model, Path("fake-model"))
    tone = array("h", [6000, -6000] * 8000).tobytes()
    busy = threading.Thread(
        target=engine.transcribe, args=(tone, 8000), kwargs={"prompt": "占用"}, daemon=True
    )
    busy.start()
    assert model.decodes["占用"].started.wait(10)

    bus = EventBus()
    ended: list[AsrStreamEnded] = []

    async def record(event: DomainEvent) -> None:
        if isinstance(event, AsrStreamEnded):
            ended.append(event)

    bus.subscribe("test", record)
    await bus.start()
    audiosocket = AudioSocketServer(bus, engine, host="127.0.0.1", port=0, max_streams=2)
    await audiosocket.start()
    resolver, registry, grammar = _shanghai()
    book = load_menu()
    book = replace(book, settings=replace(book.settings, speech_timeout_s=0.5))
    publisher = RecordingPublisher()
    service = IvrService(
        book,
        router=FakeQueueRouter(),
        hours=FixedServiceHours(True),
        waits=FakeWaitEstimator(30.0),
        lookup=RoutingAddressLookup(resolver, registry),
        capture=AsrSpeechCapture(audiosocket, grammar),
        synth=FakeSpeechSynth(),
        publisher=publisher,
        clock=ManualClock(OPEN),
        audiosocket_address=f"127.0.0.1:{audiosocket.port}",
    )
    server = AgiServer({SCRIPT_IVR: service.run}, command_timeout=60.0)
    await server.start("127.0.0.1", 0)
    config = SimulatorConfig(
        ami_port=0,
        agi=AgiTarget("127.0.0.1", server.port, SCRIPT_IVR),
        time_scale=20.0,
        audio_dir=DEFAULT_AUDIO_DIR,
        patience=Dist.never(),
    )
    sim = await run_simulator(config)
    try:
        # 4: the office search; the address is said; then 4 on the keypad menu's first page: 静安区.
        await asyncio.wait_for(sim.place_call(CallerSpec(dtmf="44", address=CLIP)), timeout=60.0)
        await until(lambda: bool(publisher.of(IvrRouted)), timeout=30.0, what="the call routed")
        await until(lambda: bool(ended), timeout=10.0, what="the stream's end")
        assert model.ran == ["占用"]  # the caller's decode never reached the model
        assert engine.turns.dropped == 1 and engine.turns.waiting == 0
    finally:
        model.decodes["占用"].gates[0].set()
        busy.join(10)
        await sim.stop()
        await server.stop()
        await audiosocket.stop()
        await bus.stop()

    (routed,) = publisher.of(IvrRouted)
    assert isinstance(routed, IvrRouted)
    assert (routed.reason, routed.district_code) == (IvrReason.DISTRICT_KEYPAD, "310106")
    assert (ended[0].transcribed, ended[0].text) == (False, "")
    assert model.ran == ["占用"] and engine.turns.ran == 1
