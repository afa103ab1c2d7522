"""Domain events played through the store's TrailRecorder into a database, as the app wires it."""

from __future__ import annotations

from core.bus import EventBus
from core.events import DomainEvent
from store.db import Database
from store.recorder import TrailRecorder
from store.repositories import CallRepository


async def record(db: Database, events: list[DomainEvent]) -> CallRepository:
    """Publish `events` in order through a recorder on `db`; the calls as stored afterwards."""
    bus = EventBus()
    calls = CallRepository(db)
    recorder = TrailRecorder(bus, calls)
    await recorder.start()
    await bus.start()
    for event in events:
        await bus.publish(event)
    await bus.drain()
    await bus.stop()
    return calls
