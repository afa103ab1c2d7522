from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.call_events import (
    CallAbandoned,
    CallAnswered,
    CallDirection,
    CallEnded,
    CallOffered,
    CallQueued,
    CallTimedOut,
    HangupParty,
)
from core.call_view import CallViews
from core.events import DomainEvent, StateResynced
from core.ids import CallId, SeatId, TeamId
from stats.live import LiveBoard

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 China time
JINGAN, PUDONG = "q-310106-labor", "q-310115-family"


def queued(cid: str, queue: str, at: datetime) -> list[DomainEvent]:
    """A caller's call offered and queued at `at`."""
    return [
        CallOffered(
            at=at, call_id=CallId(cid), channel=f"PJSIP/trunk-{cid}", caller_number="1", dialed="12348"
        ),
        CallQueued(at=at, call_id=CallId(cid), queue=queue, position=1),
    ]


def answered(cid: str, queue: str, at: datetime, seat: str = "1001") -> CallAnswered:
    return CallAnswered(
        at=at,
        call_id=CallId(cid),
        seat_id=SeatId(seat),
        interface=f"PJSIP/{seat}",
        queue=queue,
        wait_seconds=5.0,
    )


def abandoned(cid: str, queue: str, at: datetime) -> CallAbandoned:
    return CallAbandoned(
        at=at,
        call_id=CallId(cid),
        queue=queue,
        wait_seconds=30.0,
        position=1,
        original_position=1,
        caller_number="13812348000",
    )


def feed(board: LiveBoard, events: list[DomainEvent]) -> LiveBoard:
    """Each event to the calls' views and to the board, as their two bus subscriptions do."""
    for e in events:
        board.calls.apply(e)
        board.apply(e)
    return board


def test_given_queued_calls_when_some_are_answered_or_abandoned_then_waiting_and_longest_wait_follow() -> (
    None
):
    b = feed(
        LiveBoard(CallViews()),
        [
            *queued("a", JINGAN, T0),
            *queued("b", PUDONG, T0 + timedelta(seconds=10)),
            *queued("c", JINGAN, T0 + timedelta(seconds=20)),
            answered("a", JINGAN, T0 + timedelta(seconds=25)),
        ],
    )
    snap = b.snapshot(T0 + timedelta(seconds=70))
    assert snap.waiting == 2
    assert snap.longest_wait_seconds == 60.0  # "b" since T0+10
    feed(b, [abandoned("b", PUDONG, T0 + timedelta(seconds=80))])
    feed(
        b,
        [
            CallEnded(
                at=T0 + timedelta(seconds=81),
                call_id=CallId("c"),
                direction=CallDirection.INBOUND,
                hung_up_by=HangupParty.CALLER,
                answered=False,
                talk_seconds=None,
                duration_seconds=81,
                cause=16,
            )
        ],
    )
    snap = b.snapshot(T0 + timedelta(seconds=90))
    assert (snap.waiting, snap.longest_wait_seconds) == (0, 0.0)
    assert (snap.offered_today, snap.answered_today, snap.abandoned_today) == (3, 1, 1)


def test_given_replayed_events_when_counting_then_each_call_counts_once() -> None:
    events: list[DomainEvent] = [*queued("a", JINGAN, T0), answered("a", JINGAN, T0 + timedelta(seconds=3))]
    b = feed(LiveBoard(CallViews()), events + events)
    snap = b.snapshot(T0 + timedelta(minutes=1))
    assert (snap.offered_today, snap.answered_today) == (1, 1)


def test_given_a_district_filter_when_snapshotting_then_other_districts_are_left_out() -> None:
    b = feed(
        LiveBoard(CallViews()),
        [
            *queued("a", JINGAN, T0),
            *queued("b", PUDONG, T0 - timedelta(seconds=30)),
            *queued("c", PUDONG, T0),
        ],
    )
    snap = b.snapshot(T0 + timedelta(seconds=10), lambda keys: "district:310106" in keys)
    assert snap.waiting == 1 and snap.offered_today == 1
    assert snap.longest_wait_seconds == 10.0


def test_given_a_new_china_day_when_events_arrive_then_the_counters_start_again() -> None:
    late = datetime(2026, 11, 25, 15, 50, tzinfo=UTC)  # 23:50 China
    b = feed(
        LiveBoard(CallViews()),
        [
            *queued("a", JINGAN, late),
            CallTimedOut(
                at=late + timedelta(minutes=5),
                call_id=CallId("a"),
                queue=JINGAN,
                wait_seconds=300,
                position=1,
                original_position=1,
                caller_number="",
            ),
        ],
    )
    assert b.snapshot(late + timedelta(minutes=6)).offered_today == 1
    next_day = late + timedelta(minutes=20)  # 00:10 China, the next day
    feed(b, queued("b", JINGAN, next_day))
    snap = b.snapshot(next_day)
    assert (snap.offered_today, snap.abandoned_today) == (1, 0)


def test_given_no_event_today_when_snapshotting_then_yesterdays_counters_are_not_shown() -> None:
    b = feed(LiveBoard(CallViews()), queued("a", JINGAN, T0))
    assert b.snapshot(T0 + timedelta(days=1)).offered_today == 0


def test_given_seat_state_facts_when_snapshotting_then_seats_by_state_with_since_and_reason() -> None:
    from core.seat_events import PauseReason, SeatStateChanged, SeatStatus

    b = LiveBoard(CallViews())
    b.seed_seat("1003", "team-310115", SeatStatus.OFFLINE, None)
    b.apply(
        SeatStateChanged(
            at=T0,
            seat_id=SeatId("1001"),
            team_id=TeamId("team-310106"),
            previous=SeatStatus.OFFLINE,
            status=SeatStatus.AVAILABLE,
        )
    )
    b.apply(
        SeatStateChanged(
            at=T0,
            seat_id=SeatId("1002"),
            team_id=TeamId("team-310106"),
            previous=SeatStatus.AVAILABLE,
            status=SeatStatus.PAUSED,
            pause_reason=PauseReason.MEAL,
        )
    )
    snap = b.snapshot(T0)
    assert snap.seats_by_state["available"] == 1 and snap.seats_by_state["paused"] == 1
    assert snap.seats_by_state["offline"] == 1
    paused = next(s for s in snap.seats if s.seat_id == "1002")
    assert paused.pause_reason == "meal" and paused.since == T0
    jingan_only = b.snapshot(T0, lambda keys: "team:team-310106" in keys)
    assert [s.seat_id for s in jingan_only.seats] == ["1001", "1002"]


def test_given_a_restart_when_the_amis_snapshot_offers_a_queued_call_again_then_it_waits_on_the_board() -> (
    None
):
    resync = T0 + timedelta(minutes=1)  # the tracker's snapshot events carry the resync's time
    b = feed(
        LiveBoard(CallViews()),
        [*queued("x", JINGAN, resync), StateResynced(at=resync, source="ami", calls=1)],
    )
    assert b.snapshot(resync + timedelta(seconds=5)).waiting == 1
    feed(b, [answered("x", JINGAN, resync + timedelta(seconds=6))])
    assert b.snapshot(resync + timedelta(seconds=7)).waiting == 0
