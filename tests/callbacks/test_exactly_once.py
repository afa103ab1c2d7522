"""Exactly once: replays, restarts and a kill -9 in the middle of a burst."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from callback_fakes import Rig, make_rig, of_type, seat

from callbacks.events import (
    CloseOutcome,
    WorkOrderClosed,
    WorkOrderMissAdded,
    WorkOrderSlaBreached,
    WorkOrderSlaWarning,
)
from callbacks.models import OPEN_STATUSES, MissReason, OrderFilter, WorkOrderStatus
from core.call_events import CallAbandoned
from core.clock import ManualClock
from core.ids import CallId, EventId
from routing.calendar import HolidayCalendar
from store.db import Database
from store.migrate import upgrade
from store.repositories import WorkOrderRepository

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def abandon(call: str, number: str, rig: Rig) -> CallAbandoned:
    return CallAbandoned(
        at=rig.clock.now(),
        event_id=EventId(f"{call}:abandoned"),
        call_id=CallId(call),
        queue="q-310106-labor",
        wait_seconds=30.0,
        position=2,
        original_position=3,
        caller_number=number,
    )


async def test_given_a_stream_of_misses_when_fed_twice_then_one_row_per_call_and_one_open_order_per_number(
    rig: Rig,
) -> None:
    stream = [abandon(f"c{i}", f"1380013800{i % 3}", rig) for i in range(6)]
    for event in stream + stream:
        await rig.service.handle(event)
    assert rig.store.count_missed_calls() == 6
    orders = rig.store.search(OrderFilter(statuses=OPEN_STATUSES))
    assert sorted((o.caller_number, o.misses) for o in orders) == [
        ("13800138000", 2),
        ("13800138001", 2),
        ("13800138002", 2),
    ]
    added = of_type(rig.events(), WorkOrderMissAdded)
    assert len({e.event_id for e in added}) == 3


async def test_given_a_warning_and_a_breach_when_ticking_again_and_after_a_restart_then_each_alert_is_published_once(
    db: Database, clock: ManualClock, calendar: HolidayCalendar
) -> None:
    first = make_rig(db, clock, calendar)
    await first.service.handle(abandon("c1", "13800138000", first))
    clock.advance(minutes=25)
    await first.service.tick()
    await first.service.tick()
    restarted = make_rig(db, clock, calendar)  # a new process: nothing in memory
    await restarted.service.tick()
    clock.advance(minutes=10)
    await restarted.service.tick()
    await make_rig(db, clock, calendar).service.tick()
    events = first.events() + restarted.events()
    [warning] = of_type(events, WorkOrderSlaWarning)
    [breach] = of_type(events, WorkOrderSlaBreached)
    # The alarms name the order as people read it (issue 14), as the store numbered it.
    [order] = first.store.search()
    assert order.order_no.startswith("HB") and warning.order_no == breach.order_no == order.order_no


async def test_given_an_open_order_when_the_caller_calls_again_then_the_screen_pop_finds_it_and_it_can_be_closed(
    rig: Rig,
) -> None:
    rig.seats.add(seat("1001"))
    await rig.service.handle(abandon("c1", "13800138000", rig))
    order = rig.service.open_order_for("+86 138 0013 8000")
    assert order is not None
    await rig.service.close_called_back(order.id, call_id=CallId("c2"), by="u-1001")
    assert rig.store.get(order.id).status is WorkOrderStatus.CLOSED_OTHER
    assert rig.service.open_order_for("13800138000") is None
    [closed] = of_type(rig.events(), WorkOrderClosed)
    assert closed.outcome is CloseOutcome.CALLER_CALLED_BACK


async def test_given_a_closed_order_when_its_call_is_replayed_then_nothing_is_reopened_or_announced(
    rig: Rig,
) -> None:
    await rig.service.handle(abandon("c1", "13800138000", rig))
    order = rig.service.open_order_for("13800138000")
    assert order is not None
    await rig.service.close_called_back(order.id, call_id=CallId("c2"), by="u-1001")
    rig.events()
    await rig.service.handle(abandon("c1", "13800138000", rig))
    assert rig.service.open_order_for("13800138000") is None
    assert rig.events() == []


async def test_given_an_ivr_request_when_recorded_twice_then_one_order_with_the_after_hours_deadline(
    rig: Rig,
) -> None:
    rig.clock.advance(hours=9)  # 19:00 China time
    for _ in range(2):
        await rig.service.record_callback_request(
            CallId("ivr-1"), "13800138000", MissReason.AFTER_HOURS, rig.clock.now(), "310106", None
        )
    [order] = rig.store.search()
    assert order.reason is MissReason.AFTER_HOURS
    assert order.deadline.isoformat() == "2026-11-24T02:00:00+00:00"  # 10:00 next morning


def run_burst(url: str, gate: int | None = None) -> subprocess.Popen[str]:
    args = [sys.executable, str(HERE / "abandon_burst.py"), url, "200"]
    if gate is not None:
        args.append(str(gate))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        args,
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_given_a_worker_killed_mid_burst_when_restarted_on_the_same_burst_then_every_call_is_recorded_once(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'burst.db'}"
    upgrade(url)
    worker = run_burst(url, gate=150)  # it can never finish: it waits at 150 for us
    assert worker.stdout is not None
    for _ in range(50):
        assert worker.stdout.readline().strip() != ""
    worker.send_signal(signal.SIGKILL)  # somewhere between event 50 and 150, maybe mid-transaction
    worker.communicate()
    assert worker.returncode == -signal.SIGKILL

    db = Database(url)
    try:
        done_before = WorkOrderRepository(db).count_missed_calls()
        assert 50 <= done_before <= 151

        again = run_burst(url)
        _, err = again.communicate()
        assert again.returncode == 0, err

        repo = WorkOrderRepository(db)
        assert repo.count_missed_calls() == 200
        orders = repo.search(OrderFilter(statuses=OPEN_STATUSES, limit=1000))
        numbers = [o.caller_number for o in orders]
        assert len(numbers) == len(set(numbers)) == 120
        assert sum(o.misses for o in orders) == 200
    finally:
        db.dispose()
