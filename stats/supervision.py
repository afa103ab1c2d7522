"""The supervisor board (班长监控台): the day's KPIs, the seats now, the backlog, forecast, reports.

`SupervisionService` answers the console's supervisor routes. The day's figures and the reports
come from the calls table (durable, the same in every web worker); the "now" (waiting callers,
seat states) from a `LiveBoard` fed by the bus through `follow`.

I/O model: every port call blocks (a database read) and goes through `core.blocking.offload`;
the live board is owned by the loop and read on it, never from a worker thread.

What a principal sees is `core.access.Scope` (its teams, their seats, its district's calls).

The day's figures of a scope are kept for `cache_s` seconds (wall time), so that a burst of
re-fetches (every open board refreshes every 15 s) reads the database once: concurrent requests
share one read, and an event that changes the figures (a call queued, answered, abandoned,
ended, reconciled, a survey answer) or a new China day starts a new read. The trail recorder may
store such an event a moment after this service hears of it, so a figure can lag by `cache_s` at
the most.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Protocol

from core.access import Principal, Role, RosterSeat, Scope, TeamLike
from core.blocking import offload
from core.call_events import (
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallQueued,
    CallReconciled,
    CallTimedOut,
    CallTransferred,
)
from core.call_view import CallViews
from core.calls import CallRecord
from core.clock import Clock
from core.errors import PermissionDenied
from core.events import DomainEvent
from core.ivr_events import SurveyAnswered
from core.seat_events import PauseReason, SeatStatus
from stats.board_live import LiveGroups, Membership, live_groups
from stats.breakdown import Breakdown, BreakdownRow, build_breakdown, district_rows
from stats.followups import FollowUpReport, build_follow_up_report
from stats.forecast import DEFAULT_SHRINKAGE, Forecast, build_forecast, history_span, slot_middles
from stats.hot_topics import HotTopics, Segmenter, build_hot_topics, previous_span
from stats.kpi import Kpis
from stats.live import LiveBoard
from stats.ports import (
    Backlog,
    CallHistory,
    Directory,
    FollowUpHistory,
    RecordTexts,
    Roster,
    SeatFlags,
    SurveyHistory,
)
from stats.reports import Period, Report, build_report, china_day, china_day_start, report_span, scoped_kpis
from stats.trends import TrendGroup, Trends, build_trends, trend_days

ROTA_CACHE_S = 30.0  # the directory and who is on the rota, for the live views: read at most this often

DAY_FIGURES_CACHE_S = 5.0

# Events after which the day's figures in the database differ.
_DAY_FIGURE_EVENTS = (
    CallQueued,
    CallAnswered,
    CallAbandoned,
    CallTimedOut,
    CallEnded,
    CallTransferred,
    CallReconciled,
    SurveyAnswered,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Overview:
    scope: str  # the scope's label
    at: datetime
    today: Kpis  # since midnight China time
    waiting: int
    longest_wait_seconds: float
    scheduled: int  # seats on a shift now
    online: int  # active seats not offline
    total: int  # active seats
    seats_by_state: dict[SeatStatus, int]
    backlog: dict[str, int]  # open work orders by SLA state value


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatOnBoard:
    seat_id: str
    name: str
    team_id: str
    team_name: str
    status: SeatStatus
    pause_reason: PauseReason | None
    since: datetime | None
    expert: bool = False  # 专家坐席
    forced: str = ""  # a supervisor put the seat in its state: 班长示忙：会议（王班长）
    pending: str = ""  # a 示忙 queued for the end of the seat's call (seats.steer)


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatsNow:
    scope: str
    at: datetime
    seats: list[SeatOnBoard]


@dataclass(frozen=True, slots=True)
class _Cached:
    generation: int
    expires: float
    task: asyncio.Future[Kpis]


@dataclass(frozen=True, slots=True)
class _LiveContext:
    """The directory and who is on the rota, as the live per-queue / per-team views last read them."""

    expires: float
    teams: list[TeamLike]
    seats: list[RosterSeat]
    on_rota: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Staff:
    scheduled: int
    backlog: dict[str, int]


class BoardSeat(Protocol):
    """One seat's state on the seat board (`seats.state.SeatState`)."""

    @property
    def seat_id(self) -> str: ...

    @property
    def team_id(self) -> str: ...

    @property
    def status(self) -> SeatStatus: ...

    @property
    def since(self) -> datetime | None: ...

    @property
    def pause_reason(self) -> PauseReason | None: ...


def seeded_live_board(calls: CallViews, seats: Iterable[BoardSeat]) -> LiveBoard:
    """A live board over the calls' read model, holding the seat states now: read on the loop,
    then let the bus keep it (`SupervisionService.follow`)."""
    live = LiveBoard(calls)
    for st in seats:
        live.seed_seat(st.seat_id, st.team_id, st.status, st.since, st.pause_reason)
    return live


@dataclass(eq=False, kw_only=True)
class SupervisionService:
    """The supervisor board's use cases over the stats ports; build it inside the running loop and
    subscribe `follow` to the bus. `roster` None: nobody counts as scheduled."""

    clock: Clock
    directory: Directory
    calls: CallHistory
    surveys: SurveyHistory
    backlog: Backlog
    live: LiveBoard
    roster: Roster | None = None
    flags: SeatFlags | None = None  # where an admin makes a seat an expert seat (None: nowhere)
    follow_ups: FollowUpHistory | None = None  # None: no 回访 kept (every rating counts as not followed up)
    records: RecordTexts | None = None  # the consultation records' texts (热点); None: no words
    segment: Segmenter | None = None  # their words (热点, `knowledge.segment`); None: no words
    wrap_up_s: float = 0.0
    shrinkage: float = DEFAULT_SHRINKAGE  # the forecast's: share of rostered time not taking calls
    cache_s: float = DAY_FIGURES_CACHE_S
    membership: Membership | None = None  # seat -> its queues now (None: queues show no seat counts)
    monotonic: Callable[[], float] = time.monotonic
    _generation: int = field(default=0, init=False)
    _cache: dict[tuple[Scope, date], _Cached] = field(default_factory=dict, init=False)
    _live_ctx: _LiveContext | None = field(default=None, init=False)
    _seeded_day: date | None = field(default=None, init=False)

    async def follow(self, event: DomainEvent) -> None:
        """Bus handler: the live board, and the day's figures read afresh after a call event."""
        self.live.apply(event)
        if isinstance(event, _DAY_FIGURE_EVENTS):
            self._generation += 1

    # --- reads (on a worker thread) ---------------------------------------------------------------

    def _scope(self, principal: Principal) -> tuple[Scope, Sequence[TeamLike], list[RosterSeat]]:
        """What `principal` sees, over every team and seat of the directory (read once)."""
        teams = self.directory.teams()
        seats = list(self.directory.seats())
        return Scope.of(principal, teams, seats), teams, seats

    def _read_day(self, scope: Scope, now: datetime) -> Kpis:
        start = china_day_start(china_day(now))
        end = now + timedelta(seconds=1)  # `between` excludes its end: keep what happened this second
        return scoped_kpis(
            scope,
            self.calls.between(start, end),
            self.surveys.between(start, end),
            wrap_up_s=self.wrap_up_s,
        )

    def _read_board(self, principal: Principal, now: datetime) -> tuple[Scope, list[RosterSeat], _Staff]:
        scope, _, seats = self._scope(principal)
        on = self.roster.on_shift(now) if self.roster is not None else ()
        backlog = Counter(sla for team, sla in self.backlog.open_orders(now) if scope.sees_team(team))
        staff = _Staff(
            scheduled=sum(1 for sid in set(on) if scope.citywide or sid in scope.seat_ids),
            backlog=dict(backlog),
        )
        return scope, seats, staff

    def _read_report(self, principal: Principal, period: Period, day: date) -> Report:
        scope, _, _ = self._scope(principal)
        start, end = report_span(period, day)
        calls, answers = self.calls.between(start, end), self.surveys.between(start, end)
        return build_report(scope, period, day, calls, answers, wrap_up_s=self.wrap_up_s)

    def _read_breakdown(self, principal: Principal, period: Period, day: date) -> Breakdown:
        scope, teams, seats = self._scope(principal)
        start, end = report_span(period, day)
        calls, answers = self.calls.between(start, end), self.surveys.between(start, end)
        report = build_report(scope, period, day, calls, answers, wrap_up_s=self.wrap_up_s)
        breakdown = build_breakdown(scope, report, calls, answers, teams, seats, wrap_up_s=self.wrap_up_s)
        return replace(breakdown, hot=self._hot_topics(scope, report.first, report.last, calls))

    def _hot_topics(self, scope: Scope, first: date, last: date, calls: Sequence[CallRecord]) -> HotTopics:
        """热点: `calls` are the period's; the previous period's are read here."""
        prev_first, _ = previous_span(first, last)
        earlier = self.calls.between(china_day_start(prev_first), china_day_start(first))
        end = china_day_start(last + timedelta(days=1))
        records = self.records.of_calls_between(china_day_start(first), end) if self.records else ()
        return build_hot_topics(scope, first, last, [*earlier, *calls], records, self.segment)

    def _read_districts(self, principal: Principal, now: datetime) -> list[BreakdownRow]:
        scope, _, _ = self._scope(principal)
        start, end = china_day_start(china_day(now)), now + timedelta(seconds=1)
        return district_rows(
            scope, self.calls.between(start, end), self.surveys.between(start, end), wrap_up_s=self.wrap_up_s
        )

    def _read_follow_ups(self, principal: Principal, period: Period, day: date) -> FollowUpReport:
        scope, teams, seats = self._scope(principal)
        start, end = report_span(period, day)
        figures = self.follow_ups.between(start, end) if self.follow_ups is not None else ()
        return build_follow_up_report(
            scope, period, day, teams, seats, self.surveys.between(start, end), figures
        )

    def _read_forecast(self, principal: Principal, day: date, now: datetime) -> Forecast:
        scope, _, _ = self._scope(principal)
        calls = self.calls.between(*history_span(day))
        today = self.calls.between(china_day_start(day), now + timedelta(seconds=1))
        scheduled = None
        if self.roster is not None:
            scheduled = [
                sum(1 for sid in set(self.roster.on_shift(at)) if scope.citywide or sid in scope.seat_ids)
                for at in slot_middles(day)
            ]
        return build_forecast(
            scope,
            day,
            calls,
            wrap_up_s=self.wrap_up_s,
            shrinkage=self.shrinkage,
            scheduled=scheduled,
            today=today,
        )

    # --- the day's figures, shared by a burst of requests ----------------------------------------

    async def _day_figures(self, scope: Scope, now: datetime) -> Kpis:
        key = (scope, china_day(now))
        tick = self.monotonic()
        hit = self._cache.get(key)
        if hit is None or hit.generation != self._generation or tick >= hit.expires:
            self._cache = {k: v for k, v in self._cache.items() if v.expires > tick and k[1] == key[1]}
            hit = _Cached(
                self._generation,
                tick + self.cache_s,
                asyncio.ensure_future(offload(self._read_day, scope, now)),
            )
            self._cache[key] = hit
            hit.task.add_done_callback(lambda task: self._forget_failed(key, task))
        # Shielded: a request that goes away must not cancel the read the others wait for.
        return await asyncio.shield(hit.task)

    def _forget_failed(self, key: tuple[Scope, date], task: asyncio.Future[Kpis]) -> None:
        entry = self._cache.get(key)
        if entry is not None and entry.task is task and (task.cancelled() or task.exception() is not None):
            del self._cache[key]

    # --- use cases -----------------------------------------------------------------------------

    async def overview(self, principal: Principal) -> Overview:
        now = self.clock.now()
        scope, seats, staff = await offload(self._read_board, principal, now)
        today = await self._day_figures(scope, now)
        live = self.live.snapshot(now, scope.sees_keys)  # on the loop
        in_scope = [s for s in seats if s.id in scope.seat_ids and s.active]
        states = {s.seat_id: s.status for s in live.seats}
        known = {s.value for s in SeatStatus}
        return Overview(
            scope=scope.label,
            at=now,
            today=today,
            waiting=live.waiting,
            longest_wait_seconds=live.longest_wait_seconds,
            scheduled=staff.scheduled,
            online=sum(1 for s in in_scope if states.get(s.id, SeatStatus.OFFLINE) != SeatStatus.OFFLINE),
            total=len(in_scope),
            seats_by_state={SeatStatus(k): n for k, n in live.seats_by_state.items() if k in known},
            backlog=staff.backlog,
        )

    async def seats(self, principal: Principal) -> SeatsNow:
        now = self.clock.now()
        scope, teams, seats = await offload(self._scope, principal)
        team_names = {t.id: t.name for t in teams}
        live = {s.seat_id: s for s in self.live.snapshot(now, scope.sees_keys).seats}  # on the loop
        rows = []
        for seat in seats:
            if seat.id not in scope.seat_ids or not seat.active:
                continue
            st = live.get(seat.id)
            rows.append(
                SeatOnBoard(
                    seat_id=seat.id,
                    name=seat.name,
                    team_id=seat.team_id,
                    team_name=team_names.get(seat.team_id, seat.team_id),
                    status=SeatStatus(st.status) if st else SeatStatus.OFFLINE,
                    pause_reason=PauseReason(st.pause_reason) if st and st.pause_reason else None,
                    since=st.since if st else None,
                    expert=seat.expert,
                    forced=st.forced if st else "",
                    pending=st.pending if st else "",
                )
            )
        return SeatsNow(scope=scope.label, at=now, seats=rows)

    async def set_expert(self, principal: Principal, seat_id: str, expert: bool) -> RosterSeat:
        """An admin makes a seat an expert seat (专家坐席) or an ordinary one again, from the board."""
        if principal.role is not Role.ADMIN or self.flags is None:
            raise PermissionDenied("仅管理员可以设置专家坐席")
        return await offload(self.flags.set_expert, seat_id, expert)

    async def forecast(self, principal: Principal) -> Forecast:
        now = self.clock.now()
        return await offload(self._read_forecast, principal, china_day(now), now)

    async def report(self, principal: Principal, period: Period, day: date | None) -> Report:
        return await offload(self._read_report, principal, period, day or china_day(self.clock.now()))

    async def districts(self, principal: Principal) -> tuple[datetime, list[BreakdownRow]]:
        """Today's figures per district in scope (the district map, the wallboard)."""
        now = self.clock.now()
        return now, await offload(self._read_districts, principal, now)

    async def breakdown(self, principal: Principal, period: Period, day: date | None) -> Breakdown:
        """The period report with its figures by district, team, seat, queue and legal category."""
        return await offload(self._read_breakdown, principal, period, day or china_day(self.clock.now()))

    async def follow_up_report(
        self, principal: Principal, period: Period, day: date | None
    ) -> FollowUpReport:
        """回访率 and the satisfaction after follow-up, per team in scope, of the ratings of a period."""
        return await offload(self._read_follow_ups, principal, period, day or china_day(self.clock.now()))

    # --- live per queue and per team; daily trends ---------------------------------------------

    def _read_live_context(self, now: datetime) -> _LiveContext:
        teams = list(self.directory.teams())
        seats = list(self.directory.seats())
        on = frozenset(self.roster.on_shift(now)) if self.roster is not None else frozenset()
        return _LiveContext(self.monotonic() + ROTA_CACHE_S, teams, seats, on)

    async def live_groups(self, principal: Principal) -> tuple[str, LiveGroups]:
        """Per queue and per team in scope, now: from the live board in memory; the directory and
        the rota are read on a worker thread at most every `ROTA_CACHE_S` (the board reads this on
        its periodic refresh)."""
        now = self.clock.now()
        ctx = self._live_ctx
        if ctx is None or self.monotonic() >= ctx.expires:
            ctx = self._live_ctx = await offload(self._read_live_context, now)
        if self._seeded_day != china_day(now):
            # Once a day (and after a restart): today's stored calls, for what the bus said before.
            start = china_day_start(china_day(now))
            self.live.seed_calls(await offload(self.calls.between, start, now + timedelta(seconds=1)))
            self._seeded_day = china_day(now)
        scope = Scope.of(principal, ctx.teams, ctx.seats)
        names: dict[str, str] = {t.id: t.name for t in ctx.teams}
        snap = self.live.snapshot(now, scope.sees_keys)  # on the loop
        groups = live_groups(
            now,
            today=self.live.today(now, scope.sees_keys),
            waiting=self.live.waiting(scope.sees_keys),
            seats=[s for s in snap.seats if s.seat_id in scope.seat_ids],
            teams={t: names.get(t, t) for t in sorted(scope.team_ids)},
            team_of_seat={s.id: s.team_id for s in ctx.seats},
            on_rota=ctx.on_rota,
            membership=self.membership,
        )
        return scope.label, groups

    def _read_trends(self, principal: Principal, days: list[date], group: TrendGroup) -> Trends:
        scope, teams, seats = self._scope(principal)
        calls = self.calls.between(china_day_start(days[0]), china_day_start(days[-1] + timedelta(days=1)))
        return build_trends(scope, days, calls, group, teams, seats)

    async def trends(self, principal: Principal, days: int, group: TrendGroup) -> Trends:
        """The last `days` days (today included), per day, from the stored calls."""
        span = trend_days(china_day(self.clock.now()), days)
        return await offload(self._read_trends, principal, span, group)
