"""The JSON of the shift schedules and attendance (`/api/schedule*`), from `seats.rota`'s views."""

from __future__ import annotations

from pydantic import BaseModel

from console_web.views import TeamOption
from seats.rota import AttendanceDay, AttendanceRow, MonthImport, MonthPlan, ShiftView, month_label
from seats.schedule import end_text


class ShiftOut(BaseModel):
    id: str
    team_id: str
    seat_id: str
    seat_name: str
    day: str
    start: str
    end: str

    @classmethod
    def of(cls, view: ShiftView) -> ShiftOut:
        s = view.stored.shift
        return cls(
            id=view.stored.id,
            team_id=s.team_id,
            seat_id=s.seat_id,
            seat_name=view.seat_name,
            day=s.day.isoformat(),
            start=s.start.strftime("%H:%M"),
            end=end_text(s.end),
        )


class PlannableSeat(BaseModel):
    seat_id: str
    name: str


class MonthOut(BaseModel):
    team_id: str
    team_name: str
    month: str
    editable: bool
    teams: list[TeamOption]
    seats: list[PlannableSeat]
    shifts: list[ShiftOut]

    @classmethod
    def of(cls, plan: MonthPlan) -> MonthOut:
        return cls(
            team_id=plan.team.id,
            team_name=plan.team.name,
            month=month_label(plan.month),
            editable=plan.editable,
            teams=[TeamOption(id=t.id, name=t.name) for t in plan.teams],
            seats=[PlannableSeat(seat_id=s.id, name=s.name) for s in plan.seats],
            shifts=[ShiftOut.of(s) for s in plan.shifts],
        )


class MonthImportOut(BaseModel):
    team_id: str
    month: str
    imported: int

    @classmethod
    def of(cls, result: MonthImport) -> MonthImportOut:
        return cls(team_id=result.team_id, month=month_label(result.month), imported=result.imported)


class AttendanceRowOut(ShiftOut):
    planned: str
    status: str
    late_minutes: float
    left_early_minutes: float
    online_minutes: float
    in_progress: bool

    @classmethod
    def of_row(cls, row: AttendanceRow) -> AttendanceRowOut:
        shift = ShiftOut.of(row.shift)
        r = row.result
        return cls(
            **shift.model_dump(),
            planned=f"{shift.start}-{shift.end}",
            status=row.status,
            late_minutes=round(r.late_minutes, 1) if r else 0,
            left_early_minutes=round(r.left_early_minutes, 1) if r else 0,
            online_minutes=round(r.online_minutes, 1) if r else 0,
            in_progress=row.in_progress,
        )


class AttendanceOut(BaseModel):
    team_id: str
    team_name: str
    date: str
    rows: list[AttendanceRowOut]

    @classmethod
    def of(cls, day: AttendanceDay) -> AttendanceOut:
        return cls(
            team_id=day.team.id,
            team_name=day.team.name,
            date=day.day.isoformat(),
            rows=[AttendanceRowOut.of_row(r) for r in day.rows],
        )
