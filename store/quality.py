"""The quality-inspection queue, the scoring form's versions and the sampling rule
(`stats.quality_service.QcStore`).

A call is in the queue once (its id is the key): enqueueing it again adds the new reasons to its
entry, in one transaction, and a race between two writers (the sweep and a flag) is retried once.
The rule is a service policy (`service_policies`, name `qc_rule`), and so are the transcript check's
phrase lists (name `qc_phrases`, seeded with the defaults by migration 0021); the default form is version 1
until an admin saves one (then version 2, and so on).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.errors import NotFound
from core.ids import CallId
from stats.quality import (
    DEFAULT_FORM,
    EVERY_QC_ITEM,
    FormItem,
    MarkKind,
    QcFilter,
    QcForm,
    QcItem,
    QcMark,
    QcPhrases,
    QcReason,
    QcRule,
    QcStatus,
)
from store.models import QcFormRow, QcItemRow
from store.policies import policy_fields, put_policy
from store.rows import Repo, RowMapper, assign, row_values

QC_RULE = "qc_rule"
QC_PHRASES = "qc_phrases"

_item_from_row = RowMapper(
    QcItem,
    call_id=CallId,
    reasons=lambda v: tuple(QcReason(r) for r in v or ()),
    status=QcStatus,
    scores=lambda v: dict(v or {}),
    marks=lambda v: tuple(QcMark(kind=MarkKind(m["kind"]), at_s=m["at_s"], text=m["text"]) for m in v or ()),
)


def _columns(item: QcItem, *, skip: tuple[str, ...] = ()) -> dict[str, object]:
    return row_values(item, skip=(*skip, "marks")) | {"marks": [_mark(m) for m in item.marks]}


def _mark(mark: QcMark) -> dict[str, object]:
    return {"kind": mark.kind.value, "at_s": mark.at_s, "text": mark.text}


def _form_from_row(row: QcFormRow) -> QcForm:
    return QcForm(
        version=row.version,
        items=tuple(FormItem(**i) for i in row.items),
        created_at=row.created_at,
        created_by=row.created_by,
    )


class QualityRepository(Repo):
    def find(self, call_id: CallId) -> QcItem | None:
        return self._find(QcItemRow, call_id, _item_from_row)

    def reasons_since(self, start: datetime) -> dict[str, tuple[QcReason, ...]]:
        q = select(QcItemRow.call_id, QcItemRow.reasons).where(QcItemRow.call_at >= start)
        with self._db.session() as s:
            return {cid: tuple(QcReason(r) for r in reasons or ()) for cid, reasons in s.execute(q)}

    def enqueue(self, item: QcItem) -> QcItem:
        try:
            return self._enqueue(item)
        except IntegrityError:  # another writer queued the call meanwhile: add to its entry
            return self._enqueue(item)

    def _enqueue(self, item: QcItem) -> QcItem:
        with self._db.session() as s:
            row = s.get(QcItemRow, item.call_id)
            if row is None:
                row = QcItemRow(**_columns(item))
                s.add(row)
                s.flush()
                return _item_from_row(row)
            have = [QcReason(r) for r in row.reasons or ()]
            merged = have + [r for r in item.reasons if r not in have]
            row.reasons = [r.value for r in merged]
            known = list(row.marks or [])
            row.marks = known + [m for m in map(_mark, item.marks) if m not in known]
            if item.flag_note and item.flag_note not in row.flag_note:
                row.flag_note = f"{row.flag_note}；{item.flag_note}" if row.flag_note else item.flag_note
            s.flush()
            return _item_from_row(row)

    def save(self, item: QcItem) -> None:
        with self._db.session() as s:
            row = s.get(QcItemRow, item.call_id)
            if row is None:
                raise NotFound("质检记录不存在", call_id=item.call_id)
            assign(row, _columns(item, skip=("call_id",)))

    def search(self, wanted: QcFilter = EVERY_QC_ITEM) -> list[QcItem]:
        q = select(QcItemRow).order_by(QcItemRow.call_at.desc()).limit(wanted.limit)
        if wanted.seat_id is not None:
            q = q.where(QcItemRow.seat_id == wanted.seat_id)
        if wanted.team_id is not None:
            q = q.where(QcItemRow.team_id == wanted.team_id)
        if wanted.status is not None:
            q = q.where(QcItemRow.status == wanted.status.value)
        if wanted.start is not None:
            q = q.where(QcItemRow.call_at >= wanted.start)
        if wanted.end is not None:
            q = q.where(QcItemRow.call_at < wanted.end)
        return self._list(q, _item_from_row)

    def form(self, version: int | None = None) -> QcForm:
        with self._db.session() as s:
            if version is None:
                row = s.scalar(select(QcFormRow).order_by(QcFormRow.version.desc()).limit(1))
            else:
                row = s.get(QcFormRow, version)
            if row is not None:
                return _form_from_row(row)
        if version in (None, DEFAULT_FORM.version):
            return DEFAULT_FORM
        raise NotFound("质检表版本不存在", version=version)

    def add_form(self, items: Sequence[FormItem], *, by: str, at: datetime) -> QcForm:
        with self._db.session() as s:
            last = s.scalar(select(func.max(QcFormRow.version)))
            row = QcFormRow(
                version=max(last or 0, DEFAULT_FORM.version) + 1,
                items=[asdict(i) for i in items],
                created_at=at,
                created_by=by,
            )
            s.add(row)
            s.flush()
            return _form_from_row(row)

    def rule(self) -> QcRule:
        return QcRule(**policy_fields(self._db, QC_RULE, QcRule))

    def set_rule(self, rule: QcRule, *, by: str, at: datetime) -> None:
        put_policy(self._db, QC_RULE, asdict(rule), by=by, at=at)

    def phrases(self) -> QcPhrases:
        stored = policy_fields(self._db, QC_PHRASES, QcPhrases)
        return QcPhrases(**{k: tuple(v) for k, v in stored.items()})

    def set_phrases(self, phrases: QcPhrases, *, by: str, at: datetime) -> None:
        value = {f.name: list(getattr(phrases, f.name)) for f in fields(QcPhrases)}
        put_policy(self._db, QC_PHRASES, value, by=by, at=at)
