"""A batch costs a few statements per table, whatever its size (issue 21, item 4): the recorder
writes a batch's trail lines with one insert and each call's row once, folded over the batch's
events. The rows must be those the event-by-event path leaves: the same stream (the real Asterisk
runs, the recorded traces, what the reconciler makes of Asterisk's own records, transcripts with
late partials, and the whole stream replayed) is recorded both ways on each backend and compared
row by row."""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy import event as sa_event

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pbx"))

from real_traces_22 import FOLDER, all_events

from core.asr_events import Leg, TranscriptSegment
from core.bus import EventBus
from core.call_events import CallLegEnded, CallReconciled
from core.clock import ManualClock
from core.events import DomainEvent, call_id_of
from core.ids import CallId, EventId
from pbx.ami_event import AmiEvent, parse_trace
from pbx.reconcile import CDR, QUEUE_LOG, RecordsReconciler
from pbx.record_files import RecordFile
from pbx.tracker import CallTracker
from store.db import Database
from store.models import CallEventRow, CallLegRow, CallRow, TranscriptRow
from store.recorder import MAX_BATCH, TrailRecorder
from store.records import KnownCallsRepository, RecordCheckpointRepository
from store.repositories import CallRepository, TranscriptRepository

pytestmark = pytest.mark.skipif(not FOLDER.is_dir(), reason="shared traces missing")

TABLES = (CallRow, CallLegRow, CallEventRow, TranscriptRow)


def _trace_events(shared: Path) -> list[DomainEvent]:
    """The recorded traces of the stock dialplan (shared/asterisk-traces/0*.ami), one tracker each."""
    out: list[DomainEvent] = []
    for path in sorted((shared / "asterisk-traces").glob("0*.ami")):
        tracker = CallTracker()
        for kind, headers in parse_trace(path.read_bytes()):
            if kind == "event":
                out += tracker.apply(AmiEvent.from_headers(headers))
    return out


def _segments(call_ids: Sequence[CallId], at: datetime) -> list[TranscriptSegment]:
    """Speech on some calls: partials refined, a final, a partial arriving after its final (kept
    out), a second utterance, interleaved across calls."""

    def seg(call_id: CallId, n: int, seq: int, text: str, final: bool) -> TranscriptSegment:
        return TranscriptSegment(
            at=at + timedelta(seconds=n),
            event_id=EventId(f"{call_id}:t:{n}"),
            call_id=call_id,
            stream_id=f"{call_id}-caller",
            leg=Leg.CALLER,
            text=text,
            start_s=float(seq),
            end_s=float(seq) + 0.5 + n / 10,
            final=final,
            seq=seq,
        )

    out: list[TranscriptSegment] = []
    for n, step in enumerate(
        [
            *(
                (0, "我想", False),
                (0, "我想咨询", False),
                (0, "我想咨询劳动合同", True),
                (0, "我想咨", False),
            ),
            *((1, "工资", False), (1, "工资拖欠怎么办", True)),
        ]
    ):
        for call_id in call_ids:
            out.append(seg(call_id, n, *step))
    return out


async def _reconciled(db: Database, shared: Path, folder: Path) -> list[DomainEvent]:
    """What the reconciler publishes from Asterisk's own queue log and CDR for the calls as `db`
    holds them (legs ended at a reconnect get the records' talk time)."""
    d = shared / "asterisk-traces" / "project-dialplan-22.10.1"
    shutil.copy(d / "queue_log", folder / "queue_log")
    shutil.copy(d / "Master.csv", folder / "Master.csv")
    published: list[DomainEvent] = []

    async def publish(event: DomainEvent) -> None:
        published.append(event)

    await RecordsReconciler(
        queue_log=RecordFile(QUEUE_LOG, folder / "queue_log"),
        cdr=RecordFile(CDR, folder / "Master.csv"),
        checkpoints=RecordCheckpointRepository(db),
        calls=KnownCallsRepository(db),
        live=lambda: (),
        publish=publish,
        clock=ManualClock(datetime(2026, 12, 2, 1, 0, tzinfo=UTC)),
    ).run("test")
    return published


def _rows(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of the recorder's tables, in id order; the trail's, legs' and transcripts' own
    serial ids left out (a second recording into the same tables numbers on), their order kept."""
    out: dict[str, list[dict[str, Any]]] = {}
    with db.session() as s:
        for model in TABLES:
            t = model.__table__
            rows = [dict(r._mapping) for r in s.execute(select(t).order_by(t.c.id))]
            if model is not CallRow:
                for r in rows:
                    del r["id"]
            out[t.name] = rows
    return out


def _wipe(db: Database) -> None:
    with db.session() as s:
        for model in TABLES:
            s.execute(delete(model))


async def _one_by_one(recorder: TrailRecorder, events: Sequence[DomainEvent]) -> None:
    for event in events:
        await recorder.handle(event)


async def _batched(recorder: TrailRecorder, events: Sequence[DomainEvent], size: int) -> None:
    for n in range(0, len(events), size):
        await recorder.many(events[n : n + size])


@pytest.mark.parametrize("size", [MAX_BATCH, 7])
async def test_given_the_same_stream_when_recorded_in_batches_then_the_rows_are_those_of_one_event_at_a_time(
    db: Database, shared_dir: Path, tmp_path: Path, size: int
) -> None:
    calls, transcripts = CallRepository(db), TranscriptRepository(db)
    recorder = TrailRecorder(EventBus(), calls, transcripts)
    traced = all_events() + _trace_events(shared_dir)
    some_calls = list(dict.fromkeys(c for e in traced if (c := call_id_of(e))))[:5]
    speech = _segments(some_calls, traced[0].at)
    stream: list[DomainEvent] = [*traced[:40], *speech, *traced[40:]]

    await _one_by_one(recorder, stream)
    legs_as_heard = _rows(db)["call_legs"]
    records = await _reconciled(db, shared_dir, tmp_path)
    await _one_by_one(recorder, records)
    stream += records
    await _one_by_one(recorder, stream)  # the whole stream replayed: nothing changes
    stream += stream
    one_by_one = _rows(db)

    # the stream exercises every write the batch folds: calls, legs (some ended at a reconnect,
    # then corrected from the records), trail lines, transcripts
    assert any(isinstance(e, CallReconciled) for e in records)
    assert any(isinstance(e, CallLegEnded) and e.inferred for e in stream)
    assert one_by_one["call_legs"] != legs_as_heard
    assert len(one_by_one["calls"]) > 20 and len(one_by_one["call_events"]) > 200
    assert [(r["text"], r["final"]) for r in one_by_one["transcripts"][:2]] == [
        ("我想咨询劳动合同", True),
        ("我想咨询劳动合同", True),
    ]

    _wipe(db)
    assert all(rows == [] for rows in _rows(db).values())
    await _batched(recorder, stream, size)
    recorder.close()
    batched = _rows(db)

    for table, rows in one_by_one.items():
        assert batched[table] == rows, table


def _table_of(statement: str) -> str:
    match = re.search(r"\b(?:INTO|FROM|UPDATE)\s+\"?(\w+)", statement, flags=re.IGNORECASE)
    assert match is not None, statement
    return match.group(1)


async def test_given_a_batch_of_many_events_for_several_calls_when_recorded_then_it_costs_a_few_statements_per_table(
    db: Database, shared_dir: Path
) -> None:
    calls, transcripts = CallRepository(db), TranscriptRepository(db)
    recorder = TrailRecorder(EventBus(), calls, transcripts)
    events = all_events()
    call_ids = {c for e in events if (c := call_id_of(e))}
    speech = _segments(sorted(call_ids)[:3], events[0].at)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    batches: list[tuple[int, int, dict[str, int]]] = []
    for batch in (events[:MAX_BATCH], [*events[MAX_BATCH : 2 * MAX_BATCH], *speech], events[:MAX_BATCH]):
        statements.clear()
        await recorder.many(batch)
        per_table: dict[str, int] = {}
        for statement in statements:
            per_table[_table_of(statement)] = per_table.get(_table_of(statement), 0) + 1
        k = len({call_id_of(e) for e in batch})
        batches.append((len(batch), k, per_table))
    sa_event.remove(db.engine, "before_cursor_execute", count)
    recorder.close()

    assert len(calls.trail(CallId(sorted(call_ids)[0]))) > 0
    for n, k, per_table in batches:
        assert n > 3 * len(TABLES) + k, (n, k)  # more events than the bound: one each would fail
        assert all(used <= 3 for used in per_table.values()), per_table
        assert sum(per_table.values()) <= 3 * len(TABLES) + k, per_table
    # the replayed batch finds every line recorded: one look at the trail, nothing written
    assert batches[2][2] == {"call_events": 1}
