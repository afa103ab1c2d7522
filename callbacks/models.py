"""Callback work orders (回拨工单): one per caller number while open, one per missed call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from core.ids import CallId, SeatId, TeamId, WorkOrderId
from core.labels import LabelledEnum


class WorkOrderStatus(LabelledEnum):
    POOL = "pool", "待领取"  # waiting in the team pool, unclaimed
    ASSIGNED = "assigned", "处理中"  # claimed by or assigned to a seat
    CLOSED_REACHED = "closed_reached", "已结案（已接通）"
    CLOSED_UNREACHABLE = "closed_unreachable", "已结案（未接通）"
    CLOSED_OTHER = "closed_other", "已结案（其他）"

    @property
    def is_open(self) -> bool:
        return self in (WorkOrderStatus.POOL, WorkOrderStatus.ASSIGNED)


OPEN_STATUSES: tuple[WorkOrderStatus, ...] = (WorkOrderStatus.POOL, WorkOrderStatus.ASSIGNED)


class MissReason(LabelledEnum):
    ABANDONED = "abandoned", "排队放弃"
    TIMED_OUT = "timed_out", "排队超时"
    AFTER_HOURS = "after_hours", "非工作时间来电"
    IVR_REQUEST = "ivr_request", "来电人在语音导航中请求回拨"
    QUEUE_FULL = "queue_full", "队列已满"
    APPOINTMENT = "appointment", "预约回拨"  # agreed with the caller during a call, for a set time
    VOICEMAIL = "voicemail", "来电留言"
    FOLLOW_UP = "follow_up", "不满意回访"  # callbacks.followup: one per call rated 不满意


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
    scheduled_for: datetime | None = None  # 预约回拨: the time agreed with the caller


def order_number(day: date, seq: int, reason: MissReason | None = None) -> str:
    """A work order's readable number: 回拨 (HB; 回访 HF), its China date and that day's sequence,
    such as `HB20261201-0042`; the internal id stays what links the order to its calls and attempts.
    Both kinds draw from the same per-day counter."""
    prefix = "HF" if reason is MissReason.FOLLOW_UP else "HB"
    return f"{prefix}{day:%Y%m%d}-{seq:04d}"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFilter:
    """Which work orders a search finds (every one: the defaults): in one of `statuses`, of
    `team_id`, owned by `owner_seat_id`, whose readable number contains `order_no` (any case);
    `limit` of them, soonest deadline first."""

    statuses: Sequence[WorkOrderStatus] | None = None
    team_id: TeamId | None = None
    owner_seat_id: SeatId | None = None
    order_no: str | None = None
    limit: int = 200


EVERY_ORDER = OrderFilter()


@dataclass(frozen=True, slots=True, kw_only=True)
class MissedCall:
    """One missed call linked to a work order; a call id appears at most once (exactly-once)."""

    call_id: CallId
    order_id: WorkOrderId
    reason: MissReason
    at: datetime
