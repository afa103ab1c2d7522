"""The keypad district menu (按键选择区) with the PBX simulator over real FastAGI: the simulated
caller asks for the nearest office (4), says its address, and recognition never answers within the
IVR's limit; the IVR then offers the districts by key. The simulator runs the rendered dialplan and
keys the caller's digits at the prompts that listen, as Asterisk's GET DATA does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from core.clock import ManualClock
from core.ivr_events import IvrAbandoned, IvrReason, IvrRouted
from ivr.agi_server import AgiServer
from ivr.fakes import (
    FakeAddressLookup,
    FakeQueueRouter,
    FakeSpeechCapture,
    FakeSpeechSynth,
    FakeWaitEstimator,
    FixedServiceHours,
    RecordingPublisher,
)
from ivr.menu import load_menu
from ivr.service import IvrService
from ivr.variables import SCRIPT_IVR
from pbx.sim import DEFAULT_AUDIO_DIR, AgiTarget, CallerSpec, Dist, SimulatorConfig, run_simulator
from pbx.sim.model import Headers
from tests.support.polling import until

SCALE = 20.0
OPEN = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


@pytest.fixture
async def ivr() -> AsyncIterator[tuple[AgiServer, RecordingPublisher, FakeQueueRouter]]:
    # The recogniser never answers in time.
    async with _ivr(FakeSpeechCapture([FakeSpeechCapture.HANG] * 3)) as rig:
        yield rig


@pytest.fixture
async def misheard() -> AsyncIterator[tuple[AgiServer, RecordingPublisher, FakeQueueRouter]]:
    # Whatever is said is heard as 静安区南京西路街道 (the fake lookup's 静安 office), twice.
    async with _ivr(FakeSpeechCapture(["静安区南京西路街道"] * 2)) as rig:
        yield rig


@contextlib.asynccontextmanager
async def _ivr(
    capture: FakeSpeechCapture,
) -> AsyncIterator[tuple[AgiServer, RecordingPublisher, FakeQueueRouter]]:
    book = load_menu()
    book = replace(book, settings=replace(book.settings, speech_timeout_s=0.5))
    publisher, router = RecordingPublisher(), FakeQueueRouter()
    service = IvrService(
        book,
        router=router,
        hours=FixedServiceHours(True),
        waits=FakeWaitEstimator(30.0),
        lookup=FakeAddressLookup(),
        capture=capture,
        synth=FakeSpeechSynth(),
        publisher=publisher,
        clock=ManualClock(OPEN),
        audiosocket_address="127.0.0.1:1",  # nobody listens: the stream ends at once
    )
    server = AgiServer({SCRIPT_IVR: service.run}, command_timeout=10.0)
    await server.start("127.0.0.1", 0)
    try:
        yield server, publisher, router
    finally:
        await server.stop()


async def place(
    server: AgiServer, dtmf: str, *, hang_up_at: str | None = None, address: str | None = None
) -> list[dict[str, str]]:
    """One simulated call keying `dtmf`. With `address` (a clip of pbx/sim/audio) the caller says
    it and knows its district: it refuses an office of another district read back and keys its own
    district in the menu. Without, it says nothing and keys only its script."""
    config = SimulatorConfig(
        ami_port=0,
        agi=AgiTarget("127.0.0.1", server.port, SCRIPT_IVR),
        time_scale=SCALE,
        audio_dir=DEFAULT_AUDIO_DIR,
        patience=Dist.never(),
        callers_say_address=address is not None,
    )
    sim = await run_simulator(config)
    events: list[Headers] = []
    sim.event_listeners.append(events.append)

    def hang_up(headers: Headers) -> None:
        e = dict(headers)
        if hang_up_at and e.get("Event") == "AGIExecStart" and e.get("Command", "").startswith(hang_up_at):
            caller = next(c for c in sim.pbx.channels if c.name == e["Channel"])
            caller.request_hangup(16)

    sim.event_listeners.append(hang_up)
    try:
        await asyncio.wait_for(sim.place_call(CallerSpec(dtmf=dtmf, address=address or "")), timeout=30.0)
    finally:
        await sim.stop()
    return [dict(e) for e in events]


def commands(events: list[dict[str, str]]) -> list[str]:
    return [e["Command"] for e in events if e.get("Event") == "AGIExecStart"]


async def test_given_slow_recognition_when_the_caller_keys_4_then_routed_to_jingan(ivr) -> None:
    server, publisher, router = ivr
    events = await place(server, "44")  # 4 over the greeting: the office search; 4: 静安区

    await until(lambda: bool(publisher.of(IvrRouted)), timeout=5.0)
    (routed,) = publisher.of(IvrRouted)
    assert isinstance(routed, IvrRouted)
    assert (routed.reason, routed.district_code, routed.queue) == (
        IvrReason.DISTRICT_KEYPAD,
        "310106",
        "q-310106-other",
    )
    sent = commands(events)
    assert any(c.startswith("EXEC AudioSocket") for c in sent)
    assert any(c.startswith("GET DATA hotline/district_menu_1") for c in sent)
    assert router.calls[-1] == ("310106", "other")


async def test_given_slow_recognition_when_the_caller_keys_wrong_then_reprompted_then_city_queue(ivr) -> None:
    server, publisher, _ = ivr
    events = await place(server, "4*")  # * is no key on the first page, then nothing at all

    await until(lambda: bool(publisher.of(IvrRouted)), timeout=10.0)
    (routed,) = publisher.of(IvrRouted)
    assert isinstance(routed, IvrRouted)
    assert (routed.reason, routed.district_code, routed.queue) == (IvrReason.NO_INPUT, None, "q-city-other")
    assert sum(c.startswith("GET DATA hotline/district_menu_1") for c in commands(events)) == 3


async def test_given_the_keypad_menu_when_the_caller_hangs_up_then_abandoned_there_with_its_path(ivr) -> None:
    server, publisher, _ = ivr
    await place(server, "4", hang_up_at="GET DATA hotline/district_menu_1")

    await until(lambda: bool(publisher.of(IvrAbandoned)), timeout=5.0)
    (gone,) = publisher.of(IvrAbandoned)
    assert isinstance(gone, IvrAbandoned)
    assert gone.where == "address:district:1"
    assert gone.path[-1] == "address:asr_timeout"
    assert gone.address_note == "语音识别超时，来电人改用按键选择所在区"
    assert publisher.of(IvrRouted) == []


@pytest.mark.parametrize(
    ("clip", "district", "keys"),
    [
        ("address-07-putuo-changzheng.wav", "310107", ["5"]),  # 普陀区: 5 on the first page
        ("address-08-baoshan-dachang.wav", "310113", ["9", "1"]),  # 宝山区: 9, then 1 on the second
    ],
)
async def test_given_slow_recognition_when_a_caller_who_said_its_address_hears_the_menu_then_it_keys_its_district(
    ivr, clip: str, district: str, keys: list[str]
) -> None:
    server, publisher, _ = ivr
    events = await place(server, "4", address=clip)  # its script has no key for the menu

    await until(lambda: bool(publisher.of(IvrRouted)), timeout=10.0)
    (routed,) = publisher.of(IvrRouted)
    assert isinstance(routed, IvrRouted)
    assert (routed.reason, routed.district_code) == (IvrReason.DISTRICT_KEYPAD, district)
    assert [step.rsplit(":", 1)[-1] for step in routed.path if step.startswith("address:district:")] == keys[
        -1:
    ]
    menus = [c for c in commands(events) if c.startswith("GET DATA hotline/district_menu_")]
    assert len(menus) == len(keys)


async def test_given_an_office_of_another_district_read_back_twice_when_refused_then_the_menu_routes_it_home(
    misheard,
) -> None:
    server, publisher, router = misheard
    # The script would confirm (1); the caller lives in 普陀区 and hears 静安's office read back.
    events = await place(server, "41", address="address-07-putuo-changzheng.wav")

    await until(lambda: bool(publisher.of(IvrRouted)), timeout=10.0)
    (routed,) = publisher.of(IvrRouted)
    assert isinstance(routed, IvrRouted)
    assert (routed.reason, routed.district_code) == (IvrReason.DISTRICT_KEYPAD, "310107")
    assert "address:1" not in routed.path and "address:unrecognised" in routed.path
    assert sum(c.startswith("EXEC AudioSocket") for c in commands(events)) == 2  # asked twice
    assert router.calls[-1] == ("310107", "other")
