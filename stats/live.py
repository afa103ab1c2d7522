"""`LiveBoard`: the supervisor's "now", aggregated from domain events (pure: no I/O, no clock).

Fed every event of the bus (`apply`); keeps each seat's state and since when, and the day's
counters (offered = first time a call joins a queue, answered, abandoned or timed out), each keyed
by call id so a replayed event counts once. The day is the China calendar day of the events; the
first event of a new day starts new counters. Who waits in a queue and since when is read from
the calls' one read model (`core.call_view.CallViews`, fed by the bus on its own).

Everything shown carries audience keys (`seat:`, `team:`, `district:`), and `snapshot` takes a
`visible(keys)` predicate, so one board serves every supervisor's scope.

`stats` knows only `core`: seat facts (`SeatStateChanged`, produced by `seats`) are defined there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo

from core.access import call_keys
from core.call_events import CallAbandoned, CallAnswered, CallQueued, CallTimedOut
from core.call_view import CallView, CallViews
from core.calls import CallRecord
from core.clock import CHINA_TZ
from core.events import DomainEvent
from core.seat_events import PauseReason, SeatStateChanged, SeatStatus, SeatSteered, SteerAction
from core.values import copy_fields
from stats.kpi import FAST_ANSWER_SECONDS, CallOutcome, classify

Visible = Callable[[frozenset[str]], bool]

_S = SeatStatus
SEAT_STATES = tuple(
    s.value for s in (_S.AVAILABLE, _S.RINGING, _S.TALKING, _S.WRAP_UP, _S.PAUSED, _S.OFFLINE)
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatNow:
    seat_id: str
    team_id: str
    status: str
    since: datetime | None
    pause_reason: str | None = None
    forced: str = ""  # a supervisor put the seat in this state: 班长示忙：会议（王班长）
    pending: str = (
        ""  # a supervisor's 示忙 waiting for the call to end: 待示忙：本通话结束后（会议）（王班长）
    )

    @property
    def keys(self) -> frozenset[str]:
        return frozenset({f"seat:{self.seat_id}", f"team:{self.team_id}"})


@dataclass(slots=True)
class _DayCall:
    keys: frozenset[str]
    queue: str = ""
    offered_at: datetime | None = None  # when it first joined a queue (None: heard only later)
    answered: bool = False
    abandoned: bool = False
    fast: bool = False  # answered within 15 seconds of waiting (15秒接通率), at its first answer
    seat_id: str = ""  # the seat that answered it last


@dataclass(frozen=True, slots=True, kw_only=True)
class DayCall:
    """One of today's calls as the live views count it (`LiveBoard.today`)."""

    call_id: str
    keys: frozenset[str]
    queue: str
    offered_at: datetime | None
    answered: bool
    abandoned: bool
    fast: bool
    seat_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Waiting:
    """A caller waiting in a queue now."""

    queue: str
    keys: frozenset[str]
    since: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveSnapshot:
    waiting: int
    longest_wait_seconds: float
    waiting_calls: list[CallView]  # longest first
    seats: list[SeatNow]
    seats_by_state: dict[str, int]
    offered_today: int
    answered_today: int
    abandoned_today: int


@dataclass
class LiveBoard:
    calls: CallViews  # read only: fed by the bus on its own subscription
    tz: tzinfo = CHINA_TZ
    day: date | None = None
    seats: dict[str, SeatNow] = field(default_factory=dict)
    _today: dict[str, _DayCall] = field(default_factory=dict)
    # seat -> (the state a supervisor forced, its label): shown while the seat stays in that state
    _forced: dict[str, tuple[str, str]] = field(default_factory=dict)
    # seat -> the label of a 示忙 queued for the end of its call (seats.steer), until applied,
    # cancelled or the seat logs out
    _pending: dict[str, str] = field(default_factory=dict)

    # --- seeding (after a restart: from the seat board's state) ----------------------------------

    def seed_seat(
        self,
        seat_id: str,
        team_id: str,
        status: SeatStatus,
        since: datetime | None,
        pause_reason: PauseReason | None = None,
    ) -> None:
        """The seat's state now, and since when (a seed, or a `SeatStateChanged` heard)."""
        self.seats[seat_id] = SeatNow(
            seat_id=seat_id,
            team_id=team_id,
            status=status.value,
            since=since,
            pause_reason=pause_reason.value if pause_reason else None,
        )

    def seed_calls(self, records: Iterable[CallRecord]) -> None:
        """Today's calls as stored (after a restart: what the bus said before it), each counted
        once: a call the board already heard of keeps what the events said."""
        for r in records:
            outcome = classify(r)
            if outcome is CallOutcome.NOT_OFFERED:
                continue
            self._roll(r.offered_at)
            if not self._counted(r.offered_at) or r.id in self._today:
                continue
            seat = r.final_seat_id or r.seat_id or ""
            answered = outcome is CallOutcome.ANSWERED
            self._today[r.id] = _DayCall(
                keys=call_keys(r.queue, seat or None),
                queue=r.queue or "",
                offered_at=r.offered_at,
                answered=answered,
                abandoned=outcome is CallOutcome.ABANDONED,
                fast=answered and r.wait_seconds is not None and r.wait_seconds <= FAST_ANSWER_SECONDS,
                seat_id=seat if answered else "",
            )

    # --- the event stream ------------------------------------------------------------------------

    def _roll(self, at: datetime) -> None:
        day = at.astimezone(self.tz).date()
        if self.day is None or day > self.day:
            self.day = day
            self._today.clear()

    def _counted(self, at: datetime) -> bool:
        """Whether an event belongs to the day being counted (a late event of yesterday does not)."""
        return self.day is not None and at.astimezone(self.tz).date() == self.day

    def _day_call(self, event: CallQueued | CallAnswered | CallAbandoned | CallTimedOut) -> _DayCall | None:
        """Today's count of the event's call (opened by this event if need be; a queued caller's
        offered now); None for an event that is not of the day being counted."""
        self._roll(event.at)
        if not self._counted(event.at):
            return None
        offered = event.at if isinstance(event, CallQueued) else None
        return self._today.setdefault(
            event.call_id, _DayCall(keys=call_keys(event.queue), queue=event.queue, offered_at=offered)
        )

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, CallQueued):
            self._day_call(event)
        elif isinstance(event, CallAnswered):
            day = self._day_call(event)
            if day is not None:
                day.keys = day.keys | {f"seat:{event.seat_id}"}
                if not day.answered:
                    day.fast = event.wait_seconds is not None and event.wait_seconds <= FAST_ANSWER_SECONDS
                day.answered, day.abandoned, day.seat_id = True, False, event.seat_id
        elif isinstance(event, CallAbandoned | CallTimedOut):
            day = self._day_call(event)
            if day is not None and not day.answered:
                day.abandoned = True
        elif isinstance(event, SeatStateChanged):
            self.seed_seat(event.seat_id, event.team_id, event.status, event.at, event.pause_reason)
            forced = self._forced.get(event.seat_id)
            if forced is not None and forced[0] != event.status.value:
                del self._forced[event.seat_id]  # the seat moved on (a call, its own 示闲...)
            if event.status is SeatStatus.OFFLINE:
                self._pending.pop(event.seat_id, None)
        elif isinstance(event, SeatSteered):
            if event.action is SteerAction.PAUSE_QUEUED:
                self._pending[event.seat_id] = event.label
            elif event.action in (SteerAction.PAUSE, SteerAction.PAUSE_CANCELLED, SteerAction.READY):
                self._pending.pop(event.seat_id, None)
            if event.forces is not None:
                # Before or after the seat's own SeatStateChanged: either way, kept while it is in `forces`.
                self._forced[event.seat_id] = (event.forces.value, event.label)

    # --- reading ---------------------------------------------------------------------------------

    def _with_forced(self, seat: SeatNow) -> SeatNow:
        forced = self._forced.get(seat.seat_id)
        pending = self._pending.get(seat.seat_id, "")
        if forced is None or forced[0] != seat.status:
            return replace(seat, pending=pending) if pending else seat
        return replace(seat, forced=forced[1], pending=pending)

    def snapshot(self, now: datetime, visible: Visible | None = None) -> LiveSnapshot:
        def ok(keys: frozenset[str]) -> bool:
            return visible is None or visible(keys)

        waiting = [c for c in self.calls.waiting() if ok(call_keys(c.record.queue))]
        since = waiting[0].notes.waiting_since if waiting else None
        seats = sorted(
            (self._with_forced(s) for s in self.seats.values() if ok(s.keys)), key=lambda s: s.seat_id
        )
        by_state = dict.fromkeys(SEAT_STATES, 0)
        for s in seats:
            by_state[s.status] = by_state.get(s.status, 0) + 1
        today_day = now.astimezone(self.tz).date()
        today = [c for c in self._today.values() if ok(c.keys)] if self.day == today_day else []
        return LiveSnapshot(
            waiting=len(waiting),
            longest_wait_seconds=max(0.0, (now - since).total_seconds()) if since else 0.0,
            waiting_calls=waiting,
            seats=seats,
            seats_by_state=by_state,
            offered_today=len(today),
            answered_today=sum(1 for c in today if c.answered),
            abandoned_today=sum(1 for c in today if c.abandoned),
        )

    def today(self, now: datetime, visible: Visible | None = None) -> list[DayCall]:
        """Today's counted calls (China day of `now`) that `visible` admits (the per-queue and
        per-team views, the answer-rate alert)."""
        if self.day != now.astimezone(self.tz).date():
            return []
        return [
            copy_fields(DayCall, c, call_id=cid)
            for cid, c in self._today.items()
            if visible is None or visible(c.keys)
        ]

    def waiting(self, visible: Visible | None = None) -> list[Waiting]:
        """The callers waiting in a queue now (longest first) that `visible` admits."""
        out = []
        for c in self.calls.waiting():
            keys = call_keys(c.record.queue)
            if visible is None or visible(keys):
                out.append(Waiting(queue=c.record.queue or "", keys=keys, since=c.notes.waiting_since))
        return out
