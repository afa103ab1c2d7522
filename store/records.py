"""Persistence for the reconciliation with Asterisk's records (`pbx.reconcile`).

* `RecordCheckpointRepository` (`core.ports.RecordCheckpoints`): where each record file was
  read up to (inode, byte offset, newest record time), in the same database as the calls, so a
  restored database and its checkpoints go together.
* `KnownCallsRepository` (`core.ports.KnownCalls`): the summary rows of the calls the records
  mention, with whether their end may still be corrected (an `inferred` CallEnded in the trail:
  the end was stamped at reconnect time; or an end taken from the records, which a later CDR row
  may move on) and whether the callback policy already holds the call.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from core.call_events import CallEnded, CallReconciled
from core.calls import KnownCall
from core.ids import CallId
from core.ports import RecordCheckpoint
from store.db import Database
from store.models import CallEventRow, CallLegRow, CallRow, RecordCheckpointRow, WorkOrderCallRow
from store.repositories import _call_from_row
from store.rows import Repo, RowMapper, chunks

_checkpoint_from_row = RowMapper(RecordCheckpoint)


class RecordCheckpointRepository(Repo):
    def load(self, source: str) -> RecordCheckpoint | None:
        return self._find(RecordCheckpointRow, source, _checkpoint_from_row)

    def save(self, checkpoint: RecordCheckpoint) -> None:
        with self._db.session() as s:
            row = s.get(RecordCheckpointRow, checkpoint.source)
            if row is None:
                row = RecordCheckpointRow(source=checkpoint.source)
                s.add(row)
            row.inode = checkpoint.inode
            row.offset = checkpoint.offset
            row.last_at = checkpoint.last_at
            row.updated_at = datetime.now(UTC)


class KnownCallsRepository:
    def __init__(self, db: Database, *, open_limit: int = 20_000) -> None:
        self._db = db
        self._open_limit = open_limit

    def known(self, call_ids: Collection[CallId]) -> Mapping[CallId, KnownCall]:
        ids = sorted(set(call_ids))
        out: dict[CallId, KnownCall] = {}
        for batch in chunks(ids):
            with self._db.session() as s:
                rows = list(s.scalars(select(CallRow).where(CallRow.id.in_(batch))))
                guessed = {
                    e.call_id
                    for e in s.scalars(
                        select(CallEventRow).where(
                            CallEventRow.call_id.in_(batch),
                            CallEventRow.event_type.in_((CallEnded.__name__, CallReconciled.__name__)),
                        )
                    )
                    # A resync's inferred end, or an end from records (a later CDR row, such as
                    # the survey's after the seat hung up, may still move it on).
                    if e.event_type == CallReconciled.__name__ or (e.data or {}).get("inferred")
                }
                ordered = set(
                    s.scalars(select(WorkOrderCallRow.call_id).where(WorkOrderCallRow.call_id.in_(batch)))
                )
                legs: dict[str, set[str]] = {}
                for call_id, leg_id in s.execute(
                    select(CallLegRow.call_id, CallLegRow.leg_id).where(CallLegRow.call_id.in_(batch))
                ):
                    legs.setdefault(call_id, set()).add(leg_id)
            for row in rows:
                cid = CallId(row.id)
                out[cid] = KnownCall(
                    record=_call_from_row(row),
                    end_guessed=row.id in guessed,
                    miss_recorded=row.id in ordered,
                    leg_ids=frozenset(legs.get(row.id, ())),
                )
        return out

    def open_calls(self) -> Sequence[CallId]:
        with self._db.session() as s:
            q = select(CallRow.id).where(CallRow.ended_at.is_(None)).order_by(CallRow.offered_at)
            return [CallId(i) for i in s.scalars(q.limit(self._open_limit))]
