"""The seat state machine.

offline → available / paused (login); available ⇄ ringing → talking → wrap-up → available;
paused with a reason at any time except while talking; logout from any state but talking.
`transition` is pure: it returns the new seat state and the `SeatStateChanged` fact, or raises
`InvalidSeatTransition` (the console shows its Chinese message).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from core.errors import Conflict
from core.ids import SeatId, TeamId
from core.seat_events import PauseReason, SeatStateChanged, SeatStatus

__all__ = [
    "ALLOWED",
    "InvalidSeatTransition",
    "PauseReason",
    "SeatState",
    "SeatStateChanged",
    "SeatStatus",
    "transition",
]


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
