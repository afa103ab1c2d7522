"""预约回拨 (issue 14): a callback agreed with the caller during a call, for a chosen time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from callback_fakes import Rig, of_type, seat

from callbacks.events import WorkOrderCreated, WorkOrderScheduled, WorkOrderSlaBreached, WorkOrderSlaWarning
from callbacks.models import MissedCall, MissReason, WorkOrder, WorkOrderStatus
from core.clock import CHINA_TZ
from core.errors import InvalidInput
from core.ids import CallId, SeatId, TeamId, WorkOrderId

NUMBER = "13912345678"
TOMORROW_1030 = datetime(2026, 11, 24, 10, 30, tzinfo=CHINA_TZ)  # the rig's clock: Mon 2026-11-23 10:00


@pytest.fixture
def desk(rig: Rig) -> Rig:
    rig.seats.add(seat("1001", team="team-310106"))
    return rig


async def test_given_a_caller_without_an_order_when_the_seat_agrees_a_time_then_its_own_order_due_then(
    desk: Rig,
) -> None:
    order = await desk.service.schedule_callback(
        call_id=CallId("call-1"),
        caller_number=NUMBER,
        seat=SeatId("1001"),
        at=TOMORROW_1030,
        note="劳动仲裁进展",
    )
    assert (order.reason, order.status, order.owner_seat_id) == (
        MissReason.APPOINTMENT,
        WorkOrderStatus.ASSIGNED,
        "1001",
    )
    assert order.scheduled_for == TOMORROW_1030 and order.deadline == TOMORROW_1030 + timedelta(minutes=30)
    assert order.misses == 0 and order.order_no.startswith("HB20261123-")
    events = desk.events()
    (created,) = of_type(events, WorkOrderCreated)
    (scheduled,) = of_type(events, WorkOrderScheduled)
    assert created.reason is MissReason.APPOINTMENT
    assert (scheduled.seat_id, scheduled.scheduled_for, scheduled.call_id) == (
        "1001",
        TOMORROW_1030,
        "call-1",
    )
    marks = desk.ledger.marks_of([order.id])[order.id]
    assert marks["appointment@202611241030"] == "劳动仲裁进展"

    # No alarm before the agreed time; due (warning to the seat) at it; breached 30 min later.
    desk.clock.set(TOMORROW_1030 - timedelta(minutes=1))
    await desk.service.tick()
    assert not of_type(desk.events(), WorkOrderSlaWarning)
    desk.clock.set(TOMORROW_1030)
    await desk.service.tick()
    (due,) = of_type(desk.events(), WorkOrderSlaWarning)
    assert due.seat_id == "1001"
    desk.clock.set(TOMORROW_1030 + timedelta(minutes=30))
    await desk.service.tick()
    assert len(of_type(desk.events(), WorkOrderSlaBreached)) == 1


async def test_given_an_open_missed_call_order_when_an_appointment_is_agreed_then_that_order_is_moved_to_the_seat(
    desk: Rig,
) -> None:
    now = desk.clock.now()
    pooled = WorkOrder(
        id=WorkOrderId("wo-pool"),
        caller_number=NUMBER,
        reason=MissReason.ABANDONED,
        status=WorkOrderStatus.POOL,
        team_id=TeamId("team-310106"),
        created_at=now - timedelta(hours=1),
        deadline=now + timedelta(minutes=5),
    )
    desk.store.record_miss(
        MissedCall(call_id=CallId("miss-1"), order_id=pooled.id, reason=pooled.reason, at=pooled.created_at),
        pooled,
    )
    order = await desk.service.schedule_callback(
        call_id=CallId("call-2"), caller_number=NUMBER, seat=SeatId("1001"), at=TOMORROW_1030
    )
    assert order.id == "wo-pool" and order.misses == 1  # the same order: the answered call is no miss
    assert (order.status, order.owner_seat_id, order.scheduled_for) == (
        WorkOrderStatus.ASSIGNED,
        "1001",
        TOMORROW_1030,
    )
    assert not of_type(desk.events(), WorkOrderCreated)
    # Rescheduled: its alarms follow the new time (the old order's SLA deadline was in 5 minutes).
    desk.clock.set(now + timedelta(minutes=10))
    await desk.service.tick()
    assert not of_type(desk.events(), WorkOrderSlaBreached)


@pytest.mark.parametrize(
    ("at", "message"),
    [
        (datetime(2026, 11, 23, 10, 2, tzinfo=CHINA_TZ), "至少在 5 分钟之后"),
        (datetime(2026, 12, 23, 10, 0, tzinfo=CHINA_TZ), "14 天之内"),
        (datetime(2026, 11, 24, 20, 0, tzinfo=CHINA_TZ), "服务时间内（工作日 09:00–17:00）"),
        (datetime(2026, 11, 28, 10, 0, tzinfo=CHINA_TZ), "服务时间内"),  # a Saturday
    ],
)
async def test_given_a_time_outside_the_rules_when_agreed_then_refused_in_chinese_and_nothing_opened(
    desk: Rig, at: datetime, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        await desk.service.schedule_callback(
            call_id=CallId("call-3"), caller_number=NUMBER, seat=SeatId("1001"), at=at
        )
    assert desk.store.open_for_number(NUMBER) is None and desk.events() == []


async def test_given_a_hidden_number_when_agreed_then_refused(desk: Rig) -> None:
    with pytest.raises(InvalidInput, match="无法预约回拨"):
        await desk.service.schedule_callback(
            call_id=CallId("call-4"), caller_number="anonymous", seat=SeatId("1001"), at=TOMORROW_1030
        )
