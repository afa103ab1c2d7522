"""After-call work done the way Asterisk honours it: the member paused with reason after_call."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest
from test_board_after_restart import QUEUES, at, ended, talking_board
from test_board_and_service import NOTARY, SEAT, FakeControl

from core.bus import EventBus
from core.call_events import SeatPaused, SeatResumed, SeatRinging, SeatRingNoAnswer
from core.errors import Conflict, InvalidInput
from core.ids import CallId
from seats.after_call import AfterCallWork
from seats.board import SeatBoard
from seats.feed import BoardFeed
from seats.state import PauseReason, SeatStatus
from seats.wrap_up import WrapUpPolicy

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


def test_given_the_next_call_offered_before_the_after_call_pause_lands_then_the_seat_rings_and_is_paused_after() -> (
    None
):
    """app_queue may offer the member a call (its wrapuptime over) before the QueuePause reaches it;
    a paused member's ring goes on, so the board keeps it ringing and shows the pause after."""
    board = talking_board(wrap_up=1)
    board.apply(ended(20))
    board.tick(at(21.5))  # app_queue's wrapuptime is over: the pause has not landed yet
    offer = dict(call_id=CallId("c2"), seat_id=SEAT.id, interface=SEAT.interface, queue=QUEUES[0])
    (ring,) = board.apply(SeatRinging(at=at(22), **offer))  # type: ignore[arg-type]
    assert ring.status is S.RINGING
    assert board.apply(paused("after_call", 22.1)) == []
    assert board.state(SEAT.id).status is S.RINGING and board.state(SEAT.id).call_id == "c2"
    (after,) = board.apply(SeatRingNoAnswer(at=at(37), ring_seconds=15, **offer))  # type: ignore[arg-type]
    assert after.status is S.PAUSED and after.pause_reason is PauseReason.AFTER_CALL


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


async def test_given_no_after_call_work_when_the_seat_extends_its_wrap_up_then_paused_step_by_step_up_to_the_cap() -> (
    None
):
    # Issue 14: a lawyer still typing the record is held in wrap-up, within the supervisors' cap.
    board, control = talking_board(wrap_up=10), FakeControl()
    clock = StepClock()
    acw = AfterCallWork(control, Seats(), board, seconds=0, clock=clock)  # type: ignore[arg-type]
    (wrap,) = board.apply(ended(20))
    await acw.on_change(wrap)
    assert control.calls == []  # no after-call work of its own: app_queue's 10 s only
    assert acw.ends_at(SEAT.id) == at(30)
    policy = WrapUpPolicy(step_s=60, max_s=100)

    clock.t = 25.0
    first = await acw.extend(SEAT.id, policy)
    assert (first.until, first.extended_s, first.left_s) == (at(90), 60.0, 30.0)
    assert control.calls == [("QueuePause", ("PJSIP/1001",), {"paused": True, "reason": "after_call"})]
    board.apply(paused("after_call", 25))
    assert board.tick(at(40)) == [] and board.state(SEAT.id).status is S.WRAP_UP  # held past 30

    clock.t = 85.0
    second = await acw.extend(SEAT.id, policy)  # capped: 100 s from the call's end at 20
    assert (second.until, second.extended_s, second.left_s) == (at(120), 30.0, 0.0)
    assert len(control.calls) == 1  # already paused: no second pause
    with pytest.raises(Conflict, match="最长时长 100 秒"):
        await acw.extend(SEAT.id, policy)

    await acw.tick(at(120))
    assert control.calls[-1] == ("QueuePause", ("PJSIP/1001",), {"paused": False})


async def test_given_a_seat_not_in_wrap_up_when_it_extends_then_conflict_and_nothing_sent() -> None:
    board, control = talking_board(wrap_up=10), FakeControl()
    acw = AfterCallWork(control, Seats(), board, seconds=0, clock=StepClock())  # type: ignore[arg-type]
    with pytest.raises(Conflict, match="不在话后整理中"):
        await acw.extend(SEAT.id, WrapUpPolicy())
    assert control.calls == []


def test_a_policy_out_of_range_is_refused_in_chinese() -> None:
    with pytest.raises(InvalidInput, match="每次延长的秒数应在 10–600 秒之间"):
        WrapUpPolicy(step_s=5, max_s=300).checked()
    with pytest.raises(InvalidInput, match="最长时长应在 0–3600 秒之间"):
        WrapUpPolicy(step_s=60, max_s=7200).checked()


async def test_given_after_call_work_when_the_board_ticks_before_any_task_ran_then_the_wrap_up_still_holds() -> (
    None
):
    # The integration test's failure under load: the feed spawned the pause as a task, and the
    # board's 1 s tick ran first, ending the wrap-up (the seat then showed 示忙·话后处理).
    board, control = talking_board(wrap_up=1), FakeControl()
    feed = BoardFeed(EventBus(), board, StepClock())  # type: ignore[arg-type]
    feed.after_call = _acw(board, control)
    await feed._follow(ended(20))  # no task of its has run yet: nothing awaited since
    assert board.tick(at(25)) == [] and board.state(SEAT.id).status is S.WRAP_UP
