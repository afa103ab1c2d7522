"""Seat facts the seat board (`seats/`) publishes, and the seat states and pause reasons they name.

They live in `core` because the KPI board (`stats`), the schedule and supervisor consoles and the
store read them by type; `seats.state` holds the state machine that produces them. Each state and
reason carries its one Chinese `label`, used by every page and report.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from core.events import DomainEvent
from core.ids import SeatId, TeamId


class SeatStatus(enum.StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    RINGING = "ringing"
    TALKING = "talking"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[SeatStatus, str] = {
    SeatStatus.OFFLINE: "离线",
    SeatStatus.AVAILABLE: "空闲",
    SeatStatus.RINGING: "振铃",
    SeatStatus.TALKING: "通话中",
    SeatStatus.WRAP_UP: "话后整理",
    SeatStatus.PAUSED: "示忙",
}


class PauseReason(enum.StrEnum):
    REST = "rest"
    MEAL = "meal"
    TRAINING = "training"
    MEETING = "meeting"
    PAPERWORK = "paperwork"
    MISSED_CALL = "missed_call"  # set by the system after a ring-no-answer
    AFTER_CALL = "after_call"  # set by the system: after-call work longer than the queue's wrap-up
    OTHER = "other"

    @property
    def label(self) -> str:
        return PAUSE_LABELS[self]


PAUSE_LABELS: dict[PauseReason, str] = {
    PauseReason.REST: "休息",
    PauseReason.MEAL: "用餐",
    PauseReason.TRAINING: "培训",
    PauseReason.MEETING: "会议",
    PauseReason.PAPERWORK: "案件整理",
    PauseReason.MISSED_CALL: "未接来电自动示忙",
    PauseReason.AFTER_CALL: "话后处理",
    PauseReason.OTHER: "其他",
}

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
