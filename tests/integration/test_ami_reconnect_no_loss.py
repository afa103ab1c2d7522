"""The whole system against the simulator: a dropped AMI connection in the middle of traffic loses
no call and creates no duplicate (issue 3's acceptance test), on SQLite and PostgreSQL.

Ground truth comes from the simulator's own event stream (every event it emits, including those
sent while our bridge was disconnected): the inbound calls it created and the callers who gave up
in a queue. The system's view comes from the database after everything has settled.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from app.runtime import Runtime
from app.settings import Settings, demo_settings
from core.calls import CallStatus
from core.events import DomainEvent, StateResynced
from store.db import Database
from store.models import CallEventRow, CallRow, WorkOrderCallRow, WorkOrderRow
from tests.support.polling import until

pytestmark = pytest.mark.slow

OPEN = {CallStatus.IN_IVR, CallStatus.QUEUED, CallStatus.RINGING, CallStatus.TALKING}


def _settings(url: str) -> Settings:
    return demo_settings(
        database={"url": url, "auto_migrate": True},
        ami={"port": 0, "action_timeout_s": 5.0},
        agi={"port": 0},
        audiosocket={"enabled": False},
        seats={"wrap_up_s": 2.0},
        callbacks={"tick_s": 3600.0},
        # Virtual time runs 8x: ~2 callers per real second, talks of ~3 real seconds; more callers
        # than the demo's seats serve, with short patience, so that some give up in the queue
        # (callers' patience is lognormal: few hang up in the first seconds).
        sim={
            "enabled": True,
            "calls_per_hour": 900.0,
            "time_scale": 8.0,
            "mean_talk_s": 25.0,
            "mean_patience_s": 8.0,
            "seed": 7,
        },
    )


async def _run(db: Database) -> None:
    runtime = Runtime(_settings(db.url))
    inbound: set[str] = set()
    abandoned: set[str] = set()
    resyncs: list[StateResynced] = []

    await runtime.start()
    sim = runtime.simulator
    assert sim is not None and runtime.bridge is not None

    def watch(headers: object) -> None:
        h = dict(headers)  # type: ignore[call-overload]
        name = h.get("Event")
        if name == "Newchannel" and h.get("Exten") == "12348" and h.get("Uniqueid") == h.get("Linkedid"):
            inbound.add(h["Linkedid"])
        elif name == "QueueCallerAbandon":
            abandoned.add(h["Linkedid"])

    sim.event_listeners.append(watch)

    async def on_resync(event: DomainEvent) -> None:
        assert isinstance(event, StateResynced)
        resyncs.append(event)

    runtime.bus.subscribe("test-resyncs", on_resync, types=(StateResynced,))
    try:
        await until(
            lambda: runtime.bridge is not None and runtime.bridge.status.connected, 10, "the first login"
        )
        await until(lambda: len(inbound) >= 4, 30, "traffic before the drop")
        in_progress = sim.active_channels
        assert sim.ami.drop_connections() == 1
        await until(
            lambda: len(resyncs) >= 1 and runtime.bridge.status.reconnects >= 1, 20, "reconnect + resync"
        )
        await until(lambda: len(inbound) >= 10, 40, "traffic after the drop")
        await sim.stop_traffic()
        await until(lambda: sim.active_channels == 0, 90, "every simulated call to end")
        await asyncio.sleep(0.5)  # let the last AMI events reach the bridge
        await runtime.bus.drain()
    finally:
        await runtime.stop()

    assert in_progress > 0, "the drop must happen with calls in progress"
    with db.session() as s:
        calls = {r.id: r for r in s.scalars(select(CallRow))}
        trails = {
            cid: [
                e.event_type
                for e in s.scalars(
                    select(CallEventRow).where(CallEventRow.call_id == cid).order_by(CallEventRow.id)
                )
            ]
            for cid in abandoned
        }
        missed = [r.call_id for r in s.scalars(select(WorkOrderCallRow))]
        orders = list(s.scalars(select(WorkOrderRow)))

    # No call lost: every inbound call the PBX saw has exactly one record, and each record has ended.
    assert set(calls) == inbound
    assert {cid for cid, r in calls.items() if CallStatus(r.status) in OPEN} == set()
    assert all(r.ended_at is not None for r in calls.values())
    # Every caller who gave up in a queue has a work order, each missed call recorded once.
    assert abandoned, "the run must contain abandoned calls"
    assert abandoned <= set(missed), {cid: trails[cid] for cid in abandoned - set(missed)}
    assert len(missed) == len(set(missed))
    open_numbers = [o.caller_number for o in orders if o.status in ("pool", "assigned")]
    assert len(open_numbers) == len(set(open_numbers))
    assert sum(o.misses for o in orders) == len(missed)


async def test_given_simulated_traffic_when_the_ami_link_drops_mid_call_then_no_call_is_lost_or_doubled(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'reconnect.db'}")
    try:
        await _run(db)
    finally:
        db.dispose()


@pytest.mark.postgres
async def test_given_postgresql_when_the_ami_link_drops_mid_call_then_no_call_is_lost_or_doubled(
    pg_db: Database,
) -> None:
    await _run(pg_db)
