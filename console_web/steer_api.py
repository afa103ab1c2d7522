"""A supervisor steers a seat (班长调度, issue 16): 示忙 with a reason, 示闲, 签出, and queue moves for
today. The composition root puts a `seats.steer.SeatSteering` on `app.state.steer_backend`; the
right (`Right.STEER`), the scope and the audit are the service's. The seat is pushed
`SeatSteered` (who did it and why)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from console_web.deps import AppService, client_ip
from console_web.routes import Acting, User
from console_web.views import FromFields, from_fields
from core.errors import InvalidInput
from core.ids import SeatId
from core.seat_events import SeatSteered
from seats.steer import NOTE_MAX, SeatSteering, pause_reason

steer_backend = AppService[SeatSteering]("steer_backend", "坐席调度服务尚未启动")


# Plain strings, judged by the service: a missing or wrong value gets its Chinese message (400/422).
class SteerPauseIn(BaseModel):
    reason: str = Field(
        default="", description="示忙原因（rest 休息、meal 用餐、training 培训、meeting 会议……）"
    )
    note: str = Field(default="", description=f"补充说明（可选，至多 {NOTE_MAX} 字）")


class SteerNoteIn(BaseModel):
    note: str = Field(default="", description=f"原因（签出时必填，至多 {NOTE_MAX} 字）")


class SteerQueueIn(BaseModel):
    queue: str = Field(default="", description="队列名，如 q-city-labor")
    action: str = Field(default="", description="add 加入、remove 移出（仅限今日）")
    note: str = Field(default="", description=f"原因（必填，至多 {NOTE_MAX} 字）")


class SteerOut(BaseModel):
    seat_id: str
    action: str
    action_label: str
    label: str
    message: str

    @classmethod
    def of(cls, event: SeatSteered) -> SteerOut:
        return from_fields(cls, event, message=f"已执行：{event.label}")


class SeatQueuesOut(FromFields):
    """A seat's queues as the steering dialog shows them (`seats.steer.SeatQueues`)."""

    seat_id: str
    status: str
    current: list[str]
    added_today: list[str]
    removed_today: list[str]
    choices: list[str]


def build_steer_router() -> APIRouter:
    router = APIRouter()

    @router.post("/api/supervisor/seats/{seat_id}/pause", response_model=SteerOut)
    async def pause(seat_id: str, body: SteerPauseIn, auth: Acting, request: Request) -> SteerOut:
        """班长示忙: the seat takes no queue call; it sees who and why."""
        event = await steer_backend(request).pause(
            auth.principal, SeatId(seat_id), pause_reason(body.reason), body.note, client_ip(request)
        )
        return SteerOut.of(event)

    @router.post("/api/supervisor/seats/{seat_id}/ready", response_model=SteerOut)
    async def ready(seat_id: str, body: SteerNoteIn, auth: Acting, request: Request) -> SteerOut:
        """班长示闲: a paused seat takes queue calls again."""
        event = await steer_backend(request).ready(
            auth.principal, SeatId(seat_id), body.note, client_ip(request)
        )
        return SteerOut.of(event)

    @router.post("/api/supervisor/seats/{seat_id}/logout", response_model=SteerOut)
    async def logout(seat_id: str, body: SteerNoteIn, auth: Acting, request: Request) -> SteerOut:
        """班长签出: the seat leaves every queue (a reason is required)."""
        event = await steer_backend(request).logout(
            auth.principal, SeatId(seat_id), body.note, client_ip(request)
        )
        return SteerOut.of(event)

    @router.get("/api/supervisor/seats/{seat_id}/queues", response_model=SeatQueuesOut)
    async def queues(seat_id: str, auth: User, request: Request) -> SeatQueuesOut:
        """The seat's queues now, today's moves, and every queue it may be moved into."""
        q = await steer_backend(request).queues(auth.principal, SeatId(seat_id))
        return SeatQueuesOut.of(q)

    @router.post("/api/supervisor/seats/{seat_id}/queues", response_model=SteerOut)
    async def move(seat_id: str, body: SteerQueueIn, auth: Acting, request: Request) -> SteerOut:
        """调整队列 for today: into or out of one queue (undone at the next log-in or the next day)."""
        service = steer_backend(request)
        if body.action not in ("add", "remove"):
            raise InvalidInput("调整方式只能是加入（add）或移出（remove）")
        act = service.add_queue if body.action == "add" else service.remove_queue
        event = await act(auth.principal, SeatId(seat_id), body.queue, body.note, client_ip(request))
        return SteerOut.of(event)

    return router
