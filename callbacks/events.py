"""Facts about callback work orders (回拨工单), published on the bus by `CallbackService`.

Every event carries `order_id` and the audience keys `team_id` (the order's team pool) and, when
a seat is involved, `seat_id`. Only `WorkOrderCreated` carries the caller's number (the console
hub masks it on its way to browsers); the others name the order, never the person.

Event ids are deterministic where the fact is (`<order id>:created`, `<order id>:sla:warning`,
`<attempt id>:finished`...) so that re-publishing after a replay or a restart yields the same ids
and consumers can drop duplicates. Commands a person gives (claim, assign, release, close) get a
fresh id: each is a new fact.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from callbacks.models import MissReason
from core.events import DomainEvent
from core.ids import CallId, SeatId, TeamId, WorkOrderId


class AttemptOutcome(enum.StrEnum):
    """How one callback attempt ended, from the order's point of view."""

    REACHED = "reached"  # the citizen answered
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    UNREACHABLE = "unreachable"
    FAILED = "failed"  # the dialplan or the number was refused
    SEAT_NO_ANSWER = "seat_no_answer"  # the seat's own phone did not answer (or was busy)
    CANCELLED = "cancelled"  # the seat hung up before the citizen answered
    NOT_STARTED = "not_started"  # the PBX refused or could not be reached
    LOST = "lost"  # no outcome came back in time (AMI link lost during the attempt)

    @property
    def label(self) -> str:
        return ATTEMPT_OUTCOME_LABELS[self]


ATTEMPT_OUTCOME_LABELS: dict[AttemptOutcome, str] = {
    AttemptOutcome.REACHED: "已接通",
    AttemptOutcome.NO_ANSWER: "无人接听",
    AttemptOutcome.BUSY: "占线",
    AttemptOutcome.UNREACHABLE: "无法接通",
    AttemptOutcome.FAILED: "呼叫失败",
    AttemptOutcome.SEAT_NO_ANSWER: "坐席未接听",
    AttemptOutcome.CANCELLED: "坐席已取消",
    AttemptOutcome.NOT_STARTED: "未能发起呼叫",
    AttemptOutcome.LOST: "结果未知",
}


class CloseOutcome(enum.StrEnum):
    REACHED = "reached"
    UNREACHABLE = "unreachable"
    CALLER_CALLED_BACK = "caller_called_back"  # the citizen called the hotline again and was served
    CANCELLED = "cancelled"  # closed by a supervisor (duplicate, nuisance call...)

    @property
    def label(self) -> str:
        return CLOSE_OUTCOME_LABELS[self]


CLOSE_OUTCOME_LABELS: dict[CloseOutcome, str] = {
    CloseOutcome.REACHED: "回拨已接通",
    CloseOutcome.UNREACHABLE: "多次回拨未接通",
    CloseOutcome.CALLER_CALLED_BACK: "来电人已再次来电",
    CloseOutcome.CANCELLED: "已撤销",
}


class NotOrderedReason(enum.StrEnum):
    """Why a missed call opened no order (it is still counted)."""

    HIDDEN_NUMBER = "hidden_number"  # anonymous / withheld / empty
    INVALID_NUMBER = "invalid_number"  # letters or symbols
    TOO_SHORT = "too_short"  # an extension or service number, not a citizen's line
    WAIT_TOO_SHORT = "wait_too_short"  # hung up before the configured minimum wait

    @property
    def label(self) -> str:
        return NOT_ORDERED_LABELS[self]


NOT_ORDERED_LABELS: dict[NotOrderedReason, str] = {
    NotOrderedReason.HIDDEN_NUMBER: "主叫号码隐藏",
    NotOrderedReason.INVALID_NUMBER: "主叫号码无效",
    NotOrderedReason.TOO_SHORT: "主叫号码过短",
    NotOrderedReason.WAIT_TOO_SHORT: "等待时间过短",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class _WorkOrderEvent(DomainEvent):
    """Base of the facts about one work order (`team_id`: the pool it belongs to)."""

    order_id: WorkOrderId
    team_id: TeamId | None


@dataclass(frozen=True, slots=True, kw_only=True)
class _OrderMissEvent(_WorkOrderEvent):
    """Base of the two ways a missed call (`call_id`, `reason`) lands on an order."""

    call_id: CallId
    reason: MissReason


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderCreated(_OrderMissEvent):
    """A missed call opened a new order in `team_id`'s pool."""

    caller_number: str
    deadline: datetime
    district_code: str | None = None
    order_no: str = ""  # the number people read out (HB20261201-0042)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderMissAdded(_OrderMissEvent):
    """Another missed call from the same number joined its open order."""

    misses: int
    seat_id: SeatId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderClaimed(_WorkOrderEvent):
    """A seat took the order from its team pool."""

    seat_id: SeatId


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderAssigned(_WorkOrderEvent):
    """The order was given to a seat: by the system (`by="auto"`) or a supervisor (their user id)."""

    seat_id: SeatId
    by: str
    previous_seat_id: SeatId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderReleased(_WorkOrderEvent):
    """The order went back to the team pool; `seat_id` is the seat that had it."""

    seat_id: SeatId | None
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class _WorkOrderSlaEvent(_WorkOrderEvent):
    """Base of the SLA alarms on an open order: `seat_id` holds it (None: still in the pool)."""

    seat_id: SeatId | None
    deadline: datetime
    order_no: str = ""  # the number people read out (HB20261201-0042)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderSlaWarning(_WorkOrderSlaEvent):
    """80 % of the order's SLA time is used up (service time, see `callbacks.sla`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderSlaBreached(_WorkOrderSlaEvent):
    """The order passed its deadline while still open."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _CallbackAttemptEvent(_WorkOrderEvent):
    """Base of the facts about one callback attempt (`attempt`: its number on the order)."""

    seat_id: SeatId
    attempt_id: str
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackAttemptStarted(_CallbackAttemptEvent):
    """An Originate was sent: the seat's phone rings first, then the citizen is dialled."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackAttemptFinished(_CallbackAttemptEvent):
    """How an attempt ended; `retry_at` is when the next one is due (None: no retry planned)."""

    outcome: AttemptOutcome
    retry_at: datetime | None = None
    call_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderClosed(_WorkOrderEvent):
    """The order is done. `note` is for people (the consultation record is attached elsewhere)."""

    seat_id: SeatId | None
    outcome: CloseOutcome
    note: str = ""
    by: str = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class MissNotOrdered(DomainEvent):
    """A missed call that opened no order, and why; counted for the statistics."""

    call_id: CallId
    reason: NotOrderedReason
    miss_reason: MissReason
    team_id: TeamId | None = None
    district_code: str | None = None
