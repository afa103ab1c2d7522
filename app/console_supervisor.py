"""Backend of the supervisor board.

`SupervisorConsole` implements the Protocol of `console_web.supervisor_api` over a started
`Runtime`; build it inside the running loop (the live board subscribes to the bus). (The work-order
pages live in `callbacks.workbench`, the office registry admin in `routing.office_admin`.)

Scope: an admin or a city-wide supervisor sees everything. A district supervisor sees the teams
of that district (and their seats, calls and orders) plus the calls routed to the district; a
team supervisor sees that team. Orders without a team, like calls with no district, are
city-wide only. (Decided here rather than with `may_see`: seat and order facts carry only
`team:` keys, which a district supervisor's keys never match.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from app.runtime import Runtime
from callbacks.models import OPEN_STATUSES
from callbacks.sla import SlaPolicy, SlaState
from core.access import Principal, Scope
from core.calls import CallRecord, CallStatus
from core.clock import CHINA_TZ
from core.events import DomainEvent
from core.seat_events import PauseReason, SeatStatus
from seats.models import Seat, Team
from seats.schedule import Shift
from stats.kpi import (
    SLOTS_PER_DAY,
    CallOutcome,
    Kpis,
    average_volumes,
    compute_kpis,
    default_volumes,
    sample_of,
    seats_needed,
    slot_label,
)
from stats.live import LiveBoard

log = logging.getLogger(__name__)

ANSWER_RATE_TARGET = 0.95
SATISFACTION_TARGET = 0.90
SERVICE_LEVEL_TARGET = 0.80
SERVICE_LEVEL_SECONDS = 20.0
DEFAULT_AHT_SECONDS = 300.0  # a legal consultation: about five minutes with the notes
DEFAULT_DAILY_CALLS = 400.0  # city-wide; a district's share is a sixteenth
HISTORY_WEEKS = 4

ShiftSource = Callable[[date], Sequence[Shift]]


def china_day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), CHINA_TZ)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- scope -------------------------------------------------------------------------------------


# --- the supervisor board ----------------------------------------------------------------------


class SupervisorConsole:
    """`SupervisorBackend`: KPIs from the calls table (durable, the same in every worker), the
    "now" (waiting callers, seat states) from a `LiveBoard` fed by the bus."""

    def __init__(self, runtime: Runtime, *, shifts: ShiftSource | None = None) -> None:
        self._rt = runtime
        self._shifts = shifts
        self._sla = SlaPolicy(calendar=runtime.calendar)
        self.live = LiveBoard()
        self._seed()
        runtime.bus.subscribe("supervisor-live", self._follow)

    def _seed(self) -> None:
        for view in self._rt.tracker.calls.values():
            if view.status in (CallStatus.QUEUED, CallStatus.RINGING) and view.queue:
                self.live.seed_waiting(view.call_id, view.queue, view.offered_at)
        board = self._rt.board
        if board is not None:
            for st in board.states.values():
                self.live.seed_seat(
                    st.seat_id,
                    st.team_id,
                    st.status.value,
                    st.since,
                    st.pause_reason.value if st.pause_reason else None,
                )

    async def _follow(self, event: DomainEvent) -> None:
        self.live.apply(event)

    def _scope(self, principal: Principal) -> tuple[Scope, list[Team], list[Seat]]:
        teams = self._rt.repos.teams.all()
        seats = self._rt.repos.seats.all()
        return Scope.of(principal, teams, seats), teams, seats

    def _kpis(self, scope: Scope, calls: Sequence[CallRecord], start: datetime, end: datetime) -> Kpis:
        mine = [c for c in calls if scope.sees_call(c)]
        ids = {c.id for c in mine}
        answers = [
            a
            for a in self._rt.repos.surveys.between(start, end)
            if scope.citywide or a.call_id in ids or (a.seat_id is not None and a.seat_id in scope.seat_ids)
        ]
        return compute_kpis(
            (sample_of(c) for c in mine),
            (int(a.score) for a in answers),
            threshold_s=SERVICE_LEVEL_SECONDS,
            wrap_up_s=self._rt.settings.seats.wrap_up_s,
        )

    def overview(self, principal: Principal) -> dict[str, Any]:
        now = self._rt.clock.now()
        scope, _teams, seats = self._scope(principal)
        start = china_day_start(now.astimezone(CHINA_TZ).date())
        end = now + timedelta(seconds=1)  # `between` excludes its end: keep what happened this second
        kpis = self._kpis(scope, self._rt.repos.calls.between(start, end), start, end)
        live = self.live.snapshot(now, scope.sees_keys)
        in_scope = [s for s in seats if s.id in scope.seat_ids and s.active]
        states = {s.seat_id: s.status for s in live.seats}
        online = sum(1 for s in in_scope if states.get(s.id, "offline") != SeatStatus.OFFLINE.value)
        return {
            "scope": scope.label,
            "generated_at": now.isoformat(),
            "targets": {
                "answer_rate": ANSWER_RATE_TARGET,
                "satisfaction_rate": SATISFACTION_TARGET,
                "service_level": SERVICE_LEVEL_TARGET,
                "service_level_seconds": SERVICE_LEVEL_SECONDS,
            },
            "today": kpi_json(kpis),
            "live": {
                "waiting": live.waiting,
                "longest_wait_seconds": round(live.longest_wait_seconds, 1),
            },
            "seats": {
                "scheduled": self._scheduled(scope, now),
                "online": online,
                "total": len(in_scope),
                "by_state": {
                    key: {"label": SeatStatus(key).label, "count": n}
                    for key, n in live.seats_by_state.items()
                    if key in SeatStatus.__members__.values()
                },
            },
            "backlog": self._backlog(scope, now),
        }

    def _scheduled(self, scope: Scope, now: datetime) -> int:
        if self._shifts is None:
            return 0
        today = now.astimezone(CHINA_TZ).date()
        on = {s.seat_id for s in self._shifts(today) if s.starts_at <= now < s.ends_at}
        return sum(1 for sid in on if scope.citywide or sid in scope.seat_ids)

    def _backlog(self, scope: Scope, now: datetime) -> dict[str, Any]:
        counts = dict.fromkeys((s.value for s in SlaState), 0)
        orders = self._rt.repos.work_orders.search(statuses=OPEN_STATUSES, limit=10_000)
        for order in orders:
            if scope.sees_team(order.team_id):
                counts[self._sla.state_of(order, now).value] += 1
        return {
            "total": sum(counts.values()),
            "by_sla": {k: {"label": SlaState(k).label, "count": n} for k, n in counts.items()},
        }

    def seats(self, principal: Principal) -> dict[str, Any]:
        now = self._rt.clock.now()
        scope, teams, seats = self._scope(principal)
        names = {t.id: t.name for t in teams}
        live = {s.seat_id: s for s in self.live.snapshot(now, scope.sees_keys).seats}
        rows = []
        for seat in seats:
            if seat.id not in scope.seat_ids or not seat.active:
                continue
            st = live.get(seat.id)
            status = SeatStatus(st.status) if st else SeatStatus.OFFLINE
            reason = PauseReason(st.pause_reason) if st and st.pause_reason else None
            since = st.since if st else None
            rows.append(
                {
                    "seat_id": seat.id,
                    "name": seat.name,
                    "team_id": seat.team_id,
                    "team_name": names.get(seat.team_id, seat.team_id),
                    "status": status.value,
                    "status_label": status.label,
                    "pause_reason": reason.value if reason else None,
                    "pause_reason_label": reason.label if reason else "",
                    "since": _iso(since),
                    "seconds_in_state": round((now - since).total_seconds()) if since else None,
                }
            )
        return {"scope": scope.label, "generated_at": now.isoformat(), "seats": rows}

    def forecast(self, principal: Principal) -> dict[str, Any]:
        now = self._rt.clock.now()
        scope, _, _ = self._scope(principal)
        today = now.astimezone(CHINA_TZ).date()
        start = china_day_start(today - timedelta(weeks=HISTORY_WEEKS))
        history = [
            c
            for c in self._rt.repos.calls.between(start, china_day_start(today))
            if c.offered_at.astimezone(CHINA_TZ).weekday() == today.weekday() and scope.sees_call(c)
        ]
        samples = [sample_of(c) for c in history]
        offered = [s.offered_at for s in samples if s.outcome is not CallOutcome.NOT_OFFERED]
        volumes, days = average_volumes(offered)
        wrap_up = self._rt.settings.seats.wrap_up_s
        talks = [s.talk_seconds for s in samples if s.outcome is CallOutcome.ANSWERED and s.talk_seconds]
        if days:
            source, label = "history", f"按近 {HISTORY_WEEKS} 周同星期的历史来电量（{days} 天有数据）"
        else:
            daily = DEFAULT_DAILY_CALLS if scope.citywide else DEFAULT_DAILY_CALLS / 16
            volumes = default_volumes(daily)
            source, label = "default", f"无历史来电数据，使用默认来电曲线（全天约 {daily:.0f} 通）"
        aht = (sum(talks) / len(talks) + wrap_up) if talks else DEFAULT_AHT_SECONDS
        slots = []
        for slot in range(SLOTS_PER_DAY):
            plan = seats_needed(
                volumes[slot],
                aht,
                target_level=SERVICE_LEVEL_TARGET,
                threshold_s=SERVICE_LEVEL_SECONDS,
            )
            slots.append(
                {
                    "slot": slot,
                    "label": slot_label(slot),
                    "calls": round(volumes[slot], 1),
                    "traffic": round(plan.traffic, 2),
                    "seats": plan.seats,
                    "service_level": round(plan.service_level, 3),
                    "occupancy": round(plan.occupancy, 3),
                }
            )
        return {
            "scope": scope.label,
            "date": today.isoformat(),
            "source": source,
            "source_label": label,
            "aht_seconds": round(aht, 1),
            "target": {"service_level": SERVICE_LEVEL_TARGET, "seconds": SERVICE_LEVEL_SECONDS},
            "slots": slots,
        }

    def report(self, principal: Principal, period: str, day: date | None) -> dict[str, Any]:
        now = self._rt.clock.now()
        scope, _, _ = self._scope(principal)
        day = day or now.astimezone(CHINA_TZ).date()
        buckets: list[tuple[str, datetime, datetime]] = []
        if period == "day":
            first = day
            for h in range(24):
                a = china_day_start(day) + timedelta(hours=h)
                buckets.append((f"{h:02d}:00-{h + 1:02d}:00", a, a + timedelta(hours=1)))
            last = day
        else:
            if period == "week":
                first = day - timedelta(days=day.weekday())
                last = first + timedelta(days=6)
            else:
                first = day.replace(day=1)
                last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            d = first
            while d <= last:
                buckets.append((d.isoformat(), china_day_start(d), china_day_start(d + timedelta(days=1))))
                d += timedelta(days=1)
        start, end = china_day_start(first), china_day_start(last + timedelta(days=1))
        calls = self._rt.repos.calls.between(start, end)
        rows = []
        for label, a, b in buckets:
            part = [c for c in calls if a <= c.offered_at < b]
            rows.append({"label": label, **kpi_json(self._kpis(scope, part, a, b))})
        total = {"label": "合计", **kpi_json(self._kpis(scope, calls, start, end))}
        return {
            "scope": scope.label,
            "period": period,
            "period_label": {"day": "日报", "week": "周报", "month": "月报"}[period],
            "start": first.isoformat(),
            "end": last.isoformat(),
            "rows": rows,
            "total": total,
        }


def kpi_json(k: Kpis) -> dict[str, Any]:
    def r(x: float | None, n: int = 4) -> float | None:
        return None if x is None else round(x, n)

    return {
        "offered": k.offered,
        "answered": k.answered,
        "abandoned": k.abandoned,
        "waiting": k.waiting,
        "answered_in_threshold": k.answered_in_threshold,
        "answer_rate": r(k.answer_rate),
        "service_level": r(k.service_level),
        "abandon_rate": r(k.abandon_rate),
        "asa_seconds": r(k.asa_seconds, 1),
        "aht_seconds": r(k.aht_seconds, 1),
        "survey_answers": k.survey_answers,
        "satisfied": k.satisfied,
        "satisfaction_rate": r(k.satisfaction_rate),
    }
