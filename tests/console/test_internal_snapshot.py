"""The telephony process's snapshot on the wire (`/api/internal/snapshot`, issue 21's process
roles): what its board holds goes out as JSON and comes back, in a web process's board, the same."""

from __future__ import annotations

import sys
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "seats"))

from test_board_after_restart import NOTARY, QUEUES, SEAT, at, talking_board

from console_web.internal_api import HEADER, LiveSnapshot, build_internal_router, internal_token
from console_web.mirror import live_snapshot
from core.call_events import SeatJoinedQueue, SeatPaused
from core.call_view import CallViews
from seats.board import SeatBoard
from seats.state import PauseReason, SeatStatus


def _decider() -> SeatBoard:
    """Seat 1001 talking in four queues, its member paused meanwhile (for after the call); the
    notary seat paused in one queue."""
    board: SeatBoard = talking_board()
    board.apply(
        SeatPaused(at=at(3), seat_id=SEAT.id, queue=QUEUES[0], interface=SEAT.interface, reason="meal")
    )
    board.apply(
        SeatJoinedQueue(
            at=at(4),
            seat_id=NOTARY.id,
            queue=QUEUES[2],
            interface=NOTARY.interface,
            member_name="seat-notary",
            paused=True,
            paused_reason="training",
        )
    )
    return board


def test_given_a_boards_snapshot_served_as_json_when_restored_then_the_seats_come_back_equal() -> None:
    decider = _decider()
    assert decider.state(SEAT.id).status is SeatStatus.TALKING
    assert decider.member_paused[SEAT.id] is PauseReason.MEAL
    assert decider.state(NOTARY.id).status is SeatStatus.PAUSED
    app = FastAPI()
    app.include_router(build_internal_router())
    app.state.internal_token = internal_token("secret")
    app.state.telephony_snapshot = lambda: live_snapshot(decider, CallViews())
    with TestClient(app) as client:
        response = client.get("/api/internal/snapshot", headers={HEADER: internal_token("secret")})
    assert response.status_code == 200
    snapshot = LiveSnapshot.model_validate_json(response.content)  # what `fetch_snapshot` does
    assert snapshot.seats == decider.snapshot()
    assert snapshot.calls == []

    mirror = SeatBoard([SEAT, NOTARY])
    assert mirror.restore(snapshot.seats) == 2
    assert mirror.states == decider.states
    assert mirror.queues == decider.queues
    assert mirror.member_paused == decider.member_paused
    assert {q: mirror.serving(q) for q in QUEUES} == {q: decider.serving(q) for q in QUEUES}
