"""`stats.supervision.seeded_live_board`: the supervisor board starts from the calls waiting and
the seat states of the moment (a web worker started mid-day), then follows the bus."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from core.calls import CallStatus
from core.ids import CallId, SeatId, TeamId
from core.ports import LiveCall
from core.seat_events import PauseReason, SeatStatus
from seats.state import SeatState
from stats.supervision import seeded_live_board

AT = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@dataclass(frozen=True)
class _Call:
    status: CallStatus
    queue: str | None
    offered_at: datetime = AT
    channel: str = "PJSIP/trunk-00000001"
    caller_number: str = "13800000000"
    dialed: str = "12348"
    seat_id: SeatId | None = None


@dataclass(frozen=True)
class _Calls:
    now: Mapping[CallId, LiveCall]

    @property
    def calls(self) -> Mapping[CallId, LiveCall]:
        return self.now


def test_given_calls_and_seats_now_when_seeding_then_the_board_holds_the_waiting_callers_and_the_seats() -> (
    None
):
    calls = _Calls(
        {
            CallId("c-queued"): _Call(CallStatus.QUEUED, "q-310106-labor"),
            CallId("c-ringing"): _Call(CallStatus.RINGING, "q-city-other"),
            CallId("c-talking"): _Call(CallStatus.TALKING, "q-city-other", seat_id=SeatId("1001")),
            CallId("c-in-ivr"): _Call(CallStatus.IN_IVR, None),
        }
    )
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

    live = seeded_live_board(calls, seats)

    assert set(live.waiting) == {"c-queued", "c-ringing"}
    assert live.waiting["c-queued"].queue == "q-310106-labor" and live.waiting["c-queued"].since == AT
    assert live.seats["1001"].status == "talking" and live.seats["1001"].pause_reason is None
    assert (live.seats["1002"].status, live.seats["1002"].pause_reason) == ("paused", "meal")
