"""Daily trends (趋势): the last 7 or 30 days, per day, from the stored calls (pure: no I/O).

Per day: offered, answered, 接通率, 15秒接通率, with `stats.kpi`'s definitions; a call counts on
the China day it was offered (a call across midnight counts the day it came in). For the whole
scope, per team (the team of the seat that held the call last, as the reports' 按团队; calls no
seat held: 未接通（无坐席）) or per queue.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from core.access import RosterSeat, Scope, TeamLike
from core.calls import CallRecord
from stats.breakdown import NO_SEAT, UNKNOWN, seat_of
from stats.kpi import SERVICE_LEVEL_SECONDS, compute_kpis, rounded_rate, sample_of
from stats.reports import china_day

TREND_DAYS = (7, 30)


class TrendGroup(enum.StrEnum):
    ALL = "all"
    TEAM = "team"
    QUEUE = "queue"


@dataclass(frozen=True, slots=True, kw_only=True)
class DayFigures:
    day: date
    offered: int
    answered: int
    answer_rate: float | None
    answer_rate_15s: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Series:
    key: str
    label: str
    days: list[DayFigures]


@dataclass(frozen=True, slots=True, kw_only=True)
class Trends:
    scope: str
    first: date
    last: date
    group: TrendGroup
    series: list[Series]


def trend_days(today: date, days: int) -> list[date]:
    """The `days` days ending with `today`, oldest first."""
    return [today - timedelta(days=days - 1 - i) for i in range(days)]


def _figures(day: date, calls: Sequence[CallRecord]) -> DayFigures:
    k = compute_kpis((sample_of(c) for c in calls), threshold_s=SERVICE_LEVEL_SECONDS)
    resolved = k.answered + k.abandoned
    return DayFigures(
        day=day,
        offered=k.offered,
        answered=k.answered,
        answer_rate=rounded_rate(k.answered, resolved),
        answer_rate_15s=rounded_rate(k.answered_in_15s, resolved),
    )


def build_trends(
    scope: Scope,
    days: Sequence[date],
    calls: Sequence[CallRecord],
    group: TrendGroup,
    teams: Sequence[TeamLike],
    seats: Sequence[RosterSeat],
) -> Trends:
    """One series per group (the whole scope: one), a point for every day (zeros on a quiet day)."""
    wanted = set(days)
    team_names: dict[str, str] = {t.id: t.name for t in teams}
    team_of_seat: dict[str, str] = {s.id: s.team_id for s in seats}
    key: Callable[[CallRecord], str]
    label: Callable[[str], str]
    if group is TrendGroup.TEAM:
        key = lambda c: team_of_seat.get(seat_of(c), "")  # noqa: E731
        label = lambda k: team_names.get(k, k) if k else NO_SEAT  # noqa: E731
    elif group is TrendGroup.QUEUE:
        key = lambda c: c.queue or ""  # noqa: E731
        label = lambda k: k or UNKNOWN  # noqa: E731
    else:
        key = lambda c: ""  # noqa: E731
        label = lambda k: scope.label  # noqa: E731
    grouped: dict[str, dict[date, list[CallRecord]]] = defaultdict(lambda: defaultdict(list))
    for c in calls:
        day = china_day(c.offered_at)
        if day in wanted and scope.sees_call(c):
            grouped[key(c)][day].append(c)
    if group is TrendGroup.ALL:
        grouped.setdefault("", defaultdict(list))
    series = [
        Series(key=k, label=label(k), days=[_figures(d, per_day.get(d, [])) for d in days])
        for k, per_day in grouped.items()
    ]
    series.sort(key=lambda s: (-sum(d.offered for d in s.days), s.key))
    return Trends(scope=scope.label, first=days[0], last=days[-1], group=group, series=series)
