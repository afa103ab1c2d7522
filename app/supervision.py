"""Wiring of the supervisor board: `stats.supervision.SupervisionService` over a started `Runtime`.

The adapters here satisfy `stats.ports` with the repositories, the shift schedule and the
callback SLA policy (`stats` may not import `seats` or `callbacks`). Build it inside the running
loop: the live board reads the runtime's calls, is seeded from the seat board's state and follows
the bus.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from app.runtime import Runtime
from callbacks.models import OPEN_STATUSES
from callbacks.sla import SlaPolicy
from core.clock import CHINA_TZ
from seats.models import Seat, Team
from seats.schedule import Shift
from stats.live import LiveBoard
from stats.supervision import SupervisionService
from store.repositories import Repositories

ShiftSource = Callable[[date], Sequence[Shift]]


class RepoDirectory:
    """`stats.ports.Directory` over the team and seat tables."""

    def __init__(self, repos: Repositories) -> None:
        self._repos = repos

    def teams(self) -> list[Team]:
        return self._repos.teams.all()

    def seats(self) -> list[Seat]:
        return self._repos.seats.all()


class ShiftRoster:
    """`stats.ports.Roster` over the day's shifts."""

    def __init__(self, shifts: ShiftSource) -> None:
        self._shifts = shifts

    def on_shift(self, at: datetime) -> set[str]:
        return {
            s.seat_id for s in self._shifts(at.astimezone(CHINA_TZ).date()) if s.starts_at <= at < s.ends_at
        }


class WorkOrderBacklog:
    """`stats.ports.Backlog`: the open work orders with their SLA state."""

    def __init__(self, repos: Repositories, sla: SlaPolicy) -> None:
        self._repos = repos
        self._sla = sla

    def open_orders(self, now: datetime) -> list[tuple[str | None, str]]:
        orders = self._repos.work_orders.search(statuses=OPEN_STATUSES, limit=10_000)
        return [(o.team_id, self._sla.state_of(o, now).value) for o in orders]


def seeded_live_board(runtime: Runtime) -> LiveBoard:
    """A live board over the runtime's calls, holding the seat states now (read on the loop)."""
    live = LiveBoard(runtime.call_views)
    if runtime.board is not None:
        for st in runtime.board.states.values():
            live.seed_seat(
                st.seat_id,
                st.team_id,
                st.status.value,
                st.since,
                st.pause_reason.value if st.pause_reason else None,
            )
    return live


def build_supervision(runtime: Runtime, *, shifts: ShiftSource | None = None) -> SupervisionService:
    """The supervisor board's service, following the bus."""
    service = SupervisionService(
        clock=runtime.clock,
        directory=RepoDirectory(runtime.repos),
        calls=runtime.repos.calls,
        surveys=runtime.repos.surveys,
        backlog=WorkOrderBacklog(runtime.repos, SlaPolicy(calendar=runtime.calendar)),
        roster=ShiftRoster(shifts) if shifts is not None else None,
        live=seeded_live_board(runtime),
        wrap_up_s=runtime.settings.seats.wrap_up_s,
    )
    runtime.bus.subscribe("supervisor-live", service.follow)
    return service
