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
from core.calls import CallTrailEntry, TranscriptLine
from core.events import DomainEvent, call_id_of, to_wire
from core.ids import CallId
from store.repositories import CallRepository, TranscriptRepository
from store.rows import RowMapper, column_value

log = logging.getLogger(__name__)

MAX_BATCH = 200

_line_of_segment = RowMapper(TranscriptLine, leg=column_value)
"""A transcript line from a segment event: its fields by name, the leg by its value."""


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
        self._sub = self._bus.subscribe("call-recorder", handler, max_batch=MAX_BATCH)

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
        with self._calls.unit_of_work():
            return sum(self._record(call_id, event) for call_id, event in items)

    def _record(self, call_id: CallId, event: DomainEvent) -> bool:
        if isinstance(event, TranscriptSegment):
            self._transcript(event)
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
        if isinstance(event, CallLegAnswered | CallLegEnded | ThirdPartyJoined | ThirdPartyLeft):
            leg = project_leg(self._calls.find_leg(event.leg_id), event)
            if leg is not None:
                self._calls.save_leg(leg)
        if isinstance(event, CallReconciled):
            for leg in reconcile_legs(self._calls.legs(call_id), event):
                self._calls.save_leg(leg)
        return True
