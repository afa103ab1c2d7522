"""HTTP and websocket routes of the console.

Services are injected: the composition root puts an object satisfying `ConsoleBackend` on
`app.state.backend` during start-up; nothing here knows how it is built. Every route except the
page shell, its assets, /healthz and /api/login needs a session; every state-changing route also
needs the CSRF header. What each user is pushed and what their lists show is decided by one rule,
the `core.access.Scope` the backend builds for them (`scope_of`): `Scope.sees`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Request, Response, WebSocket
from pydantic import BaseModel, Field

from callbacks.models import MissReason, WorkOrderStatus
from console_web.auth import COOKIE, CSRF_HEADER, Authenticated, AuthService
from console_web.deps import add_page, client_ip
from console_web.feeds import UnknownFeed, feed_named
from console_web.hub import WebsocketHub
from core.access import Principal, Scope, sees_full_numbers
from core.asr_events import Leg
from core.blocking import offload
from core.calls import CallRecord, CallStatus
from core.errors import NotAuthenticated
from core.privacy import mask_number
from core.seat_events import PauseReason, SeatStatus

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
# How many of the latest calls `/api/calls/recent` reads at most to find a scoped user's own.
RECENT_SCAN_MAX = 10_000


class ConsoleBackend(Protocol):
    hub: WebsocketHub
    auth: AuthService

    async def components_now(self) -> list[dict[str, object]]: ...

    def recent_calls(self, limit: int) -> list[CallRecord]: ...

    def scope_of(self, principal: Principal) -> Scope: ...


class LoginForm(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


async def recheck_sockets(
    auth: AuthService, scope_of: Callable[[Principal], Scope], sessions: list[str]
) -> dict[str, str | Scope]:
    """The hub's recheck of its open sockets (`WebsocketHub(recheck=...)`): each login session
    (token hash) again in one query, off the loop; why it ended, or its viewer's scope now."""

    def check() -> dict[str, str | Scope]:
        now = auth.recheck(sessions)
        return {h: who if isinstance(who, str) else scope_of(who) for h, who in now.items()}

    return await offload(check)


def _backend(request: Request | WebSocket) -> ConsoleBackend:
    backend: ConsoleBackend = request.app.state.backend
    return backend


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


class OkOut(BaseModel):
    ok: bool = True


class FailingOut(BaseModel):
    name: str
    label: str
    detail: str


class HealthOut(BaseModel):
    ok: bool
    message: str | None = None
    failing: list[FailingOut] | None = None


class ComponentOut(BaseModel):
    name: str
    label: str
    up: bool
    detail: str
    required: bool


class StatusOut(BaseModel):
    components: list[ComponentOut]


class PrincipalOut(BaseModel):
    user_id: str
    username: str
    display_name: str
    role: str
    role_label: str
    seat_id: str | None
    scope_team_id: str | None
    scope_district_code: str | None
    citywide: bool  # sees every call (`Principal.citywide`): the board keeps its list by that
    csrf_token: str

    @classmethod
    def of(cls, auth: Authenticated) -> PrincipalOut:
        p = auth.principal
        return cls(
            user_id=p.user_id,
            username=p.username,
            display_name=p.display_name,
            role=p.role.value,
            role_label=p.role.label,
            seat_id=p.seat_id,
            scope_team_id=p.scope_team_id,
            scope_district_code=p.scope_district_code,
            citywide=p.citywide,
            csrf_token=auth.session.csrf_token,
        )


class CallOut(BaseModel):
    id: str
    caller: str
    status: str
    status_label: str
    queue: str | None
    category: str | None
    district_code: str | None
    seat_id: str | None
    offered_at: str
    wait_seconds: float | None
    talk_seconds: float | None

    @classmethod
    def of(cls, call: CallRecord) -> CallOut:
        return cls(
            id=call.id,
            caller=mask_number(call.caller_number),
            status=call.status.value,
            status_label=call.status.label,
            queue=call.queue,
            category=call.category,
            district_code=call.district_code,
            seat_id=call.seat_id,
            offered_at=call.offered_at.isoformat(),
            wait_seconds=call.wait_seconds,
            talk_seconds=call.talk_seconds,
        )


class RecentCallsOut(BaseModel):
    calls: list[CallOut]


class LabelsOut(BaseModel):
    """Each state enum's one Chinese label, by value: pages take their texts from here."""

    call_status: dict[str, str]
    work_order_status: dict[str, str]
    miss_reason: dict[str, str]
    seat_status: dict[str, str]
    pause_reason: dict[str, str]
    leg: dict[str, str]


def state_labels() -> LabelsOut:
    enums: dict[str, type[CallStatus | WorkOrderStatus | MissReason | SeatStatus | PauseReason | Leg]] = {
        "call_status": CallStatus,
        "work_order_status": WorkOrderStatus,
        "miss_reason": MissReason,
        "seat_status": SeatStatus,
        "pause_reason": PauseReason,
        "leg": Leg,
    }
    return LabelsOut.model_validate({name: {m.value: m.label for m in enum} for name, enum in enums.items()})


def build_router() -> APIRouter:
    router = APIRouter()

    add_page(router, "/", "index.html")

    @router.get("/healthz", response_model=HealthOut, response_model_exclude_none=True)
    async def healthz(request: Request, response: Response) -> HealthOut:
        # The database probe's real round trip (SELECT 1) runs off the event loop.
        status = await _backend(request).components_now()
        failing = [c for c in status if c.get("required", True) and not c["up"]]
        if not failing:
            return HealthOut(ok=True)
        response.status_code = 503
        return HealthOut(
            ok=False,
            message="、".join(f"{c['label']}不可用" for c in failing)
            + " / "
            + ", ".join(f"{c['name']} unavailable" for c in failing),
            failing=[FailingOut.model_validate(c) for c in failing],
        )

    @router.post("/api/login", response_model=PrincipalOut)
    async def login(form: LoginForm, request: Request, response: Response) -> PrincipalOut:
        # Throttled clients are refused before hashing; argon2 runs in a bounded thread pool.
        auth, token = await _backend(request).auth.login(
            form.username, form.password, source_ip=client_ip(request)
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
        return PrincipalOut.of(auth)

    @router.post("/api/logout", response_model=OkOut)
    async def logout(auth: Acting, request: Request, response: Response) -> OkOut:
        backend = _backend(request)
        await offload(backend.auth.logout, auth, source_ip=client_ip(request))
        # The session's live sockets go too (4401): a logged-out page must stop receiving calls.
        # The hub belongs to the event loop: hence an async route, with only the database offloaded.
        backend.hub.close_session(auth.session.token_hash, reason="已退出登录")
        response.delete_cookie(COOKIE, path="/")
        return OkOut()

    @router.get("/api/me", response_model=PrincipalOut)
    def me(auth: User) -> PrincipalOut:
        return PrincipalOut.of(auth)

    @router.get("/api/labels", response_model=LabelsOut)
    def labels(auth: User) -> LabelsOut:
        return state_labels()

    @router.get("/api/status", response_model=StatusOut)
    async def api_status(auth: User, request: Request) -> StatusOut:
        return StatusOut.model_validate({"components": await _backend(request).components_now()})

    @router.get("/api/calls/recent", response_model=RecentCallsOut)
    def recent_calls(auth: User, request: Request, limit: int = 50) -> RecentCallsOut:
        # The same rule as the pushes (`sees_event`): a call pushed live is found here afterwards,
        # however busy the other districts are (the window widens until `limit` calls are theirs).
        backend = _backend(request)
        scope = backend.scope_of(auth.principal)
        limit = max(1, min(limit, 500))
        window = limit
        while True:
            calls = backend.recent_calls(window)
            mine = [c for c in calls if scope.sees_call(c)]
            if len(mine) >= limit or len(calls) < window or window >= RECENT_SCAN_MAX:
                break
            window = min(window * 4, RECENT_SCAN_MAX)
        return RecentCallsOut(calls=[CallOut.of(c) for c in mine[:limit]])

    @router.websocket("/ws/events")
    async def events(ws: WebSocket) -> None:
        backend = _backend(ws)
        origin = ws.headers.get("origin")
        host = ws.headers.get("host")
        if origin is not None and host is not None and origin.split("://", 1)[-1] != host:
            await ws.close(code=4403, reason="来源不被允许")
            return
        try:
            feed = feed_named(ws.query_params.get("feed"))
        except UnknownFeed:
            await ws.close(code=4400, reason="未知的推送类别")
            return
        try:
            auth = await offload(backend.auth.authenticate, ws.cookies.get(COOKIE))
        except NotAuthenticated:
            await ws.close(code=4401, reason="请先登录")
            return
        await ws.accept()
        principal = auth.principal
        # Built off the loop now and again at each recheck (teams and seats may have changed);
        # the hub routes each event to the sockets whose scope sees it.
        scope = await offload(backend.scope_of, principal)
        await backend.hub.serve(
            ws,
            scope=scope,
            session=auth.session.token_hash,
            user=principal.user_id,
            expires_in_s=backend.auth.seconds_left(auth),
            full_numbers=sees_full_numbers(principal),
            feed=feed,
        )

    return router
