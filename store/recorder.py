"""The trail recorder: every domain event about a call is written to `call_events` (全程留痕).

It subscribes to the bus with `Overflow.WAIT`, so under load the producer slows down rather than
events being dropped; writes run in a worker thread so the event loop never waits on the disk.
Writing is idempotent by event id, so a replayed stream or a resync adds nothing twice.
"""

from __future__ import annotations

import asyncio
import logging

from core.bus import EventBus, Subscription
from core.calls import CallTrailEntry
from core.events import DomainEvent, to_wire
from core.ids import CallId
from store.repositories import CallRepository

log = logging.getLogger(__name__)


class TrailRecorder:
    def __init__(self, bus: EventBus, calls: CallRepository) -> None:
        self._bus = bus
        self._calls = calls
        self._sub: Subscription | None = None
        self.recorded = 0

    async def start(self) -> None:
        self._sub = self._bus.subscribe("trail-recorder", self.handle)

    async def stop(self) -> None:
        if self._sub is not None:
            self._bus.unsubscribe(self._sub)
            self._sub = None

    async def handle(self, event: DomainEvent) -> None:
        call_id = getattr(event, "call_id", None)
        if not call_id:
            return
        data = to_wire(event)["data"]
        data.pop("at", None)
        data.pop("event_id", None)
        entry = CallTrailEntry(
            call_id=CallId(str(call_id)),
            event_id=event.event_id,
            event_type=event.event_type,
            at=event.at,
            data=data,
        )
        if await asyncio.to_thread(self._calls.append_event, entry):
            self.recorded += 1
