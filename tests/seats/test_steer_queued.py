"""班长示忙 of a talking seat (issue 16): queued, shown, applied when the call ends (after the
after-call work when the seat is in it), cancelled by 示闲; and today's queue moves kept in a store,
so that a restarted app still undoes them when the China day changes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.access import Scope
from core.call_events import CallAnswered, CallDirection, CallEnded, HangupParty, SeatRinging
from core.errors import Conflict
from core.ids import CallId, SeatId
from core.seat_events import PauseReason, SeatStatus, SteerAction
from routing.calendar import load_holidays
from routing.queues import load_queue_rules
from seats.steer import QueueMoves, SeatSteering
from tests.seats.test_steer import AT, CITY, JINGAN_SUP, TEAMS, WANG, ZHANG, ZHANG_QUEUES, World, _row, _world

CALL = CallId("call-7")


async def _talking(w: World) -> None:
    for event in (
        SeatRinging(
            at=w.clock.now(), call_id=CALL, seat_id=ZHANG.id, interface="PJSIP/1001", queue="q-310106-labor"
        ),
        CallAnswered(
            at=w.clock.now(),
            call_id=CALL,
            seat_id=ZHANG.id,
            interface="PJSIP/1001",
            queue="q-310106-labor",
            wait_seconds=3.0,
        ),
    ):
        await w.pbx._confirm(event)
    await w.drain()
    assert w.board.state(ZHANG.id).status is SeatStatus.TALKING
    w.pbx.sent.clear()


async def _call_ends(w: World) -> None:
    w.clock.advance(seconds=60)
    await w.pbx._confirm(
        CallEnded(
            at=w.clock.now(),
            call_id=CALL,
            direction=CallDirection.INBOUND,
            hung_up_by=HangupParty.CALLER,
            answered=True,
            talk_seconds=60.0,
            duration_seconds=65.0,
            cause=16,
            seat_id=ZHANG.id,
        )
    )
    await w.drain()


async def test_given_a_talking_seat_when_paused_then_queued_shown_and_applied_when_the_call_ends() -> None:
    w = await _world()
    await _talking(w)

    queued = await w.steer.pause(JINGAN_SUP, ZHANG.id, PauseReason.MEETING, "全员例会", "10.0.0.9")
    await w.drain()

    assert w.pbx.sent == []  # nothing for Asterisk while the seat talks
    assert queued.action is SteerAction.PAUSE_QUEUED and queued.forces is None
    assert queued.notice.startswith("班长已安排：本通话结束后示忙（会议；全员例会）")
    assert _row(w, ZHANG.id).pending.startswith("待示忙：本通话结束后（会议；全员例会）")
    assert w.steer.queued_pause(ZHANG.id) is PauseReason.MEETING
    assert [(e.action, e.actor, e.detail["reason"]) for e in w.audit.entries] == [
        ("steer.pause_queued", "u-jingan", "meeting")
    ]

    await _call_ends(w)  # into the queue's plain wrap-up: paused at once, Asterisk still holds the member

    assert w.pbx.sent == [
        ("QueuePause", ("PJSIP/1001",), {"paused": True, "queue": None, "reason": "meeting"})
    ]
    state = w.board.state(ZHANG.id)
    assert state.status is SeatStatus.PAUSED and state.pause_reason is PauseReason.MEETING
    applied = w.pushed[-1]
    assert applied.action is SteerAction.PAUSE and applied.by_user == "u-jingan"
    assert "通话结束后" in applied.notice and "静安班长" in applied.notice
    last = w.audit.entries[-1]
    assert (last.action, last.actor, last.detail["queued"], last.source_ip) == (
        "steer.pause",
        "u-jingan",
        True,
        "10.0.0.9",
    )
    row = _row(w, ZHANG.id)
    assert row.pending == "" and row.forced.startswith("班长示忙：会议")
    assert w.steer.queued_pause(ZHANG.id) is None


async def test_given_a_queued_pause_when_the_seat_is_in_after_call_work_then_sent_once_it_is_free() -> None:
    w = await _world()
    await _talking(w)
    await w.steer.pause(CITY, ZHANG.id, PauseReason.TRAINING)
    w.board.after_call_pending.add(ZHANG.id)  # as seats.after_call notes it when the call ends

    await _call_ends(w)

    assert w.board.state(ZHANG.id).status is SeatStatus.WRAP_UP
    assert w.pbx.sent == [] and w.steer.queued_pause(ZHANG.id) is PauseReason.TRAINING
    assert _row(w, ZHANG.id).pending != ""

    w.board.after_call_pending.discard(ZHANG.id)  # the after-call work is over
    for change in w.board.end_wrap_up(ZHANG.id, w.clock.now()):
        await w.bus.publish(change)
    await w.drain()

    assert w.pbx.sent == [
        ("QueuePause", ("PJSIP/1001",), {"paused": True, "queue": None, "reason": "training"})
    ]
    assert w.board.state(ZHANG.id).status is SeatStatus.PAUSED
    assert [e.action for e in w.audit.entries] == ["steer.pause_queued", "steer.pause"]


async def test_given_a_queued_pause_when_made_ready_then_cancelled_and_nothing_sent_at_the_calls_end() -> (
    None
):
    w = await _world()
    await _talking(w)
    await w.steer.pause(CITY, ZHANG.id, PauseReason.MEETING)
    await w.drain()
    cancelled = await w.steer.ready(JINGAN_SUP, ZHANG.id, "会议取消")
    await w.drain()

    assert cancelled.action is SteerAction.PAUSE_CANCELLED and "取消" in cancelled.notice
    assert _row(w, ZHANG.id).pending == ""
    await _call_ends(w)
    w.clock.advance(seconds=31)
    for change in w.board.tick(w.clock.now()):
        await w.bus.publish(change)
    await w.drain()

    assert w.pbx.sent == [] and w.board.state(ZHANG.id).status is SeatStatus.AVAILABLE
    assert [e.action for e in w.audit.entries] == ["steer.pause_queued", "steer.pause_cancelled"]


async def test_given_a_queued_pause_when_paused_again_then_refused_in_chinese() -> None:
    w = await _world()
    await _talking(w)
    await w.steer.pause(CITY, ZHANG.id, PauseReason.MEETING)
    with pytest.raises(Conflict, match="已安排该坐席本通话结束后示忙"):
        await w.steer.pause(JINGAN_SUP, ZHANG.id, PauseReason.REST)
    assert len(w.audit.entries) == 1


class MovesStore:
    """The moves' table as a dict (the store's own test runs it on SQLite and PostgreSQL)."""

    def __init__(self) -> None:
        self.rows: dict[SeatId, QueueMoves] = {}

    def all(self) -> list[QueueMoves]:
        return [
            QueueMoves(seat_id=m.seat_id, day=m.day, added=set(m.added), removed=set(m.removed))
            for m in self.rows.values()
        ]

    def save(self, moves: QueueMoves) -> None:
        self.rows[moves.seat_id] = QueueMoves(
            seat_id=moves.seat_id, day=moves.day, added=set(moves.added), removed=set(moves.removed)
        )

    def drop(self, seat_id: SeatId) -> None:
        self.rows.pop(seat_id, None)


def _steering(w: World, store: MovesStore) -> SeatSteering:
    return SeatSteering(
        board=w.board,
        bus=w.bus,
        clock=w.clock,
        commands=lambda: w.service,
        rules=load_queue_rules(load_holidays()),
        audit=w.audit,
        scope_of=lambda p: Scope.of(p, TEAMS, [ZHANG, WANG]),
        moves_store=store,
        revert_every_s=3600,
    )


async def test_given_queue_moves_when_the_app_restarts_then_the_next_day_still_undoes_them() -> None:
    w = await _world()
    store = MovesStore()
    before = _steering(w, store)
    await before.start()
    await before.add_queue(CITY, ZHANG.id, "q-city-family", "支援婚姻家事")
    await before.remove_queue(CITY, ZHANG.id, "q-city-labor", "集中处理")
    await before.stop()
    await w.drain()
    assert w.board.queues[ZHANG.id] == {"q-310106-labor", "q-city-family"}
    assert store.rows[ZHANG.id].added == {"q-city-family"} and store.rows[ZHANG.id].removed == {
        "q-city-labor"
    }

    after = _steering(w, store)  # a new process: nothing in memory but what the store kept
    await after.start()
    q = await after.queues(CITY, ZHANG.id)
    assert (q.added_today, q.removed_today) == (["q-city-family"], ["q-city-labor"])
    w.pbx.sent.clear()
    w.clock.set(AT + timedelta(hours=14, minutes=1))  # 00:01 the next day in China
    await after.revert_past_days()
    await after.stop()
    await w.drain()

    assert w.pbx.names() == ["QueueAdd", "QueueRemove"]
    assert w.board.queues[ZHANG.id] == ZHANG_QUEUES
    assert store.rows == {}
    assert w.audit.entries[-1].action == "steer.revert"


async def test_given_a_moved_seat_when_it_logs_out_then_its_kept_moves_are_dropped() -> None:
    w = await _world()
    store = MovesStore()
    steer = _steering(w, store)
    await steer.start()
    await steer.add_queue(CITY, ZHANG.id, "q-city-family", "支援")
    await w.service.logout(ZHANG.id)
    await w.drain()
    await steer.stop()
    assert store.rows == {}
