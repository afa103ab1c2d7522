"""Callback work orders (回拨工单): one per caller number while open, one per missed call."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

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


OPEN_STATUSES: tuple[WorkOrderStatus, ...] = (WorkOrderStatus.POOL, WorkOrderStatus.ASSIGNED)


class MissReason(enum.StrEnum):
    ABANDONED = "abandoned"
    TIMED_OUT = "timed_out"
    AFTER_HOURS = "after_hours"
    IVR_REQUEST = "ivr_request"
    QUEUE_FULL = "queue_full"


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


@dataclass(frozen=True, slots=True, kw_only=True)
class MissedCall:
    """One missed call linked to a work order; a call id appears at most once (exactly-once)."""

    call_id: CallId
    order_id: WorkOrderId
    reason: MissReason
    at: datetime
