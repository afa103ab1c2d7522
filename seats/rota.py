"""Shift plans (排班) and attendance (考勤) for the console, and the seat status log feeding them.

`subscribe_seat_log` appends every `SeatStateChanged` to the seat status log (off the event loop).
`Rota` implements `console_web.schedule_api.ScheduleBackend` over a `ShiftStore` and a `SeatLog`
(`store.schedules` implements both); its `on_shift` (`stats.ports.Roster`) is what the supervisor
board counts "scheduled now" from. Everything but the subscriber blocks: call it off the event loop.
`StandingRota` keeps seats on whole-day shifts of today and tomorrow (the demo's plan).

Scope (`core.access.Scope`): supervisors and admins read and edit the plans of the teams they see;
a seat reads its own team's plan only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from core.access import Principal, Scope
from core.blocking import offload
from core.bus import EventBus, Handler, Subscription
from core.clock import CHINA_TZ, Clock
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.events import DomainEvent
from core.ids import TeamId
from core.seat_events import SeatStateChanged
from core.ticker import Ticker
from seats.models import Seat, Team
from seats.schedule import (
    CSV_HEADER,
    MIDNIGHT,
    Attendance,
    ScheduleImportError,
    Shift,
    StoredShift,
    attendance,
    end_text,
    ends_after,
    parse_schedule_csv,
)

#: How far before a shift's start the log is read (a seat logged in early is on time).
LOOKBACK = timedelta(hours=12)
SEAT_LOG = "seat-status-log"


class ShiftStore(Protocol):
    """Each team's shifts (`store.schedules.ScheduleRepository`)."""

    def replace_month(self, team_id: TeamId, year: int, month: int, shifts: Sequence[Shift]) -> int: ...

    def month(self, team_id: TeamId, year: int, month: int) -> list[StoredShift]: ...

    def on_day(self, day: date, team_ids: Sequence[str] | None = None) -> list[StoredShift]: ...

    def get(self, shift_id: str) -> StoredShift | None: ...

    def add(self, shift: Shift) -> StoredShift: ...

    def delete(self, shift_id: str) -> bool: ...


SeatLogEntry = tuple[str, str, str, datetime]
"""One row of the seat status log: seat, team, status, when."""


class SeatLogWriter(Protocol):
    def append_many(self, entries: Sequence[SeatLogEntry]) -> None:
        """The rows in one transaction: all or none."""
        ...


class SeatLog(SeatLogWriter, Protocol):
    """The seat status log (`store.schedules.SeatLogRepository`)."""

    def online_intervals(
        self, seat_id: str, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime]]: ...


class TeamList(Protocol):
    def all(self) -> Sequence[Team]: ...


class SeatList(Protocol):
    def all(self) -> Sequence[Seat]: ...


def subscribe_seat_log(
    bus: EventBus, log: SeatLogWriter, *, guard: Callable[[str, Handler], Handler]
) -> Subscription:
    """Append every seat state change to the seat status log; call inside the running loop.

    `guard` puts the writer behind the durable journal like the other database writers: a change
    that arrives while the database is down is applied, with its own time, once it is back
    (attendance would otherwise lose the seats' sign-ins of the outage). A replay after a kill
    between writing and marking may write one row twice: the same status at the same instant,
    which no interval changes by."""

    return bus.subscribe(
        SEAT_LOG, guard(SEAT_LOG, _SeatLogAppender(log)), types=(SeatStateChanged,), max_batch=SEAT_LOG_BATCH
    )


SEAT_LOG_BATCH = 200


class _SeatLogAppender:
    """The changes waiting when the writer is ready go in one transaction (a `BatchingHandler`: at
    400 calls, one transaction per change was the busiest database writer besides the trail)."""

    def __init__(self, log: SeatLogWriter) -> None:
        self._log = log

    async def __call__(self, event: DomainEvent) -> None:
        await self.many([event])

    async def many(self, events: Sequence[DomainEvent]) -> None:
        entries = [
            (e.seat_id, e.team_id, e.status.value, e.at) for e in events if isinstance(e, SeatStateChanged)
        ]
        if entries:
            await offload(self._log.append_many, entries)


def _hm(t: time) -> str:
    return t.strftime("%H:%M")


def month_label(month: date) -> str:
    return month.strftime("%Y-%m")


def _editor(principal: Principal) -> bool:
    return principal.supervising


def _plannable(seats: dict[str, Seat], team: Team) -> list[Seat]:
    """The team's active seats: the ones a shift can be planned for."""
    return [s for s in seats.values() if s.team_id == team.id and s.active]


@dataclass(frozen=True, slots=True)
class ShiftView:
    stored: StoredShift
    seat_name: str


@dataclass(frozen=True, slots=True)
class MonthPlan:
    team: Team
    month: date
    editable: bool
    teams: list[Team]
    #: the team's active seats, who can be planned
    seats: list[Seat]
    shifts: list[ShiftView]


@dataclass(frozen=True, slots=True)
class MonthImport:
    team_id: TeamId
    month: date
    imported: int


@dataclass(frozen=True, slots=True)
class AttendanceRow:
    shift: ShiftView
    #: 未开始 before the shift; else the judged status (未到岗 while absent so far)
    status: str
    in_progress: bool
    result: Attendance | None


@dataclass(frozen=True, slots=True)
class AttendanceDay:
    team: Team
    day: date
    rows: list[AttendanceRow]


class Rota:
    def __init__(
        self, *, shifts: ShiftStore, log: SeatLog, teams: TeamList, seats: SeatList, clock: Clock
    ) -> None:
        self.shifts = shifts
        self.log = log
        self._teams = teams
        self._seats = seats
        self._clock = clock

    # --- scope ---------------------------------------------------------------------------------

    def _context(self, principal: Principal) -> tuple[Scope, dict[str, Team], dict[str, Seat]]:
        teams = self._teams.all()
        seats = self._seats.all()
        return Scope.of(principal, teams, seats), {t.id: t for t in teams}, {s.id: s for s in seats}

    def _team(self, principal: Principal, team_id: str | None, *, edit: bool) -> tuple[Team, dict[str, Seat]]:
        scope, teams, seats = self._context(principal)
        if edit and not _editor(principal):
            raise PermissionDenied("仅班长和管理员可以修改排班")
        if team_id is None:
            visible = [t for t in teams.values() if scope.sees_team(t.id)]
            if not visible:
                raise PermissionDenied("您没有可查看的团队")
            team_id = visible[0].id
        team = teams.get(team_id)
        if team is None:
            raise NotFound("团队不存在", team_id=team_id)
        if not scope.sees_team(team.id):
            raise PermissionDenied("该团队不在您的管辖范围内", team_id=team_id)
        return team, seats

    def _today(self) -> date:
        return self._clock.now().astimezone(CHINA_TZ).date()

    @staticmethod
    def _view(stored: StoredShift, seats: dict[str, Seat]) -> ShiftView:
        seat = seats.get(stored.shift.seat_id)
        return ShiftView(stored, seat.name if seat else "")

    # --- plans ---------------------------------------------------------------------------------

    def month(self, principal: Principal, team_id: str | None, month: date | None) -> MonthPlan:
        team, seats = self._team(principal, team_id, edit=False)
        month = month or self._today().replace(day=1)
        scope, teams, _ = self._context(principal)
        return MonthPlan(
            team=team,
            month=month,
            editable=_editor(principal),
            teams=[t for t in teams.values() if scope.sees_team(t.id)],
            seats=_plannable(seats, team),
            shifts=[self._view(s, seats) for s in self.shifts.month(team.id, month.year, month.month)],
        )

    def import_csv(self, principal: Principal, team_id: str, month: date, text: str) -> MonthImport:
        team, seats = self._team(principal, team_id, edit=True)
        known = [s.id for s in _plannable(seats, team)]
        problems = _outside_month(text, month)
        try:
            parsed = parse_schedule_csv(text, team.id, known_seats=known)
        except ScheduleImportError as exc:
            problems = [p for p in exc.message.split("；") if p] + problems
            parsed = []
        if problems:
            raise ScheduleImportError("；".join(problems), count=len(problems))
        imported = self.shifts.replace_month(team.id, month.year, month.month, parsed)
        return MonthImport(team.id, month, imported)

    def add_shift(
        self, principal: Principal, *, team_id: str, seat_id: str, day: date, start: time, end: time
    ) -> ShiftView:
        team, seats = self._team(principal, team_id, edit=True)
        seat = seats.get(seat_id)
        if seat is None or seat.team_id != team.id or not seat.active:
            raise InvalidInput(f"坐席“{seat_id}”不属于本团队", seat_id=seat_id)
        if not ends_after(start, end):
            raise InvalidInput("结束时间必须晚于开始时间")
        shift = Shift(team_id=team.id, seat_id=seat.id, day=day, start=start, end=end)
        for other in self.shifts.on_day(day, [team.id]):
            o = other.shift
            if o.seat_id == seat.id and o.overlaps(shift):
                raise InvalidInput(
                    f"坐席 {seat.id} 在 {day.isoformat()} 已有 {_hm(o.start)}-{end_text(o.end)} 的班次，时间重叠"
                )
        return self._view(self.shifts.add(shift), seats)

    def delete_shift(self, principal: Principal, shift_id: str) -> ShiftView:
        stored = self.shifts.get(shift_id)
        if stored is None:
            raise NotFound("班次不存在", shift_id=shift_id)
        _, seats = self._team(principal, stored.shift.team_id, edit=True)
        self.shifts.delete(shift_id)
        return self._view(stored, seats)

    # --- attendance ----------------------------------------------------------------------------

    def attendance(self, principal: Principal, team_id: str | None, day: date | None) -> AttendanceDay:
        if not _editor(principal):
            raise PermissionDenied("仅班长和管理员可以查看考勤")
        team, seats = self._team(principal, team_id, edit=False)
        day = day or self._today()
        now = self._clock.now()
        rows = [self._attendance_row(s, seats, now) for s in self.shifts.on_day(day, [team.id])]
        return AttendanceDay(team, day, rows)

    def _attendance_row(self, stored: StoredShift, seats: dict[str, Seat], now: datetime) -> AttendanceRow:
        shift = stored.shift
        view = self._view(stored, seats)
        if now < shift.starts_at:
            return AttendanceRow(view, "未开始", in_progress=False, result=None)
        until = min(now, shift.ends_at)
        online = self.log.online_intervals(shift.seat_id, shift.starts_at - LOOKBACK, until)
        in_progress = now < shift.ends_at
        result = attendance(shift, online)
        if in_progress:
            # Still online now: judge the rest of the shift as if it stays (no "left early" yet).
            assumed = [(a, shift.ends_at if b >= until else b) for a, b in online]
            judged = attendance(shift, assumed)
            status = judged.status if judged.present else "未到岗"
        else:
            status = result.status
        return AttendanceRow(view, status, in_progress=in_progress, result=result)

    # --- the supervisor board's "scheduled now" --------------------------------------------------

    def shifts_on(self, day: date) -> list[Shift]:
        """Every team's shifts of `day` (the supervisor board's shift source)."""
        return [s.shift for s in self.shifts.on_day(day)]

    def on_shift(self, at: datetime) -> set[str]:
        """`stats.ports.Roster`: the seats whose shift covers `at`."""
        return {
            s.seat_id for s in self.shifts_on(at.astimezone(CHINA_TZ).date()) if s.starts_at <= at < s.ends_at
        }


def plan_whole_days(shifts: ShiftStore, seats: Iterable[Seat], first_day: date, *, days: int = 2) -> int:
    """Idempotent: each of `seats` on a whole-day shift (00:00-24:00) on `first_day` and the
    `days - 1` days after it, unless the seat already has a shift that day (a plan edited in the
    console is kept). Returns how many shifts it added. Blocks."""
    added = 0
    for day in (first_day + timedelta(days=n) for n in range(days)):
        planned = {s.shift.seat_id for s in shifts.on_day(day)}
        for seat in seats:
            if seat.id not in planned:
                shifts.add(Shift(team_id=seat.team_id, seat_id=seat.id, day=day, start=time(0), end=MIDNIGHT))
                added += 1
    return added


class StandingRota:
    """A part: `seat_ids` on whole-day shifts of today and tomorrow (China days on `clock`), planned
    at start and again every `refresh_s`, so that a rota left running past midnight has them on."""

    def __init__(
        self,
        shifts: ShiftStore,
        seats: SeatList,
        seat_ids: Iterable[str],
        clock: Clock,
        *,
        refresh_s: float = 3600.0,
    ) -> None:
        self._shifts, self._seats, self._ids, self._clock = shifts, seats, set(seat_ids), clock
        self._ticker = Ticker("standing-rota", refresh_s, self._plan)

    def _plan_now(self) -> int:
        seats = [s for s in self._seats.all() if s.id in self._ids]
        return plan_whole_days(self._shifts, seats, self._clock.now().astimezone(CHINA_TZ).date())

    async def _plan(self) -> None:
        await offload(self._plan_now)

    async def start(self) -> None:
        await self._ticker.start(tick_first=True)

    async def stop(self) -> None:
        await self._ticker.stop()


def _outside_month(text: str, month: date) -> list[str]:
    """Lines whose date is valid but not in `month` (an import replaces exactly one month)."""
    out: list[str] = []
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or tuple(c.strip() for c in rows[0]) != CSV_HEADER:
        return out
    for line_no, row in enumerate(rows[1:], start=2):
        if not row or not row[0].strip():
            continue
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            continue  # reported by the parser
        if (day.year, day.month) != (month.year, month.month):
            out.append(f"第 {line_no} 行：日期 {day.isoformat()} 不在 {month_label(month)} 月内")
    return out
