from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from callback_fakes import Rig, of_type, seat

from callbacks import assignment
from callbacks.errors import OrderAlreadyClaimed, SeatNotEligible
from callbacks.events import WorkOrderAssigned, WorkOrderClaimed, WorkOrderReleased
from callbacks.models import MissReason, WorkOrder, WorkOrderStatus
from callbacks.policy import decide
from core.ids import CallId, SeatId, TeamId, WorkOrderId

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def open_order(rig: Rig, call: str, number: str, queue: str = "q-310106-labor") -> WorkOrder:
    order = await rig.service.record_miss(
        decide(
            call_id=CallId(call),
            caller_number=number,
            reason=MissReason.ABANDONED,
            at=rig.clock.now(),
            queue=queue,
        )
    )
    assert order is not None
    return order


def test_given_free_seats_when_picking_then_the_skilled_one_with_fewest_open_orders_wins() -> None:
    a, b, c = (
        seat("1001", skills=("labor",)),
        seat("1002", skills=("labor",)),
        seat("1003", skills=("family",)),
    )
    counts = {SeatId("1001"): 2, SeatId("1002"): 1, SeatId("1003"): 0}
    assert assignment.pick_seat([a, b, c], counts, "labor") == b
    assert assignment.pick_seat([a, b, c], counts, None) == c
    assert assignment.pick_seat([a, c], {}, "contract") == a  # nobody has it: fall back to anyone


def test_given_a_seat_of_another_team_when_claiming_then_refused() -> None:
    order = WorkOrder(
        id=WorkOrderId("wo_1"),
        caller_number="13800138000",
        reason=MissReason.ABANDONED,
        status=WorkOrderStatus.POOL,
        team_id=TeamId("team-310106"),
        created_at=AT,
        deadline=AT,
    )
    with pytest.raises(SeatNotEligible):
        assignment.claim(order, seat("2001", team="team-310115"), AT)


async def test_given_two_seats_when_both_claim_the_same_order_then_the_second_gets_a_conflict(
    rig: Rig,
) -> None:
    rig.seats.add(seat("1001"), seat("1002"))
    order = await open_order(rig, "c1", "13800138000")
    await rig.service.claim(order.id, SeatId("1001"))
    with pytest.raises(OrderAlreadyClaimed):
        await rig.service.claim(order.id, SeatId("1002"))
    stored = rig.store.get(order.id)
    assert (stored.status, stored.owner_seat_id) == (WorkOrderStatus.ASSIGNED, "1001")
    assert [e.seat_id for e in of_type(rig.events(), WorkOrderClaimed)] == ["1001"]


async def test_given_an_order_unclaimed_past_the_limit_when_ticking_then_the_skilled_seat_with_fewest_orders_gets_it(
    rig: Rig,
) -> None:
    rig.seats.add(seat("1001", skills=("labor",)), seat("1002", skills=("labor",)), seat("1003"))
    busy = await open_order(rig, "c0", "13900139000")
    await rig.service.claim(busy.id, SeatId("1001"))
    order = await open_order(rig, "c1", "13800138000")
    rig.clock.advance(minutes=9)
    assert (await rig.service.tick()).assigned == 0
    rig.clock.advance(minutes=1)
    report = await rig.service.tick()
    assert report.assigned == 1
    assert rig.store.get(order.id).owner_seat_id == "1002"
    assigned = of_type(rig.events(), WorkOrderAssigned)
    assert [(e.seat_id, e.by) for e in assigned] == [("1002", "auto")]


async def test_given_an_assigned_order_when_a_supervisor_reassigns_and_releases_then_it_moves_and_returns_to_the_pool(
    rig: Rig,
) -> None:
    rig.seats.add(seat("1001"), seat("1002"))
    order = await open_order(rig, "c1", "13800138000")
    await rig.service.claim(order.id, SeatId("1001"))
    moved = await rig.service.assign(order.id, SeatId("1002"), by="u-supervisor")
    assert (moved.owner_seat_id, moved.status) == ("1002", WorkOrderStatus.ASSIGNED)
    pooled = await rig.service.release(order.id, by="u-supervisor")
    assert (pooled.owner_seat_id, pooled.status) == (None, WorkOrderStatus.POOL)
    events = rig.events()
    assert [e.previous_seat_id for e in of_type(events, WorkOrderAssigned)] == ["1001"]
    assert [(e.seat_id, e.by) for e in of_type(events, WorkOrderReleased)] == [("1002", "u-supervisor")]


async def test_given_no_free_seat_in_the_team_when_ticking_then_the_order_stays_in_the_pool(rig: Rig) -> None:
    rig.seats.add(seat("1001"), available=False)
    order = await open_order(rig, "c1", "13800138000")
    rig.clock.advance(timedelta(hours=1).total_seconds())
    await rig.service.tick()
    assert rig.store.get(order.id).status is WorkOrderStatus.POOL


def test_given_a_city_wide_pool_order_when_a_seat_of_any_team_claims_it_then_it_is_theirs() -> None:
    from callbacks.policy import CITYWIDE_TEAM

    order = WorkOrder(
        id=WorkOrderId("o-city"),
        caller_number="13800138000",
        reason=MissReason.ABANDONED,
        status=WorkOrderStatus.POOL,
        team_id=CITYWIDE_TEAM,
        created_at=AT,
        deadline=AT + timedelta(minutes=30),
    )
    taken, event = assignment.claim(order, seat("1003", team="team-310115"), AT)
    assert taken.owner_seat_id == "1003" and taken.status is WorkOrderStatus.ASSIGNED
    assert event.seat_id == "1003"
