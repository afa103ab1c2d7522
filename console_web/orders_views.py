"""The JSON of the work-order pages (`/api/orders*`), built from `callbacks.workbench`'s views.

Caller numbers are masked here, whatever the service hands over; times come both as ISO instants
and as China wall-clock text (`..._local`); every status, reason, SLA state and outcome carries its
enum's one Chinese `.label`.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from pydantic import BaseModel

from callbacks.models import WorkOrderStatus
from callbacks.sla import SlaState
from callbacks.voicemail import Voicemail
from callbacks.workbench import CallbackStarted, FollowUpView, OrderOptions, OrderView
from console_web.views import Choice, TeamOption, from_fields
from core.clock import CHINA_TZ
from core.privacy import mask_number
from routing.queues import LegalCategory


def _local(value: datetime | None) -> str:
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if value is not None else ""


class VoicemailOut(BaseModel):
    """One after-hours message (来电留言) of the order; `audio_url` plays it (empty: not saved)."""

    call_id: str
    at: str
    at_local: str
    status: str
    status_label: str
    saved: bool
    audio_url: str

    @classmethod
    def of(cls, order_id: str, message: Voicemail) -> VoicemailOut:
        return cls(
            call_id=message.call_id,
            at=message.at.isoformat(),
            at_local=_local(message.at),
            status=message.status,
            status_label=message.status_label,
            saved=message.saved,
            audio_url=f"/api/orders/{quote(order_id, safe='')}/voicemails/{quote(message.call_id, safe='')}/audio"
            if message.saved
            else "",
        )


class FollowUpOut(BaseModel):
    """回访: the rated call (seat, time, category, rating) and, once recorded, the result."""

    call_id: str
    rated_seat_id: str | None
    rated_seat_name: str
    rated_at: str
    rated_local: str
    category: str | None
    category_label: str
    rating: str
    rating_label: str
    done: bool
    reached: bool | None
    resolved: bool | None
    satisfaction: str | None
    satisfaction_label: str
    note: str
    done_local: str

    @classmethod
    def of(cls, view: FollowUpView) -> FollowUpOut:
        f, r = view.about, view.about.result
        return cls(
            call_id=f.call_id,
            rated_seat_id=f.rated_seat_id,
            rated_seat_name=view.rated_seat_name,
            rated_at=f.rated_at.isoformat(),
            rated_local=_local(f.rated_at),
            category=f.category,
            category_label=LegalCategory.label_of(f.category),
            rating=f.rating.value,
            rating_label=f.rating.label,
            done=f.done,
            reached=r.reached if r else None,
            resolved=r.resolved if r else None,
            satisfaction=r.satisfaction.value if r and r.satisfaction else None,
            satisfaction_label=r.satisfaction.label if r and r.satisfaction else "",
            note=r.note if r else "",
            done_local=_local(r.at) if r else "",
        )


class OrderOut(BaseModel):
    id: str
    order_no: str  # what people read out (`HB20261201-0042`); `id` stays the key of the actions
    caller_number: str
    reason: str
    reason_label: str
    status: str
    status_label: str
    open: bool
    team_id: str | None
    team_name: str
    owner_seat_id: str | None
    owner_name: str
    created_at: str
    created_local: str
    deadline: str
    deadline_local: str
    sla: str
    sla_label: str
    attempts: int
    misses: int
    closed_at: str | None
    closed_local: str
    outcome_note: str
    scheduled_for: str | None  # 预约回拨: the time agreed with the caller
    scheduled_local: str
    voicemails: list[VoicemailOut]
    follow_up: FollowUpOut | None  # 回访 orders only

    @classmethod
    def of(cls, view: OrderView) -> OrderOut:
        o = view.order
        return from_fields(
            cls,
            o,
            caller_number=mask_number(o.caller_number),
            open=o.status.is_open,
            team_name=view.team_name,
            owner_name=view.owner_name,
            created_local=_local(o.created_at),
            deadline_local=_local(o.deadline),
            sla=view.sla.value,
            sla_label=view.sla.label,
            closed_local=_local(o.closed_at),
            scheduled_local=_local(o.scheduled_for),
            voicemails=[VoicemailOut.of(o.id, m) for m in view.voicemails],
            follow_up=FollowUpOut.of(view.follow_up) if view.follow_up else None,
        )


class OrderList(BaseModel):
    orders: list[OrderOut]


class CallbackStartedOut(BaseModel):
    attempt: int
    attempt_id: str
    order: OrderOut

    @classmethod
    def of(cls, started: CallbackStarted) -> CallbackStartedOut:
        return cls(attempt=started.attempt, attempt_id=started.attempt_id, order=OrderOut.of(started.order))


class SeatOption(BaseModel):
    seat_id: str
    name: str
    team_id: str


class OrderOptionsOut(BaseModel):
    teams: list[TeamOption]
    seats: list[SeatOption]
    statuses: list[Choice]
    sla: list[Choice]
    close_outcomes: list[Choice]
    ratings: list[Choice]  # 回访后满意度
    kinds: list[Choice]  # 回拨 / 回访

    @classmethod
    def of(cls, options: OrderOptions) -> OrderOptionsOut:
        return cls(
            teams=[TeamOption(id=t.id, name=t.name) for t in options.teams],
            seats=[SeatOption(seat_id=s.id, name=s.name, team_id=s.team_id) for s in options.seats],
            statuses=Choice.all(WorkOrderStatus),
            sla=Choice.all(SlaState),
            close_outcomes=Choice.all(options.close_outcomes),
            ratings=Choice.all(options.ratings),
            kinds=[Choice(value="callback", label="回拨工单"), Choice(value="follow_up", label="回访工单")],
        )
