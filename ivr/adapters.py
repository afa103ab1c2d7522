"""The IVR's ports over the packages below it: routing's queue rules, service hours and address
lookup to the nearest office, the seat board's serving seats, and fall-backs when no ASR or no
espeak-ng runs. `ivr/assembly.py` builds the IVR from them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import datetime

from core.ids import OfficeId
from core.ports import LiveCalls
from ivr.ports import MAX_ADDRESS_CHOICES, AddressChoice, AddressVerdict, WaitEstimate
from routing.address import AddressMatch, AddressOutcome, AddressReading, AddressResolver, seat_note
from routing.nearest import AddressCandidate, NoOfficeFound, nearest_office
from routing.offices import OfficeRegistry
from routing.queues import QueueRules
from routing.roads import OfficeRoadNote, office_roads
from seats.board import SeatBoard

log = logging.getLogger(__name__)


class RoutingQueueRouter:
    """ivr.ports.QueueRouter over routing's data-driven queue rules."""

    def __init__(self, rules: QueueRules) -> None:
        self._rules = rules

    def choose(self, district_code: str | None, category: str, now: datetime) -> tuple[str, str]:
        decision = self._rules.choose_queue(district_code, category, now)
        return decision.queue, decision.reason


class RoutingServiceHours:
    """ivr.ports.ServiceHours: open while the city pool is (working days per the rules' holiday
    calendar; at any hour with the demo's `routing.queues.around_the_clock`)."""

    def __init__(self, rules: QueueRules) -> None:
        self._rules = rules

    def is_open(self, now: datetime) -> bool:
        return self._rules.city_open(now)


class RoutingAddressLookup:
    """ivr.ports.AddressLookup: ASR text → ranked places → the nearest office of each."""

    def __init__(self, resolver: AddressResolver, registry: OfficeRegistry, *, limit: int = 3) -> None:
        self._base = resolver
        self._resolver = resolver
        self._registry = registry
        self._limit = limit
        self._last: tuple[str, AddressReading] | None = None  # the IVR asks verdict() right after lookup()
        self.road_notes: list[OfficeRoadNote] = []
        self.use_registry(registry)

    @property
    def registry(self) -> OfficeRegistry:
        return self._registry

    @property
    def resolver(self) -> AddressResolver:
        """The resolver lookups use now: the built one with the roads of the offices' addresses."""
        return self._resolver

    def use_registry(self, registry: OfficeRegistry) -> None:
        """Point lookups at an edited registry (after an admin's import or edit), and rebuild the
        road index's entries from the offices' addresses (漕溪北路88号 of a station is in its
        street; `routing.roads.office_roads`). An address that gives no road is noted and skipped."""
        segments, notes = office_roads(registry, self._base.gazetteer)
        self._resolver = self._base.with_office_roads(segments)
        self._registry = registry
        self._last = None
        self.road_notes = notes
        if notes:
            log.warning(
                "%d office addresses give no road for the road index, e.g. %s",
                len(notes),
                "; ".join(f"{n.office_id}: {n.message}" for n in notes[:3]),
            )

    def _understand(self, text: str) -> AddressReading:
        if self._last is None or self._last[0] != text:
            limit = max(self._limit, MAX_ADDRESS_CHOICES)  # every place of a keypad choice
            self._last = (text, self._resolver.understand(text, limit=limit))
        return self._last[1]

    def verdict(self, text: str) -> AddressVerdict:
        """The outcome and the seat's note; for an ambiguous reading between 2..4 named places,
        those places with the office of each (the IVR reads them as a keypad choice); for an
        address outside the city, the place named."""
        reading = self._understand(text)
        choices: tuple[AddressChoice, ...] = ()
        tied = reading.candidates[: reading.tied]
        if reading.outcome is AddressOutcome.AMBIGUOUS and 2 <= reading.tied <= MAX_ADDRESS_CHOICES:
            offices = [self._office_for(m) for m in tied]
            if len(tied) == reading.tied and all(o is not None for o in offices):
                choices = tuple(
                    AddressChoice(place=m.label, office=o) for m, o in zip(tied, offices, strict=True) if o
                )
        return AddressVerdict(
            outcome=reading.outcome.value,
            note=seat_note(reading),
            choices=choices,
            elsewhere=reading.elsewhere or "",
        )

    def lookup(self, text: str) -> list[AddressCandidate]:
        out: list[AddressCandidate] = []
        seen: set[str] = set()
        for match in self._understand(text).candidates:
            found = self._office_for(match)
            if found is None or found.office_id in seen:
                continue
            seen.add(found.office_id)
            out.append(found)
        return out[: self._limit]

    def _office_for(self, match: AddressMatch) -> AddressCandidate | None:
        """The office nearest the place (`routing.nearest`), None when the registry has none."""
        try:
            found = nearest_office(
                self._registry,
                district_code=match.district_code,
                street_code=match.street_code,
                committee_code=match.committee_code,
            )
        except NoOfficeFound:
            return None
        return AddressCandidate(
            office_id=OfficeId(found.office.id),
            office_name=found.office.name,
            office_address=found.office.address,
            opening_hours=found.office.opening_hours,
            district_code=found.office.district_code,
            confidence=match.confidence,
            reason=f"{match.reason}；{found.reason}",
        )


class LiveWaitEstimator:
    """ivr.ports.QueueWaitEstimator: callers waiting × average handling time ÷ seats serving.

    A queue nobody serves has no estimate (None): the IVR then offers no callback on that ground.
    """

    def __init__(
        self,
        tracker: LiveCalls,
        board: SeatBoard | None,
        *,
        aht_seconds: float = 300.0,
        max_waiting: int = 30,
    ) -> None:
        self._tracker = tracker
        self._board = board
        self._aht = aht_seconds
        self._max = max_waiting

    async def estimate(self, queue: str) -> WaitEstimate:
        waiting = self._tracker.waiting_in(queue)
        if waiting >= self._max:
            return WaitEstimate(None, full=True)
        if self._board is None:
            return WaitEstimate(None)
        serving = self._board.serving(queue)
        if not serving:
            return WaitEstimate(None)
        return WaitEstimate(waiting * self._aht / serving)


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

    @property
    def speaks_text(self) -> bool:
        return False

    async def prompt_for(self, text: str) -> str:
        return self._name
