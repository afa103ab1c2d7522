"""Reconciliation with Asterisk's records: how fast a pass reads, and how long a recovery takes.

    .venv/bin/python bench/reconcile_records.py [--calls 20000]

Writes a synthetic queue_log and Master.csv (in Asterisk's formats, shaped like the real trace:
one call in four abandoned, the rest answered) into a temporary folder, then measures:
1. parsing + summarising + planning (pure), in lines per second;
2. a full pass against an empty SQLite database (every call unknown: created, misses ordered)
   through the bus, the store recorder and the callback service, in calls per second;
3. a second pass (nothing new past the checkpoint).
Prints figures; never part of the pass/fail suite.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from callbacks.service import CallbackService  # noqa: E402
from callbacks.sla import SlaPolicy  # noqa: E402
from callbacks.subscriber import subscribe_callbacks  # noqa: E402
from core.bus import EventBus  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from core.ids import SeatId, TeamId  # noqa: E402
from pbx.reconcile import CDR, QUEUE_LOG, RecordsReconciler, plan, summarise  # noqa: E402
from pbx.record_files import RecordFile  # noqa: E402
from pbx.records import parse_cdr, parse_queue_log  # noqa: E402
from routing.calendar import load_holidays  # noqa: E402
from store.callback_repo_extras import CallbackLedgerRepository  # noqa: E402
from store.db import Database  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.recorder import TrailRecorder  # noqa: E402
from store.records import KnownCallsRepository, RecordCheckpointRepository  # noqa: E402
from store.repositories import CallRepository, WorkOrderRepository  # noqa: E402

START = 1796161584


def write_records(folder: Path, calls: int) -> tuple[Path, Path]:
    q, c = [], []
    for n in range(calls):
        t = START + n * 7
        uid = f"{t}.{n}"
        number = f"138{n:08d}"
        q.append(f"{t + 45}|{uid}|q-city-other|NONE|ENTERQUEUE||{number}|1")
        start = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S")
        if n % 4 == 0:
            q.append(f"{t + 57}|{uid}|q-city-other|NONE|ABANDON|1|1|12")
            end = t + 57
        else:
            q.append(f"{t + 48}|{uid}|q-city-other|seat-1001|CONNECT|3|{uid}1|3")
            q.append(f"{t + 80}|{uid}|q-city-other|seat-1001|COMPLETECALLER|3|32|1")
            end = t + 80
        stop = datetime.fromtimestamp(end, UTC).strftime("%Y-%m-%d %H:%M:%S")
        c.append(
            f'"","{number}","s","hotline-queue","","PJSIP/{number}-1","","Queue","q-city-other,tc,,,300",'
            f'"{start}","{start}","{stop}",{end - t},{end - t},"ANSWERED","DOCUMENTATION","{uid}",""'
        )
    qp, cp = folder / "queue_log", folder / "Master.csv"
    qp.write_text("\n".join(q) + "\n")
    cp.write_text("\n".join(c) + "\n")
    return qp, cp


class _NoSeats:
    def seat(self, seat_id: SeatId) -> None:
        return None

    async def available_seats(self, team_id: TeamId) -> Sequence[Any]:
        return []


class _NoCalls:
    async def originate(self, channel: str, **kwargs: Any) -> None:
        return None


async def full_pass(folder: Path, qp: Path, cp: Path, calls: int) -> None:
    db = Database(f"sqlite:///{folder / 'bench.db'}")
    upgrade(db.url, engine=db.engine)
    bus = EventBus()
    clock = ManualClock(datetime.fromtimestamp(START + calls * 7 + 86400, UTC))
    service = CallbackService(
        store=WorkOrderRepository(db),
        ledger=CallbackLedgerRepository(db),
        calls=_NoCalls(),  # type: ignore[arg-type]
        bus=bus,
        clock=clock,
        seats=_NoSeats(),
        sla=SlaPolicy(calendar=load_holidays()),
    )
    subscribe_callbacks(bus, service)
    recorder = TrailRecorder(bus, CallRepository(db))
    await recorder.start()
    await bus.start()
    reconciler = RecordsReconciler(
        queue_log=RecordFile(QUEUE_LOG, qp),
        cdr=RecordFile(CDR, cp),
        checkpoints=RecordCheckpointRepository(db),
        calls=KnownCallsRepository(db),
        live=lambda: (),
        publish=bus.publish,
        clock=clock,
    )
    t0 = time.perf_counter()
    report = await reconciler.run("bench")
    await bus.drain()
    elapsed = time.perf_counter() - t0
    print(
        f"full pass, empty SQLite: {report.created} calls created, {report.misses} misses ordered "
        f"in {elapsed:.1f} s = {report.created / elapsed:,.0f} calls/s"
    )
    t0 = time.perf_counter()
    again = await reconciler.run("bench")
    print(f"second pass (nothing new): {again.lines} lines in {(time.perf_counter() - t0) * 1000:.1f} ms")
    await bus.stop()
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        qp, cp = write_records(folder, args.calls)
        t0 = time.perf_counter()
        entries = parse_queue_log(RecordFile(QUEUE_LOG, qp).read_since(None).lines)
        rows = parse_cdr(RecordFile(CDR, cp).read_since(None).lines)
        now = datetime.fromtimestamp(START + args.calls * 7 + 86400, UTC)
        summary = summarise(entries, rows, cdr_expected=True, now=now)
        events = plan(summary, {}, (), queue_log_read=True)
        elapsed = time.perf_counter() - t0
        lines = len(entries) + len(rows)
        print(
            f"pure: {lines:,} lines ({args.calls:,} calls) parsed, summarised and planned in "
            f"{elapsed:.2f} s = {lines / elapsed:,.0f} lines/s; {len(events):,} events"
        )
        asyncio.run(full_pass(folder, qp, cp, args.calls))


if __name__ == "__main__":
    main()
