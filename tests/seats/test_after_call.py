"""After-call work done the way Asterisk honours it: the member paused with reason after_call."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_board_after_restart import QUEUES, at, ended, talking_board
from test_board_and_service import NOTARY, SEAT, FakeControl

from core.call_events import SeatPaused, SeatResumed
from seats.after_call import AfterCallWork
from seats.board import SeatBoard
from seats.state import PauseReason, SeatStatus

S = SeatStatus


class Seats:
    def get(self, seat_id: str) -> object:
        return {SEAT.id: SEAT, NOTARY.id: NOTARY}[seat_id]


def paused(reason: str, t: float) -> SeatPaused:
    return SeatPaused(at=at(t), seat_id=SEAT.id, queue=QUEUES[0], interface=SEAT.interface, reason=reason)


def resumed(t: float) -> SeatResumed:
    return SeatResumed(at=at(t), seat_id=SEAT.id, queue=QUEUES[0], interface=SEAT.interface)


class StepClock:
    """Reads `at(t)`; the test moves `t`."""

    t = 20.0

    def now(self) -> datetime:
        return at(self.t)


def _acw(board: SeatBoard, control: FakeControl, seconds: float = 60) -> AfterCallWork:
    return AfterCallWork(control, Seats(), board, seconds=seconds, clock=StepClock())  # type: ignore[arg-type]


async def test_given_after_call_work_when_the_wrap_up_begins_then_the_member_is_paused_and_resumed_after_it() -> (
    None
):
    board, control = talking_board(wrap_up=10), FakeControl()
    acw = _acw(board, control)
    (wrap,) = board.apply(ended(20))
    await acw.on_change(wrap)
    assert control.calls == [("QueuePause", ("PJSIP/1001",), {"paused": True, "reason": "after_call"})]
    # Asterisk confirms: the console still shows wrap-up, past the queue's wrapuptime too.
    assert board.apply(paused("after_call", 20)) == []
    assert board.tick(at(31)) == [] and board.state(SEAT.id).status is S.WRAP_UP

    await acw.tick(at(79))
    assert len(control.calls) == 1
    await acw.tick(at(80))
    assert control.calls[-1] == ("QueuePause", ("PJSIP/1001",), {"paused": False})
    (free,) = board.apply(resumed(80))
    assert free.status is S.AVAILABLE


async def test_given_the_seat_is_done_early_when_it_says_so_then_the_member_is_resumed_at_once() -> None:
    board, control = talking_board(wrap_up=10), FakeControl()
    acw = _acw(board, control)
    (wrap,) = board.apply(ended(20))
    await acw.on_change(wrap)
    board.apply(paused("after_call", 20))
    assert await acw.done(SEAT.id) is True
    assert control.calls[-1][2] == {"paused": False}
    (change,) = board.end_wrap_up(SEAT.id, at(25))
    assert change.status is S.PAUSED and change.pause_reason is PauseReason.AFTER_CALL  # until confirmed
    assert board.apply(resumed(25))[0].status is S.AVAILABLE
    assert await acw.done(SEAT.id) is False  # nothing left to end


async def test_given_the_seat_pauses_itself_during_after_call_work_when_the_time_is_up_then_its_pause_stays() -> (
    None
):
    board, control = talking_board(wrap_up=10), FakeControl()
    acw = _acw(board, control)
    (wrap,) = board.apply(ended(20))
    await acw.on_change(wrap)
    board.apply(paused("after_call", 20))
    (meal,) = board.apply(paused("meal", 30))
    assert meal.status is S.PAUSED and meal.pause_reason is PauseReason.MEAL
    await acw.tick(at(80))
    assert [c[2].get("paused") for c in control.calls] == [True]  # no resume sent


async def test_given_after_call_work_off_when_the_wrap_up_begins_then_nothing_is_sent() -> None:
    board, control = talking_board(wrap_up=10), FakeControl()
    acw = _acw(board, control, seconds=0)
    (wrap,) = board.apply(ended(20))
    await acw.on_change(wrap)
    assert control.calls == [] and not acw.enabled
    assert board.tick(at(30))[0].status is S.AVAILABLE


def test_given_a_resume_before_the_wrap_up_is_over_when_applied_then_the_wrap_up_runs_its_course() -> None:
    board = talking_board(wrap_up=10)
    board.apply(ended(20))
    board.apply(paused("after_call", 20))
    assert board.apply(resumed(25)) == []
    assert board.tick(at(29)) == []
    assert board.tick(at(30))[0].status is S.AVAILABLE
