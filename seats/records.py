"""Consultation records (咨询记录): what a seat wrote down about one call.

A seat keeps one record per call it handled. While the call goes on the record is a draft, saved
as the seat types; submitting it makes it final and it is never changed again. `check_record` is
the one place that knows the rules, so the console, an import and a test all agree; its errors
name each bad field in Chinese.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from core.errors import InvalidInput
from core.ids import CallId, OfficeId, SeatId
from core.labels import LabelledEnum
from routing.queues import LegalCategory

QUESTION_MAX = 2000
ADVICE_MAX = 4000
OFFICE_ID_MAX = 64

_Choice = TypeVar("_Choice", bound=enum.StrEnum)


class ConsultationOutcome(LabelledEnum):
    ANSWERED = "answered", "已解答"
    REFERRED_TO_OFFICE = "referred_to_office", "引导至服务点"
    TRANSFERRED = "transferred", "已转接"
    CALLBACK_NEEDED = "callback_needed", "需回拨"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordInput:
    """What the seat typed, unchecked (every field may be missing or wrong)."""

    category: str | None = None
    question: str | None = None
    advice: str | None = None
    outcome: str | None = None
    office_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckedRecord:
    """What the seat wrote, checked by `check_record` (an empty draft is all defaults)."""

    category: LegalCategory | None = None
    question: str = ""
    advice: str = ""
    outcome: ConsultationOutcome | None = None
    office_id: OfficeId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsultationRecord(CheckedRecord):
    """A stored record: its checked fields, with the call and seat it belongs to."""

    id: str
    call_id: CallId
    seat_id: SeatId
    created_at: datetime
    updated_at: datetime
    draft: bool = True
    submitted_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UnsubmittedRecord:
    """A record its seat began and has not submitted yet (我的未提交记录): which call, whose."""

    call_id: CallId
    caller_number: str
    updated_at: datetime
    question: str


class InvalidConsultationRecord(InvalidInput):
    """One or more fields are wrong; `fields` maps each to its Chinese message."""

    error_id = "record.invalid"

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("咨询记录填写有误：" + "；".join(fields.values()))
        self.fields = dict(fields)

    def to_dict(self) -> dict[str, Any]:
        return {"error_id": self.error_id, "message": self.message, "fields": self.fields}


@dataclass(frozen=True, slots=True)
class _ChoiceField(Generic[_Choice]):
    """A field the seat picks from a list of `kind`'s values."""

    kind: type[_Choice]
    name: str
    invalid: str  # the message when the value is not one of the list
    missing: str  # the message when a final record leaves it empty

    def pick(self, raw: str | None, final: bool, errors: dict[str, str]) -> _Choice | None:
        text = (raw or "").strip()
        if text:
            try:
                return self.kind(text)
            except ValueError:
                errors[self.name] = self.invalid
        elif final:
            errors[self.name] = self.missing
        return None


_CATEGORY = _ChoiceField(LegalCategory, "category", "法律类别无效，请从列表中选择", "请选择法律类别")
_OUTCOME = _ChoiceField(ConsultationOutcome, "outcome", "处理结果无效，请从列表中选择", "请选择处理结果")


def check_record(data: RecordInput, *, final: bool) -> CheckedRecord:
    """The record's fields, checked. A draft may be incomplete; a final record may not."""
    errors: dict[str, str] = {}
    category = _CATEGORY.pick(data.category, final, errors)
    question = (data.question or "").strip()
    if len(question) > QUESTION_MAX:
        errors["question"] = f"问题摘要不能超过 {QUESTION_MAX} 字"
    elif final and not question:
        errors["question"] = "请填写问题摘要"
    advice = (data.advice or "").strip()
    if len(advice) > ADVICE_MAX:
        errors["advice"] = f"解答意见不能超过 {ADVICE_MAX} 字"
    outcome = _OUTCOME.pick(data.outcome, final, errors)
    office = (data.office_id or "").strip()
    if len(office) > OFFICE_ID_MAX:
        errors["office_id"] = "服务点编号过长"
    elif final and outcome is ConsultationOutcome.REFERRED_TO_OFFICE and not office:
        errors["office_id"] = "引导至服务点时请选择服务点"
    if final and outcome is ConsultationOutcome.ANSWERED and not advice:
        errors["advice"] = "已解答的记录请填写解答意见"
    if errors:
        raise InvalidConsultationRecord(errors)
    return CheckedRecord(
        category=category,
        question=question,
        advice=advice,
        outcome=outcome,
        office_id=OfficeId(office) if office else None,
    )
