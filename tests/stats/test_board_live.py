"""Live figures per queue and per team (issue 17): counted from the live board's memory, today's
stored calls seeded once without counting a call twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.call_view import CallViews
from core.calls import CallRecord, CallStatus
from core.ids import CallId, SeatId
from core.seat_events import SeatStatus
from stats.board_live import live_groups
from stats.live import LiveBoard
from tests.stats.test_live import abandoned, answered, feed, queued

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 China time
JA_Q, PD_Q = "q-310106-labor", "q-310115-family"
TEAMS = {"team-310106": "静安区坐席团队", "team-310115": "浦东新区坐席团队"}
SEAT_TEAM = {"1001": "team-310106", "1003": "team-310115"}


def board() -> LiveBoard:
    live = LiveBoard(CallViews())
    feed(live, queued("a1", JA_Q, NOW - timedelta(minutes=3)))
    feed(live, [answered("a1", JA_Q, NOW - timedelta(minutes=2), seat="1003")])  # 浦东's seat helps out
    feed(live, queued("a2", JA_Q, NOW - timedelta(minutes=3)))
    feed(live, [abandoned("a2", JA_Q, NOW - timedelta(minutes=2))])
    feed(live, queued("w1", JA_Q, NOW - timedelta(seconds=90)))  # still waiting
    live.seed_seat("1001", "team-310106", SeatStatus.TALKING, NOW)
    live.seed_seat("1003", "team-310115", SeatStatus.AVAILABLE, NOW)
    return live


def groups(live: LiveBoard):  # type: ignore[no-untyped-def]
    snap = live.snapshot(NOW)
    return live_groups(
        NOW,
        today=live.today(NOW),
        waiting=live.waiting(),
        seats=snap.seats,
        teams=TEAMS,
        team_of_seat=SEAT_TEAM,
        on_rota={"1001"},
        membership=lambda seat: [JA_Q] if seat == "1001" else [PD_Q],
    )


def test_per_queue_and_per_team_figures_now() -> None:
    g = groups(board())

    q = {x.key: x for x in g.queues}[JA_Q]
    assert (q.waiting, q.longest_wait_seconds, q.offered, q.answered, q.abandoned) == (1, 90.0, 3, 1, 1)
    assert (q.answer_rate, q.answer_rate_15s) == (0.5, 0.5)  # answered after 5 s: within 15 s
    assert (q.scheduled, q.online, q.talking) == (1, 1, 1)  # seat 1001 is its member
    t = {x.key: x for x in g.teams}
    # The answered call counts for the answering seat's team, the abandon and the waiting caller for 静安.
    assert (t["team-310106"].offered, t["team-310106"].answered, t["team-310106"].waiting) == (2, 0, 1)
    assert (t["team-310115"].offered, t["team-310115"].answered) == (1, 1)
    assert (t["team-310115"].scheduled, t["team-310115"].online, t["team-310115"].talking) == (0, 1, 0)
    assert g.queues[0].key == JA_Q  # callers waiting first


def test_seeding_todays_stored_calls_adds_only_calls_the_board_did_not_hear() -> None:
    live = board()
    stored = [
        CallRecord(
            id=CallId("a1"), caller_number="1", offered_at=NOW - timedelta(minutes=3),
            status=CallStatus.ABANDONED, queue=JA_Q,
        ),  # heard answered on the bus: stays answered
        CallRecord(
            id=CallId("early"), caller_number="1", offered_at=NOW - timedelta(hours=1),
            status=CallStatus.ANSWERED, queue=PD_Q, seat_id=SeatId("1003"),
            answered_at=NOW - timedelta(hours=1), wait_seconds=20.0,
        ),
        CallRecord(
            id=CallId("ivr"), caller_number="1", offered_at=NOW - timedelta(hours=1), status=CallStatus.ENDED,
        ),  # never reached a queue
    ]  # fmt: skip

    live.seed_calls(stored)

    by_id = {c.call_id: c for c in live.today(NOW)}
    assert set(by_id) == {"a1", "a2", "w1", "early"}
    assert by_id["a1"].answered and not by_id["a1"].abandoned
    assert by_id["early"].answered and not by_id["early"].fast and by_id["early"].seat_id == "1003"
