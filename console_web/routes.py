"""HTTP and websocket routes of the console.

Services are injected: the composition root puts an object satisfying `ConsoleBackend` on
`app.state.backend` during start-up; nothing here knows how it is built. Every route except the
page shell, its assets, /healthz and /api/login needs a session; every state-changing route also
needs the CSRF header; every pushed event is filtered by `seats.permissions.may_see`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Request, Response, WebSocket
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from callbacks.models import MissReason, WorkOrderStatus
from console_web.auth import COOKIE, CSRF_HEADER, Authenticated, AuthService
from console_web.hub import WebsocketHub
from core.asr_events import Leg
from core.blocking import offload
from core.calls import CallRecord, CallStatus
from core.errors import HotlineError, NotAuthenticated
from core.events import DomainEvent, call_id_of
from core.privacy import mask_number
from core.seat_events import PauseReason, SeatStatus
from seats.permissions import Principal, may_see, sees_full_numbers

STATIC = Path(__file__).resolve().parent / "static"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class ConsoleBackend(Protocol):
    hub: WebsocketHub
    auth: AuthService

    async def components_now(self) -> list[dict[str, object]]: ...

    def recent_calls(self, limit: int) -> list[CallRecord]: ...


class LoginForm(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


def _backend(request: Request | WebSocket) -> ConsoleBackend:
    backend: ConsoleBackend = request.app.state.backend
    return backend


def _client_ip(request: Request | WebSocket) -> str:
    return request.client.host if request.client else ""


def current_user(request: Request) -> Authenticated:
    auth = _backend(request).auth.authenticate(request.cookies.get(COOKIE))
    # Read by console_web.security.MaskPhoneNumbers when it serialises the response.
    request.state.sees_full_numbers = sees_full_numbers(auth.principal)
    return auth


def csrf_checked(request: Request, auth: Annotated[Authenticated, Depends(current_user)]) -> Authenticated:
    _backend(request).auth.check_csrf(auth, request.headers.get(CSRF_HEADER))
    return auth


User = Annotated[Authenticated, Depends(current_user)]
Acting = Annotated[Authenticated, Depends(csrf_checked)]


def call_audience(call: CallRecord) -> frozenset[str]:
    keys = set()
    if call.seat_id:
        keys.add(f"seat:{call.seat_id}")
    if call.district_code:
        keys.add(f"district:{call.district_code}")
    return frozenset(keys)


def event_visible_to(principal: Principal, event: DomainEvent) -> bool:
    return may_see(principal, event.audience(), about_a_call=call_id_of(event) is not None)


def _call_json(call: CallRecord) -> dict[str, Any]:
    return {
        "id": call.id,
        "caller": mask_number(call.caller_number),
        "status": call.status.value,
        "status_label": call.status.label,
        "queue": call.queue,
        "category": call.category,
        "district_code": call.district_code,
        "seat_id": call.seat_id,
        "offered_at": call.offered_at.isoformat(),
        "wait_seconds": call.wait_seconds,
        "talk_seconds": call.talk_seconds,
    }


def state_labels() -> dict[str, dict[str, str]]:
    """Each state enum's one Chinese label, by value: pages take their texts from here."""
    enums: dict[str, type[CallStatus | WorkOrderStatus | MissReason | SeatStatus | PauseReason | Leg]] = {
        "call_status": CallStatus,
        "work_order_status": WorkOrderStatus,
        "miss_reason": MissReason,
        "seat_status": SeatStatus,
        "pause_reason": PauseReason,
        "leg": Leg,
    }
    return {name: {m.value: m.label for m in enum} for name, enum in enums.items()}


def _principal_json(auth: Authenticated) -> dict[str, Any]:
    p = auth.principal
    return {
        "user_id": p.user_id,
        "username": p.username,
        "display_name": p.display_name,
        "role": p.role.value,
        "role_label": p.role.label,
        "seat_id": p.seat_id,
        "scope_team_id": p.scope_team_id,
        "scope_district_code": p.scope_district_code,
        "csrf_token": auth.session.csrf_token,
    }


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    @router.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        # The database probe's real round trip (SELECT 1) runs off the event loop.
        status = await _backend(request).components_now()
        failing = [c for c in status if c.get("required", True) and not c["up"]]
        if not failing:
            return JSONResponse({"ok": True})
        return JSONResponse(
            {
                "ok": False,
                "message": "、".join(f"{c['label']}不可用" for c in failing)
                + " / "
                + ", ".join(f"{c['name']} unavailable" for c in failing),
                "failing": [{"name": c["name"], "label": c["label"], "detail": c["detail"]} for c in failing],
            },
            status_code=503,
        )

    @router.post("/api/login")
    async def login(form: LoginForm, request: Request, response: Response) -> dict[str, Any]:
        # Throttled clients are refused before hashing; argon2 runs in a bounded thread pool.
        auth, token = await _backend(request).auth.login(
            form.username, form.password, source_ip=_client_ip(request)
        )
        response.set_cookie(
            COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.hostname not in LOCAL_HOSTS,
            max_age=int((auth.session.expires_at - auth.session.created_at).total_seconds()),
            path="/",
        )
        return _principal_json(auth)

    @router.post("/api/logout")
    async def logout(auth: Acting, request: Request, response: Response) -> dict[str, bool]:
        backend = _backend(request)
        await offload(backend.auth.logout, auth, source_ip=_client_ip(request))
        # The session's live sockets go too (4401): a logged-out page must stop receiving calls.
        # The hub belongs to the event loop: hence an async route, with only the database offloaded.
        backend.hub.close_session(auth.session.token_hash, reason="已退出登录")
        response.delete_cookie(COOKIE, path="/")
        return {"ok": True}

    @router.get("/api/me")
    def me(auth: User) -> dict[str, Any]:
        return _principal_json(auth)

    @router.get("/api/labels")
    def labels(auth: User) -> dict[str, dict[str, str]]:
        return state_labels()

    @router.get("/api/status")
    async def api_status(auth: User, request: Request) -> dict[str, Any]:
        return {"components": await _backend(request).components_now()}

    @router.get("/api/calls/recent")
    def recent_calls(auth: User, request: Request, limit: int = 50) -> dict[str, Any]:
        limit = max(1, min(limit, 500))
        calls = [
            c
            for c in _backend(request).recent_calls(limit)
            if may_see(auth.principal, call_audience(c), about_a_call=True)
        ]
        return {"calls": [_call_json(c) for c in calls]}

    @router.websocket("/ws/events")
    async def events(ws: WebSocket) -> None:
        backend = _backend(ws)
        origin = ws.headers.get("origin")
        host = ws.headers.get("host")
        if origin is not None and host is not None and origin.split("://", 1)[-1] != host:
            await ws.close(code=4403, reason="来源不被允许")
            return
        try:
            auth = await offload(backend.auth.authenticate, ws.cookies.get(COOKIE))
        except NotAuthenticated:
            await ws.close(code=4401, reason="请先登录")
            return
        await ws.accept()
        principal = auth.principal
        token = ws.cookies.get(COOKIE)

        async def revalidate() -> str | None:
            try:
                await offload(backend.auth.authenticate, token)
            except HotlineError as exc:  # logged out, expired, account disabled or removed
                return exc.message
            return None

        await backend.hub.serve(
            ws,
            allowed=lambda e: event_visible_to(principal, e),
            session=auth.session.token_hash,
            user=principal.user_id,
            revalidate=revalidate,
            expires_in_s=backend.auth.seconds_left(auth),
            full_numbers=sees_full_numbers(principal),
        )

    return router
