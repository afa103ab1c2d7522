"""The durable journal: how fast events are kept during an outage and applied after it.

    .venv/bin/python bench/journal_backlog.py [--events 5000]

Journals `--events` events (each line fsynced) through `JournaledHandler` while the handler fails
as an outage, then lets it succeed and times the replay. Prints figures; not part of the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.call_events import CallOffered  # noqa: E402
from core.errors import BackendUnavailable  # noqa: E402
from core.events import DomainEvent  # noqa: E402
from core.ids import CallId, EventId  # noqa: E402
from store.journal import EventJournal, JournaledHandler  # noqa: E402


async def run(events: int, folder: Path) -> None:
    down = True
    applied = 0

    async def handler(event: DomainEvent) -> None:
        nonlocal applied
        if down:
            raise BackendUnavailable("数据库暂时不可用")
        applied += 1

    async def no_sleep(_: float) -> None:
        await asyncio.sleep(0.01)

    journaled = JournaledHandler("bench", handler, EventJournal(folder), sleep=no_sleep)
    t0 = time.perf_counter()
    for n in range(events):
        await journaled(
            CallOffered(
                at=datetime(2026, 12, 1, tzinfo=UTC),
                event_id=EventId(f"b{n}:offered"),
                call_id=CallId(f"b{n}"),
                channel="PJSIP/x",
                caller_number="13900139000",
                dialed="12348",
            )
        )
    kept = time.perf_counter() - t0
    print(
        f"kept during the outage: {events:,} events in {kept:.2f} s = {events / kept:,.0f} events/s (fsync each)"
    )
    down = False
    t0 = time.perf_counter()
    journaled.start()
    while applied < events:
        await asyncio.sleep(0.01)
    replayed = time.perf_counter() - t0
    await journaled.stop()
    print(
        f"replayed once the database is back: {events:,} events in {replayed:.2f} s = {events / replayed:,.0f} events/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.events, Path(tmp)))


if __name__ == "__main__":
    main()
