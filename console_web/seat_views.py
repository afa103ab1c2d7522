"""Response models of the seat workspace API (`console_web.seat_api`), built from the typed values
`seats.workspace.SeatWorkspace` answers (`seats.workspace_views`).

The JSON is what console_web/static/seat*.js reads: a state travels with its enum's one `.label`,
times as ISO 8601 text (`datetime.isoformat()`), the caller's number masked (`mask_number`; the
response middleware masks any other number in the text fields).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from core.privacy import mask_number
from seats.records import ConsultationRecord
from seats.workspace_views import (
    AddressChoice,
    CallerFile,
    OfficeCard,
    QueueChoice,
    ScreenPop,
    SeatView,
    TranscriptEntry,
    TransferSent,
    TransferTargets,
)


class _LabelledEnum(Protocol):
    @property
    def value(self) -> str: ...

    @property
    def label(self) -> str: ...


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class OkOut(BaseModel):
    ok: bool = True


class ChoiceOut(BaseModel):
    code: str
    label: str

    @classmethod
    def of_enums(cls, members: Iterable[_LabelledEnum]) -> list[ChoiceOut]:
        return [cls(code=m.value, label=m.label) for m in members]


class QueueOut(BaseModel):
    name: str
    label: str

    @classmethod
    def of(cls, queues: Iterable[QueueChoice]) -> list[QueueOut]:
        return [cls(name=q.name, label=q.label) for q in queues]


class SeatStateOut(BaseModel):
    seat_id: str
    name: str
    status: str
    status_label: str
    since: str | None
    now: str
    pause_reason: str | None
    pause_label: str | None
    queues: list[QueueOut]
    call_id: str | None
    wrap_up_seconds: float
    pause_reasons: list[ChoiceOut]
    categories: list[ChoiceOut]
    outcomes: list[ChoiceOut]
    external_numbers: list[ChoiceOut]

    @classmethod
    def of(cls, v: SeatView) -> SeatStateOut:
        return cls(
            seat_id=v.seat_id,
            name=v.name,
            status=v.status.value,
            status_label=v.status.label,
            since=_iso(v.since),
            now=v.now.isoformat(),
            pause_reason=v.pause_reason.value if v.pause_reason else None,
            pause_label=v.pause_reason.label if v.pause_reason else None,
            queues=QueueOut.of(v.queues),
            call_id=v.call_id,
            wrap_up_seconds=v.wrap_up_seconds,
            pause_reasons=ChoiceOut.of_enums(v.pause_reasons),
            categories=ChoiceOut.of_enums(v.categories),
            outcomes=ChoiceOut.of_enums(v.outcomes),
            external_numbers=[ChoiceOut(code=c.code, label=c.label) for c in v.external_numbers],
        )


class RecordOut(BaseModel):
    id: str
    call_id: str
    seat_id: str
    category: str | None
    question: str
    advice: str
    outcome: str | None
    office_id: str | None
    draft: bool
    created_at: str
    updated_at: str
    submitted_at: str | None

    @classmethod
    def of(cls, r: ConsultationRecord) -> RecordOut:
        return cls(
            id=r.id,
            call_id=r.call_id,
            seat_id=r.seat_id,
            category=r.category.value if r.category else None,
            question=r.question,
            advice=r.advice,
            outcome=r.outcome.value if r.outcome else None,
            office_id=r.office_id,
            draft=r.draft,
            created_at=r.created_at.isoformat(),
            updated_at=r.updated_at.isoformat(),
            submitted_at=_iso(r.submitted_at),
        )


class OfficeOut(BaseModel):
    id: str
    name: str
    address: str
    opening_hours: str

    @classmethod
    def of(cls, o: OfficeCard) -> OfficeOut:
        return cls(id=o.id, name=o.name, address=o.address, opening_hours=o.opening_hours)


class PastCallOut(BaseModel):
    at: str
    category_label: str
    seat: str
    status_label: str


class PastRecordOut(BaseModel):
    at: str | None
    category_label: str
    question: str
    advice: str
    outcome_label: str
    seat: str


class PastOrderOut(BaseModel):
    id: str
    open: bool
    status_label: str
    reason_label: str
    created_at: str
    deadline: str
    attempts: int


class CallerFileOut(BaseModel):
    known: bool
    calls: list[PastCallOut]
    records: list[PastRecordOut]
    work_orders: list[PastOrderOut]

    @classmethod
    def of(cls, f: CallerFile) -> CallerFileOut:
        return cls(
            known=f.known,
            calls=[
                PastCallOut(
                    at=c.at.isoformat(),
                    category_label=c.category_label,
                    seat=c.seat,
                    status_label=c.status.label,
                )
                for c in f.calls
            ],
            records=[
                PastRecordOut(
                    at=_iso(p.record.submitted_at or p.record.updated_at),
                    category_label=p.record.category.label if p.record.category else "",
                    question=p.record.question,
                    advice=p.record.advice,
                    outcome_label=p.record.outcome.label if p.record.outcome else "",
                    seat=p.seat,
                )
                for p in f.records
            ],
            work_orders=[
                PastOrderOut(
                    id=o.id,
                    open=o.open,
                    status_label=o.status_label,
                    reason_label=o.reason_label,
                    created_at=o.created_at.isoformat(),
                    deadline=o.deadline.isoformat(),
                    attempts=o.attempts,
                )
                for o in f.work_orders
            ],
        )


class ScreenPopOut(BaseModel):
    call_id: str
    caller: str
    dialed: str
    offered_at: str | None
    status: str | None
    status_label: str
    queue: str | None
    queue_label: str
    ivr_path: list[str]
    ivr_why: str
    category: str | None
    category_label: str
    district_code: str | None
    district_name: str
    address: str
    office: OfficeOut | None
    record: RecordOut | None
    file: CallerFileOut

    @classmethod
    def of(cls, p: ScreenPop) -> ScreenPopOut:
        return cls(
            call_id=p.call_id,
            caller=mask_number(p.caller_number),
            dialed=p.dialed,
            offered_at=_iso(p.offered_at),
            status=p.status.value if p.status else None,
            status_label=p.status.label if p.status else "",
            queue=p.queue,
            queue_label=p.queue_label,
            ivr_path=list(p.ivr_path),
            ivr_why=p.ivr_why,
            category=p.category,
            category_label=p.category_label,
            district_code=p.district_code,
            district_name=p.district_name,
            address=p.address,
            office=OfficeOut.of(p.office) if p.office else None,
            record=RecordOut.of(p.record) if p.record else None,
            file=CallerFileOut.of(p.file),
        )


class SegmentOut(BaseModel):
    leg: str
    stream_id: str
    seq: int
    text: str
    final: bool
    start_s: float
    end_s: float
    at: str
    leg_label: str

    @classmethod
    def of(cls, s: TranscriptEntry) -> SegmentOut:
        return cls(
            leg=s.leg,
            stream_id=s.stream_id,
            seq=s.seq,
            text=s.text,
            final=s.final,
            start_s=s.start_s,
            end_s=s.end_s,
            at=s.at.isoformat(),
            leg_label=s.leg_label,
        )


class TranscriptOut(BaseModel):
    segments: list[SegmentOut]


class TargetSeatOut(BaseModel):
    id: str
    name: str
    status: str
    status_label: str
    available: bool


class TransferTargetsOut(BaseModel):
    seats: list[TargetSeatOut]
    queues: list[QueueOut]
    external: list[ChoiceOut]

    @classmethod
    def of(cls, t: TransferTargets) -> TransferTargetsOut:
        return cls(
            seats=[
                TargetSeatOut(
                    id=s.id,
                    name=s.name,
                    status=s.status.value,
                    status_label=s.status.label,
                    available=s.available,
                )
                for s in t.seats
            ],
            queues=QueueOut.of(t.queues),
            external=[ChoiceOut(code=c.code, label=c.label) for c in t.external],
        )


class TransferOut(BaseModel):
    ok: bool = True
    kind: str
    target: str
    context: str
    exten: str

    @classmethod
    def of(cls, t: TransferSent) -> TransferOut:
        return cls(kind=t.kind, target=t.target, context=t.context, exten=t.exten)


class AddressCandidateOut(BaseModel):
    office_id: str
    office_name: str
    office_address: str
    opening_hours: str
    district_code: str
    district_name: str
    confidence: float
    reason: str

    @classmethod
    def of(cls, c: AddressChoice) -> AddressCandidateOut:
        return cls(
            office_id=c.office_id,
            office_name=c.office_name,
            office_address=c.office_address,
            opening_hours=c.opening_hours,
            district_code=c.district_code,
            district_name=c.district_name,
            confidence=c.confidence,
            reason=c.reason,
        )


class AddressOut(BaseModel):
    candidates: list[AddressCandidateOut]
