"""Fixtures for the IVR: the recorded Asterisk 22 environment block and a running AGI server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.clock import ManualClock
from ivr.agi_server import AgiServer
from ivr.fakes import (
    Caller,
    FakeAddressLookup,
    FakeAsterisk,
    FakeQueueRouter,
    FakeSpeechCapture,
    FakeSpeechSynth,
    FakeWaitEstimator,
    FixedServiceHours,
    RecordingPublisher,
)
from ivr.menu import MenuBook, load_menu
from ivr.service import IvrService
from ivr.survey import SurveyService
from ivr.variables import SCRIPT_IVR, SCRIPT_SURVEY

# Monday 2026-11-23 10:00 in Shanghai.
OPEN_TIME = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def env_block(shared_dir: Path) -> str:
    sessions = json.loads((shared_dir / "asterisk-traces" / "fastagi_sessions.json").read_text())
    return str(next(item[1] for item in sessions if item[0] == "env"))


@pytest.fixture
def book() -> MenuBook:
    menu = load_menu()
    # A short transcript timeout keeps the "ASR never answers" case quick.
    return replace(menu, settings=replace(menu.settings, speech_timeout_s=0.2))


@dataclass
class Rig:
    """One AGI server with fake ports, and a way to call it like Asterisk would."""

    server: AgiServer
    env_block: str
    publisher: RecordingPublisher
    hours: FixedServiceHours
    waits: FakeWaitEstimator
    router: FakeQueueRouter
    lookup: FakeAddressLookup
    capture: FakeSpeechCapture
    synth: FakeSpeechSynth
    clock: ManualClock
    calls: list[FakeAsterisk] = field(default_factory=list)

    async def call(
        self, inputs: Iterable[Any] = (), *, script: str = SCRIPT_IVR, **caller: Any
    ) -> FakeAsterisk:
        variables = {"CHANNEL(linkedid)": "1795299094.0", **caller.pop("variables", {})}
        asterisk = FakeAsterisk(
            self.env_block, Caller(list(inputs), variables=variables, **caller), script=script
        )
        await asterisk.run("127.0.0.1", self.server.port)
        self.calls.append(asterisk)
        return asterisk

    def events(self, kind: type) -> list[Any]:
        return [e for e in self.publisher.events if isinstance(e, kind)]


@pytest.fixture
async def rig(env_block: str, book: MenuBook) -> AsyncIterator[Rig]:
    publisher = RecordingPublisher()
    clock = ManualClock(OPEN_TIME)
    hours, waits, router = FixedServiceHours(True), FakeWaitEstimator(30.0), FakeQueueRouter()
    lookup, capture, synth = FakeAddressLookup(), FakeSpeechCapture(), FakeSpeechSynth()
    ivr = IvrService(
        book,
        router=router,
        hours=hours,
        waits=waits,
        lookup=lookup,
        capture=capture,
        synth=synth,
        publisher=publisher,
        clock=clock,
        audiosocket_address="127.0.0.1:9092",
    )
    survey = SurveyService(book, publisher=publisher, clock=clock)
    server = AgiServer({SCRIPT_IVR: ivr.run, SCRIPT_SURVEY: survey.run}, command_timeout=5.0)
    await server.start("127.0.0.1", 0)
    try:
        yield Rig(server, env_block, publisher, hours, waits, router, lookup, capture, synth, clock)
    finally:
        await server.stop()
