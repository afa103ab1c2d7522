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

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import BaseModel, Field

from console_web.auth import Authenticated, AuthService
from console_web.routes import STATIC, csrf_checked, current_user
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
        return RecordInput(
            category=self.category,
            question=self.question,
            advice=self.advice,
            outcome=self.outcome,
            office_id=self.office_id,
        )


class TransferForm(BaseModel):
    kind: str = Field(max_length=20)
    target: str = Field(min_length=1, max_length=80)


def _console(request: Request) -> SeatConsoleBackend:
    console: SeatConsoleBackend = request.app.state.seat_console
    return console


def _auth_service(request: Request) -> AuthService:
    service: AuthService = request.app.state.backend.auth
    return service


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


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


async def _audit(
    request: Request,
    auth: Authenticated,
    action: str,
    target: str = "",
    detail: dict[str, object] | None = None,
) -> None:
    # The audit log is a database write: off the event loop.
    await offload(
        _auth_service(request).record, auth, action, target=target, detail=detail, source_ip=_ip(request)
    )


def build_seat_router() -> APIRouter:
    router = APIRouter()

    @router.get("/seat", include_in_schema=False)
    async def seat_page() -> FileResponse:
        return FileResponse(STATIC / "seat.html", media_type="text/html; charset=utf-8")

    @router.get("/seat/", include_in_schema=False)
    async def seat_page_slash() -> RedirectResponse:
        return RedirectResponse("/seat")

    @router.get("/api/seat/state", response_model=SeatStateOut)
    async def state(auth: SeatUser, request: Request) -> SeatStateOut:
        return SeatStateOut.model_validate(await _console(request).seat_state(_seat_of(auth)))

    @router.get("/api/seat/today", response_model=MyDayOut)
    async def today(auth: SeatUser, request: Request) -> MyDayOut:
        days: SeatDayBackend = request.app.state.seat_day
        return MyDayOut.model_validate(await days.today(_seat_of(auth)))

    @router.post("/api/seat/login", response_model=OkOut)
    async def login(auth: SeatActing, request: Request) -> OkOut:
        seat = _seat_of(auth)
        await _console(request).login(seat)
        await _audit(request, auth, "seat.login", seat)
        return OkOut()

    @router.post("/api/seat/logout", response_model=OkOut)
    async def logout(auth: SeatActing, request: Request) -> OkOut:
        seat = _seat_of(auth)
        await _console(request).logout(seat)
        await _audit(request, auth, "seat.logout", seat)
        return OkOut()

    @router.post("/api/seat/pause", response_model=OkOut)
    async def pause(form: PauseForm, auth: SeatActing, request: Request) -> OkOut:
        seat = _seat_of(auth)
        try:
            reason = PauseReason(form.reason)
        except ValueError:
            raise InvalidInput("示忙原因无效", reason=form.reason) from None
        if reason.value in SYSTEM_PAUSE_REASONS:
            raise InvalidInput("该示忙原因由系统设置，不能手动选择", reason=form.reason)
        await _console(request).pause(seat, reason)
        await _audit(request, auth, "seat.pause", seat, {"reason": reason.value})
        return OkOut()

    @router.post("/api/seat/resume", response_model=OkOut)
    async def resume(auth: SeatActing, request: Request) -> OkOut:
        seat = _seat_of(auth)
        await _console(request).resume(seat)
        await _audit(request, auth, "seat.resume", seat)
        return OkOut()

    @router.post("/api/seat/wrapup/extend", response_model=WrapUpExtendedOut)
    async def extend_wrap_up(auth: SeatActing, request: Request) -> WrapUpExtendedOut:
        seat = _seat_of(auth)
        extended = await _console(request).extend_wrap_up(seat)
        await _audit(request, auth, "seat.wrap_up_extend", seat, {"until": extended.until.isoformat()})
        return WrapUpExtendedOut.model_validate(extended)

    @router.post("/api/seat/wrapup-done", response_model=OkOut)
    async def wrap_up_done(auth: SeatActing, request: Request) -> OkOut:
        seat = _seat_of(auth)
        await _console(request).wrap_up_done(seat)
        await _audit(request, auth, "seat.wrap_up_done", seat)
        return OkOut()

    @router.get("/api/seat/calls/{call_id}/screenpop", response_model=ScreenPopOut)
    async def screen_pop(call_id: str, auth: SeatUser, request: Request) -> ScreenPopOut:
        cid = _call_id(call_id)
        view = await _console(request).screen_pop(_seat_of(auth), cid)
        # Reading a citizen's file is itself worth a trail line (who looked at whose history).
        await _audit(request, auth, "seat.screen_pop", cid)
        return ScreenPopOut.model_validate(view)

    @router.get("/api/seat/calls/{call_id}/transcript", response_model=TranscriptOut)
    async def transcript(call_id: str, auth: SeatUser, request: Request) -> TranscriptOut:
        cid = _call_id(call_id)
        # What a citizen said is personal data: every read, and every refused try, leaves a line.
        try:
            segments = await _console(request).transcript(_seat_of(auth), cid)
        except HotlineError as exc:
            await _audit(request, auth, "seat.transcript_denied", cid, {"error": exc.error_id})
            raise
        await _audit(request, auth, "seat.transcript_read", cid, {"segments": len(segments)})
        return TranscriptOut(segments=[SegmentOut.model_validate(s) for s in segments])

    @router.put("/api/seat/calls/{call_id}/record", response_model=RecordOut)
    async def save_draft(call_id: str, form: RecordForm, auth: SeatActing, request: Request) -> RecordOut:
        cid = _call_id(call_id)
        record = await _console(request).save_record(_seat_of(auth), cid, form.to_input(), final=False)
        await _audit(request, auth, "seat.record_draft", cid)
        return RecordOut.model_validate(record)

    @router.post("/api/seat/calls/{call_id}/record/submit", response_model=RecordOut)
    async def submit(call_id: str, form: RecordForm, auth: SeatActing, request: Request) -> RecordOut:
        cid = _call_id(call_id)
        record = RecordOut.model_validate(
            await _console(request).save_record(_seat_of(auth), cid, form.to_input(), final=True)
        )
        await _audit(
            request, auth, "seat.record_submit", cid, {"outcome": record.outcome, "category": record.category}
        )
        return record

    @router.get("/api/seat/records/unsubmitted", response_model=UnsubmittedListOut)
    async def unsubmitted(auth: SeatUser, request: Request) -> UnsubmittedListOut:
        records = await _console(request).unsubmitted(_seat_of(auth))
        return UnsubmittedListOut(records=[UnsubmittedOut.model_validate(r) for r in records])

    @router.get("/api/seat/transfer-targets", response_model=TransferTargetsOut)
    async def transfer_targets(auth: SeatUser, request: Request) -> TransferTargetsOut:
        return TransferTargetsOut.model_validate(await _console(request).transfer_targets(_seat_of(auth)))

    @router.post("/api/seat/calls/{call_id}/transfer", response_model=TransferOut)
    async def transfer(call_id: str, form: TransferForm, auth: SeatActing, request: Request) -> TransferOut:
        cid = _call_id(call_id)
        try:
            kind = TransferKind(form.kind)
        except ValueError:
            raise InvalidInput("转接类型无效", kind=form.kind) from None
        sent = await _console(request).transfer(_seat_of(auth), cid, kind, form.target)
        await _audit(request, auth, "seat.transfer", cid, {"kind": kind.value, "target": form.target})
        return TransferOut.model_validate(sent)

    @router.post("/api/seat/calls/{call_id}/hangup", response_model=OkOut)
    async def hangup(call_id: str, auth: SeatActing, request: Request) -> OkOut:
        cid = _call_id(call_id)
        await _console(request).hangup(_seat_of(auth), cid)
        await _audit(request, auth, "seat.hangup", cid)
        return OkOut()

    @router.get("/api/seat/address", response_model=AddressOut)
    async def address(
        auth: SeatUser, request: Request, q: Annotated[str, Query(min_length=1, max_length=100)]
    ) -> AddressOut:
        _seat_of(auth)
        found = await _console(request).address_candidates(q)
        return AddressOut(candidates=found)

    return router
