"""质检 sampling: what one sweep of the QC queue costs as the weeks fill up.

    .venv/bin/python bench/qc_sweep.py [--calls-per-day 3000] [--seats 200] [--url sqlite:///...]

Fills a fresh database (SQLite in a temporary folder unless `--url` names another, e.g. the
PostgreSQL test database) with `--calls-per-day` answered inbound calls a day over the two weeks a
sweep reads (this week and last, as `QualityService.sweep` does), spread over `--seats` seats, with
a dissatisfied rating on 3 % of them. Times the first sweep (it draws 5 % of each seat's week plus
the unusual and dissatisfied calls into the queue) and a steady-state sweep (nothing new to draw:
what every sweep after a call's end costs). Prints figures; not part of the tests.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import delete, insert  # noqa: E402

from core.bus import EventBus  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from store.db import Database  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import CallRow, QcItemRow, SurveyAnswerRow  # noqa: E402
from store.repositories import Repositories  # noqa: E402
from store.services import quality  # noqa: E402

NOW = datetime(2026, 12, 10, 8, 0, tzinfo=UTC)  # a Thursday: this week has 3 days, last week 7


def fill(db: Database, per_day: int, seats: int, rng: random.Random) -> int:
    calls, surveys = [], []
    start = NOW - timedelta(days=10)
    for n in range(per_day * 10):
        offered = start + timedelta(seconds=rng.uniform(0, 10 * 86400))
        talk = rng.lognormvariate(5.0, 0.6)
        call_id = f"b{n}"
        calls.append(
            {
                "id": call_id,
                "caller_number": f"139{n:08d}",
                "status": "answered",
                "seat_id": str(1000 + rng.randrange(seats)),
                "offered_at": offered,
                "answered_at": offered + timedelta(seconds=8),
                "ended_at": offered + timedelta(seconds=8 + talk),
                "wait_seconds": 8.0,
                "talk_seconds": talk,
                "direction": "inbound",
                "ivr_path": [],
                "transfers": [],
            }
        )
        if rng.random() < 0.03:
            seat = calls[-1]["seat_id"]
            surveys.append(
                {
                    "call_id": call_id,
                    "seat_id": seat,
                    "score": 3,
                    "at": offered + timedelta(seconds=talk + 20),
                }
            )
    with db.session() as s:
        for i in range(0, len(calls), 5000):
            s.execute(insert(CallRow), calls[i : i + 5000])
    with db.session() as s:
        if surveys:
            s.execute(insert(SurveyAnswerRow), surveys)
    return len(calls)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls-per-day", type=int, default=3000)
    p.add_argument("--seats", type=int, default=200)
    p.add_argument("--url", default="")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'qc.db'}"
        upgrade(url)
        with Database(url) as db:
            if args.url:  # a shared database: start from empty tables
                with db.session() as s:
                    for table in (QcItemRow, SurveyAnswerRow, CallRow):
                        s.execute(delete(table))
            n = fill(db, args.calls_per_day, args.seats, random.Random(12348))
            service = quality(Repositories(db), ManualClock(NOW), EventBus())
            t0 = time.perf_counter()
            drawn = service.sweep()
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = service.sweep()
            steady = time.perf_counter() - t0
        print(f"database: {url.split(':', 1)[0]}; {n:,} answered calls over 10 days, {args.seats} seats")
        print(f"first sweep: {first * 1000:,.0f} ms, {drawn:,} calls queued")
        print(f"steady sweep (nothing new): {steady * 1000:,.0f} ms, {again} queued")


if __name__ == "__main__":
    main()
