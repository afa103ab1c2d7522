"""One read model of a call, derived from the tracker's (and the IVR's) events.

`project_call(record, event)` is the one function from events to a call's state: the trail
recorder (`store.recorder.TrailRecorder`) persists what it returns as the `calls` row, and the
consoles read the same projection in memory (`CallViews`), so nothing merges a live call, a
stored row and the trail field by field.

* The call's summary (`CallRecord`) follows the events: offered (or a callback originated) →
  queued → ringing → talking → answered / abandoned / timed out / transferred → ended, with the
  seats and the transfer chain it went through, and what the IVR learnt (category, district,
  office, path; `IvrRouted`).
* `CallView` is that summary plus what the consoles show but the calls table does not store
  (`CallNotes`: the IVR's path labels and why it routed the call so, the appointment's spoken
  address and office, since when the caller waits). `project_view` folds both;
  `CallView.restored` builds the same view from what the database keeps (the row, and the trail
  for the notes) for a call not in memory.
* each party of a call is a `call_legs` row (`project_leg`, `reconcile_legs`).

`CallViews` holds the views of the recent calls, fed by the bus on the event loop (read it on the
loop only): the seat's screen pop and "is this my call", the supervisor's waiting callers. A call
whose earlier events it did not see (before a restart, or offered again by an AMI resync) is
read from the database instead.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from core.access import queue_district
from core.bus import EventBus, Subscription
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
    ThirdPartyJoined,
    ThirdPartyLeft,
    TransferStatus,
    agrees_with_records,
    agrees_with_records_at,
)
from core.calls import CallLeg, CallRecord, CallStatus, CallTrailEntry
from core.events import DomainEvent, StateResynced, call_id_of
from core.ids import CallId, EventId, SeatId
from core.ivr_events import AppointmentRequested, IvrAbandoned, IvrRouted

# --- the call's summary (the calls row) ----------------------------------------------------------

_FINAL = {
    CallStatus.ABANDONED,
    CallStatus.TIMED_OUT,
    CallStatus.TRANSFERRED,
    CallStatus.ANSWERED,
    CallStatus.ENDED,
}


def _reconciled(record: CallRecord | None, event: CallReconciled) -> CallRecord:
    """Asterisk's records win over our view; what they do not say keeps what we had, and so does
    what we measured finer than they count (whole seconds) when it agrees with them to that: the
    AMI view's 3.025 s of talk stays against app_queue's 4, as its leg's does. A call we never saw
    gets its district and category from its queue's name (district supervisors see it)."""
    base = record or CallRecord(
        id=event.call_id,
        caller_number=event.caller_number,
        offered_at=event.offered_at or event.at,
        status=CallStatus.ENDED,
    )
    out = replace(
        base,
        caller_number=base.caller_number or event.caller_number,
        offered_at=_finer_at(base.offered_at, event.offered_at) or base.offered_at,
        status=CallStatus(event.status) if event.status else base.status,
        queue=event.queue or base.queue,
        seat_id=event.seat_id or base.seat_id,
        final_seat_id=event.final_seat_id or base.final_seat_id or event.seat_id,
        answered_at=_finer_at(base.answered_at, event.answered_at) or base.answered_at,
        ended_at=_finer_at(base.ended_at, event.at) or event.at,
        wait_seconds=_finer(base.wait_seconds, event.wait_seconds),
        talk_seconds=_finer(base.talk_seconds, event.talk_seconds, parts=event.talk_parts),
        hung_up_by=event.hung_up_by.value if event.hung_up_by is not None else base.hung_up_by,
    )
    district, category = queue_district(out.queue)
    if district is not None and out.district_code is None:
        out = replace(out, district_code=district, category=out.category or category)
    return out


def _finer(measured: float | None, recorded: float | None, *, parts: int = 1) -> float | None:
    """The measured duration when it agrees with the records' whole seconds, else the records'
    (the measure when they have none)."""
    if recorded is None or agrees_with_records(measured, recorded, parts=parts):
        return measured
    return recorded


def _finer_at(measured: datetime | None, recorded: datetime | None) -> datetime | None:
    """`_finer` for a moment the records name to the second."""
    if recorded is None or agrees_with_records_at(measured, recorded):
        return measured
    return recorded


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
    if isinstance(event, IvrAbandoned) and record is not None:
        # Hung up inside the IVR: the calls row keeps how far the caller got.
        return replace(record, ivr_path=event.path or record.ivr_path)
    return record


def project_leg(leg: CallLeg | None, event: DomainEvent) -> CallLeg | None:
    """The `call_legs` row after a leg event (a three-way call's third party's too); None for any
    other event."""
    if isinstance(event, ThirdPartyJoined | ThirdPartyLeft):
        return _third_party_leg(leg, event)
    if isinstance(event, CallLegAnswered):
        return leg or replace(
            _new_leg(event, answered_at=event.at),
            channel=event.channel,
            queue=event.queue,
            transfer_seq=event.transfer_seq,
        )
    if isinstance(event, CallLegEnded):
        return _ended(leg or _new_leg(event, answered_at=event.answered_at or event.at), event)
    return None


def _ended(base: CallLeg, event: CallLegEnded | ThirdPartyLeft) -> CallLeg:
    """The leg's row ended by `event`; an end a resync only guessed (`inferred`) leaves a row the
    records already ended (reconcile_legs) as it is."""
    if event.inferred and base.ended_at is not None:
        return base
    return replace(base, ended_at=event.at, talk_seconds=event.talk_seconds, inferred=event.inferred)


def _new_leg(event: CallLegAnswered | CallLegEnded, *, answered_at: datetime) -> CallLeg:
    """The `call_legs` row of a leg first heard of through `event` (what every leg event says)."""
    return CallLeg(
        call_id=event.call_id,
        leg_id=event.leg_id,
        kind=event.kind.value,
        party=event.party,
        seat_id=event.seat_id,
        answered_at=answered_at,
    )


def _third_party_leg(leg: CallLeg | None, event: ThirdPartyJoined | ThirdPartyLeft) -> CallLeg:
    """The third party's row (kind `third_party`, its party the seat or the number; `seat_id` the
    invited seat when it is one)."""
    joined = event.at if isinstance(event, ThirdPartyJoined) else event.joined_at or event.at
    base = leg or CallLeg(
        call_id=event.call_id,
        leg_id=event.leg_id,
        kind=LegKind.THIRD_PARTY.value,
        party=event.party,
        seat_id=SeatId(event.party) if event.party_kind is LegKind.SEAT else None,
        answered_at=joined,
    )
    if isinstance(event, ThirdPartyJoined):
        return replace(base, channel=event.channel) if not base.channel else base
    return _ended(base, event)


def reconcile_legs(legs: Sequence[CallLeg], event: CallReconciled) -> list[CallLeg]:
    """The legs to correct when Asterisk's records give the call's talk time: the one leg whose
    end was only guessed (ended `inferred` at an AMI reconnect, or not ended yet) gets the rest of
    the call's talk after its other legs', and the end that follows from it. With no talk time in
    the records, or several legs guessed (the records do not split the talk between them),
    nothing changes."""
    if event.talk_seconds is None:
        return []
    # A callback's citizen and a three-way call's third party talk while a seat does: not more talk.
    parties = [leg for leg in legs if leg.kind not in (LegKind.CUSTOMER, LegKind.THIRD_PARTY)]
    guessed = [leg for leg in parties if leg.ended_at is None or leg.inferred]
    if len(guessed) != 1:
        return []
    leg = guessed[0]
    others = sum(other.talk_seconds or 0.0 for other in parties if other is not leg)
    talk = round(max(0.0, event.talk_seconds - others), 3)
    ended = min(event.at, leg.answered_at + timedelta(seconds=talk))
    return [replace(leg, ended_at=max(ended, leg.answered_at), talk_seconds=talk, inferred=False)]


# --- what the consoles show beyond the calls row ------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CallNotes:
    """What the consoles show that the calls table does not keep: the IVR's path as the caller
    heard it (Chinese labels) and why it routed the call so; the address the caller said and the
    appointment's office (the seat's screen pop); since when the caller waits in a queue (the supervisor's
    board). Kept in memory and, for a call not in memory, read back from its trail."""

    ivr_labels: tuple[str, ...] = ()
    ivr_why: str = ""
    address: str = ""
    address_outcome: str = ""  # the IVR's address lookup: found / ambiguous / no_address / outside
    address_note: str = ""  # its note for the seat (可能是：A 或 B)
    appointment_office_id: str | None = None
    waiting_since: datetime | None = None  # None: not waiting in a queue


_WAIT_OVER = (CallAnswered, CallAbandoned, CallTimedOut, CallEnded, CallTransferred)


def project_notes(notes: CallNotes, event: DomainEvent) -> CallNotes:
    """The notes after `event` (the IVR's last word wins; the wait runs from the first
    `CallQueued` until an answer, a give-up, the end or a transfer)."""
    if isinstance(event, IvrRouted):
        if event.spoken_address:  # the address step ran: its outcome replaces an earlier pass's
            notes = replace(
                notes,
                address=event.spoken_address,
                address_outcome=event.address_outcome,
                address_note=event.address_note,
            )
        return replace(notes, ivr_labels=event.path_labels, ivr_why=event.why)
    if isinstance(event, IvrAbandoned):
        why = f"来电人在语音导航中挂机（{event.where}）"
        if event.address_note:
            why = f"{why}：{event.address_note}"
            notes = replace(notes, address_note=event.address_note)
        return replace(notes, ivr_labels=event.path_labels or notes.ivr_labels, ivr_why=why)
    if isinstance(event, AppointmentRequested):
        return replace(notes, address=event.spoken_address, appointment_office_id=event.office_id)
    if isinstance(event, CallQueued) and notes.waiting_since is None:
        return replace(notes, waiting_since=event.at)
    if isinstance(event, _WAIT_OVER) and notes.waiting_since is not None:
        return replace(notes, waiting_since=None)
    return notes


@dataclass(frozen=True, slots=True, kw_only=True)
class CallView:
    """One call as the consoles read it: the projected summary and its notes."""

    record: CallRecord
    notes: CallNotes = field(default_factory=CallNotes)

    @classmethod
    def restored(cls, row: CallRecord, trail: Iterable[CallTrailEntry]) -> CallView:
        """The view of a call known only to the database: its row (the same projection, stored)
        and the notes folded from its trail."""
        notes = CallNotes()
        for entry in trail:
            event = entry.event()
            if event is not None:
                notes = project_notes(notes, event)
        return cls(record=row, notes=notes)

    @property
    def ivr_path(self) -> tuple[str, ...]:
        """The IVR path as labels; the stored keys (`menu:key`) when the labels are not known."""
        return self.notes.ivr_labels or self.record.ivr_path

    @property
    def office_id(self) -> str | None:
        return self.record.office_id or self.notes.appointment_office_id

    def handled_by(self, seat_id: SeatId) -> bool:
        """Whether `seat_id` answered this call (the first seat, or the one holding it now)."""
        return self.record.handled_by(seat_id)

    def status_for(self, seat_id: SeatId) -> CallStatus:
        """The call's status as `seat_id` sees it: a seat that handed the call on (a transfer of
        its own that did not fail) and holds it no more sees it transferred, whatever the call
        does at its target; the seat holding it sees the call's own status."""
        record = self.record
        if record.final_seat_id == seat_id:
            return record.status
        handed_on = any(
            t.get("from_seat") == seat_id and t.get("status") != TransferStatus.FAILED.value
            for t in record.transfers
        )
        return CallStatus.TRANSFERRED if handed_on else record.status


def project_view(view: CallView | None, event: DomainEvent) -> CallView | None:
    """`project_call` and `project_notes` together; None while the call is not open."""
    record = project_call(view.record if view is not None else None, event)
    if record is None:
        return None
    notes = project_notes(view.notes if view is not None else CallNotes(), event)
    if view is not None and record is view.record and notes is view.notes:
        return view
    return CallView(record=record, notes=notes)


_OPENINGS = (CallOffered, CallbackOriginated)
CALL_VIEWS_KEPT = 1000


class CallViews:
    """The views of the recent calls (at most `keep`), fed by the bus; owned by the event loop.

    Only a call seen opening here is kept; one whose earlier events went unseen (opened before a
    restart, or reconciled from Asterisk's records) is left to the database, whose row the
    recorder keeps with the same projection. A call offered again by an AMI resync (the tracker's
    snapshot offers carry the resync's time) is kept for the lists of calls now (`waiting`: its
    queue and state are the snapshot's), but `get` leaves it to the database too: what the IVR
    said of it went by unseen. An event seen before (same event id) changes nothing, as in the
    recorder."""

    def __init__(self, *, keep: int = CALL_VIEWS_KEPT, bus: EventBus | None = None) -> None:
        """`bus`: follow it (a subscription of its own); else the owner feeds `apply`."""
        self._keep = keep
        self._views: OrderedDict[CallId, CallView] = OrderedDict()
        self._opened: dict[CallId, datetime] = {}  # call -> the time of its opening event
        self._seen: dict[CallId, set[EventId]] = {}
        self._resynced: set[CallId] = set()  # opened by a resync's snapshot
        self.subscription: Subscription | None = (
            None if bus is None else bus.subscribe("call-views", self.follow)
        )

    def get(self, call_id: CallId) -> CallView | None:
        """The call's view, when every event of it was seen here; else None (read the database)."""
        return None if call_id in self._resynced else self._views.get(call_id)

    def waiting(self) -> list[CallView]:
        """The calls waiting in a queue now, longest first."""
        waiting = [v for v in self._views.values() if v.notes.waiting_since is not None]
        return sorted(waiting, key=lambda v: v.notes.waiting_since or v.record.offered_at)

    def __len__(self) -> int:
        return len(self._views)

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._views

    def ids(self) -> list[CallId]:
        """The calls held now, oldest first (a web process starting up reads them from their
        trail: `app.runtime.Runtime._mirror_telephony`)."""
        return list(self._views)

    async def follow(self, event: DomainEvent) -> None:
        """Bus handler (on the loop)."""
        self.apply(event)

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, StateResynced):
            self._resynced.update(c for c, at in self._opened.items() if at == event.at)
            return
        call_id = call_id_of(event)
        if not call_id:
            return
        before = self._views.get(call_id)
        if before is None and not isinstance(event, _OPENINGS):
            return
        seen = self._seen.setdefault(call_id, set())
        if event.event_id in seen:
            return
        after = project_view(before, event)
        if after is None:
            return
        seen.add(event.event_id)
        if before is None:
            self._opened[call_id] = event.at
        self._views[call_id] = after
        self._views.move_to_end(call_id)
        while len(self._views) > self._keep:
            self._forget(next(iter(self._views)))

    def _forget(self, call_id: CallId) -> None:
        self._views.pop(call_id, None)
        self._opened.pop(call_id, None)
        self._seen.pop(call_id, None)
        self._resynced.discard(call_id)
