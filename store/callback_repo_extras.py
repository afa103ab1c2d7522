"""`CallbackLedgerRepository`: callback attempts and once-only work-order marks.

Implements `callbacks.ports.CallbackLedger`. Inserting an attempt or a mark that exists returns
False (primary keys decide, so two workers cannot both win); finishing an attempt is a
conditional update (`finished_at IS NULL`), so a replayed outcome finishes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from callbacks.events import AttemptOutcome
from callbacks.retry import CallbackAttempt
from core.ids import WorkOrderId
from store.models import CallbackAttemptRow, WorkOrderMarkRow
from store.rows import Repo, RowMapper, chunks, optional, row_values

_attempt_from_row = RowMapper(CallbackAttempt, columns={"attempt_id": "id"}, outcome=optional(AttemptOutcome))
_UNFINISHED = {"finished_at": None, "outcome": None, "counted": False, "retry_at": None}
"""What a started attempt is stored with, whatever the value handed in says."""


class CallbackLedgerRepository(Repo):
    def start_attempt(self, attempt: CallbackAttempt) -> bool:
        return self._insert_once(
            CallbackAttemptRow(**row_values(attempt, columns={"attempt_id": "id"}) | _UNFINISHED)
        )

    def finish_attempt(self, finished: CallbackAttempt) -> CallbackAttempt | None:
        if finished.outcome is None or finished.finished_at is None:
            raise ValueError(f"attempt {finished.attempt_id} has no outcome to write")
        attempt_id = finished.attempt_id
        with self._db.session() as s:
            result = s.execute(
                update(CallbackAttemptRow)
                .where(CallbackAttemptRow.id == attempt_id, CallbackAttemptRow.finished_at.is_(None))
                .values(
                    finished_at=finished.finished_at,
                    outcome=finished.outcome.value,
                    counted=finished.counted,
                    retry_at=finished.retry_at,
                    call_id=finished.call_id,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                return None
            row = s.get(CallbackAttemptRow, attempt_id, populate_existing=True)
            return _attempt_from_row(row) if row else None

    def get_attempt(self, attempt_id: str) -> CallbackAttempt | None:
        return self._find(CallbackAttemptRow, attempt_id, _attempt_from_row)

    def attempts_of(self, order_ids: Sequence[WorkOrderId]) -> dict[WorkOrderId, list[CallbackAttempt]]:
        out: dict[WorkOrderId, list[CallbackAttempt]] = {}
        with self._db.session() as s:
            for chunk in chunks([str(i) for i in order_ids]):
                q = (
                    select(CallbackAttemptRow)
                    .where(CallbackAttemptRow.order_id.in_(chunk))
                    .order_by(CallbackAttemptRow.order_id, CallbackAttemptRow.number)
                )
                for r in s.scalars(q):
                    out.setdefault(WorkOrderId(r.order_id), []).append(_attempt_from_row(r))
        return out

    def unfinished_attempts(self) -> list[CallbackAttempt]:
        q = select(CallbackAttemptRow).where(CallbackAttemptRow.finished_at.is_(None))
        return self._list(q.order_by(CallbackAttemptRow.started_at), _attempt_from_row)

    def add_mark(self, order_id: WorkOrderId, key: str, value: str, at: datetime) -> bool:
        try:
            with self._db.session() as s:
                if s.get(WorkOrderMarkRow, (order_id, key)) is not None:
                    return False
                s.add(WorkOrderMarkRow(order_id=order_id, key=key, value=value, at=at))
        except IntegrityError:
            return False  # another worker inserted it between our read and our write
        return True

    def marks_of(self, order_ids: Sequence[WorkOrderId]) -> dict[WorkOrderId, dict[str, str]]:
        out: dict[WorkOrderId, dict[str, str]] = {}
        with self._db.session() as s:
            for chunk in chunks([str(i) for i in order_ids]):
                q = select(WorkOrderMarkRow).where(WorkOrderMarkRow.order_id.in_(chunk))
                for r in s.scalars(q):
                    out.setdefault(WorkOrderId(r.order_id), {})[r.key] = r.value
        return out
