"""Callback work orders (回拨工单): the /orders page and its API.

The composition root puts an object satisfying `OrdersBackend` on `app.state.orders_backend`.
Tabs: 我的工单 (`scope=mine`, seats), 团队工单池 (`scope=pool`, seats), 全部工单 (`scope=all`,
supervisors and admins, scoped by the backend); `kind` narrows to 回拨 or 回访 orders, and a
回访 order's outcome is recorded with `/follow-up`. Actions change state: each needs the CSRF header,
is checked by role here and by scope / ownership in the backend, and is written to the audit log.
Caller numbers are masked in every response (`console_web.orders_views`). The reads block
(repositories): their routes are plain `def`, run on a worker thread.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from callbacks.workbench import Workbench
from console_web.auth import Authenticated
from console_web.deps import AppService, add_page, audio_response, audit, parse_day, require_role
from console_web.orders_views import CallbackStartedOut, OrderList, OrderOptionsOut, OrderOut
from console_web.routes import Acting, User
from core.access import SUPERVISING, Principal, Role
from core.blocking import offload
from core.errors import InvalidInput, PermissionDenied

SCOPES = ("mine", "pool", "all")
CLOSE_OUTCOMES = ("reached", "unreachable", "caller_called_back", "cancelled")


OrdersBackend = Workbench  # the service itself: one signature, no Protocol copy of it


class CloseForm(BaseModel):
    outcome: str = Field(min_length=1, max_length=40)
    note: str = Field(default="", max_length=2000)


class AppointmentForm(BaseModel):
    """预约回拨 agreed during call `call_id`: `at` with its zone (e.g. 2026-12-07T10:30:00+08:00)."""

    call_id: str = Field(min_length=1, max_length=64)
    at: datetime
    note: str = Field(default="", max_length=200)


class FollowUpForm(BaseModel):
    """回访 outcome: reached or not (联系不上); when reached, resolved or not and the satisfaction
    after the follow-up (satisfied / basically_satisfied / dissatisfied); a note. Checked, with
    Chinese messages, by `callbacks.followup.parse_result`."""

    reached: bool | None = None
    resolved: bool | None = None
    satisfaction: str | None = Field(default=None, max_length=40)
    note: str = Field(default="", max_length=2000)


class AssignForm(BaseModel):
    seat_id: str = Field(min_length=1, max_length=64)


orders_backend = AppService[OrdersBackend]("orders_backend", "工单服务尚未启动")


def _is_supervisor(p: Principal) -> bool:
    return p.supervising


def _require_seat(p: Principal) -> None:
    if p.role is not Role.SEAT or p.seat_id is None:
        raise PermissionDenied("只有坐席可以领取或回拨工单")


def _require_supervisor(p: Principal) -> None:
    require_role(p, SUPERVISING, "只有班长或管理员可以分派或退回工单")


async def _audit(request: Request, auth: Authenticated, action: str, order_id: str, **detail: object) -> None:
    await offload(audit, request, auth, action, order_id, dict(detail))


def build_orders_router() -> APIRouter:
    router = APIRouter()

    add_page(router, "/orders", "orders.html")

    @router.get("/api/orders")
    def list_orders(
        auth: User,
        request: Request,
        scope: str = "mine",
        status: str | None = None,
        sla: str | None = None,
        team: str | None = None,
        date: str | None = None,
        order_no: str | None = None,
        kind: str | None = None,
    ) -> OrderList:
        p = auth.principal
        if scope not in SCOPES:
            raise InvalidInput("scope 应为 mine、pool 或 all", scope=scope)
        if scope in ("mine", "pool") and p.seat_id is None:
            raise PermissionDenied("该账号没有绑定坐席，请查看“全部工单”")
        if scope == "all" and not _is_supervisor(p):
            raise PermissionDenied("只有班长或管理员可以查看全部工单")
        day = parse_day(date)
        orders = orders_backend(request).list_orders(
            p,
            scope=scope,
            status=status or None,
            sla=sla or None,
            team_id=team or None,
            day=day,
            order_no=(order_no or "").strip() or None,
            kind=kind or None,
        )
        return OrderList(orders=[OrderOut.of(o) for o in orders])

    @router.get("/api/orders/options")
    def options(auth: User, request: Request) -> OrderOptionsOut:
        return OrderOptionsOut.of(orders_backend(request).options(auth.principal))

    @router.post("/api/orders/appointments")
    async def appointment(form: AppointmentForm, auth: Acting, request: Request) -> OrderOut:
        _require_seat(auth.principal)
        view = await orders_backend(request).schedule(auth.principal, form.call_id, form.at, form.note)
        await _audit(request, auth, "work_order.appointment", view.order.id, at=form.at.isoformat())
        return OrderOut.of(view)

    @router.get(
        "/api/orders/{order_id}/voicemails/{call_id}/audio",
        response_class=FileResponse,
        responses={200: {"content": {"audio/wav": {}}, "description": "来电留言录音（WAV）"}},
    )
    async def voicemail_audio(order_id: str, call_id: str, auth: User, request: Request) -> FileResponse:
        """Streams the message's recording to whoever may see the order (Range requests too)."""
        path = await offload(orders_backend(request).voicemail_file, auth.principal, order_id, call_id)
        await _audit(request, auth, "work_order.voicemail_play", order_id, call_id=call_id)
        return audio_response(path)

    @router.post("/api/orders/{order_id}/claim")
    async def claim(order_id: str, auth: Acting, request: Request) -> OrderOut:
        _require_seat(auth.principal)
        order = await orders_backend(request).claim(auth.principal, order_id)
        await _audit(request, auth, "work_order.claim", order_id, seat_id=auth.principal.seat_id)
        return OrderOut.of(order)

    @router.post("/api/orders/{order_id}/callback")
    async def callback(order_id: str, auth: Acting, request: Request) -> CallbackStartedOut:
        _require_seat(auth.principal)
        result = await orders_backend(request).start_callback(auth.principal, order_id)
        await _audit(request, auth, "work_order.callback", order_id, seat_id=auth.principal.seat_id)
        return CallbackStartedOut.of(result)

    @router.post("/api/orders/{order_id}/close")
    async def close(order_id: str, form: CloseForm, auth: Acting, request: Request) -> OrderOut:
        if form.outcome not in CLOSE_OUTCOMES:
            raise InvalidInput("结案结果无效", outcome=form.outcome)
        order = await orders_backend(request).close(auth.principal, order_id, form.outcome, form.note.strip())
        await _audit(request, auth, "work_order.close", order_id, outcome=form.outcome)
        return OrderOut.of(order)

    @router.post("/api/orders/{order_id}/follow-up")
    async def follow_up(order_id: str, form: FollowUpForm, auth: Acting, request: Request) -> OrderOut:
        """回访 outcome: closes the order (reached), or counts an unreached try (联系不上)."""
        order = await orders_backend(request).record_follow_up(
            auth.principal,
            order_id,
            reached=form.reached,
            resolved=form.resolved,
            satisfaction=form.satisfaction,
            note=form.note,
        )
        await _audit(request, auth, "work_order.follow_up", order_id, reached=form.reached)
        return OrderOut.of(order)

    @router.post("/api/orders/{order_id}/assign")
    async def assign(order_id: str, form: AssignForm, auth: Acting, request: Request) -> OrderOut:
        _require_supervisor(auth.principal)
        order = await orders_backend(request).assign(auth.principal, order_id, form.seat_id)
        await _audit(request, auth, "work_order.assign", order_id, seat_id=form.seat_id)
        return OrderOut.of(order)

    @router.post("/api/orders/{order_id}/release")
    async def release(order_id: str, auth: Acting, request: Request) -> OrderOut:
        _require_supervisor(auth.principal)
        order = await orders_backend(request).release(auth.principal, order_id)
        await _audit(request, auth, "work_order.release", order_id)
        return OrderOut.of(order)

    return router
