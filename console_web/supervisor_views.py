"""Response models of the supervisor board's JSON routes (the OpenAPI document's schemas).

Each is built from what `stats.supervision.SupervisionService` returns: labels come from the
states' enums (`.label`), times are ISO 8601 with their offset, rates are fractions rounded to
four places, seconds to one (`Kpis.rounded`). The KPI figures are `stats.kpi.Kpis` (a report
row: `stats.reports.ReportRow`, the same with its label) as they are: pydantic reads their schema
from the dataclass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from callbacks.sla import SlaState
from console_web.views import IsoTime, from_fields
from core.access import Principal
from core.seat_events import PauseReason, SeatStatus
from seats.wrap_up import StoredWrapUpPolicy, may_set_policy
from stats.breakdown import BreakdownRow
from stats.followups import FollowUpKpis, FollowUpReport
from stats.forecast import Forecast
from stats.kpi import (
    ANSWER_RATE_TARGET,
    DEFINITIONS,
    FAST_ANSWER_SECONDS,
    FAST_ANSWER_TARGET,
    SATISFACTION_TARGET,
    SERVICE_LEVEL_SECONDS,
    SERVICE_LEVEL_TARGET,
    Kpis,
    rounded_rate,
    slot_label,
)
from stats.reports import Report, ReportRow
from stats.supervision import Overview, SeatOnBoard, SeatsNow


class LabelledCount(BaseModel):
    label: str
    count: int


class TargetsOut(BaseModel):
    answer_rate: float = ANSWER_RATE_TARGET
    satisfaction_rate: float = SATISFACTION_TARGET
    service_level: float = SERVICE_LEVEL_TARGET
    service_level_seconds: float = SERVICE_LEVEL_SECONDS
    answer_rate_15s: float = FAST_ANSWER_TARGET
    answer_rate_15s_seconds: float = FAST_ANSWER_SECONDS


class LiveOut(BaseModel):
    waiting: int
    longest_wait_seconds: float


class SeatCountsOut(BaseModel):
    scheduled: int
    online: int
    total: int
    by_state: dict[str, LabelledCount]


class BacklogOut(BaseModel):
    total: int
    by_sla: dict[str, LabelledCount]

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> BacklogOut:
        return cls(
            total=sum(counts.values()),
            by_sla={s.value: LabelledCount(label=s.label, count=counts.get(s.value, 0)) for s in SlaState},
        )


class OverviewOut(BaseModel):
    scope: str
    generated_at: IsoTime
    targets: TargetsOut
    definitions: dict[str, str]  # each figure's definition, shown beside it
    today: Kpis
    live: LiveOut
    seats: SeatCountsOut
    backlog: BacklogOut

    @classmethod
    def of(cls, o: Overview) -> OverviewOut:
        return cls(
            scope=o.scope,
            generated_at=o.at,
            targets=TargetsOut(),
            definitions=DEFINITIONS,
            today=o.today.rounded(),
            live=LiveOut(waiting=o.waiting, longest_wait_seconds=round(o.longest_wait_seconds, 1)),
            seats=from_fields(
                SeatCountsOut,
                o,
                by_state={
                    s.value: LabelledCount(label=s.label, count=n) for s, n in o.seats_by_state.items()
                },
            ),
            backlog=BacklogOut.of(o.backlog),
        )


class SeatRowOut(BaseModel):
    seat_id: str
    name: str
    team_id: str
    team_name: str
    status: SeatStatus
    status_label: str
    pause_reason: PauseReason | None
    pause_reason_label: str
    since: IsoTime | None
    seconds_in_state: int | None
    expert: bool  # 专家坐席: the board marks it 专家
    forced: str  # a supervisor put the seat in its state (班长示忙：会议（王班长）), or ""
    pending: str = ""  # a 示忙 queued for the end of the seat's call (待示忙：本通话结束后……), or ""

    @classmethod
    def of(cls, s: SeatOnBoard, now: datetime) -> SeatRowOut:
        return cls(
            **asdict(s),
            status_label=s.status.label,
            pause_reason_label=s.pause_reason.label if s.pause_reason else "",
            seconds_in_state=round((now - s.since).total_seconds()) if s.since else None,
        )


class SeatExpertIn(BaseModel):
    expert: bool  # true: an expert seat (专家坐席); false: an ordinary seat


class SeatExpertOut(BaseModel):
    seat_id: str
    name: str
    expert: bool


class SeatsOut(BaseModel):
    scope: str
    generated_at: IsoTime
    seats: list[SeatRowOut]

    @classmethod
    def of(cls, s: SeatsNow) -> SeatsOut:
        return cls(scope=s.scope, generated_at=s.at, seats=[SeatRowOut.of(x, s.at) for x in s.seats])


class SlotOut(BaseModel):
    slot: int
    label: str
    calls: float  # forecast calls offered to the queues
    traffic: float  # Erlangs
    seats: int  # seats taking calls that meet both targets (Erlang A)
    rostered: int  # seats to roster: seats / (1 - shrinkage), rounded up
    answer_rate: float  # expected with `seats`
    service_level: float  # expected share answered within 15 seconds with `seats`
    asa_seconds: float
    occupancy: float
    scheduled: int | None  # seats on the rota mid-slot (None: no rota)
    gap: int | None  # scheduled - rostered: negative is a shortfall
    actual_calls: int  # today so far
    actual_answer_rate: float | None


class ForecastTargetOut(BaseModel):
    answer_rate: float = ANSWER_RATE_TARGET
    service_level: float = FAST_ANSWER_TARGET
    seconds: float = FAST_ANSWER_SECONDS


class ForecastOut(BaseModel):
    scope: str
    date: date
    model: str  # the queueing model: Erlang A
    source: str
    source_label: str
    aht_seconds: float
    patience_seconds: float
    patience_label: str
    shrinkage: float
    gaps: int  # half hours where the rota is short
    target: ForecastTargetOut
    slots: list[SlotOut]

    @classmethod
    def of(cls, f: Forecast) -> ForecastOut:
        return cls(
            scope=f.scope,
            date=f.day,
            model="Erlang A",
            source=f.source.value,
            source_label=f.source_label,
            aht_seconds=round(f.aht_seconds, 1),
            patience_seconds=round(f.patience_seconds, 1),
            patience_label=f.patience_label,
            shrinkage=f.shrinkage,
            gaps=f.gaps,
            target=ForecastTargetOut(),
            slots=[
                SlotOut(
                    slot=i,
                    label=slot_label(i),
                    calls=round(p.staffing.calls, 1),
                    traffic=round(p.staffing.traffic, 2),
                    seats=p.staffing.seats,
                    rostered=p.staffing.rostered,
                    answer_rate=round(p.staffing.answer_rate, 4),
                    service_level=round(p.staffing.service_level, 4),
                    asa_seconds=round(p.staffing.asa_seconds, 1),
                    occupancy=round(p.staffing.occupancy, 3),
                    scheduled=p.scheduled,
                    gap=p.gap,
                    actual_calls=p.actual_calls,
                    actual_answer_rate=rounded_rate(
                        p.actual_answered, p.actual_answered + p.actual_abandoned
                    ),
                )
                for i, p in enumerate(f.slots)
            ],
        )


class _PeriodReportOut(BaseModel):
    """What every period report starts with: whose figures, which period, from and to."""

    scope: str
    period: str
    period_label: str
    start: date
    end: date


def _period_head(r: Report | FollowUpReport) -> dict[str, Any]:
    return {
        "scope": r.scope,
        "period": r.period.value,
        "period_label": r.period.label,
        "start": r.first,
        "end": r.last,
    }


class ReportOut(_PeriodReportOut):
    rows: list[ReportRow]
    total: ReportRow

    @classmethod
    def of(cls, r: Report) -> ReportOut:
        return cls(**_period_head(r), rows=[x.rounded() for x in r.rows], total=r.total.rounded())


class FollowUpReportOut(_PeriodReportOut):
    """回访统计: per team in scope and in total, of the 不满意 ratings given in the period."""

    rows: list[FollowUpKpis]
    total: FollowUpKpis

    @classmethod
    def of(cls, r: FollowUpReport) -> FollowUpReportOut:
        return cls(**_period_head(r), rows=r.rows, total=r.total)


class WrapUpPolicyIn(BaseModel):
    """话后整理延长规则：每次延长的秒数、含延长在内的最长话后整理秒数（0：不许延长）。"""

    step_s: int
    max_s: int


class WrapUpPolicyOut(BaseModel):
    step_s: int
    max_s: int
    updated_at: IsoTime | None
    updated_by: str
    may_edit: bool  # this principal may change it (the city's supervisors, admins)

    @classmethod
    def of(cls, stored: StoredWrapUpPolicy, principal: Principal) -> WrapUpPolicyOut:
        return cls(
            step_s=stored.policy.step_s,
            max_s=stored.policy.max_s,
            updated_at=stored.updated_at,
            updated_by=stored.updated_by,
            may_edit=may_set_policy(principal),
        )


class DistrictOut(BaseModel):
    code: str  # 区划代码 ("" : calls with no district)
    name: str
    kpis: Kpis


class DistrictsOut(BaseModel):
    """Today's figures per district in scope: the board's map and the wallboard."""

    generated_at: IsoTime
    targets: TargetsOut
    definitions: dict[str, str]
    districts: list[DistrictOut]

    @classmethod
    def of(cls, at: datetime, rows: list[BreakdownRow]) -> DistrictsOut:
        return cls(
            generated_at=at,
            targets=TargetsOut(),
            definitions=DEFINITIONS,
            districts=[DistrictOut(code=r.key, name=r.label, kpis=r.kpis.rounded()) for r in rows],
        )
