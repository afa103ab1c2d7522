"""`SeatPresenceRepository`: the durable `seats.presence.SeatPresence` record, one row per seat."""

from __future__ import annotations

from sqlalchemy import select

from core.ids import SeatId
from seats.presence import SeatPresence
from seats.state import PauseReason
from store.models import SeatPresenceRow
from store.rows import Repo, RowMapper, row_values


def _pause_reason(value: str | None) -> PauseReason | None:
    if not value:
        return None
    try:
        return PauseReason(value)
    except ValueError:
        return PauseReason.OTHER


_from_row = RowMapper(SeatPresence, reason=_pause_reason)


class SeatPresenceRepository(Repo):
    def record(self, presence: SeatPresence) -> None:
        self._merge(SeatPresenceRow(**row_values(presence)))

    def get(self, seat_id: SeatId) -> SeatPresence | None:
        return self._find(SeatPresenceRow, seat_id, _from_row)

    def logged_in(self) -> list[SeatPresence]:
        q = (
            select(SeatPresenceRow)
            .where(SeatPresenceRow.logged_in.is_(True))
            .order_by(SeatPresenceRow.seat_id)
        )
        return self._list(q, _from_row)
