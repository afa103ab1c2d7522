"""Daily, weekly and monthly reports (日报、周报、月报) and the KPIs of one scope (pure: no I/O).

A report covers China calendar days: a daily report has one row per hour, a weekly one (Monday to
Sunday) and a monthly one a row per day, and each has a total row. What a scope counts: the calls
it sees (`core.access.Scope.sees_call`), and the survey answers about those calls or given to its
seats (a city-wide scope counts every answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from core.access import Scope
from core.calls import CallRecord
from core.clock import CHINA_TZ
from core.labels import LabelledEnum
from stats.kpi import SERVICE_LEVEL_SECONDS, Kpis, compute_kpis, sample_of
from stats.models import SurveyAnswer


def china_day_start(day: date) -> datetime:
    """Midnight China time at the start of `day`."""
    return datetime.combine(day, time(0), CHINA_TZ)


def china_day(at: datetime) -> date:
    return at.astimezone(CHINA_TZ).date()


def scoped_kpis(
    scope: Scope, calls: Sequence[CallRecord], answers: Sequence[SurveyAnswer], *, wrap_up_s: float
) -> Kpis:
    """The KPIs of the calls and survey answers given that `scope` sees."""
    mine = [c for c in calls if scope.sees_call(c)]
    ids = {c.id for c in mine}
    scores = [
        int(a.score)
        for a in answers
        if scope.citywide or a.call_id in ids or (a.seat_id is not None and a.seat_id in scope.seat_ids)
    ]
    return compute_kpis(
        (sample_of(c) for c in mine), scores, threshold_s=SERVICE_LEVEL_SECONDS, wrap_up_s=wrap_up_s
    )


class Period(LabelledEnum):
    DAY = "day", "日报"
    WEEK = "week", "周报"
    MONTH = "month", "月报"

    def days(self, day: date) -> tuple[date, date]:
        """The first and last day of the period holding `day`."""
        if self is Period.DAY:
            return day, day
        if self is Period.WEEK:
            first = day - timedelta(days=day.weekday())
            return first, first + timedelta(days=6)
        first = day.replace(day=1)
        return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Bucket:
    """One row of a report: [start, end)."""

    label: str
    start: datetime
    end: datetime


def buckets(period: Period, day: date) -> list[Bucket]:
    first, last = period.days(day)
    if period is Period.DAY:
        midnight = china_day_start(day)
        return [
            Bucket(
                label=f"{h:02d}:00-{h + 1:02d}:00",
                start=midnight + timedelta(hours=h),
                end=midnight + timedelta(hours=h + 1),
            )
            for h in range(24)
        ]
    return [
        Bucket(label=d.isoformat(), start=china_day_start(d), end=china_day_start(d + timedelta(days=1)))
        for d in (first + timedelta(days=i) for i in range((last - first).days + 1))
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportRow(Kpis):
    label: str

    @classmethod
    def of(cls, label: str, kpis: Kpis) -> ReportRow:
        return cls(label=label, **asdict(kpis))


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    scope: str  # the scope's label
    period: Period
    first: date
    last: date
    rows: list[ReportRow]
    total: ReportRow


def report_span(period: Period, day: date) -> tuple[datetime, datetime]:
    """[start, end) of the period holding `day`: what a report reads."""
    first, last = period.days(day)
    return china_day_start(first), china_day_start(last + timedelta(days=1))


def build_report(
    scope: Scope,
    period: Period,
    day: date,
    calls: Sequence[CallRecord],
    answers: Sequence[SurveyAnswer],
    *,
    wrap_up_s: float,
) -> Report:
    """The report of `period` holding `day` from the calls and answers of `report_span(period, day)`."""
    rows = [
        ReportRow.of(
            b.label,
            scoped_kpis(
                scope,
                [c for c in calls if b.start <= c.offered_at < b.end],
                [a for a in answers if b.start <= a.at < b.end],
                wrap_up_s=wrap_up_s,
            ),
        )
        for b in buckets(period, day)
    ]
    first, last = period.days(day)
    total = ReportRow.of("合计", scoped_kpis(scope, calls, answers, wrap_up_s=wrap_up_s))
    return Report(scope=scope.label, period=period, first=first, last=last, rows=rows, total=total)
