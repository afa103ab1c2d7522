"""The seat state machine.

offline → available / paused (login); available ⇄ ringing → talking → wrap-up → available;
paused with a reason at any time except while talking; logout from any state but talking.
`transition` is pure: it returns the new seat state and the `SeatStateChanged` fact, or raises
`InvalidSeatTransition` (the console shows its Chinese message).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from core.errors import Conflict
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


SYSTEM_PAUSE_REASONS: frozenset[str] = frozenset({"missed_call", "after_call"})
"""Reasons only the system sets; the console offers the others."""


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

S = SeatStatus
ALLOWED: dict[SeatStatus, frozenset[SeatStatus]] = {
    S.OFFLINE: frozenset({S.AVAILABLE, S.PAUSED}),
    S.AVAILABLE: frozenset({S.RINGING, S.TALKING, S.PAUSED, S.OFFLINE}),
    S.RINGING: frozenset({S.TALKING, S.AVAILABLE, S.PAUSED, S.OFFLINE}),
    S.TALKING: frozenset({S.WRAP_UP, S.AVAILABLE}),
    S.WRAP_UP: frozenset({S.AVAILABLE, S.PAUSED, S.OFFLINE, S.RINGING, S.TALKING}),
    # A paused seat takes no queue calls, but may place a callback (talking) or be rung by one.
    S.PAUSED: frozenset({S.AVAILABLE, S.OFFLINE, S.RINGING, S.TALKING}),
}


class InvalidSeatTransition(Conflict):
    error_id = "seat.invalid_transition"

    def __init__(self, seat_id: SeatId, current: SeatStatus, wanted: SeatStatus) -> None:
        super().__init__(
            f"坐席当前为“{current.label}”，不能切换为“{wanted.label}”",
            seat_id=seat_id,
            current=current,
            wanted=wanted,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatState:
    seat_id: SeatId
    team_id: TeamId
    status: SeatStatus = SeatStatus.OFFLINE
    since: datetime | None = None
    pause_reason: PauseReason | None = None
    call_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatStateChanged(DomainEvent):
    seat_id: SeatId
    team_id: TeamId
    previous: SeatStatus
    status: SeatStatus
    pause_reason: PauseReason | None = None
    call_id: str | None = None


def transition(
    state: SeatState,
    to: SeatStatus,
    at: datetime,
    *,
    reason: PauseReason | None = None,
    call_id: str | None = None,
) -> tuple[SeatState, SeatStateChanged]:
    if to is SeatStatus.PAUSED and reason is None:
        reason = PauseReason.OTHER
    if to not in ALLOWED[state.status]:
        raise InvalidSeatTransition(state.seat_id, state.status, to)
    keep_call = call_id if call_id is not None else (state.call_id if to in (S.TALKING, S.WRAP_UP) else None)
    new = replace(
        state,
        status=to,
        since=at,
        pause_reason=reason if to is SeatStatus.PAUSED else None,
        call_id=keep_call,
    )
    event = SeatStateChanged(
        at=at,
        seat_id=state.seat_id,
        team_id=state.team_id,
        previous=state.status,
        status=to,
        pause_reason=new.pause_reason,
        call_id=new.call_id,
    )
    return new, event
