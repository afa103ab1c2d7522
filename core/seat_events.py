"""Seat facts the seat board (`seats/`) publishes, and the seat states and pause reasons they name.

They live in `core` because the KPI board (`stats`), the schedule and supervisor consoles and the
store read them by type; `seats.state` holds the state machine that produces them. Each state and
reason carries its one Chinese `label`, used by every page and report.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.events import DomainEvent
from core.ids import SeatId, TeamId, UserId
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


class SteerAction(LabelledEnum):
    """What a supervisor did to a seat (班长调度, issue 16: `seats.steer`)."""

    PAUSE = "pause", "班长示忙"
    READY = "ready", "班长示闲"
    LOGOUT = "logout", "班长签出"
    ADD_QUEUE = "add_queue", "班长加入队列"
    REMOVE_QUEUE = "remove_queue", "班长移出队列"
    PAUSE_QUEUED = "pause_queued", "班长安排通话后示忙"  # the seat is talking: paused when the call ends
    PAUSE_CANCELLED = "pause_cancelled", "班长取消待示忙"

    @property
    def forces(self) -> SeatStatus | None:
        """The state the action puts the seat in (None: a queue move, the state stays)."""
        return {"pause": SeatStatus.PAUSED, "ready": SeatStatus.AVAILABLE, "logout": SeatStatus.OFFLINE}.get(
            self.value
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatSteered(DomainEvent):
    """A supervisor paused, readied, logged out a seat or moved it between queues for the day.
    Pushed to the seat (its console shows `notice`: who and why) and to its supervisors (the board
    shows `label` on the seat's row while the seat stays in `forces`)."""

    seat_id: SeatId
    team_id: TeamId
    action: SteerAction
    forces: SeatStatus | None = None
    reason: PauseReason | None = None
    note: str = ""
    target_queue: str | None = (
        None  # not `queue`: a move into another district's queue is no fact of that district
    )
    by_user: UserId | None = None
    by_name: str = ""
    label: str = ""  # 班长示忙：会议（王班长）
    notice: str = ""  # 班长 王班长 将您示忙：会议
