"""Asterisk's queue log in a database table (realtime queue_log), read like the file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from core.bus import EventBus
from core.clock import ManualClock
from core.ids import CallId
from core.ports import RecordCheckpoint
from pbx.reconcile import RecordsReconciler
from pbx.records import parse_queue_log
from store.db import Database
from store.record_tables import QueueLogTable
from store.recorder import TrailRecorder
from store.records import KnownCallsRepository, RecordCheckpointRepository
from store.repositories import CallRepository

ROWS = [
    ("2026-12-01 21:52:56", "1796161931.4", "q-afterhours", "NONE", "ENTERQUEUE", "", "13900139000", "1"),
    ("2026-12-01 21:53:08.500", "1796161931.4", "q-afterhours", "NONE", "ABANDON", "1", "1", "12"),
]


def _create(db: Database, timestamp: bool) -> None:
    kind = "TIMESTAMP" if timestamp else "VARCHAR(32)"
    with db.session() as s:
        s.execute(
            text(
                f"CREATE TABLE queue_log (time {kind}, callid VARCHAR(80), queuename VARCHAR(80), "
                "agent VARCHAR(80), event VARCHAR(32), data1 VARCHAR(100), data2 VARCHAR(100), "
                "data3 VARCHAR(100), data4 VARCHAR(100), data5 VARCHAR(100))"
            )
        )
        for r in ROWS:
            s.execute(
                text(
                    "INSERT INTO queue_log (time, callid, queuename, agent, event, data1, data2, data3) "
                    "VALUES (:t, :c, :q, :a, :e, :d1, :d2, :d3)"
                ),
                dict(zip(["t", "c", "q", "a", "e", "d1", "d2", "d3"], r, strict=True)),
            )


@pytest.mark.parametrize("timestamp", [False, True])
def test_given_a_queue_log_table_when_read_then_rows_become_queue_log_entries_and_the_checkpoint_moves(
    db: Database, timestamp: bool
) -> None:
    if timestamp and db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has no timestamp column type")
    _create(db, timestamp)
    reader = QueueLogTable(db)
    chunk = reader.read_since(None)
    entries = parse_queue_log(chunk.lines)
    assert [e.event for e in entries] == ["ENTERQUEUE", "ABANDON"]
    assert entries[1].at == datetime(2026, 12, 1, 21, 53, 8, 500000, tzinfo=UTC)
    assert entries[1].number(2) == 12.0 and entries[0].field(1) == "13900139000"
    again = reader.read_since(chunk.end)  # from the checkpoint: only the last second again
    assert [e.event for e in parse_queue_log(again.lines)] == ["ABANDON"]


def test_given_no_queue_log_table_when_read_then_it_is_reported_missing(db: Database) -> None:
    chunk = QueueLogTable(db, table_name="no_such_queue_log").read_since(RecordCheckpoint("queue_log", 0, 7))
    assert chunk.missing and chunk.lines == [] and chunk.end.offset == 7


async def test_given_a_queue_log_table_when_reconciled_then_the_abandoned_call_is_created(
    db: Database,
) -> None:
    _create(db, False)
    bus = EventBus()
    calls = CallRepository(db)
    await TrailRecorder(bus, calls).start()
    await bus.start()
    reconciler = RecordsReconciler(
        queue_log=QueueLogTable(db),
        cdr=None,
        checkpoints=RecordCheckpointRepository(db),
        calls=KnownCallsRepository(db),
        live=tuple,
        publish=bus.publish,
        clock=ManualClock(datetime(2026, 12, 2, tzinfo=UTC)),
    )
    report = await reconciler.run("启动")
    await bus.drain()
    await bus.stop()
    assert report.created == 1 and report.misses == 1
    call = calls.get(CallId("1796161931.4"))
    assert call.wait_seconds == 12.0 and call.caller_number == "13900139000"
