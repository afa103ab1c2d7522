"""A pass of the reconciler that runs while a call's live end is still on its way to the database
(the call is gone from the tracker, its row still open) must not leave the call disagreeing with
its leg: Asterisk's records count whole seconds, the AMI view measured the millisecond.

Call 1796162463.16 of the real Asterisk 22.10.1 run (shared/asterisk-traces/project-dialplan-22.10.1):
the AMI view measured 6.589 s of talk (the seat's leg too), app_queue logged 6 (COMPLETECALLER
3|6) and the CDR an end cut to the second. Recorded one event at a time and in one batch."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pbx"))

from real_traces_22 import FOLDER, all_events

from core.bus import EventBus
from core.call_events import CallEnded, CallReconciled
from core.events import DomainEvent, call_id_of
from core.ids import CallId
from pbx.reconcile import ReconcileReport, plan, summarise
from pbx.record_files import RecordFile
from pbx.records import parse_cdr, parse_queue_log
from store.db import Database
from store.recorder import TrailRecorder
from store.records import KnownCallsRepository
from store.repositories import CallRepository

pytestmark = pytest.mark.skipif(not FOLDER.is_dir(), reason="shared traces missing")

CALL = CallId("1796162463.16")


def _pass(db: Database) -> tuple[list[DomainEvent], ReconcileReport]:
    """One reconciliation of the call against the real queue log and CDR, as the database has it."""
    entries = parse_queue_log(RecordFile("queue_log", FOLDER / "queue_log").read_since(None).lines)
    rows = parse_cdr(RecordFile("cdr", FOLDER / "Master.csv").read_since(None).lines)
    calls = summarise(entries, rows, cdr_expected=True, now=datetime(2026, 12, 2, tzinfo=UTC))
    report = ReconcileReport()
    events = plan(
        {CALL: calls[CALL]}, KnownCallsRepository(db).known([CALL]), set(), queue_log_read=True, report=report
    )
    return events, report


async def _record(recorder: TrailRecorder, events: Sequence[DomainEvent], batched: bool) -> None:
    if batched:
        await recorder.many(events)
    else:
        for event in events:
            await recorder.handle(event)


@pytest.mark.parametrize("batched", [False, True], ids=["one_by_one", "batched"])
async def test_given_a_pass_before_the_live_end_was_stored_when_both_are_recorded_then_the_call_keeps_its_legs_talk(
    db: Database, batched: bool
) -> None:
    calls = CallRepository(db)
    recorder = TrailRecorder(EventBus(), calls)
    live = [e for e in all_events() if call_id_of(e) == CALL]
    (end,) = [e for e in live if isinstance(e, CallEnded)]
    assert end.talk_seconds == pytest.approx(6.589)
    await _record(recorder, [e for e in live if e is not end], batched)

    records, report = _pass(db)  # the row is still open: closed from the records
    assert report.closed == 1 and [type(e) for e in records] == [CallReconciled]
    assert isinstance(records[0], CallReconciled) and records[0].talk_seconds == 6.0
    await _record(recorder, [end, *records], batched)

    row = calls.find(CALL)
    (leg,) = calls.legs(CALL)
    assert row is not None and row.talk_seconds is not None and leg.talk_seconds is not None
    assert row.talk_seconds == pytest.approx(6.589) and leg.talk_seconds == pytest.approx(6.589)
    assert row.ended_at == end.at  # to the microsecond, where the CDR says 22:01:58
    assert row.wait_seconds is not None and row.wait_seconds != 3.0  # measured, not app_queue's 3

    # The next pass finds the records' summary in the trail (its end may still move on): the
    # measure agrees with the records, nothing is corrected again.
    again, report = _pass(db)
    assert again == [] and report.corrected == 0
    recorder.close()
