"""Seat facts the seat board (`seats/`) publishes, and the seat states and pause reasons they name.

They live in `core` because the KPI board (`stats`), the schedule and supervisor consoles and the
store read them by type; `seats.state` holds the state machine that produces them. Each state and
reason carries its one Chinese `label`, used by every page and report.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.events import DomainEvent
from core.ids import SeatId, TeamId
from core.labels import LabelledEnum


class SeatStatus(LabelledEnum):
    OFFLINE = "offline", "离线"
    AVAILABLE = "available", "空闲"
    RINGING = "ringing", "振铃"
    TALKING = "talking", "通话中"
    WRAP_UP = "wrap_up", "话后整理"
    PAUSED = "paused", "示忙"


class PauseReason(LabelledEnum):
    REST = "rest", "休息"
    MEAL = "meal", "用餐"
    TRAINING = "training", "培训"
    MEETING = "meeting", "会议"
    PAPERWORK = "paperwork", "案件整理"
    MISSED_CALL = "missed_call", "未接来电自动示忙"  # set by the system after a ring-no-answer
    # Set by the system: after-call work longer than the queue's wrap-up.
    AFTER_CALL = "after_call", "话后处理"
    OTHER = "other", "其他"


SYSTEM_PAUSE_REASONS: frozenset[str] = frozenset({PauseReason.MISSED_CALL, PauseReason.AFTER_CALL})
"""Reasons only the system sets; the console offers the others."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatStateChanged(DomainEvent):
    """A seat moved from `previous` to `status` (with the pause reason, or the call it is on)."""

    seat_id: SeatId
    team_id: TeamId
    previous: SeatStatus
    status: SeatStatus
    pause_reason: PauseReason | None = None
    call_id: str | None = None
