"""Shift schedules (排班) and attendance (考勤): the /schedule page and its API.

The composition root puts an object satisfying `ScheduleBackend` on `app.state.schedule_backend`.
Supervisors and admins read and edit the plans of the teams in their scope (a district supervisor:
their district's teams); a seat reads its own team's plan. A CSV import replaces the team's month
and is all or nothing: a file with bad lines is refused with 422 and `errors` lists every line.
Attendance compares a day's shifts with the seats' logged-in periods.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from console_web.deps import AppService, add_page, audit, import_refused, parse_day, uploaded_csv
from console_web.routes import Acting, User
from console_web.schedule_views import AttendanceOut, MonthImportOut, MonthOut, ShiftOut
from core.blocking import offload
from core.errors import InvalidInput
from seats.rota import Rota
from seats.schedule import ScheduleImportError, parse_end

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


ScheduleBackend = Rota  # the service itself: one signature, no Protocol copy of it


class ShiftForm(BaseModel):
    team_id: str = Field(min_length=1, max_length=64)
    seat_id: str = Field(min_length=1, max_length=64)
    day: str = Field(min_length=10, max_length=10)
    start: str = Field(min_length=4, max_length=8)
    end: str = Field(min_length=4, max_length=8)


schedule_backend = AppService[ScheduleBackend]("schedule_backend", "排班服务尚未启动")


def parse_month(text: str | None) -> date | None:
    if not text:
        return None
    m = _MONTH.match(text.strip())
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise InvalidInput("月份格式应为 YYYY-MM", month=text)
    return date(int(m.group(1)), int(m.group(2)), 1)


def _parse_time(text: str, parse: Callable[[str], time] = time.fromisoformat) -> time:
    try:
        return parse(text.strip())
    except ValueError:
        raise InvalidInput("时间格式应为 HH:MM", time=text) from None


def build_schedule_router() -> APIRouter:
    router = APIRouter()

    add_page(router, "/schedule", "schedule.html")

    @router.get("/api/schedule")
    def month(auth: User, request: Request, team: str | None = None, month: str | None = None) -> MonthOut:
        return MonthOut.of(schedule_backend(request).month(auth.principal, team or None, parse_month(month)))

    @router.post("/api/schedule/import", response_model=MonthImportOut)
    async def import_csv(
        auth: Acting, request: Request, team: str = "", month: str = ""
    ) -> MonthImportOut | JSONResponse:
        chosen = parse_month(month)
        if not team or chosen is None:
            raise InvalidInput("请选择团队和月份")
        text = await uploaded_csv(request)
        try:
            result = await offload(schedule_backend(request).import_csv, auth.principal, team, chosen, text)
        except ScheduleImportError as exc:
            return import_refused(exc, "排班表", [e for e in exc.message.split("；") if e])
        await offload(
            audit,
            request,
            auth,
            "schedule.import",
            team,
            {"month": chosen.strftime("%Y-%m"), "shifts": result.imported},
        )
        return MonthImportOut.of(result)

    @router.post("/api/schedule/shifts")
    def add_shift(form: ShiftForm, auth: Acting, request: Request) -> ShiftOut:
        day = parse_day(form.day)
        assert day is not None
        shift = ShiftOut.of(
            schedule_backend(request).add_shift(
                auth.principal,
                team_id=form.team_id,
                seat_id=form.seat_id,
                day=day,
                start=_parse_time(form.start),
                end=_parse_time(form.end, parse_end),  # 24:00: until midnight
            )
        )
        audit(request, auth, "schedule.shift.add", shift.id, form.model_dump())
        return shift

    @router.delete("/api/schedule/shifts/{shift_id}")
    def delete_shift(shift_id: str, auth: Acting, request: Request) -> ShiftOut:
        removed = ShiftOut.of(schedule_backend(request).delete_shift(auth.principal, shift_id))
        audit(request, auth, "schedule.shift.delete", shift_id, removed.model_dump())
        return removed

    @router.get("/api/schedule/attendance")
    def attendance(
        auth: User, request: Request, team: str | None = None, date: str | None = None
    ) -> AttendanceOut:
        return AttendanceOut.of(
            schedule_backend(request).attendance(auth.principal, team or None, parse_day(date))
        )

    return router
