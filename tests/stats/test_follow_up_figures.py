"""回访率 and the satisfaction after follow-up (stats.followups), from the figures alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from core.access import Principal, Role, Scope
from core.ids import CallId, SeatId, TeamId, UserId
from stats.followups import build_follow_up_report, follow_up_kpis
from stats.models import FollowUpFigure, Satisfaction, SurveyAnswer
from stats.reports import Period

AT = datetime(2026, 11, 25, 3, tzinfo=UTC)


@dataclass(frozen=True)
class T:
    id: TeamId
    name: str
    district_code: str | None = None


@dataclass(frozen=True)
class S:
    id: SeatId
    team_id: TeamId
    name: str = ""
    active: bool = True


def figure(
    call: str, seat: str, *, done: bool, reached: bool = False, after: Satisfaction | None = None
) -> FollowUpFigure:
    return FollowUpFigure(
        call_id=CallId(call), seat_id=SeatId(seat), team_id=None, done=done, reached=reached, after=after
    )


def unsatisfied(call: str, seat: str) -> SurveyAnswer:
    return SurveyAnswer(call_id=CallId(call), seat_id=SeatId(seat), score=Satisfaction.DISSATISFIED, at=AT)


def test_the_rate_counts_done_follow_ups_and_the_satisfaction_only_reached_rated_ones() -> None:
    figures = [
        figure("c1", "1001", done=True, reached=True, after=Satisfaction.SATISFIED),
        figure("c2", "1001", done=True, reached=True, after=Satisfaction.DISSATISFIED),
        figure("c3", "1001", done=True, reached=False),  # 联系不上 after the retries: done, no rating
        figure("c4", "1001", done=False),
    ]
    k = follow_up_kpis("静安", "team-a", 5, figures)
    assert (k.followed_up, k.follow_up_rate, k.reached, k.rated_after, k.satisfied_after) == (3, 0.6, 2, 2, 1)
    assert k.satisfaction_after_rate == 0.5


def test_with_nothing_to_count_the_rates_are_none_not_zero() -> None:
    k = follow_up_kpis("合计", None, 0, [])
    assert k.follow_up_rate is None and k.satisfaction_after_rate is None


def test_rows_per_team_in_scope_and_a_city_total() -> None:
    teams = [
        T(TeamId("team-a"), "静安区坐席团队", "310106"),
        T(TeamId("team-b"), "浦东新区坐席团队", "310115"),
    ]
    seats = [S(SeatId("1001"), TeamId("team-a")), S(SeatId("1003"), TeamId("team-b"))]
    answers = [
        unsatisfied("c1", "1001"),
        unsatisfied("c2", "1001"),
        unsatisfied("c3", "1003"),
        SurveyAnswer(call_id=CallId("c9"), seat_id=SeatId("1001"), score=Satisfaction.SATISFIED, at=AT),
    ]
    figures = [
        figure("c1", "1001", done=True, reached=True, after=Satisfaction.FAIRLY_SATISFIED),
        figure("c3", "1003", done=False),
    ]
    city = Scope.of(
        Principal(user_id=UserId("u"), username="banzhang", display_name="市级班长", role=Role.SUPERVISOR),
        teams,
        seats,
    )
    report = build_follow_up_report(city, Period.MONTH, date(2026, 11, 25), teams, seats, answers, figures)
    rows = {r.team_id: r for r in report.rows}
    assert (
        rows["team-a"].dissatisfied,
        rows["team-a"].follow_up_rate,
        rows["team-a"].satisfaction_after_rate,
    ) == (2, 0.5, 1.0)
    assert (rows["team-b"].dissatisfied, rows["team-b"].follow_up_rate) == (1, 0.0)
    assert (report.total.label, report.total.dissatisfied, report.total.followed_up) == ("全市合计", 3, 1)
    assert (report.first, report.last) == (date(2026, 11, 1), date(2026, 11, 30))
    district = Scope.of(
        Principal(
            user_id=UserId("j"),
            username="jingan",
            display_name="静安区班长",
            role=Role.SUPERVISOR,
            scope_district_code="310106",
        ),
        teams,
        seats,
    )
    mine = build_follow_up_report(district, Period.MONTH, date(2026, 11, 25), teams, seats, answers, figures)
    assert [r.team_id for r in mine.rows] == ["team-a"] and mine.total.dissatisfied == 2
