"""`stats.supervision.seeded_live_board`: the supervisor board starts from the calls' read model
(the callers waiting) and the seat states of the moment (a web worker started mid-day), then
follows the bus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.call_events import CallOffered, CallQueued
from core.call_view import CallViews
from core.ids import CallId, SeatId, TeamId
from core.seat_events import PauseReason, SeatStatus
from seats.state import SeatState
from stats.supervision import seeded_live_board

AT = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def _offered(call: str, at: datetime) -> CallOffered:
    return CallOffered(
        at=at,
        call_id=CallId(call),
        channel=f"PJSIP/trunk-{call}",
        caller_number="13800000000",
        dialed="12348",
    )


def test_given_calls_and_seats_now_when_seeding_then_the_board_shows_the_waiting_callers_and_the_seats() -> (
    None
):
    views = CallViews()
    views.apply(_offered("c-queued", AT))
    views.apply(
        CallQueued(
            at=AT + timedelta(seconds=20), call_id=CallId("c-queued"), queue="q-310106-labor", position=1
        )
    )
    views.apply(_offered("c-in-ivr", AT))
    seats = [
        SeatState(seat_id=SeatId("1001"), team_id=TeamId("team-310106"), status=SeatStatus.TALKING, since=AT),
        SeatState(
            seat_id=SeatId("1002"),
            team_id=TeamId("team-310106"),
            status=SeatStatus.PAUSED,
            since=AT,
            pause_reason=PauseReason.MEAL,
        ),
    ]

    live = seeded_live_board(views, seats)
    now = live.snapshot(AT + timedelta(seconds=80))

    assert [c.record.id for c in now.waiting_calls] == ["c-queued"]
    assert now.longest_wait_seconds == 60.0
    assert live.seats["1001"].status == "talking" and live.seats["1001"].pause_reason is None
    assert (live.seats["1002"].status, live.seats["1002"].pause_reason) == ("paused", "meal")
