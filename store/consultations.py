"""`ConsultationRepository`: the seats' consultation records, and the caller's file (当事人档案).

A record is keyed by (call, seat): saving a draft twice updates it; a submitted record is final,
and saving or submitting it again is refused with `Conflict`. Records and work orders are found
by the caller's number through a join on `calls`, so the number is stored once, in the call row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from core.errors import Conflict
from core.ids import CallId, OfficeId, SeatId, new_id
from routing.queues import LegalCategory
from seats.records import CheckedRecord, ConsultationOutcome, ConsultationRecord, UnsubmittedRecord
from stats.hot_topics import RecordText
from store.models import CallRow, ConsultationRecordRow
from store.rows import Repo, RowMapper, optional

_record_from_row = RowMapper(
    ConsultationRecord,
    category=optional(LegalCategory),
    outcome=optional(ConsultationOutcome),
    office_id=optional(OfficeId),
)


class ConsultationRepository(Repo):
    def get(self, call_id: CallId, seat_id: SeatId) -> ConsultationRecord | None:
        return self._first(_of_call(call_id, seat_id), _record_from_row)

    def save(
        self, call_id: CallId, seat_id: SeatId, fields: CheckedRecord, at: datetime, *, final: bool
    ) -> ConsultationRecord:
        """Write the draft (or the final record, `final=True`); a final record cannot change."""
        with self._db.session() as s:
            row = s.scalar(_of_call(call_id, seat_id).with_for_update())
            if row is None:
                row = ConsultationRecordRow(
                    id=new_id("cr_"), call_id=call_id, seat_id=seat_id, created_at=at, draft=True
                )
                s.add(row)
            elif not row.draft:
                raise Conflict("该通话的咨询记录已提交，不能再修改", call_id=call_id)
            row.category = fields.category.value if fields.category else None
            row.question = fields.question
            row.advice = fields.advice
            row.outcome = fields.outcome.value if fields.outcome else None
            row.office_id = fields.office_id
            row.updated_at = at
            if final:
                row.draft = False
                row.submitted_at = at
            s.flush()
            return _record_from_row(row)

    def for_caller(self, caller_number: str, *, limit: int = 20) -> list[ConsultationRecord]:
        """Submitted records of every call from this number, newest first."""
        q = (
            select(ConsultationRecordRow)
            .join(CallRow, CallRow.id == ConsultationRecordRow.call_id)
            .where(CallRow.caller_number == caller_number, ConsultationRecordRow.draft.is_(False))
            .order_by(ConsultationRecordRow.submitted_at.desc())
            .limit(limit)
        )
        return self._list(q, _record_from_row)

    def of_calls_between(self, start: datetime, end: datetime) -> list[RecordText]:
        """The submitted records of the calls offered in [start, end): their questions (热点)."""
        q = (
            select(ConsultationRecordRow.call_id, ConsultationRecordRow.question)
            .join(CallRow, CallRow.id == ConsultationRecordRow.call_id)
            .where(
                CallRow.offered_at >= start,
                CallRow.offered_at < end,
                ConsultationRecordRow.draft.is_(False),
            )
        )
        with self._db.session() as s:
            return [RecordText(call_id=cid, question=question or "") for cid, question in s.execute(q)]

    def unsubmitted(self, seat_id: SeatId, *, limit: int = 20) -> list[UnsubmittedRecord]:
        """This seat's drafts (records begun, not submitted), the latest edited first."""
        with self._db.session() as s:
            q = (
                select(ConsultationRecordRow, CallRow.caller_number)
                .outerjoin(CallRow, CallRow.id == ConsultationRecordRow.call_id)
                .where(ConsultationRecordRow.seat_id == seat_id, ConsultationRecordRow.draft.is_(True))
                .order_by(ConsultationRecordRow.updated_at.desc())
                .limit(limit)
            )
            return [
                UnsubmittedRecord(
                    call_id=CallId(r.call_id),
                    caller_number=number or "",
                    updated_at=r.updated_at,
                    question=r.question,
                )
                for r, number in s.execute(q)
            ]


def _of_call(call_id: CallId, seat_id: SeatId) -> Select[ConsultationRecordRow]:
    """The (call, seat) record's query."""
    return select(ConsultationRecordRow).where(
        ConsultationRecordRow.call_id == call_id, ConsultationRecordRow.seat_id == seat_id
    )
