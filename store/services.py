"""The domain services over the store: the callback service, the work-order pages, the rota and the
supervisor board, each built from the repositories and the live parts the runtime holds.

`RepoDirectory` and `WorkOrderBacklog` satisfy `stats.ports` with the team and seat tables and the
open work orders with their SLA state (`stats` may not import `seats` or `callbacks`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from callbacks.models import OPEN_STATUSES, OrderFilter
from callbacks.service import CallbackService
from callbacks.sla import SlaPolicy
from callbacks.workbench import Workbench
from core.access import Principal, Right, Role, Scope
from core.blocking import offload
from core.bus import EventBus
from core.call_view import CallView
from core.clock import Clock
from core.errors import PbxUnavailable
from core.ids import CallId, SeatId
from core.ports import CallControl, LiveCalls
from core.voicemail import VoicemailFolder
from knowledge import segment
from routing.calendar import HolidayCalendar
from routing.queues import QueueRules
from seats.audit_trail import AuditTrail
from seats.board import SeatBoard
from seats.membership import queues_for
from seats.models import Seat, Team
from seats.monitor import SupervisorMonitor
from seats.my_day import SeatDay
from seats.rights import RoleRights
from seats.rota import Rota
from seats.service import SeatService
from seats.steer import SeatSteering
from stats.board_alerts import AlertSettings, BoardAlerts
from stats.live import LiveBoard
from stats.quality_service import QualityService
from stats.supervision import SupervisionService
from store.board_alerts import BoardAlertRepository, SupervisorList
from store.callback_repo_extras import CallbackLedgerRepository
from store.callback_seats import CallbackSeats
from store.consultations import ConsultationRepository
from store.oversight import MonitorSessionRepository, QueueMovesRepository, RoleRightsRepository
from store.quality import QualityRepository
from store.repositories import Repositories
from store.schedules import ScheduleRepository, SeatLogRepository
from store.supervisor_phones import SupervisorPhoneRepository


def callback_service(
    repos: Repositories,
    board: SeatBoard,
    calls: CallControl,
    bus: EventBus,
    clock: Clock,
    calendar: HolidayCalendar,
    follow_up_days: float = 1.0,
) -> CallbackService:
    """The callback service over the work orders, the ledger and the seat board, dialling through
    `calls`; a 不满意 rating's follow-up (回访) is due `follow_up_days` working days later."""
    return CallbackService(
        store=repos.work_orders,
        ledger=CallbackLedgerRepository(repos.db),
        calls=calls,
        bus=bus,
        clock=clock,
        seats=CallbackSeats(repos, board),
        sla=SlaPolicy(calendar=calendar, follow_up_days=follow_up_days),
        follow_ups=repos.follow_ups,
    )


def workbench(
    repos: Repositories,
    *,
    live: Callable[[], CallbackService | None],
    board: Callable[[], SeatBoard | None],
    offline: CallControl,
    dialling: Callable[[], bool],
    bus: EventBus,
    clock: Clock,
    calendar: HolidayCalendar,
    calls: Callable[[CallId], CallView | None] = lambda _call_id: None,
    folder: VoicemailFolder | None = None,
) -> Workbench:
    """The work-order pages over the running callback service (`live()`). Without the AMI link there
    is none: orders are then claimed, assigned, released and closed through one of our own over
    `offline`, a PBX that refuses every command (calling back answers 503)."""

    @functools.cache
    def offline_service(seat_board: SeatBoard) -> CallbackService:
        return callback_service(repos, seat_board, calls=offline, bus=bus, clock=clock, calendar=calendar)

    def service() -> CallbackService:
        running = live()
        if running is not None:
            return running
        seat_board = board()
        if seat_board is None:
            raise PbxUnavailable("坐席状态服务未启动")
        return offline_service(seat_board)

    return Workbench(
        orders=repos.work_orders,
        teams=repos.teams,
        seats=repos.seats,
        clock=clock,
        sla=SlaPolicy(calendar=calendar),
        service=service,
        dialling=dialling,
        calls=calls,
        stored_calls=repos.calls.find,
        voicemails=repos.voicemails,
        folder=folder,
        follow_ups=repos.follow_ups,
    )


def seat_day(repos: Repositories, clock: Clock) -> SeatDay:
    """今日个人数据: a seat's figures for today from the stored calls and survey answers."""
    return SeatDay(calls=repos.calls, surveys=repos.surveys, clock=clock)


def rota(repos: Repositories, clock: Clock) -> Rota:
    """The shift plans and the seat status log."""
    return Rota(
        shifts=ScheduleRepository(repos.db),
        log=SeatLogRepository(repos.db),
        teams=repos.teams,
        seats=repos.seats,
        clock=clock,
    )


class RepoDirectory:
    """`stats.ports.Directory` and `stats.ports.SeatFlags` over the team and seat tables."""

    def __init__(self, repos: Repositories) -> None:
        self._repos = repos

    def teams(self) -> list[Team]:
        return self._repos.teams.all()

    def seats(self) -> list[Seat]:
        return self._repos.seats.all()

    def set_expert(self, seat_id: str, expert: bool) -> Seat:
        return self._repos.seats.set_expert(SeatId(seat_id), expert)


class WorkOrderBacklog:
    """`stats.ports.Backlog`: the open work orders with their SLA state."""

    def __init__(self, repos: Repositories, sla: SlaPolicy) -> None:
        self._repos = repos
        self._sla = sla

    def open_orders(self, now: datetime) -> list[tuple[str | None, str]]:
        orders = self._repos.work_orders.search(OrderFilter(statuses=OPEN_STATUSES, limit=10_000))
        return [(o.team_id, self._sla.state_of(o, now).value) for o in orders]


def supervision(
    repos: Repositories,
    *,
    live: LiveBoard,
    roster: Rota,
    clock: Clock,
    calendar: HolidayCalendar,
    wrap_up_s: float,
    rules: QueueRules | None = None,
) -> SupervisionService:
    """The supervisor board's service over the store; subscribe its `follow` to the bus. `rules`:
    the queue rules, by which a seat's team and skills give the queues the per-queue view counts
    it in (what `SeatService.queues_of` says; from the tables, so a web process, which has no seat
    commands, counts the same)."""

    def membership(seat_id: str) -> list[str]:
        if rules is None:
            return []
        seat = repos.seats.get(SeatId(seat_id))
        return queues_for(seat, repos.teams.get(seat.team_id), rules)

    directory = RepoDirectory(repos)
    return SupervisionService(
        clock=clock,
        directory=directory,
        flags=directory,
        calls=repos.calls,
        surveys=repos.surveys,
        backlog=WorkOrderBacklog(repos, SlaPolicy(calendar=calendar)),
        roster=roster,
        follow_ups=repos.follow_ups,
        records=ConsultationRepository(repos.db),
        segment=segment.plain_words if segment.available() else None,
        live=live,
        wrap_up_s=wrap_up_s,
        membership=membership,
    )


class AlertRules(Protocol):
    """`console_web.settings.BoardAlertSettings` (store may not import console_web)."""

    check_s: float

    def rules(self) -> AlertSettings: ...


def board_alerts(
    repos: Repositories, live: LiveBoard, clock: Clock, calendar: HolidayCalendar, settings: AlertRules
) -> BoardAlerts:
    """告警 over the store: the episodes in `board_alerts`, the supervisors from the users table."""
    return BoardAlerts(
        clock=clock,
        store=BoardAlertRepository(repos.db),
        live=live,
        backlog=WorkOrderBacklog(repos, SlaPolicy(calendar=calendar)),
        directory=RepoDirectory(repos),
        supervisors=SupervisorList(repos.db),
        settings=settings.rules(),
        check_s=settings.check_s,
    )


def quality(repos: Repositories, clock: Clock, bus: EventBus | None) -> QualityService:
    """质检: the QC queue, forms, rule and report over the store, drawing calls as they end from
    `bus` (None: a web process, which only reads; the telephony process draws)."""
    service = QualityService(
        store=QualityRepository(repos.db),
        calls=repos.calls,
        surveys=repos.surveys,
        transcripts=repos.transcripts,
        directory=RepoDirectory(repos),
        clock=clock,
    )
    if bus is not None:  # the sampler writes: the telephony process's (or the one process's) alone
        bus.subscribe("qc-sampler", service.follow)
    return service


def monitor(
    repos: Repositories,
    *,
    board: SeatBoard,
    live: LiveCalls,
    bus: EventBus,
    clock: Clock,
    control: Callable[[], CallControl | None],
    scope_of: Callable[[Principal], Scope],
    rights: Mapping[Role, frozenset[Right]],
    live_monitors: Callable[[], frozenset[str] | None] = lambda: None,
) -> SupervisorMonitor:
    """班长监听 over the board, the tracker and the PBX, with the supervisors' phones, the audit log
    and the monitors under way from the store (`restore()` them). Inside the running loop (it
    subscribes), after the runtime started."""
    return SupervisorMonitor(
        board=board,
        live=live,
        bus=bus,
        clock=clock,
        control=control,
        phones=SupervisorPhoneRepository(repos.db),
        audit=repos.audit,
        scope_of=scope_of,
        rights=rights,
        sessions=MonitorSessionRepository(repos.db),
        live_monitors=live_monitors,
    )


def role_rights(repos: Repositories, clock: Clock, defaults: Mapping[Role, frozenset[Right]]) -> RoleRights:
    """The admin's per-role rights over the settings' `defaults`, saved in the store and audited.
    `load` it (blocking) before use."""
    return RoleRights(defaults=defaults, store=RoleRightsRepository(repos.db), audit=repos.audit, clock=clock)


def audit_trail(repos: Repositories) -> AuditTrail:
    """The admins' audit page over the store's audit log."""
    return AuditTrail(repos.audit)


def steering(
    repos: Repositories,
    *,
    board: SeatBoard,
    bus: EventBus,
    clock: Clock,
    commands: Callable[[], SeatService | None],
    rules: QueueRules,
    scope_of: Callable[[Principal], Scope],
    rights: Mapping[Role, frozenset[Right]],
) -> SeatSteering:
    """班长调度 (示忙, 示闲, 签出, today's queue moves) over the board and the seats' commands, audited
    in the store. Inside the running loop (it subscribes), after the runtime started; `start` its
    ticker (yesterday's queue moves undone)."""
    return SeatSteering(
        board=board,
        bus=bus,
        clock=clock,
        commands=commands,
        rules=rules,
        audit=repos.audit,
        scope_of=scope_of,
        rights=rights,
        moves_store=QueueMovesRepository(repos.db),
    )


@dataclass(frozen=True, slots=True)
class Oversight:
    """The supervisors' oversight (issue 16): the admin's rights table, read by monitoring and
    steering at each check (a change on the 权限设置 page applies at once), the audit page, the
    supervisors in the call and the steering of seats."""

    rights: RoleRights
    audit: AuditTrail
    monitor: SupervisorMonitor
    steering: SeatSteering


async def oversight(
    repos: Repositories,
    *,
    defaults: Mapping[Role, frozenset[Right]],
    board: SeatBoard | None,
    live: LiveCalls,
    live_monitors: Callable[[], frozenset[str] | None],
    bus: EventBus,
    clock: Clock,
    control: Callable[[], CallControl | None],
    commands: Callable[[], SeatService | None],
    rules: QueueRules,
    scope_of: Callable[[Principal], Scope],
) -> Oversight:
    """All of it built, the admin's rights loaded, the monitors under way before a restart taken
    back and the steering's ticker started (`steering.stop()` it at shutdown). Inside the running
    loop, after the runtime started (`board` None: it is not)."""
    if board is None:
        raise RuntimeError("runtime not started")
    rights = role_rights(repos, clock, defaults)
    await offload(rights.load)
    watch = monitor(
        repos,
        board=board,
        live=live,
        bus=bus,
        clock=clock,
        control=control,
        scope_of=scope_of,
        rights=rights,
        live_monitors=live_monitors,
    )
    await watch.restore()
    steer = steering(
        repos,
        board=board,
        bus=bus,
        clock=clock,
        commands=commands,
        rules=rules,
        scope_of=scope_of,
        rights=rights,
    )
    await steer.start()
    return Oversight(rights=rights, audit=audit_trail(repos), monitor=watch, steering=steer)
