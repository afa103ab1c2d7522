"""The call recorder: the complete trail (全程留痕) and the summary row of every call.

* Every domain event that names a call is appended to `call_events`, idempotently by event id.
* Transcript segments go to `transcripts` (a partial is replaced by its final text); only final
  segments join the trail.
* The call's summary row (`calls`) follows the events through `project_call`, a pure function:
  offered (or a callback originated) → queued → ringing → talking → answered / abandoned /
  timed out / transferred → ended, with the seats and the transfer chain it went through;
* each party of a call is a `call_legs` row (`project_leg`): answered, ended, its own talk time;
  plus what the IVR learnt (category, district, office, path), from the IVR's `IvrRouted`
  (defined in `core`, so the store does not depend on the IVR package).

It subscribes with `Overflow.WAIT`, so under load the producer slows down rather than events
being dropped; database work runs in a worker thread so the event loop never waits on the disk.
Replaying a stream changes nothing: a trail line already recorded is skipped, and so is its
projection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta

from core.access import queue_district
from core.asr_events import TranscriptSegment
from core.blocking import offload
from core.bus import EventBus, Handler, Subscription
from core.call_events import (
    CallAbandoned,
    CallAnswered,
    CallbackLeg,
    CallbackLegOutcome,
    CallbackOriginated,
    CallbackOutcome,
    CallDirection,
    CallEnded,
    CallLegAnswered,
    CallLegEnded,
    CallOffered,
    CallQueued,
    CallReconciled,
    CallTimedOut,
    CallTransferred,
    CallTransferSettled,
    LegKind,
    SeatRinging,
    SeatRingNoAnswer,
    TransferStatus,
)
from core.calls import CallLeg, CallRecord, CallStatus, CallTrailEntry, TranscriptLine
from core.events import DomainEvent, call_id_of, to_wire
from core.ids import CallId
from core.ivr_events import IvrRouted
from store.repositories import CallRepository, TranscriptRepository

log = logging.getLogger(__name__)

_FINAL = {
    CallStatus.ABANDONED,
    CallStatus.TIMED_OUT,
    CallStatus.TRANSFERRED,
    CallStatus.ANSWERED,
    CallStatus.ENDED,
}


def _reconciled(record: CallRecord | None, event: CallReconciled) -> CallRecord:
    """Asterisk's records win over our view; what they do not say keeps what we had. A call we
    never saw gets its district and category from its queue's name (district supervisors see it)."""
    base = record or CallRecord(
        id=event.call_id,
        caller_number=event.caller_number,
        offered_at=event.offered_at or event.at,
        status=CallStatus.ENDED,
    )
    out = replace(
        base,
        caller_number=base.caller_number or event.caller_number,
        offered_at=event.offered_at or base.offered_at,
        status=CallStatus(event.status) if event.status else base.status,
        queue=event.queue or base.queue,
        seat_id=event.seat_id or base.seat_id,
        answered_at=event.answered_at or base.answered_at,
        ended_at=event.at,
        wait_seconds=event.wait_seconds if event.wait_seconds is not None else base.wait_seconds,
        talk_seconds=event.talk_seconds if event.talk_seconds is not None else base.talk_seconds,
        hung_up_by=event.hung_up_by.value if event.hung_up_by is not None else base.hung_up_by,
    )
    district, category = queue_district(out.queue)
    if district is not None and out.district_code is None:
        out = replace(out, district_code=district, category=out.category or category)
    return out


def project_call(record: CallRecord | None, event: DomainEvent) -> CallRecord | None:
    """The call summary after `event`; None when the event opens no call and names none we know.

    Inbound calls open with CallOffered, callbacks with CallbackOriginated (linked to their work
    order). `seat_id` is the first seat that answered, `final_seat_id` the last; `talk_seconds`
    is the call's talk over all its legs; `transfers` is the chain, each settled in place. A failed
    transfer does not make the call "transferred": its status is what happened to the caller next.
    """
    if isinstance(event, CallReconciled):
        return _reconciled(record, event)
    if isinstance(event, CallOffered):
        if record is not None:
            return record
        return CallRecord(
            id=event.call_id,
            caller_number=event.caller_number,
            dialed=event.dialed,
            channel=event.channel,
            offered_at=event.at,
            status=CallStatus.IN_IVR,
        )
    if isinstance(event, CallbackOriginated):
        if record is not None:
            return record
        return CallRecord(
            id=event.call_id,
            caller_number="",
            dialed="",
            channel=event.channel,
            offered_at=event.at,
            status=CallStatus.RINGING,
            direction=CallDirection.CALLBACK.value,
            work_order_id=event.work_order_id or None,
            seat_id=event.seat_id,
            final_seat_id=event.seat_id,
        )
    if record is None:
        return None
    if isinstance(event, CallbackLegOutcome):
        if event.leg is CallbackLeg.SEAT:
            if event.outcome is CallbackOutcome.ANSWERED:
                return replace(record, status=CallStatus.TALKING, answered_at=record.answered_at or event.at)
            return record
        return replace(record, customer_outcome=event.outcome.value)
    if isinstance(event, CallLegAnswered) and event.kind is LegKind.CUSTOMER:
        return replace(record, caller_number=record.caller_number or event.party)
    if isinstance(event, CallQueued):
        return replace(record, status=CallStatus.QUEUED, queue=event.queue)
    if isinstance(event, SeatRinging):
        return replace(record, status=CallStatus.RINGING, queue=event.queue)
    if isinstance(event, SeatRingNoAnswer):
        return replace(record, status=CallStatus.QUEUED) if record.status is CallStatus.RINGING else record
    if isinstance(event, CallAnswered):
        if record.answered_at is not None and record.seat_id is not None:
            # A later seat (after a transfer): the first answer and its wait stay as they were.
            return replace(record, status=CallStatus.TALKING, final_seat_id=event.seat_id)
        return replace(
            record,
            status=CallStatus.TALKING,
            seat_id=event.seat_id,
            final_seat_id=event.seat_id,
            queue=event.queue or record.queue,
            answered_at=event.at,
            wait_seconds=event.wait_seconds,
        )
    if isinstance(event, CallTransferred):
        entry = {
            "seq": event.seq,
            "kind": event.kind.value,
            "from_seat": event.seat_id,
            "target": event.target or event.exten,
            "status": event.status.value,
            "at": event.at.isoformat(),
            "detail": event.detail,
        }
        chain = (*(t for t in record.transfers if t.get("seq") != event.seq), entry)
        failed = event.status is TransferStatus.FAILED
        return replace(
            record,
            status=record.status if failed else CallStatus.TRANSFERRED,
            transfers=chain,
            transfer_status=event.status.value,
        )
    if isinstance(event, CallTransferSettled):
        chain = tuple(
            {**t, "status": event.status.value, "kind": event.kind.value, "detail": event.detail}
            if t.get("seq") == event.seq
            else t
            for t in record.transfers
        )
        status = record.status
        if event.status is TransferStatus.FAILED and status is CallStatus.TRANSFERRED:
            # The caller never reached the target: back to "was answered" until what comes next.
            status = CallStatus.TALKING if record.answered_at is not None else CallStatus.ENDED
        return replace(record, transfers=chain, transfer_status=event.status.value, status=status)
    if isinstance(event, CallAbandoned | CallTimedOut):
        status = CallStatus.ABANDONED if isinstance(event, CallAbandoned) else CallStatus.TIMED_OUT
        return replace(record, status=status, queue=event.queue, wait_seconds=event.wait_seconds)
    if isinstance(event, CallEnded):
        if event.inferred and record.ended_at is not None:
            # A resync guessed this end (at reconnect time); the records already gave the real one.
            return record
        status = record.status
        if status not in _FINAL:
            status = CallStatus.ANSWERED if event.answered else CallStatus.ENDED
        return replace(
            record,
            status=status,
            ended_at=event.at,
            talk_seconds=event.talk_seconds,
            hung_up_by=event.hung_up_by.value,
            seat_id=record.seat_id or event.seat_id,
            final_seat_id=event.seat_id or record.final_seat_id,
            caller_number=record.caller_number or event.caller_number,
            direction=event.direction.value,
        )
    if isinstance(event, IvrRouted):
        return replace(
            record,
            category=event.category or record.category,
            district_code=event.district_code or record.district_code,
            office_id=event.office_id or record.office_id,
            queue=event.queue or record.queue,
            ivr_path=event.path or record.ivr_path,
        )
    return record


def project_leg(leg: CallLeg | None, event: DomainEvent) -> CallLeg | None:
    """The `call_legs` row after a leg event; None for any other event."""
    if isinstance(event, CallLegAnswered):
        return leg or CallLeg(
            call_id=event.call_id,
            leg_id=event.leg_id,
            kind=event.kind.value,
            party=event.party,
            seat_id=event.seat_id,
            channel=event.channel,
            queue=event.queue,
            transfer_seq=event.transfer_seq,
            answered_at=event.at,
        )
    if isinstance(event, CallLegEnded):
        base = leg or CallLeg(
            call_id=event.call_id,
            leg_id=event.leg_id,
            kind=event.kind.value,
            party=event.party,
            seat_id=event.seat_id,
            answered_at=event.answered_at or event.at,
        )
        if event.inferred and base.ended_at is not None:
            # A resync guessed this end; the records already gave the real one (reconcile_legs).
            return base
        return replace(base, ended_at=event.at, talk_seconds=event.talk_seconds, inferred=event.inferred)
    return None


def reconcile_legs(legs: Sequence[CallLeg], event: CallReconciled) -> list[CallLeg]:
    """The legs to correct when Asterisk's records give the call's talk time: the one leg whose
    end was only guessed (ended `inferred` at an AMI reconnect, or not ended yet) gets the rest of
    the call's talk after its other legs', and the end that follows from it. With no talk time in
    the records, or several legs guessed (the records do not split the talk between them),
    nothing changes."""
    if event.talk_seconds is None:
        return []
    parties = [leg for leg in legs if leg.kind != LegKind.CUSTOMER]
    guessed = [leg for leg in parties if leg.ended_at is None or leg.inferred]
    if len(guessed) != 1:
        return []
    leg = guessed[0]
    others = sum(other.talk_seconds or 0.0 for other in parties if other is not leg)
    talk = round(max(0.0, event.talk_seconds - others), 3)
    ended = min(event.at, leg.answered_at + timedelta(seconds=talk))
    return [replace(leg, ended_at=max(ended, leg.answered_at), talk_seconds=talk, inferred=False)]


class TrailRecorder:
    def __init__(
        self,
        bus: EventBus,
        calls: CallRepository,
        transcripts: TranscriptRepository | None = None,
        *,
        guard: Callable[[str, Handler], Handler] | None = None,
    ) -> None:
        self._bus = bus
        # `guard` wraps the handler (the app passes the durable journal: store.journal).
        self._guard = guard
        self._calls = calls
        self._transcripts = transcripts
        self._sub: Subscription | None = None
        self.recorded = 0

    async def start(self) -> None:
        handler: Handler = self.handle if self._guard is None else self._guard("call-recorder", self.handle)
        self._sub = self._bus.subscribe("call-recorder", handler)

    async def stop(self) -> None:
        if self._sub is not None:
            self._bus.unsubscribe(self._sub)
            self._sub = None

    def _transcript(self, call_id: CallId, event: TranscriptSegment) -> None:
        if self._transcripts is None:
            return
        self._transcripts.add(
            TranscriptLine(
                call_id=call_id,
                leg=event.leg.value,
                seq=event.seq,
                text=event.text,
                start_s=event.start_s,
                end_s=event.end_s,
                final=event.final,
                at=event.at,
            )
        )

    async def handle(self, event: DomainEvent) -> None:
        call_id = call_id_of(event)
        if not call_id:
            return
        if await offload(self._record, call_id, event):
            self.recorded += 1

    def _record(self, call_id: CallId, event: DomainEvent) -> bool:
        if isinstance(event, TranscriptSegment):
            self._transcript(call_id, event)
            if not event.final:
                return False  # partial results are refined moments later: not part of the trail
        data = to_wire(event)["data"]
        data.pop("at", None)
        data.pop("event_id", None)
        entry = CallTrailEntry(
            call_id=call_id, event_id=event.event_id, event_type=event.event_type, at=event.at, data=data
        )
        if not self._calls.append_event(entry):
            return False  # seen before: neither the trail nor the summary changes
        before = self._calls.find(call_id)
        after = project_call(before, event)
        if after is not None and after != before:
            self._calls.save(after)
        if isinstance(event, CallLegAnswered | CallLegEnded):
            leg = project_leg(self._calls.find_leg(event.leg_id), event)
            if leg is not None:
                self._calls.save_leg(leg)
        if isinstance(event, CallReconciled):
            for leg in reconcile_legs(self._calls.legs(call_id), event):
                self._calls.save_leg(leg)
        return True
