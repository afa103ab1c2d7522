"""The wait estimate the IVR offers a callback on: callers waiting × handling time ÷ members not
offline, from the tracker's waiting index and the board's members of the queue (issue 21: O(1)
and O(the queue's members), no scan of every live call and seat)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.call_events import SeatJoinedQueue, SeatLeftQueue
from core.ids import SeatId
from ivr.adapters import LiveWaitEstimator
from seats.board import SeatBoard
from seats.models import Seat, SeatKind
from tests.seats.test_board_and_service import JINGAN

AT = datetime(2026, 12, 7, 3, tzinfo=UTC)
Q, OTHER = "q-310106-labor", "q-310106-family"
SEATS = [
    Seat(id=SeatId(sid), name=f"律师{sid}", kind=SeatKind.LAWYER, team_id=JINGAN.id, interface=f"PJSIP/{sid}")
    for sid in ("1001", "1002", "1003")
]


class Waiting:
    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def waiting_in(self, queue: str) -> int:
        return self.counts.get(queue, 0)


def _join(board: SeatBoard, seat: Seat, queue: str) -> None:
    board.apply(
        SeatJoinedQueue(at=AT, seat_id=seat.id, queue=queue, interface=seat.interface, member_name=seat.id)
    )


async def test_given_members_and_waiting_callers_then_the_estimate_divides_by_the_members_serving() -> None:
    board = SeatBoard(SEATS)
    waiting = Waiting({Q: 3})
    estimator = LiveWaitEstimator(waiting, board, aht_seconds=300, max_waiting=10)  # type: ignore[arg-type]
    assert (await estimator.estimate(Q)).seconds is None  # nobody serves it: no estimate
    _join(board, SEATS[0], Q)
    _join(board, SEATS[1], Q)
    _join(board, SEATS[2], OTHER)
    assert board.serving(Q) == 2 and board.serving(OTHER) == 1
    assert (await estimator.estimate(Q)).seconds == 3 * 300 / 2
    board.apply(SeatLeftQueue(at=AT, seat_id=SEATS[1].id, queue=Q, interface=SEATS[1].interface))
    assert board.serving(Q) == 1
    assert (await estimator.estimate(Q)).seconds == 3 * 300
    waiting.counts[Q] = 10
    assert (await estimator.estimate(Q)).full
