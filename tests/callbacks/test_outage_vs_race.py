"""The callback service tells a database outage (raise: the journal retries later) from a write
race (read again at once)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from callback_fakes import make_rig

from callbacks.models import MissedCall, WorkOrder
from core.call_events import CallAbandoned
from core.clock import ManualClock
from core.errors import BackendUnavailable
from core.ids import CallId, EventId
from routing.calendar import HolidayCalendar
from store.db import Database
from store.repositories import WorkOrderRepository


@dataclass
class FailingStore:
    """The real repository, with `record_miss` failing the first `times` calls with `error`."""

    real: WorkOrderRepository
    error: Exception
    times: int = 1
    calls: int = 0

    def record_miss(self, miss: MissedCall, new_order: WorkOrder) -> tuple[WorkOrder, bool]:
        self.calls += 1
        if self.calls <= self.times:
            raise self.error
        return self.real.record_miss(miss, new_order)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def _abandon(clock: ManualClock) -> CallAbandoned:
    return CallAbandoned(
        at=clock.now(),
        event_id=EventId("c1:abandoned"),
        call_id=CallId("c1"),
        queue="q-310106-labor",
        wait_seconds=30.0,
        position=1,
        original_position=1,
        caller_number="13800138000",
    )


async def test_given_the_database_down_when_a_miss_is_recorded_then_it_raises_for_the_journal_without_a_second_try(
    db: Database, clock: ManualClock, calendar: HolidayCalendar
) -> None:
    rig = make_rig(db, clock, calendar)
    store = FailingStore(rig.store, BackendUnavailable("数据库暂时不可用"))
    rig.service._store = store  # type: ignore[assignment]
    with pytest.raises(BackendUnavailable):
        await rig.service.handle(_abandon(clock))
    assert store.calls == 1  # an outage is not retried on the spot
    await rig.service.handle(_abandon(clock))  # the journal's replay, once the database is back
    assert rig.store.count_missed_calls() == 1


async def test_given_a_write_race_when_a_miss_is_recorded_then_it_is_read_again_at_once(
    db: Database, clock: ManualClock, calendar: HolidayCalendar
) -> None:
    rig = make_rig(db, clock, calendar)
    store = FailingStore(rig.store, RuntimeError("duplicate key value violates unique constraint"))
    rig.service._store = store  # type: ignore[assignment]
    await rig.service.handle(_abandon(clock))
    assert store.calls == 2 and rig.store.count_missed_calls() == 1
