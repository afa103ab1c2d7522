"""A period's figures broken down by district, team, seat, queue and legal category (pure: no I/O).

The XLSX report (报表下载) and the board's district map read this. Each row is `stats.kpi.Kpis`
over the calls of one key, by the same definitions as the board and the period report, so a
breakdown's rows add up to the period's total in counts (a call with no key, e.g. no district,
goes under 未知 / 未接通 rather than disappearing). Which seat a call counts for: the seat that
held it last (`final_seat_id`, else the first seat that answered), so a transferred call counts for
the seat that finished it; its team is that seat's team. Survey answers count for the row of the
call they rate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.access import RosterSeat, Scope, TeamLike
from core.calls import CallRecord
from routing.districts import DISTRICTS
from routing.queues import LegalCategory
from stats.hot_topics import HotTopics
from stats.kpi import SERVICE_LEVEL_SECONDS, Kpis, compute_kpis, sample_of
from stats.models import SurveyAnswer
from stats.reports import Report, china_day

UNKNOWN = "未知"
NO_SEAT = "未接通"


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakdownRow:
    key: str  # the district code, team id, seat id, queue name or category code ("" when none)
    label: str  # what the row is called in Chinese
    kpis: Kpis


@dataclass(frozen=True, slots=True, kw_only=True)
class Breakdown:
    """A period report with the same period's figures by each dimension."""

    report: Report
    by_district: list[BreakdownRow]
    by_team: list[BreakdownRow]
    by_seat: list[BreakdownRow]
    by_queue: list[BreakdownRow]
    by_category: list[BreakdownRow]
    hot: HotTopics | None = None  # 热点 (`stats.hot_topics`), where the caller read them

    @property
    def dimensions(self) -> list[tuple[str, list[BreakdownRow]]]:
        """(sheet title, rows) in the order the workbook shows them."""
        return [
            ("按区", self.by_district),
            ("按团队", self.by_team),
            ("按坐席", self.by_seat),
            ("按队列", self.by_queue),
            ("按法律类别", self.by_category),
        ]


def _group(
    calls: Sequence[CallRecord],
    scores_of: dict[str, list[int]],
    key: Callable[[CallRecord], str],
    label: Callable[[str], str],
    wrap_up_s: float,
) -> list[BreakdownRow]:
    groups: dict[str, list[CallRecord]] = defaultdict(list)
    for c in calls:
        groups[key(c)].append(c)
    rows = [
        BreakdownRow(
            key=k,
            label=label(k),
            kpis=compute_kpis(
                (sample_of(c) for c in mine),
                [s for c in mine for s in scores_of.get(c.id, ())],
                threshold_s=SERVICE_LEVEL_SECONDS,
                wrap_up_s=wrap_up_s,
            ),
        )
        for k, mine in groups.items()
    ]
    return sorted(rows, key=lambda r: (-r.kpis.offered, r.key))


def district_rows(
    scope: Scope, calls: Sequence[CallRecord], answers: Sequence[SurveyAnswer], *, wrap_up_s: float
) -> list[BreakdownRow]:
    """The figures per district of the calls `scope` sees (the board's map and wallboard)."""
    scores_of: dict[str, list[int]] = defaultdict(list)
    for a in answers:
        scores_of[a.call_id].append(int(a.score))
    mine = [c for c in calls if scope.sees_call(c)]
    return _group(
        mine, scores_of, lambda c: c.district_code or "", lambda k: DISTRICTS.get(k, k or UNKNOWN), wrap_up_s
    )


def seat_of(call: CallRecord) -> str:
    """The seat a call counts for: the one that held it last."""
    return call.final_seat_id or call.seat_id or ""


def build_breakdown(
    scope: Scope,
    report: Report,
    calls: Sequence[CallRecord],
    answers: Sequence[SurveyAnswer],
    teams: Sequence[TeamLike],
    seats: Sequence[RosterSeat],
    *,
    wrap_up_s: float,
) -> Breakdown:
    """The breakdowns of the calls of `report`'s period that `scope` sees."""
    mine = [c for c in calls if scope.sees_call(c) and report.first <= china_day(c.offered_at) <= report.last]
    scores_of: dict[str, list[int]] = defaultdict(list)
    for a in answers:
        scores_of[a.call_id].append(int(a.score))
    team_names: dict[str, str] = {t.id: t.name for t in teams}
    seat_names: dict[str, str] = {s.id: s.name for s in seats}
    team_of_seat: dict[str, str] = {s.id: s.team_id for s in seats}

    def seat_label(k: str) -> str:
        return f"{seat_names.get(k, k)}（{k}）" if k else NO_SEAT

    def team_key(c: CallRecord) -> str:
        return team_of_seat.get(seat_of(c), "")

    return Breakdown(
        report=report,
        by_district=_group(
            mine,
            scores_of,
            lambda c: c.district_code or "",
            lambda k: DISTRICTS.get(k, k or UNKNOWN),
            wrap_up_s,
        ),
        by_team=_group(
            mine, scores_of, team_key, lambda k: team_names.get(k, k) if k else NO_SEAT, wrap_up_s
        ),
        by_seat=_group(mine, scores_of, seat_of, seat_label, wrap_up_s),
        by_queue=_group(mine, scores_of, lambda c: c.queue or "", lambda k: k or UNKNOWN, wrap_up_s),
        by_category=_group(
            mine,
            scores_of,
            lambda c: c.category or "",
            lambda k: LegalCategory.label_of(k) if k else UNKNOWN,
            wrap_up_s,
        ),
    )
