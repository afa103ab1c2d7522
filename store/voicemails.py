"""`VoicemailRepository`: the after-hours messages (`callbacks.voicemail.VoicemailStore`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select

from callbacks.voicemail import Voicemail
from core.ids import CallId, WorkOrderId
from store.models import VoicemailRow
from store.rows import Repo, RowMapper, chunks, optional, row_values

_from_row = RowMapper(Voicemail, call_id=CallId, order_id=optional(WorkOrderId))


class VoicemailRepository(Repo):
    def record(self, message: Voicemail) -> bool:
        """Keep `message` once per call; False when the call's message was kept already."""
        return self._insert_once(VoicemailRow(**row_values(message)))

    def get(self, call_id: CallId) -> Voicemail | None:
        return self._find(VoicemailRow, call_id, _from_row)

    def for_orders(self, order_ids: Sequence[WorkOrderId]) -> Mapping[WorkOrderId, list[Voicemail]]:
        found: dict[WorkOrderId, list[Voicemail]] = {}
        for part in chunks(order_ids):
            q = select(VoicemailRow).where(VoicemailRow.order_id.in_(list(part))).order_by(VoicemailRow.at)
            for message in self._list(q, _from_row):
                assert message.order_id is not None
                found.setdefault(message.order_id, []).append(message)
        return found
