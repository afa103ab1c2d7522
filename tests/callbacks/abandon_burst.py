"""A worker that consumes a burst of abandoned calls into a database; run by test_exactly_once.

    python tests/callbacks/abandon_burst.py <database url> <count> [gate]

Prints each processed index on its own line (flushed). With `gate` N it stops after event N and
waits for a line on stdin that never comes, so the test can kill it before it finishes.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from callbacks.service import CallbackService
from callbacks.sla import SlaPolicy
from core.bus import EventBus
from core.call_events import CallAbandoned
from core.clock import ManualClock
from core.ids import CallId, EventId, SeatId, TeamId
from routing.calendar import load_holidays
from store.callback_repo_extras import CallbackLedgerRepository
from store.db import Database
from store.repositories import WorkOrderRepository

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
NUMBERS = 120  # 200 calls from 120 numbers: some numbers miss twice


def burst(count: int) -> list[CallAbandoned]:
    return [
        CallAbandoned(
            at=START + timedelta(seconds=i),
            event_id=EventId(f"burst-{i}:abandoned"),
            call_id=CallId(f"burst-{i}"),
            queue="q-310106-labor",
            wait_seconds=20.0,
            position=1,
            original_position=1,
            caller_number=f"1380000{i % NUMBERS:04d}",
        )
        for i in range(count)
    ]


class _NoCalls:
    async def originate(self, channel: str, **kwargs: Any) -> None:
        raise AssertionError("no callback is dialled here")


class _NoSeats:
    def seat(self, seat_id: SeatId) -> None:
        return None

    async def available_seats(self, team_id: TeamId) -> list[Any]:
        return []


async def main(url: str, count: int, gate: int | None) -> None:
    db = Database(url)
    service = CallbackService(
        store=WorkOrderRepository(db),
        ledger=CallbackLedgerRepository(db),
        calls=_NoCalls(),  # type: ignore[arg-type]
        bus=EventBus(),
        clock=ManualClock(START),
        seats=_NoSeats(),
        sla=SlaPolicy(calendar=load_holidays()),
    )
    for i, event in enumerate(burst(count)):
        await service.handle(event)
        print(i, flush=True)
        if gate is not None and i == gate:
            sys.stdin.readline()
    db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None))
