"""Recorded Asterisk traces through the real `CallTracker` into `CallbackService`."""

from __future__ import annotations

from dataclasses import replace

import pytest
from callback_fakes import Rig, make_rig, of_type, seat, trace_events

from callbacks.events import (
    AttemptOutcome,
    CallbackAttemptFinished,
    CloseOutcome,
    MissNotOrdered,
    NotOrderedReason,
    WorkOrderClosed,
    WorkOrderCreated,
)
from callbacks.models import MissedCall, MissReason, WorkOrder, WorkOrderStatus
from callbacks.policy import PolicyConfig
from callbacks.service import CallbackService, CallbackSettings
from core import dialplan
from core.call_events import CallbackLeg, CallbackLegOutcome, CallbackOutcome
from core.clock import ManualClock
from core.events import DomainEvent
from core.ids import CallId, EventId, SeatId, TeamId, WorkOrderId
from pbx.tracker import CallTracker
from routing.calendar import HolidayCalendar
from store.db import Database

# The lab PBX's citizen is the SIP user `caller1`, not a phone number.
LAB = CallbackSettings(policy=PolicyConfig(extra_number_pattern=r"caller\d+"))


@pytest.fixture
def lab(db: Database, clock: ManualClock, calendar: HolidayCalendar) -> Rig:
    r = make_rig(db, clock, calendar, settings=LAB)
    r.seats.add(seat("1001", team="team-citywide"))
    return r


async def feed(
    service: CallbackService, trace: str, rewrite: dict[str, str] | None = None
) -> list[DomainEvent]:
    tracker = CallTracker()
    out: list[DomainEvent] = []
    for ami in trace_events(trace, rewrite):
        for event in tracker.apply(ami):
            out.append(event)
            await service.handle(event)
    return out


@pytest.mark.parametrize("trace", ["03_abandoned_in_queue.ami", "04_ring_no_answer_timeout.ami"])
async def test_given_a_missed_call_trace_when_replayed_twice_then_exactly_one_order_and_one_missed_call(
    lab: Rig, trace: str
) -> None:
    await feed(lab.service, trace)
    await feed(lab.service, trace)
    orders = lab.store.search()
    assert len(orders) == 1
    assert (orders[0].caller_number, orders[0].team_id, orders[0].misses) == ("caller1", "team-citywide", 1)
    assert lab.store.count_missed_calls() == 1
    created = of_type(lab.events(), WorkOrderCreated)
    assert len({e.event_id for e in created}) == 1  # re-published on replay, under the same id


async def test_given_the_abandon_trace_without_the_lab_pattern_when_replayed_then_no_order_but_counted(
    rig: Rig,
) -> None:
    await feed(rig.service, "03_abandoned_in_queue.ami")
    assert rig.store.search() == []
    [event] = of_type(rig.events(), MissNotOrdered)
    assert event.reason is NotOrderedReason.INVALID_NUMBER


async def test_given_a_rebuild_when_an_inferred_abandon_repeats_the_call_then_nothing_new(lab: Rig) -> None:
    events = await feed(lab.service, "03_abandoned_in_queue.ami")
    [abandoned] = [e for e in events if type(e).__name__ == "CallAbandoned"]
    await lab.service.handle(replace(abandoned, inferred=True))
    assert len(lab.store.search()) == 1
    assert lab.store.count_missed_calls() == 1


def existing_order(lab: Rig, order_id: str) -> WorkOrder:
    now = lab.clock.now()
    order = WorkOrder(
        id=WorkOrderId(order_id),
        caller_number="caller1",
        reason=MissReason.ABANDONED,
        status=WorkOrderStatus.POOL,
        team_id=TeamId("team-citywide"),
        created_at=now,
        deadline=now,
    )
    saved, _ = lab.store.record_miss(
        MissedCall(call_id=CallId(f"x-{order_id}"), order_id=order.id, reason=order.reason, at=now), order
    )
    return saved


async def test_given_the_answered_callback_trace_when_its_outcomes_arrive_then_the_order_is_closed_as_reached(
    lab: Rig,
) -> None:
    existing_order(lab, "wo-42")
    attempt = await lab.service.start_callback(WorkOrderId("wo-42"), SeatId("1001"))
    [originate] = lab.calls.originates
    assert originate["channel"] == "PJSIP/1001"
    assert (originate["context"], originate["exten"]) == (dialplan.CALLBACK, "caller1")
    assert originate["variables"] == {"WORK_ORDER_ID": "wo-42"}
    assert originate["action_id"] == attempt.attempt_id
    # The recording used ActionID d1; ours is the attempt id, which Asterisk would echo.
    await feed(lab.service, "05_callback_originate.ami", {"d1": attempt.attempt_id})
    order = lab.store.get(WorkOrderId("wo-42"))
    assert order.status is WorkOrderStatus.CLOSED_REACHED
    assert "已接通" in order.outcome_note
    events = lab.events()
    assert [e.outcome for e in of_type(events, CallbackAttemptFinished)] == [AttemptOutcome.REACHED]
    assert [e.outcome for e in of_type(events, WorkOrderClosed)] == [CloseOutcome.REACHED]


async def test_given_the_unreachable_trace_when_replayed_twice_then_one_failure_and_a_retry_ten_minutes_later(
    lab: Rig,
) -> None:
    existing_order(lab, "wo-43")
    await lab.service.start_callback(WorkOrderId("wo-43"), SeatId("1001"))
    # ActionID d2 is not ours: the outcome is matched through WORK_ORDER_ID instead.
    events = await feed(lab.service, "08_callback_caller_unreachable.ami")
    await feed(lab.service, "08_callback_caller_unreachable.ami")
    [customer] = [e for e in events if isinstance(e, CallbackLegOutcome) and e.leg is CallbackLeg.CUSTOMER]
    [attempt] = lab.ledger.attempts_of([WorkOrderId("wo-43")])[WorkOrderId("wo-43")]
    assert (attempt.outcome, attempt.counted) == (AttemptOutcome.UNREACHABLE, True)
    assert attempt.retry_at is not None
    assert attempt.retry_at - customer.at == LAB.retry.delays[1]
    assert lab.store.get(WorkOrderId("wo-43")).status is WorkOrderStatus.ASSIGNED
    # The retry is due: the tick dials again through the same (free) seat.
    lab.clock.set(attempt.retry_at)
    assert (await lab.service.tick()).retries_started == 1
    assert len(lab.calls.originates) == 2


async def test_given_three_unreachable_attempts_when_the_plan_is_used_up_then_closed_as_unreachable(
    lab: Rig,
) -> None:
    order = existing_order(lab, "wo-44")
    for _ in range(3):
        attempt = await lab.service.start_callback(order.id, SeatId("1001"))
        await lab.service.handle(
            CallbackLegOutcome(
                at=lab.clock.now(),
                event_id=EventId(f"{attempt.attempt_id}:customer"),
                call_id=CallId(attempt.attempt_id),
                leg=CallbackLeg.CUSTOMER,
                outcome=CallbackOutcome.NO_ANSWER,
                work_order_id=order.id,
                action_id=attempt.attempt_id,
            )
        )
        lab.clock.advance(hours=2)
    closed = lab.store.get(order.id)
    assert closed.status is WorkOrderStatus.CLOSED_UNREACHABLE
    assert closed.attempts == 3
