"""The seat lawyer's workspace API (坐席工作台): /seat and /api/seat/*.

The composition root puts an object satisfying `SeatConsoleBackend` on `app.state.seat_console`;
sessions and CSRF come from the console's own `AuthService` (`app.state.backend.auth`), exactly as
in `console_web.routes`. Rules enforced here: only seat accounts may use these routes (403 for
supervisors and admins), a seat always acts on its own seat (the seat id comes from the session,
never from the request), and every action is written to the audit log. Which calls a seat may see
is the backend's business: a call that is not the seat's own is reported as not found (404), so
that call ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from console_web.auth import Authenticated
from console_web.deps import add_page, audit, enum_of
from console_web.routes import csrf_checked, current_user
from console_web.seat_views import (
    AddressOut,
    MyDayOut,
    OkOut,
    RecordOut,
    ScreenPopOut,
    SeatStateOut,
    SegmentOut,
    TranscriptOut,
    TransferOut,
    TransferTargetsOut,
    UnsubmittedListOut,
    UnsubmittedOut,
    WrapUpExtendedOut,
)
from core.access import Role
from core.blocking import offload
from core.call_events import TransferKind
from core.errors import HotlineError, InvalidInput, PermissionDenied
from core.ids import CallId, SeatId
from core.seat_events import SYSTEM_PAUSE_REASONS, PauseReason
from seats.my_day import SeatDay
from seats.records import RecordInput
from seats.workspace import SeatWorkspace
from seats.workspace_views import TransferSent

SeatConsoleBackend = SeatWorkspace  # the service itself: one signature, no Protocol copy of it

SeatDayBackend = SeatDay  # the service itself: one signature, no Protocol copy of it


class PauseForm(BaseModel):
    reason: str = Field(default="rest", max_length=40)


class RecordForm(BaseModel):
    # Deliberately loose: `seats.records.check_record` checks every field and answers in Chinese.
    category: str | None = None
    question: str | None = None
    advice: str | None = None
    outcome: str | None = None
    office_id: str | None = None

    def to_input(self) -> RecordInput:
        return RecordInput(**self.model_dump())


class SwitchForm(BaseModel):
    on: bool  # true: switch on (静音 / 保持); false: off (取消静音 / 恢复)


class ThirdPartyOut(BaseModel):
    kind: str
    target: str  # the seat dialled when the server picked it (任一空闲专家)
    exten: str  # the extension of [hotline-conference] dialled
    target_name: str  # the seat's name when a seat was invited


def _transfer_audit(form: TransferForm, sent: TransferSent) -> dict[str, object]:
    """What the audit line keeps of a transfer, a consultation or an invitation: the target
    dialled, and what the seat asked for where the server picked it (任一空闲专家)."""
    detail: dict[str, object] = {"kind": sent.kind, "target": sent.target}
    if form.target.strip() != sent.target:
        detail["asked"] = form.target
    return detail


class TransferForm(BaseModel):
    kind: str = Field(max_length=20)
    target: str = Field(min_length=1, max_length=80)

    def transfer_kind(self) -> TransferKind:
        return enum_of(TransferKind, self.kind, "转接类型无效", kind=self.kind)


def _console(request: Request) -> SeatConsoleBackend:
    console: SeatConsoleBackend = request.app.state.seat_console
    return console


def _seat_of(auth: Authenticated) -> SeatId:
    p = auth.principal
    if p.role is not Role.SEAT or p.seat_id is None:
        raise PermissionDenied("仅坐席账号可以使用坐席工作台")
    return p.seat_id


def seat_user(auth: Annotated[Authenticated, Depends(current_user)]) -> Authenticated:
    _seat_of(auth)
    return auth


def seat_acting(auth: Annotated[Authenticated, Depends(csrf_checked)]) -> Authenticated:
    _seat_of(auth)
    return auth


SeatUser = Annotated[Authenticated, Depends(seat_user)]
SeatActing = Annotated[Authenticated, Depends(seat_acting)]


def _call_id(call_id: str) -> CallId:
    if not call_id or len(call_id) > 64:
        raise InvalidInput("通话编号无效", call_id=call_id[:64])
    return CallId(call_id)


OwnSeatAct = Callable[[SeatConsoleBackend, SeatId], Awaitable[None]]

# The seat's own state changes that take no form: (path, audit action, what the workspace does).
OWN_SEAT_ACTIONS: tuple[tuple[str, str, OwnSeatAct], ...] = (
    ("login", "seat.login", lambda console, seat: console.login(seat)),
    ("logout", "seat.logout", lambda console, seat: console.logout(seat)),
    ("resume", "seat.resume", lambda console, seat: console.resume(seat)),
    ("wrapup-done", "seat.wrap_up_done", lambda console, seat: console.wrap_up_done(seat)),
)


def _own_seat_route(action: str, act: OwnSeatAct) -> Callable[..., Awaitable[OkOut]]:
    async def own_seat_action(auth: SeatActing, request: Request) -> OkOut:
        seat = _seat_of(auth)
        await act(_console(request), seat)
        await offload(audit, request, auth, action, seat)
        return OkOut()

    return own_seat_action


TransferAct = Callable[[SeatConsoleBackend, SeatId, CallId, TransferKind, str], Awaitable[TransferSent]]

# Passing the caller on: (path, audit action, what the workspace does). 转接 moves the caller at
# once; 咨询转接 first connects the seat with the target (a seat, an expert seat or an outside
# line) while the caller waits on hold.
TRANSFER_ACTIONS: tuple[tuple[str, str, TransferAct], ...] = (
    (
        "transfer",
        "seat.transfer",
        lambda console, seat, call, kind, target: console.transfer(seat, call, kind, target),
    ),
    (
        "consult",
        "seat.consult",
        lambda console, seat, call, kind, target: console.consult(seat, call, kind, target),
    ),
)


def _transfer_route(action: str, act: TransferAct) -> Callable[..., Awaitable[TransferOut]]:
    async def transfer_action(
        call_id: str, form: TransferForm, auth: SeatActing, request: Request
    ) -> TransferOut:
        cid = _call_id(call_id)
        kind = form.transfer_kind()
        sent = await act(_console(request), _seat_of(auth), cid, kind, form.target)
        await offload(audit, request, auth, action, cid, _transfer_audit(form, sent))
        return TransferOut.model_validate(sent)

    return transfer_action


OwnCallAct = Callable[[SeatConsoleBackend, SeatId, CallId], Awaitable[None]]

# What the seat does on its own call that takes no form: (path, audit action, what the workspace does).
CALL_ACTIONS: tuple[tuple[str, str, OwnCallAct], ...] = (
    # 完成转接: the seat leaves; the caller is joined with the consulted party.
    (
        "consult/complete",
        "seat.consult.complete",
        lambda console, seat, call: console.complete_consult(seat, call),
    ),
    # 取消转接: the consulted party is dropped; the seat is back with the caller.
    ("consult/cancel", "seat.consult.cancel", lambda console, seat, call: console.cancel_consult(seat, call)),
    # 三方通话: the invited third party is dropped; the seat and the caller talk on.
    (
        "conference/drop",
        "seat.conference_drop",
        lambda console, seat, call: console.drop_third_party(seat, call),
    ),
    # 挂断: the seat leaves the call; the caller goes on to the survey.
    ("hangup", "seat.hangup", lambda console, seat, call: console.hangup(seat, call)),
)


SwitchAct = Callable[[SeatConsoleBackend, SeatId, CallId, bool], Awaitable[None]]

# The seat's switches on its call: (path, audit action when on, when off, what it does).
CALL_SWITCHES: tuple[tuple[str, str, str, SwitchAct], ...] = (
    # 静音: the caller stops hearing the seat.
    ("mute", "seat.mute", "seat.unmute", lambda console, seat, call, on: console.mute(seat, call, on=on)),
    # 保持: neither side hears the other until resumed.
    ("hold", "seat.hold", "seat.unhold", lambda console, seat, call, on: console.hold(seat, call, on=on)),
)


def _switch_route(on_action: str, off_action: str, act: SwitchAct) -> Callable[..., Awaitable[OkOut]]:
    async def call_switch(call_id: str, form: SwitchForm, auth: SeatActing, request: Request) -> OkOut:
        cid = _call_id(call_id)
        await act(_console(request), _seat_of(auth), cid, form.on)
        await offload(audit, request, auth, on_action if form.on else off_action, cid)
        return OkOut()

    return call_switch


def _call_route(action: str, act: OwnCallAct) -> Callable[..., Awaitable[OkOut]]:
    async def own_call_action(call_id: str, auth: SeatActing, request: Request) -> OkOut:
        cid = _call_id(call_id)
        await act(_console(request), _seat_of(auth), cid)
        await offload(audit, request, auth, action, cid)
        return OkOut()

    return own_call_action


def _post(
    router: APIRouter,
    path: str,
    action: str,
    endpoint: Callable[..., Awaitable[BaseModel]],
    model: type[BaseModel],
) -> None:
    """A table-driven POST route, named after its audit action."""
    router.add_api_route(
        path, endpoint, methods=["POST"], response_model=model, name=action.removeprefix("seat.")
    )


def build_seat_router() -> APIRouter:
    router = APIRouter()

    add_page(router, "/seat", "seat.html", slash_redirect=True)

    @router.get("/api/seat/state", response_model=SeatStateOut)
    async def state(auth: SeatUser, request: Request) -> SeatStateOut:
        return SeatStateOut.model_validate(await _console(request).seat_state(_seat_of(auth)))

    @router.get("/api/seat/today", response_model=MyDayOut)
    async def today(auth: SeatUser, request: Request) -> MyDayOut:
        days: SeatDayBackend = request.app.state.seat_day
        return MyDayOut.model_validate(await days.today(_seat_of(auth)))

    for path, action, act in OWN_SEAT_ACTIONS:
        _post(router, f"/api/seat/{path}", action, _own_seat_route(action, act), OkOut)

    @router.post("/api/seat/pause", response_model=OkOut)
    async def pause(form: PauseForm, auth: SeatActing, request: Request) -> OkOut:
        seat = _seat_of(auth)
        reason = enum_of(PauseReason, form.reason, "示忙原因无效", reason=form.reason)
        if reason.value in SYSTEM_PAUSE_REASONS:
            raise InvalidInput("该示忙原因由系统设置，不能手动选择", reason=form.reason)
        await _console(request).pause(seat, reason)
        await offload(audit, request, auth, "seat.pause", seat, {"reason": reason.value})
        return OkOut()

    @router.post("/api/seat/wrapup/extend", response_model=WrapUpExtendedOut)
    async def extend_wrap_up(auth: SeatActing, request: Request) -> WrapUpExtendedOut:
        seat = _seat_of(auth)
        extended = await _console(request).extend_wrap_up(seat)
        await offload(
            audit, request, auth, "seat.wrap_up_extend", seat, {"until": extended.until.isoformat()}
        )
        return WrapUpExtendedOut.model_validate(extended)

    @router.get("/api/seat/calls/{call_id}/screenpop", response_model=ScreenPopOut)
    async def screen_pop(call_id: str, auth: SeatUser, request: Request) -> ScreenPopOut:
        cid = _call_id(call_id)
        view = await _console(request).screen_pop(_seat_of(auth), cid)
        # Reading a citizen's file is itself worth a trail line (who looked at whose history).
        await offload(audit, request, auth, "seat.screen_pop", cid)
        return ScreenPopOut.model_validate(view)

    @router.get("/api/seat/calls/{call_id}/transcript", response_model=TranscriptOut)
    async def transcript(call_id: str, auth: SeatUser, request: Request) -> TranscriptOut:
        cid = _call_id(call_id)
        # What a citizen said is personal data: every read, and every refused try, leaves a line.
        try:
            segments = await _console(request).transcript(_seat_of(auth), cid)
        except HotlineError as exc:
            await offload(audit, request, auth, "seat.transcript_denied", cid, {"error": exc.error_id})
            raise
        await offload(audit, request, auth, "seat.transcript_read", cid, {"segments": len(segments)})
        return TranscriptOut(segments=[SegmentOut.model_validate(s) for s in segments])

    @router.put("/api/seat/calls/{call_id}/record", response_model=RecordOut)
    async def save_draft(call_id: str, form: RecordForm, auth: SeatActing, request: Request) -> RecordOut:
        cid = _call_id(call_id)
        record = await _console(request).save_record(_seat_of(auth), cid, form.to_input(), final=False)
        await offload(audit, request, auth, "seat.record_draft", cid)
        return RecordOut.model_validate(record)

    @router.post("/api/seat/calls/{call_id}/record/submit", response_model=RecordOut)
    async def submit(call_id: str, form: RecordForm, auth: SeatActing, request: Request) -> RecordOut:
        cid = _call_id(call_id)
        record = RecordOut.model_validate(
            await _console(request).save_record(_seat_of(auth), cid, form.to_input(), final=True)
        )
        await offload(
            audit,
            request,
            auth,
            "seat.record_submit",
            cid,
            {"outcome": record.outcome, "category": record.category},
        )
        return record

    @router.get("/api/seat/records/unsubmitted", response_model=UnsubmittedListOut)
    async def unsubmitted(auth: SeatUser, request: Request) -> UnsubmittedListOut:
        records = await _console(request).unsubmitted(_seat_of(auth))
        return UnsubmittedListOut(records=[UnsubmittedOut.model_validate(r) for r in records])

    @router.get("/api/seat/transfer-targets", response_model=TransferTargetsOut)
    async def transfer_targets(auth: SeatUser, request: Request) -> TransferTargetsOut:
        return TransferTargetsOut.model_validate(await _console(request).transfer_targets(_seat_of(auth)))

    for path, action, transfer_act in TRANSFER_ACTIONS:
        _post(
            router,
            f"/api/seat/calls/{{call_id}}/{path}",
            action,
            _transfer_route(action, transfer_act),
            TransferOut,
        )

    for path, action, call_act in CALL_ACTIONS:
        _post(router, f"/api/seat/calls/{{call_id}}/{path}", action, _call_route(action, call_act), OkOut)

    for path, on_action, off_action, switch_act in CALL_SWITCHES:
        switch = _switch_route(on_action, off_action, switch_act)
        _post(router, f"/api/seat/calls/{{call_id}}/{path}", on_action, switch, OkOut)

    @router.post("/api/seat/calls/{call_id}/conference", response_model=ThirdPartyOut)
    async def conference(
        call_id: str, form: TransferForm, auth: SeatActing, request: Request
    ) -> ThirdPartyOut:
        cid = _call_id(call_id)
        kind = enum_of(TransferKind, form.kind, "邀请类型无效", kind=form.kind)
        sent = await _console(request).conference(_seat_of(auth), cid, kind, form.target)
        await offload(audit, request, auth, "seat.conference", cid, _transfer_audit(form, sent))
        return ThirdPartyOut(
            kind=sent.kind, target=sent.target, exten=sent.exten, target_name=sent.target_name
        )

    @router.get("/api/seat/address", response_model=AddressOut)
    async def address(
        auth: SeatUser, request: Request, q: Annotated[str, Query(min_length=1, max_length=100)]
    ) -> AddressOut:
        _seat_of(auth)
        found = await _console(request).address_candidates(q)
        return AddressOut(candidates=found)

    return router
