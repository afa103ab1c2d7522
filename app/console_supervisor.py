"""Backends of the work-order pages and the office registry admin.

`OrdersConsole` and `OfficesConsole` implement the Protocols of `console_web.orders_api` and
`console_web.offices_api` over a started `Runtime` (the supervisor board is
`stats.supervision.SupervisionService`, wired in `app/supervision.py`).

Scope: an admin or a city-wide supervisor sees everything. A district supervisor sees the teams
of that district (and their seats, calls and orders) plus the calls routed to the district; a
team supervisor sees that team. Orders without a team, like calls with no district, are
city-wide only. (Decided here rather than with `may_see`: seat and order facts carry only
`team:` keys, which a district supervisor's keys never match.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from app.adapters import CallbackSeats
from app.runtime import Runtime
from app.telephony import GAZETTEER_DIR
from callbacks.events import CloseOutcome
from callbacks.models import OPEN_STATUSES, WorkOrder, WorkOrderStatus
from callbacks.policy import CITYWIDE_TEAM
from callbacks.service import CallbackService
from callbacks.sla import SlaPolicy, SlaState
from core.access import Principal, Role, Scope
from core.clock import CHINA_TZ
from core.errors import InvalidInput, NotFound, PbxUnavailable, PermissionDenied
from core.ids import OfficeId, SeatId, TeamId, WorkOrderId
from core.privacy import mask_number
from routing.offices import (
    DEFAULT_OPENING_HOURS,
    Office,
    OfficeLevel,
    OfficeRegistry,
    build_offices,
    load_gazetteer,
    read_offices_csv,
    write_offices_csv,
)
from seats.models import Seat, Team
from store.callback_repo_extras import CallbackLedgerRepository

log = logging.getLogger(__name__)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _local(value: datetime | None) -> str:
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if value is not None else ""


# --- work orders -------------------------------------------------------------------------------

_STATUS_FILTERS: dict[str, tuple[WorkOrderStatus, ...]] = {
    "open": OPEN_STATUSES,
    "closed": (
        WorkOrderStatus.CLOSED_REACHED,
        WorkOrderStatus.CLOSED_UNREACHABLE,
        WorkOrderStatus.CLOSED_OTHER,
    ),
    **{s.value: (s,) for s in WorkOrderStatus},
}
SEAT_CLOSE_OUTCOMES = (CloseOutcome.REACHED, CloseOutcome.UNREACHABLE, CloseOutcome.CALLER_CALLED_BACK)


class _PbxOffline:
    """core.ports.CallControl while the AMI link is not configured: every command is refused."""

    def _refuse(self) -> PbxUnavailable:
        return PbxUnavailable("电话系统未连接，暂时无法操作")

    async def ping(self) -> None:
        raise self._refuse()

    async def queue_add(
        self,
        queue: str,
        interface: str,
        *,
        member_name: str,
        state_interface: str | None = None,
        penalty: int = 0,
        paused: bool = False,
    ) -> None:
        raise self._refuse()

    async def queue_remove(self, queue: str, interface: str) -> None:
        raise self._refuse()

    async def queue_pause(
        self, interface: str, *, paused: bool, queue: str | None = None, reason: str = ""
    ) -> None:
        raise self._refuse()

    async def originate(
        self,
        channel: str,
        *,
        context: str,
        exten: str,
        priority: int = 1,
        caller_id: str = "",
        variables: Mapping[str, str] | None = None,
        action_id: str | None = None,
        timeout_ms: int = 30_000,
        application: str | None = None,
        data: str | None = None,
    ) -> None:
        raise self._refuse()

    async def redirect(self, channel: str, *, context: str, exten: str, priority: int = 1) -> None:
        raise self._refuse()

    async def set_variable(self, channel: str, variable: str, value: str) -> None:
        raise self._refuse()

    async def hangup(self, channel: str, *, cause: int | None = None) -> None:
        raise self._refuse()

    async def queue_status(self, queue: str | None = None) -> Sequence[Mapping[str, str]]:
        raise self._refuse()

    async def core_show_channels(self) -> Sequence[Mapping[str, str]]:
        raise self._refuse()


class OrdersConsole:
    """`OrdersBackend` over the runtime's `CallbackService`.

    Without the AMI link the runtime builds no callback service; orders can then still be
    claimed, assigned, released and closed through a service of our own whose PBX refuses every
    command (calling back answers 503).
    """

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._sla = SlaPolicy(calendar=runtime.calendar)
        self._fallback: CallbackService | None = None

    def _service(self) -> CallbackService:
        if self._rt.callbacks is not None:
            return self._rt.callbacks
        if self._fallback is None:
            board = self._rt.board
            if board is None:
                raise PbxUnavailable("坐席状态服务未启动")
            self._fallback = CallbackService(
                store=self._rt.repos.work_orders,
                ledger=CallbackLedgerRepository(self._rt.repos.db),
                calls=_PbxOffline(),
                bus=self._rt.bus,
                clock=self._rt.clock,
                seats=CallbackSeats(self._rt.repos, board),
                sla=self._sla,
            )
        return self._fallback

    def _context(self, principal: Principal) -> tuple[Scope, dict[str, Team], dict[str, Seat]]:
        teams = self._rt.repos.teams.all()
        seats = self._rt.repos.seats.all()
        return Scope.of(principal, teams, seats), {t.id: t for t in teams}, {s.id: s for s in seats}

    def _json(
        self, order: WorkOrder, now: datetime, teams: Mapping[str, Team], seats: Mapping[str, Seat]
    ) -> dict[str, Any]:
        sla = self._sla.state_of(order, now)
        team = teams.get(order.team_id) if order.team_id else None
        owner = seats.get(order.owner_seat_id) if order.owner_seat_id else None
        return {
            "id": order.id,
            "caller_number": mask_number(order.caller_number),
            "reason": order.reason.value,
            "reason_label": order.reason.label,
            "status": order.status.value,
            "status_label": order.status.label,
            "open": order.status.is_open,
            "team_id": order.team_id,
            "team_name": team.name if team else "未分组",
            "owner_seat_id": order.owner_seat_id,
            "owner_name": owner.name if owner else "",
            "created_at": order.created_at.isoformat(),
            "created_local": _local(order.created_at),
            "deadline": order.deadline.isoformat(),
            "deadline_local": _local(order.deadline),
            "sla": sla.value,
            "sla_label": sla.label,
            "attempts": order.attempts,
            "misses": order.misses,
            "closed_at": _iso(order.closed_at),
            "closed_local": _local(order.closed_at),
            "outcome_note": order.outcome_note,
        }

    def list_orders(
        self,
        principal: Principal,
        *,
        scope: str,
        status: str | None = None,
        sla: str | None = None,
        team_id: str | None = None,
        day: date | None = None,
    ) -> list[dict[str, Any]]:
        now = self._rt.clock.now()
        sc, teams, seats = self._context(principal)
        repo = self._rt.repos.work_orders
        if status is not None and status not in _STATUS_FILTERS:
            raise InvalidInput("状态筛选无效", status=status)
        if sla is not None and sla not in {s.value for s in SlaState}:
            raise InvalidInput("时限筛选无效", sla=sla)
        statuses = _STATUS_FILTERS[status] if status else None
        if scope == "mine":
            orders = repo.search(
                statuses=statuses or OPEN_STATUSES, owner_seat_id=principal.seat_id, limit=500
            )
        elif scope == "pool":
            seat = seats.get(principal.seat_id) if principal.seat_id else None
            if seat is None:
                return []
            # The seat's team pool plus the city-wide pool, which every seat may claim from.
            orders = repo.search(statuses=(WorkOrderStatus.POOL,), team_id=seat.team_id, limit=500)
            orders += repo.search(statuses=(WorkOrderStatus.POOL,), team_id=CITYWIDE_TEAM, limit=500)
            orders.sort(key=lambda o: o.deadline)
        else:
            if team_id is not None and not sc.sees_team(team_id):
                raise PermissionDenied("无权查看该团队的工单", team_id=team_id)
            orders = repo.search(statuses=statuses, team_id=TeamId(team_id) if team_id else None, limit=2000)
            orders = [o for o in orders if sc.sees_team(o.team_id)]
        if day is not None:
            orders = [o for o in orders if o.created_at.astimezone(CHINA_TZ).date() == day]
        out = [self._json(o, now, teams, seats) for o in orders]
        if sla is not None:
            out = [o for o in out if o["sla"] == sla]
        return out

    def options(self, principal: Principal) -> dict[str, Any]:
        sc, teams, seats = self._context(principal)
        visible_teams = [t for t in teams.values() if sc.sees_team(t.id)]
        assignable = (
            [
                {"seat_id": s.id, "name": s.name, "team_id": s.team_id}
                for s in seats.values()
                if s.active and sc.sees_team(s.team_id)
            ]
            if principal.role in (Role.SUPERVISOR, Role.ADMIN)
            else []
        )
        return {
            "teams": [{"id": t.id, "name": t.name} for t in visible_teams],
            "seats": assignable,
            "statuses": [{"value": s.value, "label": s.label} for s in WorkOrderStatus],
            "sla": [{"value": s.value, "label": s.label} for s in SlaState],
            "close_outcomes": [
                {"value": o.value, "label": o.label}
                for o in (
                    CloseOutcome if principal.role in (Role.SUPERVISOR, Role.ADMIN) else SEAT_CLOSE_OUTCOMES
                )
            ],
        }

    def _visible(self, principal: Principal, order_id: str) -> tuple[WorkOrder, Scope]:
        sc, _, seats = self._context(principal)
        order = self._rt.repos.work_orders.get(WorkOrderId(order_id))
        if principal.role is Role.SEAT:
            seat = seats.get(principal.seat_id) if principal.seat_id else None
            mine = order.owner_seat_id is not None and order.owner_seat_id == principal.seat_id
            # A seat sees its team's orders (a late claim then answers 409, not 404).
            same_team = seat is not None and order.team_id == seat.team_id
            if not (mine or same_team):
                raise NotFound("工单不存在或不属于您", order_id=order_id)
        elif not sc.sees_team(order.team_id):
            raise NotFound("工单不存在或不在您的管辖范围内", order_id=order_id)
        return order, sc

    def _one(self, order: WorkOrder) -> dict[str, Any]:
        _, teams, seats = self._context_all()
        return self._json(order, self._rt.clock.now(), teams, seats)

    def _context_all(self) -> tuple[None, dict[str, Team], dict[str, Seat]]:
        return (
            None,
            {t.id: t for t in self._rt.repos.teams.all()},
            {s.id: s for s in self._rt.repos.seats.all()},
        )

    async def claim(self, principal: Principal, order_id: str) -> dict[str, Any]:
        self._visible(principal, order_id)
        assert principal.seat_id is not None
        order = await self._service().claim(WorkOrderId(order_id), principal.seat_id)
        return self._one(order)

    async def start_callback(self, principal: Principal, order_id: str) -> dict[str, Any]:
        self._visible(principal, order_id)
        assert principal.seat_id is not None
        if self._rt.callbacks is None or self._rt.control is None:
            raise PbxUnavailable("电话系统未连接，暂时无法回拨")
        attempt = await self._service().start_callback(WorkOrderId(order_id), principal.seat_id)
        order = self._rt.repos.work_orders.get(WorkOrderId(order_id))
        return {"attempt": attempt.number, "attempt_id": attempt.attempt_id, "order": self._one(order)}

    async def close(self, principal: Principal, order_id: str, outcome: str, note: str) -> dict[str, Any]:
        order, _ = self._visible(principal, order_id)
        chosen = CloseOutcome(outcome)
        if principal.role is Role.SEAT:
            if order.owner_seat_id != principal.seat_id:
                raise PermissionDenied("只有工单的处理坐席可以结案，请先领取", order_id=order_id)
            if chosen not in SEAT_CLOSE_OUTCOMES:
                raise PermissionDenied("坐席不能撤销工单，请联系班长", order_id=order_id)
        if not note:
            raise InvalidInput("请填写结案说明")
        closed = await self._service().close(WorkOrderId(order_id), chosen, note=note, by=principal.user_id)
        return self._one(closed)

    async def assign(self, principal: Principal, order_id: str, seat_id: str) -> dict[str, Any]:
        _, sc = self._visible(principal, order_id)
        if seat_id not in sc.seat_ids:
            raise PermissionDenied("该坐席不在您的管辖范围内", seat_id=seat_id)
        order = await self._service().assign(
            WorkOrderId(order_id), SeatId(seat_id), by=principal.user_id, any_team=True
        )
        return self._one(order)

    async def release(self, principal: Principal, order_id: str) -> dict[str, Any]:
        self._visible(principal, order_id)
        order = await self._service().release(WorkOrderId(order_id), by=principal.user_id)
        return self._one(order)


# --- offices -----------------------------------------------------------------------------------


def office_from_mapping(row: Mapping[str, Any]) -> Office:
    district = str(row.get("district_code") or "")
    return Office(
        id=OfficeId(str(row["id"])),
        name=str(row.get("name") or ""),
        level=OfficeLevel(str(row.get("level"))),
        parent_id=OfficeId(str(row["parent_id"])) if row.get("parent_id") else None,
        admin_code=str(row.get("admin_code") or ""),
        district_code=district,
        street_code=str(row["street_code"]) if row.get("street_code") else None,
        team_id=TeamId(str(row.get("team_id") or f"team-{district}")),
        address=str(row.get("address") or ""),
        phone=str(row.get("phone") or ""),
        opening_hours=str(row.get("opening_hours") or DEFAULT_OPENING_HOURS),
        lat=row.get("lat"),
        lon=row.get("lon"),
    )


def office_mapping(o: Office) -> dict[str, Any]:
    return {
        "id": o.id,
        "name": o.name,
        "level": o.level.value,
        "parent_id": o.parent_id,
        "admin_code": o.admin_code,
        "district_code": o.district_code,
        "street_code": o.street_code,
        "address": o.address,
        "phone": o.phone,
        "opening_hours": o.opening_hours,
        "lat": o.lat,
        "lon": o.lon,
        "team_id": o.team_id,
    }


def seed_offices_if_empty(runtime: Runtime) -> int:
    """Fill the offices table from the gazetteer's derived network when it is empty; returns rows added."""
    if runtime.repos.offices.count() > 0:
        return 0
    registry = build_offices(load_gazetteer(GAZETTEER_DIR))
    added = runtime.repos.offices.upsert_many([office_mapping(o) for o in registry])
    log.info("offices table seeded from the gazetteer: %d offices", added)
    return added


class OfficesConsole:
    """`OfficesBackend` over the offices table. `reload()` rebuilds the registry from the table and
    hands it to `on_reload` (the composition root points routing at it)."""

    def __init__(
        self, runtime: Runtime, *, on_reload: Callable[[OfficeRegistry], None] | None = None
    ) -> None:
        self._rt = runtime
        self._on_reload = on_reload
        self.registry: OfficeRegistry | None = None

    def _all(self) -> list[Office]:
        return [office_from_mapping(r) for r in self._rt.repos.offices.all()]

    def reload(self) -> OfficeRegistry:
        registry = OfficeRegistry(self._all())
        self.registry = registry
        if self._on_reload is not None:
            self._on_reload(registry)
        return registry

    def _teams(self) -> dict[str, str]:
        return {t.id: t.name for t in self._rt.repos.teams.all()}

    def _json(self, o: Office, teams: Mapping[str, str]) -> dict[str, Any]:
        return office_mapping(o) | {
            "level_label": o.level.label,
            "team_name": teams.get(o.team_id, o.team_id),
        }

    def list_offices(
        self,
        *,
        district: str | None = None,
        level: str | None = None,
        q: str | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> dict[str, Any]:
        offices = self._all()
        districts = sorted({o.district_code for o in offices})
        centres = {o.district_code: o.name for o in offices if o.level is OfficeLevel.CENTRE}
        if district:
            offices = [o for o in offices if o.district_code == district]
        if level:
            offices = [o for o in offices if o.level.value == level]
        if q:
            offices = [o for o in offices if q in o.name or q in o.address or q == o.admin_code]
        teams = self._teams()
        return {
            "total": len(offices),
            "offices": [self._json(o, teams) for o in offices[offset : offset + limit]],
            "districts": [
                {"code": d, "name": centres.get(d, d).removesuffix("公共法律服务中心")} for d in districts
            ],
            "levels": [{"value": lv.value, "label": lv.label} for lv in OfficeLevel],
            "teams": [{"id": k, "name": v} for k, v in teams.items()],
        }

    def _get(self, office_id: str) -> Office:
        for row in self._rt.repos.offices.all():
            if row["id"] == office_id:
                return office_from_mapping(row)
        raise NotFound("机构不存在", office_id=office_id)

    def get_office(self, office_id: str) -> dict[str, Any]:
        return self._json(self._get(office_id), self._teams())

    def update_office(self, office_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        everything = {o.id: o for o in self._all()}
        current = everything.get(OfficeId(office_id))
        if current is None:
            raise NotFound("机构不存在", office_id=office_id)
        teams = self._teams()
        if changes["team_id"] not in teams:
            raise InvalidInput(f"团队不存在：{changes['team_id']}", team_id=changes["team_id"])
        edited = replace(
            current,
            name=str(changes["name"]).strip(),
            address=str(changes.get("address") or "").strip(),
            phone=str(changes.get("phone") or "").strip(),
            opening_hours=str(changes.get("opening_hours") or "").strip() or DEFAULT_OPENING_HOURS,
            lat=changes.get("lat"),
            lon=changes.get("lon"),
            team_id=TeamId(str(changes["team_id"])),
        )
        # Validate with the CSV rules (phone, coordinates, parents): the office and its ancestors.
        chain = [edited]
        parent = edited.parent_id
        while parent is not None and parent in everything and len(chain) < 5:
            chain.insert(0, everything[parent])
            parent = everything[parent].parent_id
        read_offices_csv(write_offices_csv(chain))
        self._rt.repos.offices.upsert_many([office_mapping(edited)])
        self.reload()
        return self._json(edited, teams)

    def import_csv(self, text: str) -> dict[str, Any]:
        offices = read_offices_csv(text)  # OfficeCsvError lists every bad row
        teams = self._teams()
        unknown = sorted({o.team_id for o in offices if o.team_id not in teams})
        if unknown:
            raise InvalidInput("机构表引用了不存在的团队：" + "、".join(unknown))
        self._rt.repos.offices.upsert_many([office_mapping(o) for o in offices])
        registry = self.reload()
        return {"imported": len(offices), "total": len(registry)}

    def export_csv(self) -> str:
        return write_offices_csv(self._all())
