"""Response models of the seat workspace API (`console_web.seat_api`). Each is read field by field
from the typed value `seats.workspace.SeatWorkspace` answers (`seats.workspace_views`):
`SeatStateOut.model_validate(view)`. Where a value already has the JSON's shape (a pick-list entry,
a queue, an office, an address candidate) it is the field's type itself.

The JSON is what console_web/static/seat*.js reads: a state travels as its code with its enum's
one `.label` beside it, times as ISO 8601 text (`datetime.isoformat()`), the caller's number masked
(`mask_number`; the response middleware masks any other number in the text fields).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

from core.privacy import mask_number
from seats.workspace_views import AddressChoice, Choice, OfficeCard, QueueChoice


def _iso_text(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


IsoText = Annotated[str, BeforeValidator(_iso_text)]
"""A time as `datetime.isoformat()` text (the JSON's form of every time)."""

MaskedCaller = Annotated[
    str, BeforeValidator(mask_number), Field(validation_alias=AliasChoices("caller_number", "caller"))
]
"""The caller's number, masked: read from a view's `caller_number` (or, when FastAPI checks the
response, from `caller`)."""


class _Read(BaseModel):
    """Read from a value's attributes of the same names; an enum becomes its code."""

    model_config = ConfigDict(from_attributes=True)


class OkOut(BaseModel):
    ok: bool = True


class SeatStateOut(_Read):
    seat_id: str
    name: str
    status: str
    status_label: str
    since: IsoText | None
    now: IsoText
    pause_reason: str | None
    pause_label: str | None
    queues: list[QueueChoice]
    call_id: str | None
    wrap_up_seconds: float
    wrap_up_until: IsoText | None
    pause_reasons: list[Choice]
    categories: list[Choice]
    outcomes: list[Choice]
    external_numbers: list[Choice]


class WrapUpExtendedOut(_Read):
    """The wrap-up now ends at `until`; `left_s` seconds more may still be added (of `max_s`)."""

    until: IsoText
    extended_s: float
    left_s: float
    max_s: int


class RecordOut(_Read):
    """A consultation record, its enums as their codes."""

    id: str
    call_id: str
    seat_id: str
    category: str | None
    question: str
    advice: str
    outcome: str | None
    office_id: str | None
    draft: bool
    created_at: IsoText
    updated_at: IsoText
    submitted_at: IsoText | None


class UnsubmittedOut(_Read):
    """One of my records not submitted yet (a draft): its call, the caller masked."""

    call_id: str
    caller: MaskedCaller
    updated_at: IsoText
    question: str


class UnsubmittedListOut(BaseModel):
    records: list[UnsubmittedOut]


class PastCallOut(_Read):
    at: IsoText
    category_label: str
    seat: str
    status_label: str
    third_parties: list[str]  # 三方通话: each third party, in Chinese
    call_id: str


class PastRecordOut(_Read):
    at: IsoText | None
    category_label: str
    question: str
    advice: str
    outcome_label: str
    seat: str


class PastOrderOut(_Read):
    id: str
    order_no: str
    open: bool
    status_label: str
    reason_label: str
    created_at: IsoText
    deadline: IsoText
    attempts: int


class CallerFileOut(_Read):
    known: bool
    calls: list[PastCallOut]
    records: list[PastRecordOut]
    work_orders: list[PastOrderOut]


class ScreenPopOut(_Read):
    call_id: str
    caller: MaskedCaller
    dialed: str
    offered_at: IsoText | None
    status: str | None
    status_label: str
    callback: bool
    work_order: PastOrderOut | None
    queue: str | None
    queue_label: str
    ivr_path: list[str]
    ivr_why: str
    category: str | None
    category_label: str
    district_code: str | None
    district_name: str
    address: str
    address_outcome: str  # found / ambiguous / no_address / outside; "" : the IVR asked none
    address_outcome_label: str  # 已识别 / 有多处可能，需确认 / 未听到地址 / 外省市地址
    address_note: str  # 可能是：A 或 B；来电者说的不是上海地址：杭州市西湖区
    office: OfficeCard | None
    record: RecordOut | None
    file: CallerFileOut


class SegmentOut(_Read):
    leg: str
    stream_id: str
    seq: int
    text: str
    final: bool
    start_s: float
    end_s: float
    at: IsoText
    leg_label: str


class TranscriptOut(BaseModel):
    segments: list[SegmentOut]


class TargetSeatOut(_Read):
    id: str
    name: str
    status: str
    status_label: str
    available: bool
    expert: bool  # 专家坐席


class TransferTargetsOut(_Read):
    seats: list[TargetSeatOut]
    queues: list[QueueChoice]
    external: list[Choice]
    any_expert: Choice  # 任一空闲专家: a seat target the server resolves to a free expert seat


class TransferOut(_Read):
    ok: bool = True
    kind: str
    target: str
    context: str
    exten: str
    target_name: str  # the seat's name when a seat was dialled (the expert picked for 任一空闲专家)


class AddressOut(BaseModel):
    candidates: list[AddressChoice]


class MyDayOut(_Read):
    """今日个人数据 (`seats.my_day.MyDay`): talk times in seconds, the rate a fraction (0..1)."""

    day: str
    answered: int
    talk_seconds: float
    timed_calls: int
    average_talk_seconds: float | None
    callbacks: int
    survey_answers: int
    satisfied: int
    satisfaction_rate: float | None
