"""The IVR and the routing it consults, built from their parts (the runtime starts them)."""

from __future__ import annotations

import functools
import shutil
from dataclasses import dataclass
from pathlib import Path

from core.bus import EventBus
from core.clock import Clock
from core.ports import LiveCalls
from ivr.adapters import (
    FixedPromptSynth,
    LiveWaitEstimator,
    NoSpeechCapture,
    RoutingAddressLookup,
    RoutingQueueRouter,
    RoutingServiceHours,
)
from ivr.agi_server import COMMAND_TIMEOUT_S, AgiServer
from ivr.menu import load_menu
from ivr.ports import SpeechCapture, SpeechSynth
from ivr.prompts import EspeakSpeechSynth
from ivr.service import IvrService
from ivr.settings import VoicemailSettings
from ivr.survey import SurveyService
from ivr.variables import SCRIPT_IVR, SCRIPT_SURVEY
from routing.address import AddressResolver
from routing.calendar import HolidayCalendar
from routing.gazetteer import SHANGHAI_DIR, load_gazetteer
from routing.grammar import address_grammar
from routing.offices import OfficeRegistry, build_offices
from routing.queues import QueueRules
from seats.board import SeatBoard


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
    gazetteer = load_gazetteer(SHANGHAI_DIR)
    return AddressResolver.build(gazetteer), build_offices(gazetteer), address_grammar(gazetteer)


def build_routing(calendar: HolidayCalendar, rules: QueueRules) -> Routing:
    resolver, registry, grammar = _shanghai()
    return Routing(calendar, rules, resolver, RoutingAddressLookup(resolver, registry), grammar)


def build_ivr(
    routing: Routing,
    *,
    audiosocket_address: str,
    tracker: LiveCalls,
    board: SeatBoard | None,
    bus: EventBus,
    clock: Clock,
    capture: SpeechCapture | None = None,
    voicemail: VoicemailSettings | None = None,
) -> AgiServer:
    """The FastAGI server running the IVR menu and the satisfaction survey."""
    book = load_menu()
    synth: SpeechSynth
    if shutil.which("espeak-ng") and shutil.which("sox"):
        synth = EspeakSpeechSynth(Path("prompts_build"), book.settings.prompt_base)
    else:
        synth = FixedPromptSynth(book.settings.prompt_base)
    ivr = IvrService(
        book,
        router=RoutingQueueRouter(routing.rules),
        hours=RoutingServiceHours(routing.rules),
        waits=LiveWaitEstimator(tracker, board),
        lookup=routing.lookup,
        capture=capture or NoSpeechCapture(),
        synth=synth,
        publisher=bus,
        clock=clock,
        audiosocket_address=audiosocket_address,
        voicemail=voicemail,
    )
    survey = SurveyService(book, publisher=bus, clock=clock)
    longest = (voicemail or VoicemailSettings()).longest_command_s()
    return AgiServer(
        {SCRIPT_IVR: ivr.run, SCRIPT_SURVEY: survey.run}, command_timeout=max(COMMAND_TIMEOUT_S, longest)
    )
