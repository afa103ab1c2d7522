"""`SeatPresenceRepository`: the durable `seats.presence.SeatPresence` record, one row per seat."""

from __future__ import annotations

from sqlalchemy import select

from core.ids import SeatId
from seats.presence import SeatPresence
from seats.state import PauseReason
from store.db import Database
from store.models import SeatPresenceRow


def _from_row(row: SeatPresenceRow) -> SeatPresence:
    reason = None
    if row.reason:
        try:
            reason = PauseReason(row.reason)
        except ValueError:
            reason = PauseReason.OTHER
    return SeatPresence(
        seat_id=SeatId(row.seat_id), logged_in=row.logged_in, paused=row.paused, reason=reason, at=row.at
    )


class SeatPresenceRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, presence: SeatPresence) -> None:
        with self._db.session() as s:
            s.merge(
                SeatPresenceRow(
                    seat_id=presence.seat_id,
                    logged_in=presence.logged_in,
                    paused=presence.paused,
                    reason=presence.reason.value if presence.reason is not None else None,
                    at=presence.at,
                )
            )

    def get(self, seat_id: SeatId) -> SeatPresence | None:
        with self._db.session() as s:
            row = s.get(SeatPresenceRow, seat_id)
            return _from_row(row) if row is not None else None

    def logged_in(self) -> list[SeatPresence]:
        with self._db.session() as s:
            rows = s.scalars(
                select(SeatPresenceRow)
                .where(SeatPresenceRow.logged_in.is_(True))
                .order_by(SeatPresenceRow.seat_id)
            )
            return [_from_row(r) for r in rows]
