"""The call recorder's write rate: one transaction per batch against one per event (issue 21).

    .venv/bin/python bench/recorder_batches.py [--calls 400] [--postgres postgresql://postgres@127.0.0.1:5432/test]

The events of a real answered call (shared/asterisk-traces/02_answered_via_ivr_queue.ami through
the tracker) are copied with fresh call and event ids for `--calls` calls, queued on the bus, and
recorded into a fresh database by the store recorder, twice: batched as the app runs it, and one
event per transaction (the recorder wrapped in a plain handler). Prints events/s and commits for
each (and the SQL statements sent), on SQLite and, with --postgres, on PostgreSQL (in a database of its own, `hotline_bench_recorder`,
created afresh on that server: the tests' database is never touched). Never part of the pass/fail suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from core.bus import EventBus  # noqa: E402
from core.events import DomainEvent, from_wire, to_wire  # noqa: E402
from pbx.ami_event import AmiEvent, parse_trace  # noqa: E402
from pbx.tracker import CallTracker  # noqa: E402
from store.db import Database  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.recorder import TrailRecorder  # noqa: E402
from store.repositories import CallRepository  # noqa: E402

BENCH_DB = "hotline_bench_recorder"
TRACE = REPO.parent / "shared" / "asterisk-traces" / "02_answered_via_ivr_queue.ami"


def call_events() -> list[DomainEvent]:
    tracker = CallTracker()
    out: list[DomainEvent] = []
    for kind, headers in parse_trace(TRACE.read_bytes()):
        if kind == "event":
            out += tracker.apply(AmiEvent.from_headers(headers))
    return out


def copies(template: list[DomainEvent], calls: int) -> list[DomainEvent]:
    wires = [json.dumps(to_wire(e)) for e in template]
    ids = {str(getattr(e, "call_id", "") or "") for e in template} - {""}
    out = []
    for n in range(calls):
        for w in wires:
            for old in ids:
                w = w.replace(old, f"{old}-b{n}")
            data = json.loads(w)
            data["data"]["event_id"] = f"{data['data'].get('event_id', '')}-b{n}"
            out.append(from_wire(data))
    return out


async def run(db: Database, events: list[DomainEvent], *, batched: bool) -> tuple[float, int, int, int]:
    commits: list[int] = []
    statements: list[int] = []
    sa_event.listen(db.engine, "commit", lambda _c: commits.append(1))
    sa_event.listen(db.engine, "before_cursor_execute", lambda *_a: statements.append(1))
    bus = EventBus()
    recorder = TrailRecorder(bus, CallRepository(db))
    if batched:
        await recorder.start()
    else:

        async def one(e: DomainEvent) -> None:
            await recorder.handle(e)

        bus.subscribe("call-recorder", one)
    for e in events:
        await bus.publish(e)
    t0 = time.perf_counter()
    await bus.start()
    await bus.drain()
    took = time.perf_counter() - t0
    await bus.stop()
    await recorder.stop()
    recorder.close()
    return took, len(commits), len(statements), recorder.recorded


def fresh(url: str) -> Database:
    if url.startswith("postgresql"):
        server = Database(url)
        with server.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {BENCH_DB}")
            c.exec_driver_sql(f"CREATE DATABASE {BENCH_DB}")
        server.dispose()
        url = str(make_url(server.url).set(database=BENCH_DB).render_as_string(hide_password=False))
    db = Database(url)
    upgrade(db.url, engine=db.engine)
    return db


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=400)
    ap.add_argument("--postgres", default="")
    args = ap.parse_args()
    template = call_events()
    events = copies(template, args.calls)
    print(f"{args.calls} calls x {len(template)} events = {len(events)} events (trace {TRACE.name})")
    with tempfile.TemporaryDirectory() as tmp:
        urls = [("SQLite", f"sqlite:///{tmp}/a.db", f"sqlite:///{tmp}/b.db")]
        if args.postgres:
            urls.append(("PostgreSQL", args.postgres, args.postgres))
        for name, url_a, url_b in urls:
            for batched, url in ((False, url_a), (True, url_b)):
                db = fresh(url)
                took, commits, statements, recorded = await run(db, events, batched=batched)
                db.dispose()
                label = "batched (up to 200)" if batched else "one event at a time"
                print(
                    f"{name:10s} {label:20s} {len(events) / took:8.0f} events/s  "
                    f"{commits:6d} commits  {statements:6d} statements  {recorded} trail lines  {took:.2f} s"
                )


if __name__ == "__main__":
    asyncio.run(main())
