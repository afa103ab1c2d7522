"""Callback attempts and the retry plan. Pure.

An attempt is one Originate for one order. Its id is deterministic, `cb-<order id>-<n>`, and is
sent as the Originate's ActionID: Asterisk echoes it in `OriginateResponse`, and the tracker
carries it into every `CallbackLegOutcome` of that call (also when the seat's channel never came
up and the call id is `originate:<ActionID>`). A second start of attempt n is refused by the
ledger's primary key, so one click, or one tick, never dials twice.

Only failures on the citizen's side (no answer, busy, unreachable, failed) use up the plan
(default: now, +10 min, +60 min, then closed as unreachable). A seat that did not answer its own
phone, cancelled, or a PBX that was down, costs the citizen nothing: the retry is due again after
`seat_retry_delay`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from callbacks.events import AttemptOutcome
from core.call_events import CallbackLeg, CallbackLegOutcome, CallbackOutcome
from core.ids import SeatId, WorkOrderId

ATTEMPT_PREFIX = "cb-"

COUNTED_OUTCOMES = frozenset(
    {AttemptOutcome.NO_ANSWER, AttemptOutcome.BUSY, AttemptOutcome.UNREACHABLE, AttemptOutcome.FAILED}
)

_CUSTOMER_OUTCOMES = {
    CallbackOutcome.ANSWERED: AttemptOutcome.REACHED,
    CallbackOutcome.NO_ANSWER: AttemptOutcome.NO_ANSWER,
    CallbackOutcome.BUSY: AttemptOutcome.BUSY,
    CallbackOutcome.UNREACHABLE: AttemptOutcome.UNREACHABLE,
    CallbackOutcome.FAILED: AttemptOutcome.FAILED,
    CallbackOutcome.CANCELLED: AttemptOutcome.CANCELLED,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPlan:
    """`delays[i]`: the wait before attempt i+1, counted from the previous counted failure."""

    delays: tuple[timedelta, ...] = (timedelta(0), timedelta(minutes=10), timedelta(minutes=60))
    seat_retry_delay: timedelta = timedelta(minutes=2)
    attempt_timeout: timedelta = timedelta(minutes=30)  # no outcome by then: the attempt is lost

    @property
    def max_attempts(self) -> int:
        return len(self.delays)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackAttempt:
    attempt_id: str
    order_id: WorkOrderId
    number: int
    seat_id: SeatId
    started_at: datetime
    finished_at: datetime | None = None
    outcome: AttemptOutcome | None = None
    counted: bool = False
    retry_at: datetime | None = None
    call_id: str = ""

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


def attempt_id_for(order_id: WorkOrderId, number: int) -> str:
    return f"{ATTEMPT_PREFIX}{order_id}-{number}"


def outcome_of(event: CallbackLegOutcome) -> AttemptOutcome | None:
    """The attempt's outcome told by this leg, or None when the attempt goes on (seat answered)."""
    if event.leg is CallbackLeg.SEAT:
        if event.outcome is CallbackOutcome.ANSWERED:
            return None
        if event.outcome is CallbackOutcome.FAILED:
            return AttemptOutcome.NOT_STARTED
        return AttemptOutcome.SEAT_NO_ANSWER
    return _CUSTOMER_OUTCOMES[event.outcome]


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptVerdict:
    counted: bool
    retry_at: datetime | None  # None: no further attempt (reached, or the plan is used up)
    plan_exhausted: bool


def judge(
    outcome: AttemptOutcome, at: datetime, earlier: Sequence[CallbackAttempt], plan: RetryPlan
) -> AttemptVerdict:
    """What follows an attempt that ended with `outcome` at `at`; `earlier`: the order's other attempts."""
    if outcome is AttemptOutcome.REACHED:
        return AttemptVerdict(counted=False, retry_at=None, plan_exhausted=False)
    if outcome not in COUNTED_OUTCOMES:
        return AttemptVerdict(counted=False, retry_at=at + plan.seat_retry_delay, plan_exhausted=False)
    failures = sum(1 for a in earlier if a.counted) + 1
    if failures >= plan.max_attempts:
        return AttemptVerdict(counted=True, retry_at=None, plan_exhausted=True)
    return AttemptVerdict(counted=True, retry_at=at + plan.delays[failures], plan_exhausted=False)


def counted_failures(attempts: Sequence[CallbackAttempt]) -> int:
    return sum(1 for a in attempts if a.counted)


def retry_due(attempts: Sequence[CallbackAttempt], now: datetime) -> bool:
    """True when the latest attempt is finished, planned a retry, and its time has come."""
    if not attempts:
        return False
    last = max(attempts, key=lambda a: a.number)
    return last.finished and last.retry_at is not None and last.retry_at <= now
