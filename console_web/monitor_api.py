"""A supervisor in a seat's live call (班长监听 / 耳语 / 强插 / 接管 / 强拆, issue 16).

The composition root puts a `seats.monitor.SupervisorMonitor` on `app.state.monitor_backend`. The
rights (监听与耳语, 强插与强拆) are per role and checked by the service, as is the scope (a district
supervisor only their district's seats); every action is audited by the service, the end of a
monitor too (how long), and admins read those lines at /api/supervisor/monitor/audit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from console_web.deps import AppService, client_ip
from console_web.routes import Acting, User
from console_web.views import from_fields
from core.access import Right
from core.errors import PermissionDenied
from core.ids import SeatId, UserId
from seats.monitor import MonitorMode, MonitorView, SupervisorMonitor

monitor_backend = AppService[SupervisorMonitor]("monitor_backend", "监听服务尚未启动")


class MonitorIn(BaseModel):
    mode: MonitorMode = Field(description="listen 监听、whisper 耳语、barge 强插")


class RightOut(BaseModel):
    value: str
    label: str


class MonitorOut(BaseModel):
    active: bool
    seat_id: str | None = None
    call_id: str | None = None
    mode: str | None = None
    mode_label: str | None = None
    connected: bool = False
    state_label: str
    requested_at: datetime | None = None
    connected_at: datetime | None = None
    taken_over: bool = False
    taken_over_at: datetime | None = None
    message: str = ""
    rights: list[RightOut] = []

    @classmethod
    def of(cls, view: MonitorView, rights: frozenset[Right]) -> MonitorOut:
        return from_fields(
            cls,
            view,
            state_label=view.state_label,
            taken_over=view.taken_over,
            rights=[RightOut(value=r.value, label=r.label) for r in Right if r in rights],
        )


class PhoneIn(BaseModel):
    endpoint: str = Field(min_length=1, max_length=40, description="话机号（PJSIP 端点名），如 8001")
    password: str = Field(min_length=6, max_length=100, description="话机注册密码")


class PhoneOut(BaseModel):
    user_id: str
    endpoint: str
    message: str = "已分配话机：请执行 hotline asterisk-conf reload 使交换机生效"


class ForceHangupOut(BaseModel):
    call_id: str
    message: str = "已强拆该通话"


class MonitorAuditOut(BaseModel):
    at: datetime
    actor: str | None
    action: str
    target: str
    detail: dict[str, Any]
    source_ip: str


class MonitorAuditListOut(BaseModel):
    entries: list[MonitorAuditOut]


def build_monitor_router() -> APIRouter:
    router = APIRouter()

    def out(service: SupervisorMonitor, auth: User | Acting, view: MonitorView) -> MonitorOut:
        return MonitorOut.of(view, service.rights_of(auth.principal))

    @router.get("/api/supervisor/monitor", response_model=MonitorOut)
    async def current(auth: User, request: Request) -> MonitorOut:
        """The supervisor's own monitor now (or how the last one ended) and their rights."""
        service = monitor_backend(request)
        if not service.rights_of(auth.principal):
            raise PermissionDenied("您没有监听、耳语的权限")
        return out(service, auth, service.session(auth.principal))

    @router.post("/api/supervisor/seats/{seat_id}/monitor", response_model=MonitorOut)
    async def start(seat_id: str, body: MonitorIn, auth: Acting, request: Request) -> MonitorOut:
        """监听 / 耳语 / 强插: ring the supervisor's own phone, then into the seat's call."""
        service = monitor_backend(request)
        view = await service.start(auth.principal, SeatId(seat_id), body.mode, client_ip(request))
        return out(service, auth, view)

    @router.post("/api/supervisor/monitor/mode", response_model=MonitorOut)
    async def switch(body: MonitorIn, auth: Acting, request: Request) -> MonitorOut:
        service = monitor_backend(request)
        return out(service, auth, await service.switch(auth.principal, body.mode, client_ip(request)))

    @router.post("/api/supervisor/monitor/stop", response_model=MonitorOut)
    async def stop(auth: Acting, request: Request) -> MonitorOut:
        """结束监听: the supervisor leaves; the call goes on."""
        service = monitor_backend(request)
        return out(service, auth, await service.stop(auth.principal, client_ip(request)))

    @router.post("/api/supervisor/monitor/takeover", response_model=MonitorOut)
    async def take_over(auth: Acting, request: Request) -> MonitorOut:
        """接管: the caller is bridged with the supervisor's phone; the seat drops out."""
        service = monitor_backend(request)
        return out(service, auth, await service.take_over(auth.principal, client_ip(request)))

    @router.post("/api/supervisor/seats/{seat_id}/hangup", response_model=ForceHangupOut)
    async def force_hangup(seat_id: str, auth: Acting, request: Request) -> ForceHangupOut:
        """强拆: the seat's call is ended (the caller's channel hung up)."""
        call_id = await monitor_backend(request).force_hangup(
            auth.principal, SeatId(seat_id), client_ip(request)
        )
        return ForceHangupOut(call_id=call_id)

    @router.put("/api/supervisor/phones/{user_id}", response_model=PhoneOut)
    async def set_phone(user_id: str, body: PhoneIn, auth: Acting, request: Request) -> PhoneOut:
        """An admin gives a supervisor their own phone (rung first when they listen)."""
        service = monitor_backend(request)
        endpoint = await service.set_phone(
            auth.principal, UserId(user_id), body.endpoint, body.password, client_ip(request)
        )
        return PhoneOut(user_id=user_id, endpoint=endpoint)

    @router.get("/api/supervisor/monitor/audit", response_model=MonitorAuditListOut)
    async def audit_log(auth: User, request: Request, limit: int = 200) -> MonitorAuditListOut:
        """The audit lines of monitors and force hang-ups (admins)."""
        entries = await monitor_backend(request).audit_log(auth.principal, max(1, min(limit, 1000)))
        return MonitorAuditListOut(
            entries=[from_fields(MonitorAuditOut, e, detail=dict(e.detail)) for e in entries]
        )

    return router
