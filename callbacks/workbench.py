"""The work-order pages' use cases (回拨工单): lists, options and the actions, with their permissions.

`Workbench` implements `console_web.orders_api.OrdersBackend`. Who may do what, in one place:

* a seat lists and claims the unclaimed orders of its pools (`assignment.seat_pools`: its team's
  and the city-wide one) and calls them back; it sees any order of those pools (a late claim then
  answers 409, not 404) and its own, and closes only the orders it holds, never cancelling one;
* 回访 (follow-ups of 不满意 ratings, `callbacks.followup`): a supervisor in scope, or the seat
  that holds it, records the outcome (`record_follow_up`); the rated seat sees it in its pool but
  may not take it; it closes only with its outcome (or a supervisor's cancellation);
* a supervisor sees the orders of the teams in scope (`core.access.Scope`) plus the city-wide
  pool, which the seats of every team serve; a city-wide supervisor or an admin sees everything.
  They assign an order they see to a seat in scope, release it, or close it with any outcome.

Orders with no team, like calls with no district, are city-wide only. The calls that change an
order go to a `CallbackService` handed in by the composition root (without the PBX, one whose
`CallControl` refuses every command: claiming still works, calling back answers 503).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from callbacks.assignment import seat_pools, serves
from callbacks.events import CloseOutcome
from callbacks.followup import FollowUp, Rating, parse_result
from callbacks.models import OPEN_STATUSES, MissReason, OrderFilter, WorkOrder, WorkOrderStatus
from callbacks.policy import CITYWIDE_POOL_NAME, CITYWIDE_TEAM
from callbacks.ports import FollowUpStore, WorkOrderStore
from callbacks.service import CallbackService
from callbacks.sla import SlaPolicy, SlaState
from callbacks.voicemail import Voicemail, VoicemailStore
from core.access import Principal, Role, RosterSeat, Scope, SeatList, TeamLike, TeamList
from core.blocking import offload
from core.call_view import CallView
from core.calls import CallRecord
from core.clock import CHINA_TZ, Clock
from core.errors import InvalidInput, NotFound, PbxUnavailable, PermissionDenied
from core.ids import CallId, SeatId, TeamId, WorkOrderId
from core.voicemail import VoicemailFolder

CLOSED_STATUSES: tuple[WorkOrderStatus, ...] = (
    WorkOrderStatus.CLOSED_REACHED,
    WorkOrderStatus.CLOSED_UNREACHABLE,
    WorkOrderStatus.CLOSED_OTHER,
)
STATUS_FILTERS: dict[str, tuple[WorkOrderStatus, ...]] = {
    "open": OPEN_STATUSES,
    "closed": CLOSED_STATUSES,
    **{s.value: (s,) for s in WorkOrderStatus},
}
SEAT_CLOSE_OUTCOMES = (CloseOutcome.REACHED, CloseOutcome.UNREACHABLE, CloseOutcome.CALLER_CALLED_BACK)
NO_TEAM_NAME = "未分组"
#: The orders page's kinds: callbacks (回拨, every other reason) and follow-ups (回访).
KINDS = ("callback", "follow_up")


@dataclass(frozen=True, slots=True)
class FollowUpView:
    """A follow-up's rated call as the pages show it: the seat by its name too."""

    about: FollowUp
    rated_seat_name: str


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order with what the pages show beside it."""

    order: WorkOrder
    sla: SlaState
    team_name: str
    owner_name: str
    voicemails: tuple[Voicemail, ...] = ()  # the caller's after-hours messages (来电留言)
    follow_up: FollowUpView | None = None  # 回访: the rated call and, once done, the result


@dataclass(frozen=True, slots=True)
class CallbackStarted:
    attempt: int
    attempt_id: str
    order: OrderView


@dataclass(frozen=True, slots=True)
class TeamChoice:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class OrderOptions:
    #: the teams whose orders the principal may filter on (a supervisor: the city-wide pool too)
    teams: Sequence[TeamChoice]
    #: the seats the principal may assign to (none for a seat)
    seats: Sequence[RosterSeat]
    close_outcomes: Sequence[CloseOutcome]
    ratings: Sequence[Rating]  # 回访后满意度


@dataclass(frozen=True, slots=True)
class _Context:
    scope: Scope
    teams: Mapping[str, TeamLike]
    seats: Mapping[str, RosterSeat]


def _is_supervisor(principal: Principal) -> bool:
    return principal.supervising


def _handles_orders(principal: Principal, order_id: str) -> None:
    """A 质检员 reads calls; callbacks and 回访 are the seats' and the supervisors' to settle."""
    if principal.role is Role.INSPECTOR:
        raise PermissionDenied("质检员不能处理回拨或回访工单", order_id=order_id)


class Workbench:
    def __init__(
        self,
        *,
        orders: WorkOrderStore,
        teams: TeamList,
        seats: SeatList,
        clock: Clock,
        sla: SlaPolicy,
        service: Callable[[], CallbackService],
        dialling: Callable[[], bool],
        calls: Callable[[CallId], CallView | None] = lambda _call_id: None,
        stored_calls: Callable[[CallId], CallRecord | None] = lambda _call_id: None,
        voicemails: VoicemailStore | None = None,
        folder: VoicemailFolder | None = None,
        follow_ups: FollowUpStore | None = None,
    ) -> None:
        """`service()` gives the callback service (raising `PbxUnavailable` when there is none);
        `dialling()` says whether the PBX can place a call back now."""
        self._orders = orders
        self._teams = teams
        self._seats = seats
        self._clock = clock
        self._sla = sla
        self._service = service
        self._dialling = dialling
        self._calls = calls  # the calls the consoles know (core.call_view.CallViews.get)
        self._stored_calls = stored_calls  # blocking: a call's stored row, once out of memory
        self._voicemails = voicemails
        self._folder = folder or VoicemailFolder()
        self._follow_ups = follow_ups

    # --- who sees what ----------------------------------------------------------------------------

    def _context(self, principal: Principal) -> _Context:
        teams = self._teams.all()
        seats = self._seats.all()
        return _Context(Scope.of(principal, teams, seats), {t.id: t for t in teams}, {s.id: s for s in seats})

    @staticmethod
    def _supervises(scope: Scope, team_id: TeamId | None) -> bool:
        """A supervisor's orders: the teams in scope, and the city-wide pool their seats serve."""
        return scope.sees_team(team_id) or team_id == CITYWIDE_TEAM

    def _visible(self, principal: Principal, order_id: str) -> tuple[WorkOrder, Scope]:
        ctx = self._context(principal)
        order = self._orders.get(WorkOrderId(order_id))
        if principal.role is Role.SEAT:
            seat = ctx.seats.get(principal.seat_id) if principal.seat_id else None
            mine = order.owner_seat_id is not None and order.owner_seat_id == principal.seat_id
            if not (mine or (seat is not None and serves(seat.team_id, order.team_id))):
                raise NotFound("工单不存在或不属于您", order_id=order_id)
        elif not self._supervises(ctx.scope, order.team_id):
            raise NotFound("工单不存在或不在您的管辖范围内", order_id=order_id)
        return order, ctx.scope

    @staticmethod
    def _team_name(team_id: TeamId | None, teams: Mapping[str, TeamLike]) -> str:
        team = teams.get(team_id) if team_id else None
        if team is not None:
            return team.name
        return CITYWIDE_POOL_NAME if team_id == CITYWIDE_TEAM else NO_TEAM_NAME

    def _messages(self, orders: Sequence[WorkOrder]) -> Mapping[WorkOrderId, list[Voicemail]]:
        return self._voicemails.for_orders([o.id for o in orders]) if self._voicemails and orders else {}

    def _about(self, orders: Sequence[WorkOrder]) -> Mapping[WorkOrderId, FollowUp]:
        ids = [o.id for o in orders if o.reason is MissReason.FOLLOW_UP]
        return self._follow_ups.of_orders(ids) if self._follow_ups and ids else {}

    def _view(
        self,
        order: WorkOrder,
        ctx: _Context | None = None,
        messages: Sequence[Voicemail] | None = None,
        about: Mapping[WorkOrderId, FollowUp] | None = None,
    ) -> OrderView:
        teams: Mapping[str, TeamLike] = ctx.teams if ctx else {t.id: t for t in self._teams.all()}
        seats: Mapping[str, RosterSeat] = ctx.seats if ctx else {s.id: s for s in self._seats.all()}
        owner = seats.get(order.owner_seat_id) if order.owner_seat_id else None
        follow = (self._about([order]) if about is None else about).get(order.id)
        rated = seats.get(follow.rated_seat_id) if follow and follow.rated_seat_id else None
        return OrderView(
            order=order,
            sla=self._sla.state_of(order, self._clock.now()),
            team_name=self._team_name(order.team_id, teams),
            owner_name=owner.name if owner else "",
            voicemails=tuple(self._messages([order]).get(order.id, ()) if messages is None else messages),
            follow_up=FollowUpView(follow, rated.name if rated else (follow.rated_seat_id or ""))
            if follow
            else None,
        )

    # --- reads (blocking: the routes run them on a worker thread) --------------------------------

    def list_orders(
        self,
        principal: Principal,
        *,
        scope: str,
        status: str | None = None,
        sla: str | None = None,
        team_id: str | None = None,
        day: date | None = None,
        order_no: str | None = None,
        kind: str | None = None,
    ) -> list[OrderView]:
        """`order_no`: the readable number (`HB20261201-0042`), or part of it; `kind`: callback
        (回拨) or follow_up (回访) orders only."""
        if status is not None and status not in STATUS_FILTERS:
            raise InvalidInput("状态筛选无效", status=status)
        if kind is not None and kind not in KINDS:
            raise InvalidInput("工单类型筛选无效，应为回拨或回访", kind=kind)
        if sla is not None and sla not in {s.value for s in SlaState}:
            raise InvalidInput("时限筛选无效", sla=sla)
        ctx = self._context(principal)
        statuses = STATUS_FILTERS[status] if status else None
        if scope == "mine":
            orders = self._orders.search(
                OrderFilter(
                    statuses=statuses or OPEN_STATUSES,
                    owner_seat_id=principal.seat_id,
                    order_no=order_no,
                    limit=500,
                )
            )
        elif scope == "pool":
            seat = ctx.seats.get(principal.seat_id) if principal.seat_id else None
            if seat is None:
                return []
            orders = [
                o
                for team in seat_pools(seat.team_id)
                for o in self._orders.search(
                    OrderFilter(statuses=(WorkOrderStatus.POOL,), team_id=team, order_no=order_no, limit=500)
                )
            ]
            orders.sort(key=lambda o: o.deadline)
        else:
            if team_id is not None and not self._supervises(ctx.scope, TeamId(team_id)):
                raise PermissionDenied("无权查看该团队的工单", team_id=team_id)
            orders = self._orders.search(
                OrderFilter(
                    statuses=statuses,
                    team_id=TeamId(team_id) if team_id else None,
                    order_no=order_no,
                    limit=2000,
                )
            )
            orders = [o for o in orders if self._supervises(ctx.scope, o.team_id)]
        if day is not None:
            orders = [o for o in orders if o.created_at.astimezone(CHINA_TZ).date() == day]
        if kind is not None:
            orders = [o for o in orders if (o.reason is MissReason.FOLLOW_UP) == (kind == "follow_up")]
        messages, about = self._messages(orders), self._about(orders)
        views = [self._view(o, ctx, messages.get(o.id, []), about) for o in orders]
        return [v for v in views if sla is None or v.sla.value == sla]

    def options(self, principal: Principal) -> OrderOptions:
        ctx = self._context(principal)
        supervisor = _is_supervisor(principal)
        teams = [TeamChoice(t.id, t.name) for t in ctx.teams.values() if ctx.scope.sees_team(t.id)]
        if supervisor and CITYWIDE_TEAM not in ctx.teams:
            teams.append(TeamChoice(CITYWIDE_TEAM, CITYWIDE_POOL_NAME))
        return OrderOptions(
            teams=teams,
            seats=[s for s in ctx.seats.values() if s.active and ctx.scope.sees_team(s.team_id)]
            if supervisor
            else [],
            close_outcomes=tuple(CloseOutcome) if supervisor else SEAT_CLOSE_OUTCOMES,
            ratings=tuple(Rating),
        )

    def voicemail_file(self, principal: Principal, order_id: str, call_id: str) -> Path:
        """The file of one of the order's messages, for whoever may see the order (404 otherwise,
        and when the recording is not, or no longer, readable from here)."""
        self._visible(principal, order_id)
        message = self._voicemails.get(CallId(call_id)) if self._voicemails else None
        if message is None or message.order_id != order_id:
            raise NotFound("该工单没有这条留言", order_id=order_id, call_id=call_id)
        path = self._folder.local(message.recording) if message.saved else None
        if path is None or not path.is_file():
            raise NotFound("留言录音文件不存在或无法读取", order_id=order_id, call_id=call_id)
        return path

    # --- actions --------------------------------------------------------------------------------

    async def claim(self, principal: Principal, order_id: str) -> OrderView:
        await offload(self._visible, principal, order_id)
        assert principal.seat_id is not None
        order = await self._service().claim(WorkOrderId(order_id), principal.seat_id)
        return await offload(self._view, order)

    async def start_callback(self, principal: Principal, order_id: str) -> CallbackStarted:
        await offload(self._visible, principal, order_id)
        assert principal.seat_id is not None
        if not self._dialling():
            raise PbxUnavailable("电话系统未连接，暂时无法回拨")
        attempt = await self._service().start_callback(WorkOrderId(order_id), principal.seat_id)
        order = await offload(self._orders.get, WorkOrderId(order_id))
        view = await offload(self._view, order)
        return CallbackStarted(attempt=attempt.number, attempt_id=attempt.attempt_id, order=view)

    async def schedule(self, principal: Principal, call_id: str, at: datetime, note: str) -> OrderView:
        """预约回拨: the seat that answered call `call_id` agrees with its caller to call back at
        `at`; the caller's order becomes this seat's (see `CallbackService.schedule_callback`).
        The call is read from memory while the consoles hold its view, else from its stored row:
        the seat may still be writing the call's record long after it ended (or a restart)."""
        if principal.role is not Role.SEAT or principal.seat_id is None:
            raise PermissionDenied("仅坐席可以预约回拨")
        view = self._calls(CallId(call_id))
        call = view.record if view is not None else await offload(self._stored_calls, CallId(call_id))
        if call is None or not call.handled_by(principal.seat_id):
            raise NotFound("通话不存在或不是您接听的通话", call_id=call_id)
        order = await self._service().schedule_callback(
            call_id=CallId(call_id),
            caller_number=call.caller_number,
            seat=principal.seat_id,
            at=at,
            note=note,
        )
        return await offload(self._view, order)

    async def close(self, principal: Principal, order_id: str, outcome: str, note: str) -> OrderView:
        _handles_orders(principal, order_id)
        order, _ = await offload(self._visible, principal, order_id)
        chosen = CloseOutcome(outcome)
        if order.reason is MissReason.FOLLOW_UP and chosen is not CloseOutcome.CANCELLED:
            raise InvalidInput("回访工单请填写回访结果结案", order_id=order_id)
        if principal.role is Role.SEAT:
            if order.owner_seat_id != principal.seat_id:
                raise PermissionDenied("只有工单的处理坐席可以结案，请先领取", order_id=order_id)
            if chosen not in SEAT_CLOSE_OUTCOMES:
                raise PermissionDenied("坐席不能撤销工单，请联系班长", order_id=order_id)
        if not note:
            raise InvalidInput("请填写结案说明")
        closed = await self._service().close(WorkOrderId(order_id), chosen, note=note, by=principal.user_id)
        return await offload(self._view, closed)

    async def record_follow_up(
        self,
        principal: Principal,
        order_id: str,
        *,
        reached: bool | None,
        resolved: bool | None,
        satisfaction: str | None,
        note: str,
    ) -> OrderView:
        """回访 outcome: by a supervisor who sees the order, or the seat that holds it."""
        _handles_orders(principal, order_id)
        order, _ = await offload(self._visible, principal, order_id)
        if order.reason is not MissReason.FOLLOW_UP:
            raise InvalidInput("该工单不是回访工单", order_id=order_id)
        seat_id = principal.seat_id if principal.role is Role.SEAT else None
        if seat_id is not None and order.owner_seat_id != seat_id:
            raise PermissionDenied("只有回访工单的处理人可以记录回访结果，请先领取", order_id=order_id)
        result = parse_result(
            reached=reached,
            resolved=resolved,
            satisfaction=satisfaction,
            note=note,
            by=principal.user_id,
            at=self._clock.now(),
        )
        done = await self._service().record_follow_up(WorkOrderId(order_id), result, seat_id=seat_id)
        return await offload(self._view, done)

    async def assign(self, principal: Principal, order_id: str, seat_id: str) -> OrderView:
        _, scope = await offload(self._visible, principal, order_id)
        if seat_id not in scope.seat_ids:
            raise PermissionDenied("该坐席不在您的管辖范围内", seat_id=seat_id)
        order = await self._service().assign(
            WorkOrderId(order_id), SeatId(seat_id), by=principal.user_id, any_team=True
        )
        return await offload(self._view, order)

    async def release(self, principal: Principal, order_id: str) -> OrderView:
        await offload(self._visible, principal, order_id)
        order = await self._service().release(WorkOrderId(order_id), by=principal.user_id)
        return await offload(self._view, order)
