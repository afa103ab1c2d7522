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

from dataclasses import dataclass
from datetime import datetime

from callbacks.models import MissReason
from core.events import DomainEvent
from core.ids import CallId, SeatId, TeamId, WorkOrderId
from core.labels import LabelledEnum


class AttemptOutcome(LabelledEnum):
    """How one callback attempt ended, from the order's point of view."""

    REACHED = "reached", "已接通"  # the citizen answered
    NO_ANSWER = "no_answer", "无人接听"
    BUSY = "busy", "占线"
    UNREACHABLE = "unreachable", "无法接通"
    FAILED = "failed", "呼叫失败"  # the dialplan or the number was refused
    SEAT_NO_ANSWER = "seat_no_answer", "坐席未接听"  # the seat's own phone did not answer (or was busy)
    CANCELLED = "cancelled", "坐席已取消"  # the seat hung up before the citizen answered
    NOT_STARTED = "not_started", "未能发起呼叫"  # the PBX refused or could not be reached
    LOST = "lost", "结果未知"  # no outcome came back in time (AMI link lost during the attempt)


class CloseOutcome(LabelledEnum):
    REACHED = "reached", "回拨已接通"
    UNREACHABLE = "unreachable", "多次回拨未接通"
    # The citizen called the hotline again and was served.
    CALLER_CALLED_BACK = "caller_called_back", "来电人已再次来电"
    CANCELLED = "cancelled", "已撤销"  # closed by a supervisor (duplicate, nuisance call...)


class NotOrderedReason(LabelledEnum):
    """Why a missed call opened no order (it is still counted)."""

    HIDDEN_NUMBER = "hidden_number", "主叫号码隐藏"  # anonymous / withheld / empty
    INVALID_NUMBER = "invalid_number", "主叫号码无效"  # letters or symbols
    TOO_SHORT = "too_short", "主叫号码过短"  # an extension or service number, not a citizen's line
    WAIT_TOO_SHORT = "wait_too_short", "等待时间过短"  # hung up before the configured minimum wait


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
class WorkOrderScheduled(_WorkOrderEvent):
    """预约回拨: during call `call_id` seat `seat_id` agreed with the caller to call back at
    `scheduled_for`; the order is that seat's."""

    seat_id: SeatId
    call_id: CallId
    scheduled_for: datetime
    order_no: str = ""


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
