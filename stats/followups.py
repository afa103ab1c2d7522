"""回访 figures (pure): how many 不满意 ratings were followed up, and how callers felt after.

* 回访率 follow-up rate = follow-ups done / 不满意 ratings, the ratings of the period (a rating
  counts in the period it was given, its follow-up with it, whenever it was done);
* 回访后满意率 satisfaction after follow-up = (满意 + 基本满意) / reached follow-ups with a rating.

A rating belongs to its seat's team (the team whose supervisor follows it up); the scope counts
the ratings given to its seats (a city-wide scope: every one). Rows: one per team the scope sees,
then the total (the city, for a city-wide scope). A rate with no denominator is None, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from core.access import RosterSeat, Scope, TeamLike
from stats.kpi import rounded_rate
from stats.models import FollowUpFigure, Satisfaction, SurveyAnswer
from stats.reports import Period


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUpKpis:
    label: str
    team_id: str | None
    dissatisfied: int  # 不满意评价数
    followed_up: int  # 已回访
    follow_up_rate: float | None  # 回访率
    reached: int  # 已联系上
    rated_after: int  # 回访后作出评价
    satisfied_after: int  # 回访后满意或基本满意
    satisfaction_after_rate: float | None  # 回访后满意率


def follow_up_kpis(
    label: str, team_id: str | None, dissatisfied: int, figures: Sequence[FollowUpFigure]
) -> FollowUpKpis:
    done = [f for f in figures if f.done]
    rated = [f for f in done if f.reached and f.after is not None]
    satisfied = sum(1 for f in rated if f.after is not Satisfaction.DISSATISFIED)
    return FollowUpKpis(
        label=label,
        team_id=team_id,
        dissatisfied=dissatisfied,
        followed_up=len(done),
        follow_up_rate=rounded_rate(len(done), dissatisfied),
        reached=sum(1 for f in done if f.reached),
        rated_after=len(rated),
        satisfied_after=satisfied,
        satisfaction_after_rate=rounded_rate(satisfied, len(rated)),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUpReport:
    scope: str
    period: Period
    first: date
    last: date
    rows: list[FollowUpKpis]  # one per team in scope
    total: FollowUpKpis


def build_follow_up_report(
    scope: Scope,
    period: Period,
    day: date,
    teams: Sequence[TeamLike],
    seats: Sequence[RosterSeat],
    answers: Sequence[SurveyAnswer],
    figures: Sequence[FollowUpFigure],
) -> FollowUpReport:
    """From the survey answers and follow-ups of `report_span(period, day)`."""
    team_of = {s.id: s.team_id for s in seats}

    def mine(seat_id: str | None) -> bool:
        return scope.citywide or (seat_id is not None and seat_id in scope.seat_ids)

    unsatisfied = [a for a in answers if a.score is Satisfaction.DISSATISFIED and mine(a.seat_id)]
    followed = [f for f in figures if mine(f.seat_id)]
    rows = []
    for team in teams:
        if not scope.sees_team(team.id):
            continue
        count = sum(1 for a in unsatisfied if a.seat_id is not None and team_of.get(a.seat_id) == team.id)
        own = [f for f in followed if f.seat_id is not None and team_of.get(f.seat_id) == team.id]
        rows.append(follow_up_kpis(team.name, team.id, count, own))
    total_label = "全市合计" if scope.citywide else "合计"
    first, last = period.days(day)
    return FollowUpReport(
        scope=scope.label,
        period=period,
        first=first,
        last=last,
        rows=rows,
        total=follow_up_kpis(total_label, None, len(unsatisfied), followed),
    )
