"""Builders for the telephony side of the runtime: the simulator, the AMI bridge, the IVR, the
seat board and the callback service. Kept apart from `runtime.py` so each piece reads alone."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from app.adapters import LiveWaitEstimator, RoutingAddressLookup, RoutingQueueRouter, RoutingServiceHours
from app.settings import Settings
from core.bus import EventBus
from core.clock import Clock
from core.events import DomainEvent
from ivr.agi_server import AgiServer
from ivr.menu import load_menu
from ivr.ports import SpeechCapture, SpeechSynth
from ivr.prompts import EspeakSpeechSynth
from ivr.service import IvrService
from ivr.survey import SurveyService
from ivr.variables import SCRIPT_IVR, SCRIPT_SURVEY
from pbx.sim.config import AgiTarget, Dist, DistKind, PhoneConfig, QueueConfig, SimulatorConfig
from pbx.sim.simulator import Simulator, run_simulator
from pbx.tracker import CallTracker
from routing.address import AddressResolver
from routing.calendar import HolidayCalendar
from routing.gazetteer import load_gazetteer
from routing.grammar import address_grammar
from routing.offices import OfficeRegistry, build_offices
from routing.queues import QueueRules
from seats.board import SeatBoard
from seats.models import Seat

log = logging.getLogger(__name__)

GAZETTEER_DIR = Path(__file__).resolve().parents[1] / "routing" / "data" / "shanghai"

# What simulated callers key in the IVR (digits, weight): mostly 法律咨询 sub-menus, some legal
# aid, notary / forensic / mediation, a few straight to a human and a few who press nothing.
DEMO_DTMF = (
    ("12", 24.0),
    ("11", 14.0),
    ("13", 10.0),
    ("14", 8.0),
    ("15", 5.0),
    ("16", 5.0),
    ("2", 10.0),
    ("31", 6.0),
    ("32", 2.0),
    ("33", 4.0),
    ("0", 8.0),
    ("", 4.0),
)


class NoSpeechCapture:
    """ivr.ports.SpeechCapture when no ASR is running: nothing is heard, the IVR falls back."""

    async def _none(self) -> str | None:
        return None

    def expect(self, stream_id: str) -> Awaitable[str | None]:
        return self._none()


class FixedPromptSynth:
    """ivr.ports.SpeechSynth without espeak-ng: a fixed prompt instead of the office's name."""

    def __init__(self, prompt_base: str) -> None:
        self._name = f"{prompt_base}/office_found"

    async def prompt_for(self, text: str) -> str:
        return self._name


@dataclass
class Routing:
    calendar: HolidayCalendar
    rules: QueueRules
    resolver: AddressResolver
    lookup: RoutingAddressLookup
    grammar: list[str]


@functools.cache
def _shanghai() -> tuple[AddressResolver, OfficeRegistry, list[str]]:
    """Built once per process (a second or two of pinyin indexing); all read-only."""
    gazetteer = load_gazetteer(GAZETTEER_DIR)
    return AddressResolver.build(gazetteer), build_offices(gazetteer), address_grammar(gazetteer)


def build_routing(calendar: HolidayCalendar, rules: QueueRules) -> Routing:
    resolver, registry, grammar = _shanghai()
    return Routing(calendar, rules, resolver, RoutingAddressLookup(resolver, registry), grammar)


def build_ivr(
    settings: Settings,
    routing: Routing,
    *,
    tracker: CallTracker,
    board: SeatBoard | None,
    bus: EventBus,
    clock: Clock,
    capture: SpeechCapture | None = None,
) -> AgiServer:
    book = load_menu()
    synth: SpeechSynth
    if shutil.which("espeak-ng") and shutil.which("sox"):
        synth = EspeakSpeechSynth(Path("prompts_build"), book.settings.prompt_base)
    else:
        synth = FixedPromptSynth(book.settings.prompt_base)
    ivr = IvrService(
        book,
        router=RoutingQueueRouter(routing.rules),
        hours=RoutingServiceHours(routing.rules, routing.calendar),
        waits=LiveWaitEstimator(tracker, board),
        lookup=routing.lookup,
        capture=capture or NoSpeechCapture(),
        synth=synth,
        publisher=bus,
        clock=clock,
        audiosocket_address=f"{settings.audiosocket.host}:{settings.audiosocket.port}",
    )
    survey = SurveyService(book, publisher=bus, clock=clock)
    return AgiServer({SCRIPT_IVR: ivr.run, SCRIPT_SURVEY: survey.run})


async def start_simulator(
    settings: Settings, rules: QueueRules, seats: list[Seat], *, agi_port: int | None, ami_port: int
) -> Simulator:
    sim = settings.sim
    phones = tuple(
        PhoneConfig(
            endpoint=seat.interface.split("/", 1)[-1],
            answer_probability=0.93,
            answer_delay=Dist(DistKind.UNIFORM, 3.0, 1.5),
            # The seat ends the conversation about half the time (the caller's own talk time is
            # drawn alike): those callers then hear the satisfaction survey.
            hangup_after=Dist(DistKind.LOGNORMAL, sim.mean_talk_s, 0.5),
        )
        for seat in seats
    )
    config = SimulatorConfig(
        ami_host=settings.ami.host,
        ami_port=ami_port,
        ami_username=settings.ami.username,
        ami_secret=settings.ami.secret.get_secret_value(),
        queues=tuple(
            QueueConfig(name=q, timeout=15.0, wrapuptime=min(settings.seats.wrap_up_s, 10.0))
            for q in rules.all_queues()
        ),
        default_queue="q-city-other",
        agi=AgiTarget(settings.agi.host, agi_port, "ivr") if agi_port is not None else None,
        seats=phones,
        calls_per_hour=sim.calls_per_hour,
        patience=Dist(DistKind.EXPONENTIAL, sim.mean_patience_s),
        talk_time=Dist(DistKind.LOGNORMAL, sim.mean_talk_s, 0.5),
        seed=sim.seed,
        time_scale=sim.time_scale,
        dtmf_mix=DEMO_DTMF,
    )
    return await run_simulator(config)


class Ticker:
    """A background task calling `tick()` every `interval` seconds; errors are logged, it goes on."""

    def __init__(self, name: str, interval: float, tick: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self._interval = interval
        self._tick = tick
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"ticker:{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._tick()
            except Exception:
                log.exception("ticker %s failed", self.name)


async def publish_all(bus: EventBus, events: list[DomainEvent]) -> None:
    for event in events:
        await bus.publish(event)
