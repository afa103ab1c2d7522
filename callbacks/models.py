"""Callback work orders (回拨工单): one per caller number while open, one per missed call."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from core.ids import CallId, SeatId, TeamId, WorkOrderId


class WorkOrderStatus(enum.StrEnum):
    POOL = "pool"  # waiting in the team pool, unclaimed
    ASSIGNED = "assigned"  # claimed by or assigned to a seat
    CLOSED_REACHED = "closed_reached"
    CLOSED_UNREACHABLE = "closed_unreachable"
    CLOSED_OTHER = "closed_other"

    @property
    def is_open(self) -> bool:
        return self in (WorkOrderStatus.POOL, WorkOrderStatus.ASSIGNED)

    @property
    def label(self) -> str:
        """The one Chinese text for this status (seat console, supervisor, orders page, exports)."""
        return ORDER_STATUS_LABELS[self]


ORDER_STATUS_LABELS: dict[WorkOrderStatus, str] = {
    WorkOrderStatus.POOL: "待领取",
    WorkOrderStatus.ASSIGNED: "处理中",
    WorkOrderStatus.CLOSED_REACHED: "已结案（已接通）",
    WorkOrderStatus.CLOSED_UNREACHABLE: "已结案（未接通）",
    WorkOrderStatus.CLOSED_OTHER: "已结案（其他）",
}


OPEN_STATUSES: tuple[WorkOrderStatus, ...] = (WorkOrderStatus.POOL, WorkOrderStatus.ASSIGNED)


class MissReason(enum.StrEnum):
    ABANDONED = "abandoned"
    TIMED_OUT = "timed_out"
    AFTER_HOURS = "after_hours"
    IVR_REQUEST = "ivr_request"
    QUEUE_FULL = "queue_full"

    @property
    def label(self) -> str:
        return MISS_REASON_LABELS[self]


MISS_REASON_LABELS: dict[MissReason, str] = {
    MissReason.ABANDONED: "排队放弃",
    MissReason.TIMED_OUT: "排队超时",
    MissReason.AFTER_HOURS: "非工作时间来电",
    MissReason.IVR_REQUEST: "来电人在语音导航中请求回拨",
    MissReason.QUEUE_FULL: "队列已满",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrder:
    id: WorkOrderId
    caller_number: str
    reason: MissReason
    status: WorkOrderStatus
    team_id: TeamId | None
    created_at: datetime
    deadline: datetime
    owner_seat_id: SeatId | None = None
    attempts: int = 0
    misses: int = 1
    closed_at: datetime | None = None
    outcome_note: str = ""
    order_no: str = ""  # what people read out (`order_number`); given by the store when it opens


def order_number(day: date, seq: int) -> str:
    """A work order's readable number: 回拨 (HB), its China date and that day's sequence, such as
    `HB20261201-0042`; the internal id stays what links the order to its calls and attempts."""
    return f"HB{day:%Y%m%d}-{seq:04d}"


@dataclass(frozen=True, slots=True, kw_only=True)
class MissedCall:
    """One missed call linked to a work order; a call id appears at most once (exactly-once)."""

    call_id: CallId
    order_id: WorkOrderId
    reason: MissReason
    at: datetime
