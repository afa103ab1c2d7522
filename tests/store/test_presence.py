from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.ids import SeatId
from seats.presence import SeatPresence
from seats.state import PauseReason
from store.db import Database
from store.presence import SeatPresenceRepository

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_given_seats_logging_in_pausing_and_out_when_read_back_then_the_last_intent_of_each_is_kept(
    db: Database,
) -> None:
    repo = SeatPresenceRepository(db)
    repo.record(SeatPresence(seat_id=SeatId("1001"), logged_in=True, at=T0))
    repo.record(SeatPresence(seat_id=SeatId("1002"), logged_in=True, at=T0))
    repo.record(
        SeatPresence(
            seat_id=SeatId("1001"), logged_in=True, paused=True, reason=PauseReason.MEAL, at=T0 + timedelta(1)
        )
    )
    repo.record(SeatPresence(seat_id=SeatId("1002"), logged_in=False, at=T0 + timedelta(2)))

    assert repo.logged_in() == [
        SeatPresence(
            seat_id=SeatId("1001"), logged_in=True, paused=True, reason=PauseReason.MEAL, at=T0 + timedelta(1)
        )
    ]
    got = repo.get(SeatId("1002"))
    assert got is not None and not got.logged_in and got.at.tzinfo is not None
    assert repo.get(SeatId("9999")) is None
