"""The recorder writes what is queued as one batch in one transaction (issue 21: one thread hop and
three transactions per event made PostgreSQL fall behind at 200 calls), on its own thread, and a
batch is all or nothing: a refused event is retried alone, an outage journals the whole batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event as sa_event

from core.bus import EventBus
from core.call_events import CallOffered
from core.calls import CallTrailEntry
from core.errors import BackendUnavailable
from core.ids import CallId, EventId
from store.db import Database
from store.journal import EventJournal, JournaledHandler
from store.recorder import MAX_BATCH, TrailRecorder
from store.repositories import CallRepository
from tests.support.polling import until

AT = datetime(2026, 12, 7, 2, tzinfo=UTC)


def _offered(n: int) -> CallOffered:
    return CallOffered(
        at=AT,
        event_id=EventId(f"b{n}:offered"),
        call_id=CallId(f"b{n}"),
        channel=f"PJSIP/139{n:08d}-1",
        caller_number=f"139{n:08d}",
        dialed="12348",
    )


class Refusing(CallRepository):
    """Refuses (not an outage) the trail line of some events, or is out altogether."""

    def __init__(self, db: Database, refuse: set[str], *, out: bool = False) -> None:
        super().__init__(db)
        self.refuse = refuse
        self.out = out

    def append_event(self, entry: CallTrailEntry) -> bool:
        if self.out:
            raise BackendUnavailable("数据库暂时不可用", reason="test")
        if entry.event_id in self.refuse:
            raise ValueError("refused by the test")
        return super().append_event(entry)

    def append_events(self, entries: Sequence[CallTrailEntry]) -> list[bool]:
        """The batch's trail lines (one insert): refused or out as a whole, as one line is."""
        if self.out:
            raise BackendUnavailable("数据库暂时不可用", reason="test")
        if any(entry.event_id in self.refuse for entry in entries):
            raise ValueError("refused by the test")
        return super().append_events(entries)


async def _no_sleep(_: float) -> None:
    return None


async def test_given_a_burst_when_recorded_then_batches_share_a_commit_and_every_event_is_there(
    db: Database,
) -> None:
    commits: list[int] = []
    sa_event.listen(db.engine, "commit", lambda _conn: commits.append(1))
    bus = EventBus()
    calls = CallRepository(db)
    recorder = TrailRecorder(bus, calls)
    await recorder.start()
    events = [_offered(n) for n in range(450)]
    for e in events:  # queued before the recorder runs: it finds them waiting
        await bus.publish(e)
    await bus.start()
    await bus.drain()
    await bus.stop()
    await recorder.stop()
    recorder.close()
    assert calls.count() == 450 and recorder.recorded == 450
    assert 3 <= recorder.batches <= 450 // MAX_BATCH + 1  # 200 + 200 + 50
    assert len(commits) <= recorder.batches + 3  # one commit a batch (not 3 per event)
    assert [t.event_id for t in calls.trail(CallId("b449"))] == ["b449:offered"]


async def test_given_a_batch_with_one_refused_event_when_recorded_then_the_events_before_it_are_there_and_it_alone_becomes_a_dead_letter(
    db: Database, tmp_path: Path
) -> None:
    calls = Refusing(db, {"b2:offered"})
    recorder = TrailRecorder(EventBus(), calls)
    journal = EventJournal(tmp_path)
    guarded = JournaledHandler("call-recorder", recorder, journal, max_tries=2, sleep=_no_sleep)
    await guarded.many([_offered(n) for n in range(5)])
    # one by one: b0 and b1 are written; b2 is refused and journaled, and the events after it
    # queue behind it in the journal (the journal keeps the order)
    assert sorted(r.id for r in calls.between(AT, AT.replace(hour=3))) == ["b0", "b1"]
    assert [e.event_id for e in journal.pending("call-recorder")] == [
        "b2:offered",
        "b3:offered",
        "b4:offered",
    ]
    guarded.start()
    await until(lambda: not journal.has_pending("call-recorder"))
    await guarded.stop()
    recorder.close()
    assert sorted(r.id for r in calls.between(AT, AT.replace(hour=3))) == ["b0", "b1", "b3", "b4"]
    assert [d.event_id for d in journal.dead_letters()] == ["b2:offered"]


async def test_given_the_database_out_during_a_batch_when_it_comes_back_then_every_event_is_recorded_once(
    db: Database, tmp_path: Path
) -> None:
    calls = Refusing(db, set(), out=True)
    recorder = TrailRecorder(EventBus(), calls)
    journal = EventJournal(tmp_path)
    guarded = JournaledHandler("call-recorder", recorder, journal, base_delay=0.01, sleep=_no_sleep)
    batch = [_offered(n) for n in range(6)]
    await guarded.many(batch)
    assert calls.count() == 0  # nothing half-written
    assert [e.event_id for e in journal.pending("call-recorder")] == [e.event_id for e in batch]
    await guarded.many([_offered(6)])  # behind the backlog: journaled too, in order
    calls.out = False
    guarded.start()
    await until(lambda: not journal.has_pending("call-recorder"))
    await guarded.stop()
    recorder.close()
    assert calls.count() == 7
    assert all(len(calls.trail(CallId(f"b{n}"))) == 1 for n in range(7))


def test_given_a_unit_of_work_that_fails_then_none_of_its_writes_are_kept(db: Database) -> None:
    calls = CallRepository(db)
    with pytest.raises(RuntimeError), calls.unit_of_work():
        calls.append_event(
            CallTrailEntry(call_id=CallId("u1"), event_id=EventId("u1:a"), event_type="X", at=AT, data={})
        )
        assert (
            calls.append_event(  # the unit sees its own writes
                CallTrailEntry(call_id=CallId("u1"), event_id=EventId("u1:a"), event_type="X", at=AT, data={})
            )
            is False
        )
        raise RuntimeError("the batch fails")
    assert calls.trail(CallId("u1")) == []
    with calls.unit_of_work():
        calls.append_event(
            CallTrailEntry(call_id=CallId("u1"), event_id=EventId("u1:b"), event_type="X", at=AT, data={})
        )
    assert [t.event_id for t in calls.trail(CallId("u1"))] == ["u1:b"]
