"""Issue 5's demo path, end to end against the PBX simulator (nothing of ours is mocked).

Simulated callers give up in a queue nobody staffs, and their missed calls become work orders. A
seat logs in, claims an order and calls back: the simulator rings the seat's phone first, then the
caller's (trace 05); the outcome comes back over AMI and the attempt is finished as reached, which
closes the order. A caller whose phone is offline (trace 08: CHANUNAVAIL, no channel to the caller)
finishes as unreachable, counted, with the next attempt planned.

Ground truth is the simulator's own event stream; the system's view is the bus and the database.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.runtime import Runtime
from app.settings import Settings, demo_settings
from callbacks.errors import OrderClosed
from callbacks.events import (
    AttemptOutcome,
    CallbackAttemptFinished,
    CallbackAttemptStarted,
    CloseOutcome,
    WorkOrderClosed,
    WorkOrderCreated,
)
from callbacks.models import MissReason
from callbacks.retry import RetryPlan, retry_due
from callbacks.service import CallbackService
from core import dialplan
from core.events import DomainEvent
from core.ids import SeatId, WorkOrderId
from core.seat_events import SeatStatus
from pbx.sim.config import Dist, PhoneConfig
from pbx.sim.simulator import Simulator
from store.callback_repo_extras import CallbackLedgerRepository
from store.db import Database
from store.models import CallbackAttemptRow, WorkOrderCallRow, WorkOrderRow
from tests.support.polling import until

pytestmark = pytest.mark.slow

SEAT = SeatId("1001")  # a demo lawyer of team-310106
TEAM = "team-310106"  # seat 1001's team

Headers = dict[str, str]


def _settings(url: str) -> Settings:
    return demo_settings(
        database={"url": url, "auto_migrate": True},
        ami={"port": 0, "action_timeout_s": 5.0},
        agi={"port": 0},
        audiosocket={"enabled": False},
        seats={"wrap_up_s": 1.0},
        # No tick during the test: no auto-assignment or automatic retry interferes.
        callbacks={"tick_s": 3600.0},
        # Virtual time runs 8x; nobody is logged in, so every caller reaching a queue gives up there.
        sim={
            "enabled": True,
            "auto_login_seats": False,
            "calls_per_hour": 900.0,
            "time_scale": 8.0,
            "mean_talk_s": 16.0,
            "mean_patience_s": 6.0,
            "seed": 5,
        },
    )


def _trail(events: list[Headers], attempt_id: str) -> list[Headers]:
    """The simulator's events of the callback call whose Originate carried `attempt_id`."""
    seat_prefix = f"PJSIP/{SEAT}-"
    response = next(
        (e for e in events if e.get("Event") == "OriginateResponse" and e.get("ActionID") == attempt_id), None
    )
    assert response is not None, f"no OriginateResponse for {attempt_id}"
    assert response["Response"] == "Success", response
    assert response["Channel"].startswith(seat_prefix), response
    # Into the context the rendered extensions.conf declares (Asterisk: `Extension does not exist`
    # otherwise, as the 22.10.1 trace showed for the old `callback`).
    assert response["Context"] == dialplan.CALLBACK, response
    linked = next(
        e["Linkedid"] for e in events if e.get("Uniqueid") == response["Uniqueid"] and "Linkedid" in e
    )
    return [e for e in events if e.get("Linkedid") == linked or e is response]


def _channels_created(trail: list[Headers]) -> list[str]:
    return [e["Channel"].rsplit("-", 1)[0] for e in trail if e.get("Event") == "Newchannel"]


async def _call_back(
    service: CallbackService,
    order_id: WorkOrderId,
    finished: dict[str, CallbackAttemptFinished],
    started: dict[str, CallbackAttemptStarted],
) -> CallbackAttemptFinished:
    # Without ASR the IVR cannot place a caller in a district: every missed call lands in the
    # citywide pool, where no demo seat sits, so a supervisor hands the order to the seat.
    assigned = await service.assign(order_id, SEAT, by="u-supervisor", any_team=True)
    assert assigned.owner_seat_id == SEAT and assigned.team_id == TEAM
    attempt = await service.start_callback(order_id, SEAT)
    assert attempt.attempt_id == f"cb-{order_id}-1"
    await until(lambda: attempt.attempt_id in finished, 15, f"the outcome of {attempt.attempt_id}")
    assert started[attempt.attempt_id].seat_id == SEAT
    return finished[attempt.attempt_id]


async def test_given_abandoned_simulated_calls_when_a_seat_calls_back_then_reached_and_unreachable_are_told_apart(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'callbacks.db'}"
    runtime = Runtime(_settings(url))
    sim_events: list[Headers] = []
    created: list[WorkOrderCreated] = []
    started: dict[str, CallbackAttemptStarted] = {}
    finished: dict[str, CallbackAttemptFinished] = {}
    closed: list[WorkOrderClosed] = []

    async def on_event(event: DomainEvent) -> None:
        if isinstance(event, WorkOrderCreated):
            created.append(event)
        elif isinstance(event, CallbackAttemptStarted):
            started[event.attempt_id] = event
        elif isinstance(event, CallbackAttemptFinished):
            finished[event.attempt_id] = event
        elif isinstance(event, WorkOrderClosed):
            closed.append(event)

    runtime.bus.subscribe(
        "test-callbacks",
        on_event,
        types=(WorkOrderCreated, CallbackAttemptStarted, CallbackAttemptFinished, WorkOrderClosed),
    )
    await runtime.start()
    db = Database(url)
    try:
        sim: Simulator | None = runtime.simulator
        assert (
            sim is not None
            and runtime.callback_part.service is not None
            and runtime.seats.service is not None
        )
        assert runtime.board is not None
        service = runtime.callback_part.service
        # From now on every caller can be called back (trace 05); the offline caller of trace 08
        # is made below by unregistering one phone.
        sim.config = dataclasses.replace(sim.config, caller_reachable_probability=1.0)
        sim.event_listeners.append(lambda h: sim_events.append(dict(h)))

        def team_orders() -> list[WorkOrderCreated]:
            return [
                e for e in created if e.reason is MissReason.ABANDONED and e.caller_number in sim.pbx.phones
            ]

        await until(lambda: runtime.bridge is not None and runtime.bridge.status.connected, 10, "AMI login")
        await until(lambda: len(team_orders()) >= 2, 25, "two abandoned calls of reachable callers")
        await sim.stop_traffic()
        await until(lambda: sim.active_channels == 0, 20, "every simulated inbound call to end")
        await runtime.bus.drain()

        # Abandoned simulated calls became work orders: every caller who gave up in a queue is
        # recorded on an order, and the orders we call back come from such calls.
        abandoned = {e["Linkedid"] for e in sim_events if e.get("Event") == "QueueCallerAbandon"}
        with db.session() as s:
            missed = {r.call_id: r.order_id for r in s.scalars(select(WorkOrderCallRow))}
        assert abandoned, "the run must contain callers who gave up in a queue"
        assert abandoned <= set(missed)
        reached_order, offline_order = team_orders()[:2]
        assert reached_order.call_id in abandoned and offline_order.call_id in abandoned
        assert reached_order.caller_number != offline_order.caller_number

        # The seat logs in (the console's login) and its phone answers every ring.
        await runtime.seats.service.login(SEAT)
        await until(
            lambda: SEAT in runtime.board.states and runtime.board.state(SEAT).status is SeatStatus.AVAILABLE,
            10,
            "the seat to be available",
        )
        sim.register_phone(PhoneConfig(SEAT, answer_probability=1.0, answer_delay=Dist.fixed(2.0)))

        # --- trace 05: the caller answers --------------------------------------------------
        done = await _call_back(service, reached_order.order_id, finished, started)
        assert done.outcome is AttemptOutcome.REACHED
        assert done.retry_at is None
        trail = _trail(sim_events, done.attempt_id)
        # The seat's phone is rung (and answers) first, then the caller's.
        assert _channels_created(trail) == [f"PJSIP/{SEAT}", f"PJSIP/{reached_order.caller_number}"]
        names = [e.get("Event") for e in trail]
        caller_leg = f"PJSIP/{reached_order.caller_number}-"
        rung = next(
            i for i, e in enumerate(trail) if names[i] == "Newchannel" and e["Channel"].startswith(caller_leg)
        )
        assert names.index("OriginateResponse") < rung  # the seat answered before the caller was dialled
        assert any(
            e.get("Event") == "DialEnd"
            and e.get("DestChannel", "").startswith(f"PJSIP/{reached_order.caller_number}-")
            and e.get("DialStatus") == "ANSWER"
            for e in trail
        )
        # Reaching the citizen closes the order.
        await until(
            lambda: any(c.order_id == reached_order.order_id for c in closed),
            10,
            "the reached order to close",
        )
        close = next(c for c in closed if c.order_id == reached_order.order_id)
        assert close.outcome is CloseOutcome.REACHED
        assert close.seat_id == SEAT
        assert close.note
        with pytest.raises(OrderClosed):
            await service.close(reached_order.order_id, CloseOutcome.REACHED, note="已答复", by="u-1001")
        with db.session() as s:
            row = s.get(WorkOrderRow, reached_order.order_id)
            assert row is not None
            assert row.status == "closed_reached"
            assert row.owner_seat_id == SEAT
            assert row.attempts == 1
            assert row.closed_at is not None
            assert row.outcome_note == close.note

        # The conversation ends; the seat's phone is free again.
        await until(lambda: sim.active_channels == 0, 20, "the callback call to end")

        # --- trace 08: the caller's phone is offline ---------------------------------------
        sim.unregister_phone(offline_order.caller_number)
        done = await _call_back(service, offline_order.order_id, finished, started)
        assert done.outcome is AttemptOutcome.UNREACHABLE
        assert done.retry_at is not None
        assert done.retry_at - done.at == RetryPlan().delays[1]
        trail = _trail(sim_events, done.attempt_id)
        # Only the seat's phone rang: no channel to the caller, the dialplan's Dial was CHANUNAVAIL.
        assert _channels_created(trail) == [f"PJSIP/{SEAT}"]
        assert any(
            e.get("Event") == "VarSet"
            and e.get("Variable") == "DIALSTATUS"
            and e.get("Value") == "CHANUNAVAIL"
            for e in trail
        )
        await runtime.bus.drain()
        assert not any(c.order_id == offline_order.order_id for c in closed)
        attempts = CallbackLedgerRepository(db).attempts_of([offline_order.order_id])[offline_order.order_id]
        assert [(a.number, a.outcome, a.counted) for a in attempts] == [(1, AttemptOutcome.UNREACHABLE, True)]
        assert attempts[0].retry_at == done.retry_at
        assert not retry_due(attempts, done.at + timedelta(minutes=9))
        assert retry_due(attempts, done.retry_at)
        with db.session() as s:
            row = s.get(WorkOrderRow, offline_order.order_id)
            assert row is not None
            assert row.status == "assigned"
            assert row.owner_seat_id == SEAT
            assert row.attempts == 1
            assert row.closed_at is None
            assert s.scalars(
                select(CallbackAttemptRow.outcome).where(
                    CallbackAttemptRow.order_id == offline_order.order_id
                )
            ).all() == ["unreachable"]
    finally:
        await runtime.stop()
        db.dispose()
