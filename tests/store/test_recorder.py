from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from core.bus import EventBus
from core.events import DomainEvent
from core.ids import CallId, EventId
from store.db import Database
from store.recorder import TrailRecorder
from store.repositories import CallRepository


@dataclass(frozen=True, slots=True, kw_only=True)
class TrailProbed(DomainEvent):
    call_id: str
    step: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NotAboutACall(DomainEvent):
    x: int


async def test_given_call_events_published_twice_when_recorded_then_the_trail_has_each_once(
    db: Database,
) -> None:
    bus = EventBus()
    calls = CallRepository(db)
    rec = TrailRecorder(bus, calls)
    await rec.start()
    await bus.start()
    at = datetime(2026, 11, 23, 2, tzinfo=UTC)
    events = [TrailProbed(at=at, call_id="c1", step=i, event_id=EventId(f"c1:{i}")) for i in range(5)]
    for e in events + events:  # a replay after a reconnect
        await bus.publish(e)
    await bus.publish(NotAboutACall(at=at, x=1))
    await bus.drain()
    await bus.stop()
    trail = calls.trail(CallId("c1"))
    assert [t.data["step"] for t in trail] == [0, 1, 2, 3, 4]
    assert rec.recorded == 5
