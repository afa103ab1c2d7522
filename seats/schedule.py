"""Shift schedules (排班) and attendance (考勤).

A monthly plan per team is a list of shifts (date, seat, start, end in China time), imported from
CSV (`日期,坐席编号,开始,结束`, e.g. `2026-12-01,1001,09:00,12:00`) or edited in the console.
A shift ending at midnight ends at `24:00` (stored and entered as 00:00: `MIDNIGHT`), so a night
shift is `16:00-24:00` and a whole day `00:00-24:00`.
Attendance compares each shift with the seat's online intervals (logged in, any state but
offline): present, late (first online more than the grace after start), absent (never online),
left early; and the minutes online within the shift.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from core.clock import CHINA_TZ
from core.csvsafe import safe_row, unescape_cell
from core.errors import InvalidInput
from core.ids import SeatId, TeamId

CSV_HEADER = ("日期", "坐席编号", "开始", "结束")
MIDNIGHT = time(0)
"""As a shift's end: the midnight that closes the shift's day (24:00)."""


def end_text(end: time) -> str:
    """A shift's end as HH:MM, midnight as 24:00."""
    return "24:00" if end == MIDNIGHT else end.strftime("%H:%M")


def parse_end(text: str) -> time:
    """A shift's end from HH:MM, 24:00 (or 00:00) being the midnight that closes its day."""
    return MIDNIGHT if text.strip() == "24:00" else time.fromisoformat(text.strip())


def ends_after(start: time, end: time) -> bool:
    """Whether a shift from `start` to `end` lasts at all (an end at midnight closes the day)."""
    return end == MIDNIGHT or end > start


@dataclass(frozen=True, slots=True, kw_only=True)
class Shift:
    team_id: TeamId
    seat_id: SeatId
    day: date
    start: time
    end: time

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.day, self.start, CHINA_TZ)

    @property
    def ends_at(self) -> datetime:
        day = self.day + timedelta(days=1) if self.end == MIDNIGHT else self.day
        return datetime.combine(day, self.end, CHINA_TZ)

    def overlaps(self, other: Shift) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


@dataclass(frozen=True, slots=True)
class StoredShift:
    """A planned shift with the id it was stored under."""

    id: str
    shift: Shift


class ScheduleImportError(InvalidInput):
    error_id = "schedule.invalid_csv"


def parse_schedule_csv(
    text: str, team_id: TeamId, *, known_seats: Iterable[str] | None = None
) -> list[Shift]:
    """Parse a team's plan; every problem is reported with its line number, all at once."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows = list(reader)
    if not rows or tuple(c.strip() for c in rows[0]) != CSV_HEADER:
        raise ScheduleImportError("排班表第 1 行必须是表头：" + ",".join(CSV_HEADER))
    seats = set(known_seats) if known_seats is not None else None
    shifts: list[Shift] = []
    problems: list[str] = []
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 4:
            problems.append(f"第 {line_no} 行：应有 4 列，实际 {len(row)} 列")
            continue
        day_s, seat_s, start_s, end_s = (unescape_cell(c.strip()) for c in row)
        try:
            day = date.fromisoformat(day_s)
        except ValueError:
            problems.append(f"第 {line_no} 行：日期“{day_s}”格式应为 YYYY-MM-DD")
            continue
        bad = [
            f"{label}“{v}”"
            for label, v, parse in zip(CSV_HEADER[2:], (start_s, end_s), _PARSERS, strict=True)
            if not _is_time(v, parse)
        ]
        if bad:
            problems.append(f"第 {line_no} 行：{'、'.join(bad)}应为 HH:MM 格式的时间")
            continue
        start, end = time.fromisoformat(start_s), parse_end(end_s)
        if not ends_after(start, end):
            problems.append(f"第 {line_no} 行：结束时间必须晚于开始时间")
            continue
        if seats is not None and seat_s not in seats:
            problems.append(f"第 {line_no} 行：坐席“{seat_s}”不属于本团队")
            continue
        shifts.append(Shift(team_id=team_id, seat_id=SeatId(seat_s), day=day, start=start, end=end))
    problems += _overlaps(shifts)
    if problems:
        raise ScheduleImportError("；".join(problems), count=len(problems))
    return sorted(shifts, key=lambda s: (s.day, s.start, s.seat_id))


_PARSERS: tuple[Callable[[str], time], ...] = (time.fromisoformat, parse_end)


def _is_time(text: str, parse: Callable[[str], time]) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def _overlaps(shifts: Sequence[Shift]) -> list[str]:
    out = []
    by_seat: dict[tuple[SeatId, date], list[Shift]] = {}
    for s in shifts:
        by_seat.setdefault((s.seat_id, s.day), []).append(s)
    for (seat, day), items in by_seat.items():
        items.sort(key=lambda s: s.start)
        for a, b in pairwise(items):
            if a.overlaps(b):
                out.append(f"坐席 {seat} 在 {day.isoformat()} 的班次时间重叠")
    return out


def write_schedule_csv(shifts: Iterable[Shift]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for s in shifts:
        w.writerow(safe_row([s.day.isoformat(), s.seat_id, s.start.strftime("%H:%M"), end_text(s.end)]))
    return buf.getvalue()


@dataclass(frozen=True, slots=True, kw_only=True)
class Attendance:
    shift: Shift
    present: bool
    late_minutes: float
    left_early_minutes: float
    online_minutes: float

    @property
    def status(self) -> str:
        if not self.present:
            return "缺勤"
        if self.late_minutes > 0:
            return "迟到"
        if self.left_early_minutes > 0:
            return "早退"
        return "正常"


def attendance(
    shift: Shift,
    online: Sequence[tuple[datetime, datetime]],
    *,
    grace: timedelta = timedelta(minutes=5),
) -> Attendance:
    """`online`: the seat's logged-in intervals (start, end), any order, may overlap the shift edges."""
    start, end = shift.starts_at, shift.ends_at
    inside = sorted((max(a, start), min(b, end)) for a, b in online if b > start and a < end)
    if not inside:
        return Attendance(
            shift=shift, present=False, late_minutes=0.0, left_early_minutes=0.0, online_minutes=0.0
        )
    merged: list[tuple[datetime, datetime]] = []
    for a, b in inside:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    first, last = merged[0][0], merged[-1][1]
    late = first - start
    early = end - last
    return Attendance(
        shift=shift,
        present=True,
        late_minutes=late.total_seconds() / 60 if late > grace else 0.0,
        left_early_minutes=early.total_seconds() / 60 if early > grace else 0.0,
        online_minutes=sum((b - a).total_seconds() for a, b in merged) / 60,
    )
