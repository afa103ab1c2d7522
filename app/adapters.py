"""Adapters between packages that may not import each other: built here, in the composition root.

* routing → ivr: queue choice, service hours, address lookup to the nearest office.
* pbx tracker + seat board → ivr: the estimated wait of a queue.
* store + seat board → callbacks: the seats a work order can go to.
* ivr events → callbacks and store: callback requests, survey answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from callbacks.models import MissReason
from callbacks.policy import CITYWIDE_TEAM
from callbacks.ports import CallbackSeat
from callbacks.service import CallbackService
from core.blocking import offload
from core.calls import CallStatus
from core.clock import CHINA_TZ, Clock
from core.errors import HotlineError
from core.events import DomainEvent
from core.ids import OfficeId, SeatId, TeamId
from core.ivr_events import (
    AppointmentRequested,
    CallbackReason,
    CallbackRequested,
    SurveyAnswered,
    SurveyRating,
)
from core.ports import SmsSender
from core.privacy import mask_number
from core.seat_events import SeatStatus
from ivr.ports import AddressCandidate, WaitEstimate
from pbx.tracker import CallTracker
from routing.address import AddressResolver
from routing.appointments import book_appointment, first_slot, send_confirmation
from routing.calendar import HolidayCalendar
from routing.nearest import NoOfficeFound, nearest_office
from routing.offices import OfficeRegistry
from routing.queues import QueueRules
from seats.board import SeatBoard
from stats.models import Satisfaction, SurveyAnswer
from store.appointments import AppointmentRepository
from store.repositories import Repositories

log = logging.getLogger(__name__)


class RoutingQueueRouter:
    """ivr.ports.QueueRouter over routing's data-driven queue rules."""

    def __init__(self, rules: QueueRules) -> None:
        self._rules = rules

    def choose(self, district_code: str | None, category: str, now: datetime) -> tuple[str, str]:
        decision = self._rules.choose_queue(district_code, category, now)
        return decision.queue, decision.reason


class RoutingServiceHours:
    """ivr.ports.ServiceHours: open while the city pool is (working days per the holiday calendar)."""

    def __init__(self, rules: QueueRules, calendar: HolidayCalendar) -> None:
        self._rules = rules
        self._calendar = calendar

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(CHINA_TZ)
        return self._calendar.is_working_day(local.date()) and self._rules.city_hours.contains(local.time())


class RoutingAddressLookup:
    """ivr.ports.AddressLookup: ASR text → ranked places → the nearest office of each."""

    def __init__(self, resolver: AddressResolver, registry: OfficeRegistry, *, limit: int = 3) -> None:
        self._resolver = resolver
        self._registry = registry
        self._limit = limit

    @property
    def registry(self) -> OfficeRegistry:
        return self._registry

    def use_registry(self, registry: OfficeRegistry) -> None:
        """Point lookups at an edited registry (after an admin's import or edit)."""
        self._registry = registry

    def lookup(self, text: str) -> list[AddressCandidate]:
        out: list[AddressCandidate] = []
        seen: set[str] = set()
        for match in self._resolver.resolve(text, limit=self._limit):
            try:
                found = nearest_office(
                    self._registry,
                    district_code=match.district_code,
                    street_code=match.street_code,
                    committee_code=match.committee_code,
                )
            except NoOfficeFound:
                continue
            if found.office.id in seen:
                continue
            seen.add(found.office.id)
            out.append(
                AddressCandidate(
                    office_id=OfficeId(found.office.id),
                    office_name=found.office.name,
                    office_address=found.office.address,
                    opening_hours=found.office.opening_hours,
                    district_code=found.office.district_code,
                    confidence=match.confidence,
                    reason=f"{match.reason}；{found.reason}",
                )
            )
        return out


class LiveWaitEstimator:
    """ivr.ports.QueueWaitEstimator: callers waiting × average handling time ÷ seats serving.

    A queue nobody serves has no estimate (None): the IVR then offers no callback on that ground.
    """

    def __init__(
        self,
        tracker: CallTracker,
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
        waiting = sum(
            1 for c in self._tracker.calls.values() if c.queue == queue and c.status is CallStatus.QUEUED
        )
        if waiting >= self._max:
            return WaitEstimate(None, full=True)
        if self._board is None:
            return WaitEstimate(None)
        serving = [
            s
            for s, qs in self._board.queues.items()
            if queue in qs and self._board.state(s).status is not SeatStatus.OFFLINE
        ]
        if not serving:
            return WaitEstimate(None)
        return WaitEstimate(waiting * self._aht / len(serving))


class CallbackSeats:
    """callbacks.ports.SeatDirectory over the seat table and the live board."""

    def __init__(self, repos: Repositories, board: SeatBoard) -> None:
        self._repos = repos
        self._board = board

    def seat(self, seat_id: SeatId) -> CallbackSeat | None:
        try:
            return self._repos.seats.get(seat_id)
        except Exception:
            return None

    async def available_seats(self, team_id: TeamId) -> Sequence[CallbackSeat]:
        # Orders of the city-wide pool may go to any available seat. The seat table is read on a
        # worker thread; the board (the event loop's) is read here, on the loop.
        seats = self._repos.seats
        candidates = await (
            offload(seats.all) if team_id == CITYWIDE_TEAM else offload(seats.by_team, team_id)
        )
        return [
            s
            for s in candidates
            if s.id in self._board.states and self._board.state(s.id).status is SeatStatus.AVAILABLE
        ]


_RATING = {
    SurveyRating.SATISFIED: Satisfaction.SATISFIED,
    SurveyRating.BASICALLY_SATISFIED: Satisfaction.FAIRLY_SATISFIED,
    SurveyRating.DISSATISFIED: Satisfaction.DISSATISFIED,
}


class IvrOutcomes:
    """Bus subscriber: IVR callback requests become work orders; survey answers are stored."""

    def __init__(self, repos: Repositories, callbacks: CallbackService | None) -> None:
        self._repos = repos
        self._callbacks = callbacks

    async def handle(self, event: DomainEvent) -> None:
        if isinstance(event, CallbackRequested) and self._callbacks is not None:
            reason = (
                MissReason.AFTER_HOURS
                if event.reason is CallbackReason.AFTER_HOURS
                else MissReason.IVR_REQUEST
            )
            team = TeamId(f"team-{event.district_code}") if event.district_code else None
            await self._callbacks.record_callback_request(
                event.call_id,
                event.caller_number,
                reason,
                event.at,
                event.district_code,
                team,
                queue=event.queue,
                category=event.category,
            )
        elif isinstance(event, SurveyAnswered):
            answer = SurveyAnswer(
                call_id=event.call_id, seat_id=event.seat_id or None, score=_RATING[event.rating], at=event.at
            )
            if not await offload(self._repos.surveys.record, answer):
                log.info("survey for call %s already recorded", event.call_id)


class LoggingSmsSender:
    """core.ports.SmsSender that only logs (masked number) and remembers the last messages.

    The default until an SMS gateway adapter is configured: nothing is sent anywhere.
    """

    def __init__(self, *, keep: int = 100) -> None:
        self.sent: list[tuple[str, str]] = []
        self._keep = keep

    async def send(self, number: str, text: str) -> None:
        log.info("SMS to %s: %s", mask_number(number), text)
        self.sent.append((number, text))
        del self.sent[: -self._keep]


class AppointmentBooker:
    """Bus subscriber: the IVR's AppointmentRequested becomes an appointment record and an SMS."""

    def __init__(
        self,
        *,
        repo: AppointmentRepository,
        registry: Callable[[], OfficeRegistry],
        calendar: HolidayCalendar,
        sms: SmsSender,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._registry = registry
        self._calendar = calendar
        self._sms = sms
        self._clock = clock

    async def handle(self, event: DomainEvent) -> None:
        if not isinstance(event, AppointmentRequested):
            return
        try:
            office = self._registry().get(event.office_id)
            appt = book_appointment(
                office, event.caller_number, first_slot(self._calendar, event.at), self._clock
            )
        except HotlineError as exc:
            log.warning("appointment for call %s not booked: %s", event.call_id, exc.message)
            return
        if await offload(self._repo.add, appt, call_id=event.call_id):
            await send_confirmation(appt, self._sms)
