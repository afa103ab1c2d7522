"""Backend of the shift schedules (排班) and attendance (考勤), and the seat status log feeding it.

`subscribe_seat_log(runtime)` appends every `SeatStateChanged` to the seat status log (off the
event loop). `ScheduleConsole` implements `console_web.schedule_api.ScheduleBackend` over a started
`Runtime`; its `shifts_on` is the `ShiftSource` that `SupervisorConsole` counts "scheduled now" from.

Scope as on the supervisor board (`app.console_supervisor.Scope`): supervisors and admins read and
edit the teams they see; a seat reads its own team's plan only.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from app.runtime import Runtime
from core.access import Principal, Role, Scope
from core.bus import Subscription
from core.clock import CHINA_TZ
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.events import DomainEvent
from core.seat_events import SeatStateChanged
from seats.models import Seat, Team
from seats.schedule import CSV_HEADER, ScheduleImportError, Shift, attendance, parse_schedule_csv
from store.schedules import ScheduleRepository, SeatLogRepository, StoredShift

#: How far before a shift's start the log is read (a seat logged in early is on time).
LOOKBACK = timedelta(hours=12)


def subscribe_seat_log(runtime: Runtime, log: SeatLogRepository | None = None) -> Subscription:
    """Append every seat state change to the seat status log; call inside the running loop.

    Behind the durable journal like the other database writers: a change that arrives while the
    database is down is applied, with its own time, once it is back (attendance would otherwise
    lose the seats' sign-ins of the outage). A replay after a kill between writing and marking
    may write one row twice: the same status at the same instant, which no interval changes by."""
    repo = log or SeatLogRepository(runtime.repos.db)

    async def append(event: DomainEvent) -> None:
        if isinstance(event, SeatStateChanged):
            await asyncio.to_thread(repo.append, event.seat_id, event.team_id, event.status.value, event.at)

    name = "seat-status-log"
    return runtime.bus.subscribe(name, runtime.journals.guard(name, append), types=(SeatStateChanged,))


def _hm(t: time) -> str:
    return t.strftime("%H:%M")


def _month_label(month: date) -> str:
    return month.strftime("%Y-%m")


class ScheduleConsole:
    """`ScheduleBackend` over the shifts table and the seat status log."""

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self.shifts = ScheduleRepository(runtime.repos.db)
        self.log = SeatLogRepository(runtime.repos.db)

    # --- scope ---------------------------------------------------------------------------------

    def _context(self, principal: Principal) -> tuple[Scope, dict[str, Team], dict[str, Seat]]:
        teams = self._rt.repos.teams.all()
        seats = self._rt.repos.seats.all()
        return Scope.of(principal, teams, seats), {t.id: t for t in teams}, {s.id: s for s in seats}

    def _team(self, principal: Principal, team_id: str | None, *, edit: bool) -> tuple[Team, dict[str, Seat]]:
        scope, teams, seats = self._context(principal)
        if edit and principal.role not in (Role.SUPERVISOR, Role.ADMIN):
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
        return self._rt.clock.now().astimezone(CHINA_TZ).date()

    def _teams_json(self, principal: Principal) -> list[dict[str, str]]:
        scope, teams, _ = self._context(principal)
        return [{"id": t.id, "name": t.name} for t in teams.values() if scope.sees_team(t.id)]

    @staticmethod
    def _shift_json(stored: StoredShift, seats: dict[str, Seat]) -> dict[str, Any]:
        s = stored.shift
        seat = seats.get(s.seat_id)
        return {
            "id": stored.id,
            "team_id": s.team_id,
            "seat_id": s.seat_id,
            "seat_name": seat.name if seat else "",
            "day": s.day.isoformat(),
            "start": _hm(s.start),
            "end": _hm(s.end),
        }

    # --- plans ---------------------------------------------------------------------------------

    def month(self, principal: Principal, team_id: str | None, month: date | None) -> dict[str, Any]:
        team, seats = self._team(principal, team_id, edit=False)
        month = month or self._today().replace(day=1)
        stored = self.shifts.month(team.id, month.year, month.month)
        return {
            "team_id": team.id,
            "team_name": team.name,
            "month": _month_label(month),
            "editable": principal.role in (Role.SUPERVISOR, Role.ADMIN),
            "teams": self._teams_json(principal),
            "seats": [
                {"seat_id": s.id, "name": s.name} for s in seats.values() if s.team_id == team.id and s.active
            ],
            "shifts": [self._shift_json(s, seats) for s in stored],
        }

    def import_csv(self, principal: Principal, team_id: str, month: date, text: str) -> dict[str, Any]:
        team, seats = self._team(principal, team_id, edit=True)
        known = [s.id for s in seats.values() if s.team_id == team.id and s.active]
        problems = _outside_month(text, month)
        try:
            parsed = parse_schedule_csv(text, team.id, known_seats=known)
        except ScheduleImportError as exc:
            problems = [p for p in exc.message.split("；") if p] + problems
            parsed = []
        if problems:
            raise ScheduleImportError("；".join(problems), count=len(problems))
        imported = self.shifts.replace_month(team.id, month.year, month.month, parsed)
        return {"team_id": team.id, "month": _month_label(month), "imported": imported}

    def add_shift(
        self, principal: Principal, *, team_id: str, seat_id: str, day: date, start: time, end: time
    ) -> dict[str, Any]:
        team, seats = self._team(principal, team_id, edit=True)
        seat = seats.get(seat_id)
        if seat is None or seat.team_id != team.id or not seat.active:
            raise InvalidInput(f"坐席“{seat_id}”不属于本团队", seat_id=seat_id)
        if end <= start:
            raise InvalidInput("结束时间必须晚于开始时间")
        for other in self.shifts.on_day(day, [team.id]):
            o = other.shift
            if o.seat_id == seat.id and start < o.end and o.start < end:
                raise InvalidInput(
                    f"坐席 {seat.id} 在 {day.isoformat()} 已有 {_hm(o.start)}-{_hm(o.end)} 的班次，时间重叠"
                )
        shift = Shift(team_id=team.id, seat_id=seat.id, day=day, start=start, end=end)
        return self._shift_json(self.shifts.add(shift), seats)

    def delete_shift(self, principal: Principal, shift_id: str) -> dict[str, Any]:
        stored = self.shifts.get(shift_id)
        if stored is None:
            raise NotFound("班次不存在", shift_id=shift_id)
        _, seats = self._team(principal, stored.shift.team_id, edit=True)
        self.shifts.delete(shift_id)
        return self._shift_json(stored, seats)

    # --- attendance ----------------------------------------------------------------------------

    def attendance(self, principal: Principal, team_id: str | None, day: date | None) -> dict[str, Any]:
        if principal.role not in (Role.SUPERVISOR, Role.ADMIN):
            raise PermissionDenied("仅班长和管理员可以查看考勤")
        team, seats = self._team(principal, team_id, edit=False)
        day = day or self._today()
        now = self._rt.clock.now()
        rows = [self._attendance_row(s, seats, now) for s in self.shifts.on_day(day, [team.id])]
        return {"team_id": team.id, "team_name": team.name, "date": day.isoformat(), "rows": rows}

    def _attendance_row(self, stored: StoredShift, seats: dict[str, Seat], now: datetime) -> dict[str, Any]:
        shift = stored.shift
        row = self._shift_json(stored, seats) | {"planned": f"{_hm(shift.start)}-{_hm(shift.end)}"}
        if now < shift.starts_at:
            return row | {"status": "未开始", "late_minutes": 0, "online_minutes": 0, "in_progress": False}
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
        return row | {
            "status": status,
            "late_minutes": round(result.late_minutes, 1),
            "left_early_minutes": round(result.left_early_minutes, 1),
            "online_minutes": round(result.online_minutes, 1),
            "in_progress": in_progress,
        }

    # --- the supervisor board's "scheduled now" --------------------------------------------------

    def shifts_on(self, day: date) -> list[Shift]:
        """`app.console_supervisor.ShiftSource`: every team's shifts of `day`."""
        return [s.shift for s in self.shifts.on_day(day)]

    def scheduled_now(self, team_ids: Iterable[str] | None, now: datetime) -> int:
        """Seats on a shift at `now` (of the given teams, or of all)."""
        teams: Sequence[str] | None = list(team_ids) if team_ids is not None else None
        today = now.astimezone(CHINA_TZ).date()
        on = {
            s.shift.seat_id
            for s in self.shifts.on_day(today, teams)
            if s.shift.starts_at <= now < s.shift.ends_at
        }
        return len(on)


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
            out.append(f"第 {line_no} 行：日期 {day.isoformat()} 不在 {_month_label(month)} 月内")
    return out
