"""After-hours messages (来电留言): the IVR's `VoicemailLeft` becomes a callback work order that
carries the recording.

The order is opened like any after-hours request (`CallbackService.record_callback_request`,
reason `MissReason.VOICEMAIL`: the caller's district team, due by the SLA on the next working day;
an open order of the same number is extended instead). The message itself is kept beside it,
once per call (`VoicemailStore.record`), even when it could not be saved (`saved` False: the order
then says so) or when no order is due (a hidden number): nothing the caller said is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from callbacks.models import MissReason
from callbacks.service import CallbackService
from core.access import district_team
from core.blocking import offload
from core.ids import CallId, WorkOrderId
from core.ivr_events import VoicemailLeft

log = logging.getLogger(__name__)

UNSAVED_NOTE = "留言未能保存，请直接回拨来电人"


@dataclass(frozen=True, slots=True, kw_only=True)
class Voicemail:
    call_id: CallId
    order_id: WorkOrderId | None
    caller_number: str
    recording: str  # the file as Asterisk wrote it on the PBX host; "" when nothing was saved
    status: str  # Record()'s RECORD_STATUS
    at: datetime

    @property
    def saved(self) -> bool:
        return bool(self.recording) and self.status not in ("ERROR", "SKIP")

    @property
    def status_label(self) -> str:
        if not self.saved:
            return UNSAVED_NOTE
        return "来电人挂机，已保存挂机前的留言" if self.status == "HANGUP" else "已保存"


class VoicemailStore(Protocol):
    def record(self, message: Voicemail) -> bool:
        """Insert once per call id; False when that call's message is already kept."""
        ...

    def get(self, call_id: CallId) -> Voicemail | None: ...

    def for_orders(self, order_ids: Sequence[WorkOrderId]) -> Mapping[WorkOrderId, list[Voicemail]]: ...


class VoicemailInbox:
    """Bus handler for `VoicemailLeft`."""

    def __init__(self, callbacks: CallbackService, store: VoicemailStore) -> None:
        self._callbacks = callbacks
        self._store = store

    async def handle(self, event: VoicemailLeft) -> Voicemail:
        team = district_team(event.district_code) if event.district_code else None
        order = await self._callbacks.record_callback_request(
            event.call_id, event.caller_number, MissReason.VOICEMAIL, event.at, event.district_code, team
        )
        message = Voicemail(
            call_id=event.call_id,
            order_id=order.id if order is not None else None,
            caller_number=event.caller_number,
            recording=event.recording,
            status=event.status,
            at=event.at,
        )
        if not await offload(self._store.record, message):
            log.info("message of call %s already kept", event.call_id)
        return message
