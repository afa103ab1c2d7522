"""The seats' SIP phone passwords (table `seat_phones`), for rendering Asterisk's pjsip.conf."""

from __future__ import annotations

from sqlalchemy import select

from core.ids import SeatId
from store.models import SeatPhoneRow
from store.rows import Repo


class SeatPhoneRepository(Repo):
    def save(self, seat_id: SeatId, password: str) -> None:
        self._merge(SeatPhoneRow(seat_id=seat_id, password=password))

    def password(self, seat_id: SeatId) -> str | None:
        with self._db.session() as s:
            row = s.get(SeatPhoneRow, seat_id)
            return row.password if row else None

    def all(self) -> dict[SeatId, str]:
        with self._db.session() as s:
            return {SeatId(r.seat_id): r.password for r in s.scalars(select(SeatPhoneRow))}
