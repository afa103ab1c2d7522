"""The call recorder: the complete trail (全程留痕) and the summary row of every call.

* Every domain event that names a call is appended to `call_events`, idempotently by event id.
* Transcript segments go to `transcripts` (a partial is replaced by its final text); only final
  segments join the trail.
* The call's summary row (`calls`) and its parties (`call_legs`) follow the events through the
  one projection, `core.call_view` (`project_call`, `project_leg`, `reconcile_legs`): the consoles
  read the same projection in memory (`core.call_view.CallViews`).

It subscribes with `Overflow.WAIT`, so under load the producer slows down rather than events
being dropped; database work runs on the recorder's own thread (never behind password hashing or
other offloaded work) so the event loop never waits on the disk. What is queued when the recorder
is ready is written as one batch in one transaction (`many`, up to `MAX_BATCH` events): under load
one commit serves many events; a batch that fails is retried event by event by the journal guard.
A batch costs a few statements per table whatever its size: one look-up and one insert for its
trail lines, and each call's row (and each leg's) read once, folded over all of the batch's events
in memory and written once; the rows come out as writing event by event leaves them.
Replaying a stream changes nothing: a trail line already recorded is skipped, and so is its
projection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from core.asr_events import TranscriptSegment
from core.blocking import offload_on
from core.bus import EventBus, Handler, Subscription
from core.call_events import CallLegAnswered, CallLegEnded, CallReconciled, ThirdPartyJoined, ThirdPartyLeft
from core.call_view import project_call, project_leg, reconcile_legs
from core.calls import CallRecord, CallTrailEntry, TranscriptLine
from core.events import DomainEvent, call_id_of, to_wire
from core.ids import CallId
from store.repositories import CallRepository, TranscriptRepository
from store.rows import RowMapper, column_value

log = logging.getLogger(__name__)

MAX_BATCH = 200

_line_of_segment = RowMapper(TranscriptLine, leg=column_value)
"""A transcript line from a segment event: its fields by name, the leg by its value."""


_LEG_EVENTS = (CallLegAnswered, CallLegEnded, ThirdPartyJoined, ThirdPartyLeft)
"""The events that write a `call_legs` row (`project_leg`)."""

_NEW_LEG = 1 << 62
"""Above every row id: a leg first written in a batch sorts after the stored ones (its id will)."""


def _trail_entry(call_id: CallId, event: DomainEvent) -> CallTrailEntry:
    """The trail line of `event`: its fields in wire form, less the time and id kept beside them."""
    data = to_wire(event)["data"]
    data.pop("at", None)
    data.pop("event_id", None)
    return CallTrailEntry(
        call_id=call_id, event_id=event.event_id, event_type=event.event_type, at=event.at, data=data
    )


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
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="call-recorder")
        self.recorded = 0
        self.batches = 0

    async def start(self) -> None:
        handler: Handler = self if self._guard is None else self._guard("call-recorder", self)
        # Only this process's own events: one that came in from another process (a speech
        # process's transcript) was recorded by that process.
        self._sub = self._bus.subscribe("call-recorder", handler, max_batch=MAX_BATCH, own_only=True)

    async def stop(self) -> None:
        if self._sub is not None:
            self._bus.unsubscribe(self._sub)
            self._sub = None

    def close(self) -> None:
        """Release the recorder's thread (after `stop`, once nothing replays into it any more)."""
        self._thread.shutdown(wait=True)

    async def __call__(self, event: DomainEvent) -> None:
        await self.handle(event)

    async def many(self, events: Sequence[DomainEvent]) -> None:
        """Several events in one transaction: all recorded, or none (the error is raised)."""
        items = [(call_id, e) for e in events if (call_id := call_id_of(e))]
        if items:
            self.recorded += await offload_on(self._thread, self._record_many, items)
            self.batches += 1

    def _transcript(self, event: TranscriptSegment) -> None:
        if self._transcripts is not None:
            self._transcripts.add(_line_of_segment(event))

    async def handle(self, event: DomainEvent) -> None:
        call_id = call_id_of(event)
        if not call_id:
            return
        if await offload_on(self._thread, self._record, call_id, event):
            self.recorded += 1

    def _record_many(self, items: list[tuple[CallId, DomainEvent]]) -> int:
        """The batch in one transaction and a few statements per table, whatever its size: the
        segments' transcripts, then the trail lines (one insert), then each call's row and legs
        folded in memory over all of its events and written once. The rows come out as
        `_record` event by event leaves them (tests/store/test_recorder_bulk.py compares them)."""
        lines = [_line_of_segment(e) for _, e in items if isinstance(e, TranscriptSegment)]
        traced = [(c, e) for c, e in items if not isinstance(e, TranscriptSegment) or e.final]
        with self._calls.unit_of_work():
            if lines and self._transcripts is not None:
                self._transcripts.add_many(lines)
            added = self._calls.append_events([_trail_entry(c, e) for c, e in traced])
            fresh = [item for item, new in zip(traced, added, strict=True) if new]
            if fresh:
                self._project_many(fresh)
        return len(fresh)

    def _project_many(self, items: list[tuple[CallId, DomainEvent]]) -> None:
        """`_record`'s projection for events newly on the trail, each call's and leg's row read
        once and written once."""
        stored_calls = self._calls.find_many({c for c, _ in items})
        calls: dict[CallId, CallRecord] = dict(stored_calls)
        leg_ids = {e.leg_id for _, e in items if isinstance(e, _LEG_EVENTS)}
        reconciled = {c for c, e in items if isinstance(e, CallReconciled)}
        stored_legs = (
            self._calls.legs_of(leg_ids=leg_ids, call_ids=reconciled) if leg_ids or reconciled else []
        )
        legs = {leg.leg_id: leg for _, leg in stored_legs}
        row_ids = {leg.leg_id: row_id for row_id, leg in stored_legs}
        # `legs` order for a leg not stored yet: after every stored one, in the order it appeared
        rank = dict(row_ids)
        for call_id, event in items:
            before = calls.get(call_id)
            after = project_call(before, event)
            if after is not None and after != before:
                calls[call_id] = after
            if isinstance(event, _LEG_EVENTS):
                leg = project_leg(legs.get(event.leg_id), event)
                if leg is not None:
                    legs[leg.leg_id] = leg
                    rank.setdefault(leg.leg_id, _NEW_LEG + len(rank))
            if isinstance(event, CallReconciled):
                of_call = sorted(
                    (leg for leg in legs.values() if leg.call_id == call_id),
                    key=lambda leg: (leg.answered_at, rank[leg.leg_id]),
                )
                for leg in reconcile_legs(of_call, event):
                    legs[leg.leg_id] = leg
        changed_calls = [c for cid, c in calls.items() if c != stored_calls.get(cid)]
        if changed_calls:
            self._calls.save_many(changed_calls, stored=stored_calls.keys())
        was = {leg.leg_id: leg for _, leg in stored_legs}
        changed_legs = sorted(
            (leg for leg_id, leg in legs.items() if leg != was.get(leg_id)), key=lambda leg: rank[leg.leg_id]
        )
        if changed_legs:
            self._calls.save_legs(changed_legs, stored=row_ids)

    def _record(self, call_id: CallId, event: DomainEvent) -> bool:
        if isinstance(event, TranscriptSegment):
            self._transcript(event)
            if not event.final:
                return False  # partial results are refined moments later: not part of the trail
        entry = _trail_entry(call_id, event)
        if not self._calls.append_event(entry):
            return False  # seen before: neither the trail nor the summary changes
        before = self._calls.find(call_id)
        after = project_call(before, event)
        if after is not None and after != before:
            self._calls.save(after)
        if isinstance(event, _LEG_EVENTS):
            leg = project_leg(self._calls.find_leg(event.leg_id), event)
            if leg is not None:
                self._calls.save_leg(leg)
        if isinstance(event, CallReconciled):
            for leg in reconcile_legs(self._calls.legs(call_id), event):
                self._calls.save_leg(leg)
        return True
