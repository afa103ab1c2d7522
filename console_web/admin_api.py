"""The admin's oversight pages (issue 16, item 3), and the listen page for whoever holds 监听.

* 权限设置 `/admin/rights`: which role holds 监听与耳语, 强插与强拆, 调度坐席; the admin changes
  them (`seats.rights.RoleRights` on `app.state.rights_backend`, applied at once to monitoring and
  steering, audited `rights.change`).
* 审计日志 `/admin/audit`: the audit lines of monitoring, force hang-ups, steering and rights
  changes, filtered and paged (`seats.audit_trail.AuditTrail` on `app.state.audit_backend`).
* 实时监听 `/listen`: the talking seats of the principal's scope, to pick a call and listen (a
  quality inspector has no supervisor's board: the board's figures and steering are not theirs).

Admins only for the first two (the services refuse others: 403); the third for any role whose
rights include 监听 or 强插 (today's table, not a fixed list of roles).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from console_web.deps import AppService, add_page, client_ip, parse_day
from console_web.routes import Acting, User
from console_web.supervisor_api import supervisor_backend
from console_web.supervisor_views import SeatsOut
from console_web.views import Choice
from core.access import Right, Role
from core.errors import InvalidInput, PermissionDenied
from core.ids import UserId
from core.seat_events import SeatStatus
from seats.audit_trail import AuditKind, AuditLine, AuditTrail
from seats.rights import RoleRights, RoleRightsLine

rights_backend = AppService[RoleRights]("rights_backend", "权限服务尚未启动")
audit_backend = AppService[AuditTrail]("audit_backend", "审计服务尚未启动")


class RoleRightsOut(BaseModel):
    role: str
    role_label: str
    rights: list[str]
    saved: bool  # set by the admin (else the settings' default)
    editable: bool  # the seat role holds none of these rights, ever

    @classmethod
    def of(cls, line: RoleRightsLine) -> RoleRightsOut:
        return cls(
            role=line.role.value,
            role_label=line.role.label,
            rights=[r.value for r in Right if r in line.rights],
            saved=line.saved,
            editable=line.editable,
        )


class RightsTableOut(BaseModel):
    roles: list[RoleRightsOut]
    rights: list[Choice]
    message: str = ""


class RightsIn(BaseModel):
    roles: dict[str, list[str]] = Field(
        description='角色 -> 权限，如 {"inspector": ["monitor"]}；未列出的角色保持不变'
    )


class AuditPageOut(BaseModel):
    entries: list[AuditLine]  # the service's own lines: one field list
    total: int
    page: int
    per_page: int
    kinds: list[Choice]
    actors: list[Choice]


def _wanted(body: RightsIn) -> dict[Role, frozenset[Right]]:
    roles = {r.value: r for r in Role}
    rights = {r.value: r for r in Right}
    out: dict[Role, frozenset[Right]] = {}
    for role, held in body.roles.items():
        if role not in roles:
            raise InvalidInput(f"未知角色：{role}", role=role)
        unknown = [h for h in held if h not in rights]
        if unknown:
            raise InvalidInput(f"未知权限：{'、'.join(unknown)}", rights=unknown)
        out[roles[role]] = frozenset(rights[h] for h in held)
    return out


def build_admin_router() -> APIRouter:
    router = APIRouter()
    add_page(router, "/admin/rights", "rights.html")
    add_page(router, "/admin/audit", "audit.html")
    add_page(router, "/listen", "listen.html")

    @router.get("/api/admin/rights", response_model=RightsTableOut)
    async def rights_table(auth: User, request: Request) -> RightsTableOut:
        """Each role's rights (admins)."""
        lines = rights_backend(request).table(auth.principal)
        return RightsTableOut(roles=[RoleRightsOut.of(x) for x in lines], rights=Choice.all(Right))

    @router.put("/api/admin/rights", response_model=RightsTableOut)
    async def change_rights(body: RightsIn, auth: Acting, request: Request) -> RightsTableOut:
        """The admin sets roles' rights: applied at once, audited (rights.change)."""
        service = rights_backend(request)
        service.require_admin(auth.principal)  # a non-admin is refused whatever the body says
        lines = await service.change(auth.principal, _wanted(body), client_ip(request))
        return RightsTableOut(
            roles=[RoleRightsOut.of(x) for x in lines],
            rights=Choice.all(Right),
            message="权限已保存，立即生效",
        )

    @router.get("/api/admin/audit", response_model=AuditPageOut)
    async def audit_page(
        auth: User,
        request: Request,
        kind: str = "",
        actor: str = "",
        since: str = "",
        until: str = "",
        page: int = 1,
        per_page: int = 50,
    ) -> AuditPageOut:
        """The audit lines of monitoring, force hang-ups, steering and rights changes (admins)."""
        if kind and kind not in AuditKind.__members__.values():
            raise InvalidInput(f"未知的操作类别：{kind}", kind=kind)
        got = await audit_backend(request).page(
            auth.principal,
            kind=AuditKind(kind) if kind else None,
            actor=UserId(actor) if actor else None,
            since=parse_day(since),
            until=parse_day(until),
            page=page,
            per_page=per_page,
        )
        return AuditPageOut(
            entries=got.lines,
            total=got.total,
            page=got.page,
            per_page=got.per_page,
            kinds=Choice.all(AuditKind),
            actors=[Choice(value=k, label=v) for k, v in sorted(got.actors.items(), key=lambda kv: kv[1])],
        )

    @router.get("/api/monitor/seats", response_model=SeatsOut)
    async def talking_seats(auth: User, request: Request) -> SeatsOut:
        """The talking seats of the principal's scope: what 实时监听 picks a call from."""
        if not rights_backend(request).get(auth.principal.role, frozenset()) & {Right.MONITOR, Right.BARGE}:
            raise PermissionDenied("您没有监听、耳语的权限")
        out = SeatsOut.of(await supervisor_backend(request).seats(auth.principal))
        out.seats = [s for s in out.seats if s.status is SeatStatus.TALKING]
        return out

    return router
