"""The JSON of quality inspection (`/api/qc/*`), built from `stats.quality_service`'s views."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from console_web.views import Choice, FromFields, TeamOption, from_fields
from stats.quality import FormItem, QcForm, QcItem, QcPhrases, QcReason, QcRule, QcStatus
from stats.quality_service import QcDetail, QcListed, QcQueue, QcReport


class QcMarkOut(BaseModel):
    """A finding of the automatic transcript check, at `at_s` seconds into the call's recording."""

    kind: str
    kind_label: str
    at_s: float
    text: str


class QcItemOut(BaseModel):
    call_id: str
    seat_id: str
    seat_name: str
    team_id: str | None
    team_name: str
    call_at: datetime
    talk_seconds: float | None
    reasons: list[Choice]
    flag_note: str
    marks: list[QcMarkOut]
    status: str
    status_label: str
    form_version: int | None
    scores: dict[str, int]
    total: int | None
    max_total: int | None
    comment: str
    scored_at: datetime | None
    original_total: int | None
    appeal_reason: str
    appealed_at: datetime | None
    decision_note: str
    decided_at: datetime | None

    @classmethod
    def of(cls, item: QcItem, seat_name: str = "", team_name: str = "") -> QcItemOut:
        return from_fields(
            cls,
            item,
            seat_name=seat_name or item.seat_id,
            team_name=team_name,
            reasons=Choice.all(item.reasons),
            marks=[from_fields(QcMarkOut, m) for m in item.marks],
        )

    @classmethod
    def listed(cls, listed: QcListed) -> QcItemOut:
        return cls.of(listed.item, listed.seat_name, listed.team_name)


class QcQueueOut(BaseModel):
    items: list[QcItemOut]
    teams: list[TeamOption]
    seats: list[TeamOption]
    reasons: list[Choice]
    statuses: list[Choice]

    @classmethod
    def of(cls, queue: QcQueue) -> QcQueueOut:
        return cls(
            items=[QcItemOut.listed(i) for i in queue.items],
            teams=[TeamOption(id=k, name=v) for k, v in sorted(queue.teams.items())],
            seats=[TeamOption(id=k, name=f"{k} {v}") for k, v in sorted(queue.seats.items())],
            reasons=Choice.all(QcReason),
            statuses=Choice.all(QcStatus),
        )


class QcMineOut(BaseModel):
    items: list[QcItemOut]


class FormItemIO(BaseModel):
    """One item of the scoring form (checked, in Chinese, by `stats.quality.checked_items`)."""

    key: str
    label: str
    max_score: int
    description: str = ""


class QcFormOut(BaseModel):
    version: int
    items: list[FormItemIO]
    max_total: int
    created_at: datetime | None
    created_by: str

    @classmethod
    def of(cls, form: QcForm) -> QcFormOut:
        return from_fields(
            cls, form, items=[from_fields(FormItemIO, i) for i in form.items], max_total=form.max_total
        )


class QcFormIn(BaseModel):
    items: list[FormItemIO]

    def domain(self) -> list[FormItem]:
        return [FormItem(**i.model_dump()) for i in self.items]


class TranscriptLineOut(BaseModel):
    leg: str
    text: str
    start_s: float
    end_s: float


class QcCallOut(BaseModel):
    """The call as the inspector reads it; `id` is what the recording player plays."""

    id: str
    status_label: str
    queue: str | None
    category: str | None
    offered_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    wait_seconds: float | None
    talk_seconds: float | None
    transferred: bool


class QcDetailOut(BaseModel):
    item: QcItemOut
    call: QcCallOut | None
    transcript: list[TranscriptLineOut]
    form: QcFormOut

    @classmethod
    def of(cls, d: QcDetail) -> QcDetailOut:
        call = None
        if d.call is not None:
            call = from_fields(
                QcCallOut, d.call, status_label=d.call.status.label, transferred=d.call.transferred
            )
        return cls(
            item=QcItemOut.of(d.item, d.seat_name, d.team_name),
            call=call,
            transcript=[from_fields(TranscriptLineOut, line) for line in d.transcript],
            form=QcFormOut.of(d.form),
        )


class ScoreIn(BaseModel):
    scores: dict[str, int]
    comment: str = ""


class AppealIn(BaseModel):
    reason: str


class DecisionIn(BaseModel):
    upheld: bool
    note: str
    scores: dict[str, int] | None = None


class FlagIn(BaseModel):
    note: str


class QcRuleIO(FromFields):
    """The sampling rule (`stats.quality.QcRule`)."""

    sample_percent: float
    short_talk_s: float
    long_talk_factor: float
    median_min_calls: int

    def domain(self) -> QcRule:
        return QcRule(**self.model_dump())


class QcPhrasesIO(FromFields):
    """The transcript check's phrase lists: 服务禁语, and the standard greetings and closings (the
    domain checks them, with Chinese errors: up to 100 a list, each trimmed, not empty, at most 20
    characters, none twice)."""

    forbidden: list[str]
    greetings: list[str]
    closings: list[str]

    def domain(self) -> QcPhrases:
        return QcPhrases(
            forbidden=tuple(self.forbidden), greetings=tuple(self.greetings), closings=tuple(self.closings)
        )


class QcReportRowOut(FromFields):
    """One row of the QC report (`stats.quality_service.QcReportRow`)."""

    key: str
    label: str
    answered: int
    sampled: int
    inspected: int
    coverage: float | None
    average_score: float | None
    meets_target: bool


class QcReportOut(BaseModel):
    scope: str
    start: str
    end: str
    target: float
    seats: list[QcReportRowOut]
    teams: list[QcReportRowOut]
    total: QcReportRowOut

    @classmethod
    def of(cls, r: QcReport) -> QcReportOut:
        return cls(
            scope=r.scope,
            start=r.first.isoformat(),
            end=r.last.isoformat(),
            target=r.target,
            seats=[QcReportRowOut.of(x) for x in r.seats],
            teams=[QcReportRowOut.of(x) for x in r.teams],
            total=QcReportRowOut.of(r.total),
        )
