"""`VoicemailRepository`: the after-hours messages (`callbacks.voicemail.VoicemailStore`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from callbacks.voicemail import Voicemail
from core.ids import CallId, WorkOrderId
from store.db import Database
from store.models import VoicemailRow


def _from_row(row: VoicemailRow) -> Voicemail:
    return Voicemail(
        call_id=CallId(row.call_id),
        order_id=WorkOrderId(row.order_id) if row.order_id else None,
        caller_number=row.caller_number,
        recording=row.recording,
        status=row.status,
        at=row.at,
    )


class VoicemailRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, message: Voicemail) -> bool:
        try:
            with self._db.session() as s:
                s.add(
                    VoicemailRow(
                        call_id=message.call_id,
                        order_id=message.order_id,
                        caller_number=message.caller_number,
                        recording=message.recording,
                        status=message.status,
                        at=message.at,
                    )
                )
        except IntegrityError:
            return False
        return True

    def get(self, call_id: CallId) -> Voicemail | None:
        with self._db.session() as s:
            row = s.get(VoicemailRow, call_id)
            return _from_row(row) if row is not None else None

    def for_orders(self, order_ids: Sequence[WorkOrderId]) -> Mapping[WorkOrderId, list[Voicemail]]:
        found: dict[WorkOrderId, list[Voicemail]] = {}
        if not order_ids:
            return found
        with self._db.session() as s:
            q = (
                select(VoicemailRow)
                .where(VoicemailRow.order_id.in_(list(order_ids)))
                .order_by(VoicemailRow.at)
            )
            for row in s.scalars(q):
                message = _from_row(row)
                assert message.order_id is not None
                found.setdefault(message.order_id, []).append(message)
        return found
