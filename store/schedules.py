"""Shift plans (排班) and the seat status log (坐席状态日志) behind attendance (考勤).

`ScheduleRepository` keeps each team's shifts; a month is replaced as a whole by a CSV import, and
single shifts are added or deleted in the console. Days are stored as `YYYY-MM-DD` and times as
`HH:MM` (China time, as planned), so a month is a plain range on the `day` column.

`SeatLogRepository` appends every seat state change; a seat's online intervals between two instants
are the periods whose status is not offline (the status in force at the start counts too).

They implement the ports `seats.rota.ShiftStore` and `seats.rota.SeatLog`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time

from sqlalchemy import delete, select

from core.ids import SeatId, TeamId, new_id
from seats.schedule import Shift, StoredShift
from store.models import SeatStatusLogRow, ShiftRow
from store.rows import Repo

OFFLINE = "offline"


def month_bounds(year: int, month: int) -> tuple[str, str]:
    """[first day, first day of the next month) as ISO strings."""
    first = date(year, month, 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first.isoformat(), following.isoformat()


def _hm(t: time) -> str:
    return t.strftime("%H:%M")


def _shift_from_row(r: ShiftRow) -> StoredShift:
    return StoredShift(
        id=r.id,
        shift=Shift(
            team_id=TeamId(r.team_id),
            seat_id=SeatId(r.seat_id),
            day=date.fromisoformat(r.day),
            start=time.fromisoformat(r.start),
            end=time.fromisoformat(r.end),
        ),
    )


def _row(shift: Shift) -> ShiftRow:
    return ShiftRow(
        id=new_id("sh_"),
        team_id=shift.team_id,
        seat_id=shift.seat_id,
        day=shift.day.isoformat(),
        start=_hm(shift.start),
        end=_hm(shift.end),
    )


class ScheduleRepository(Repo):
    def replace_month(self, team_id: TeamId, year: int, month: int, shifts: Iterable[Shift]) -> int:
        """Delete the team's shifts of that month and store `shifts` instead, in one transaction."""
        first, following = month_bounds(year, month)
        rows = [_row(s) for s in shifts]
        with self._db.session() as s:
            s.execute(
                delete(ShiftRow).where(
                    ShiftRow.team_id == team_id, ShiftRow.day >= first, ShiftRow.day < following
                )
            )
            s.add_all(rows)
        return len(rows)

    def month(self, team_id: TeamId, year: int, month: int) -> list[StoredShift]:
        first, following = month_bounds(year, month)
        with self._db.session() as s:
            rows = s.scalars(
                select(ShiftRow)
                .where(ShiftRow.team_id == team_id, ShiftRow.day >= first, ShiftRow.day < following)
                .order_by(ShiftRow.day, ShiftRow.start, ShiftRow.seat_id)
            ).all()
            return [_shift_from_row(r) for r in rows]

    def on_day(self, day: date, team_ids: Sequence[str] | None = None) -> list[StoredShift]:
        """Every shift of `day` (of the given teams, or of all teams)."""
        query = select(ShiftRow).where(ShiftRow.day == day.isoformat())
        if team_ids is not None:
            query = query.where(ShiftRow.team_id.in_(list(team_ids)))
        with self._db.session() as s:
            rows = s.scalars(query.order_by(ShiftRow.start, ShiftRow.seat_id)).all()
            return [_shift_from_row(r) for r in rows]

    def get(self, shift_id: str) -> StoredShift | None:
        return self._find(ShiftRow, shift_id, _shift_from_row)

    def add(self, shift: Shift) -> StoredShift:
        row = _row(shift)
        with self._db.session() as s:
            s.add(row)
            s.flush()
            return _shift_from_row(row)

    def delete(self, shift_id: str) -> bool:
        with self._db.session() as s:
            row = s.get(ShiftRow, shift_id)
            if row is None:
                return False
            s.delete(row)
            return True


class SeatLogRepository(Repo):
    def append_many(self, entries: Sequence[tuple[str, str, str, datetime]]) -> None:
        with self._db.session() as s:
            s.add_all(
                SeatStatusLogRow(seat_id=seat_id, team_id=team_id, status=status, at=at)
                for seat_id, team_id, status, at in entries
            )

    def online_intervals(
        self, seat_id: str, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime]]:
        """The seat's periods in [start, end) with any status but offline, clipped to the window."""
        if end <= start:
            return []
        with self._db.session() as s:
            before = s.scalar(
                select(SeatStatusLogRow.status)
                .where(SeatStatusLogRow.seat_id == seat_id, SeatStatusLogRow.at < start)
                .order_by(SeatStatusLogRow.at.desc(), SeatStatusLogRow.id.desc())
                .limit(1)
            )
            changes = s.execute(
                select(SeatStatusLogRow.status, SeatStatusLogRow.at)
                .where(
                    SeatStatusLogRow.seat_id == seat_id,
                    SeatStatusLogRow.at >= start,
                    SeatStatusLogRow.at < end,
                )
                .order_by(SeatStatusLogRow.at, SeatStatusLogRow.id)
            ).all()
        out: list[tuple[datetime, datetime]] = []
        online_since = start if before is not None and before != OFFLINE else None
        for status, at in changes:
            if status == OFFLINE:
                if online_since is not None and at > online_since:
                    out.append((online_since, at))
                online_since = None
            elif online_since is None:
                online_since = at
        if online_since is not None and end > online_since:
            out.append((online_since, end))
        return out
