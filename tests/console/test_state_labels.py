"""One label per state: every page shows a state with its enum's `.label`, whichever API serves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from callbacks.models import MissedCall, MissReason, WorkOrder, WorkOrderStatus
from core.access import Role
from core.asr_events import Leg
from core.calls import CallStatus
from core.ids import CallId, TeamId, WorkOrderId
from core.seat_events import PauseReason, SeatStatus

from .conftest import CALLER, Harness


def test_given_a_session_when_reading_labels_then_every_state_of_every_enum_has_its_enum_label(
    harness: Harness,
) -> None:
    c = harness.client
    c.cookies.clear()
    assert c.get("/api/labels").status_code == 401
    harness.login("seat1001")
    body = c.get("/api/labels").json()
    for name, enum in (
        ("call_status", CallStatus),
        ("work_order_status", WorkOrderStatus),
        ("miss_reason", MissReason),
        ("seat_status", SeatStatus),
        ("pause_reason", PauseReason),
        ("leg", Leg),
    ):
        assert body[name] == {m.value: m.label for m in enum}, name


def test_given_a_closed_order_when_the_seat_file_and_the_orders_list_show_it_then_the_same_label(
    harness: Harness,
) -> None:
    at = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    order = WorkOrder(
        id=WorkOrderId("wo-label"),
        caller_number=CALLER,
        reason=MissReason.IVR_REQUEST,
        status=WorkOrderStatus.CLOSED_REACHED,
        team_id=TeamId("team-310106"),
        created_at=at,
        deadline=at + timedelta(hours=2),
        closed_at=at + timedelta(minutes=30),
    )
    harness.runtime.repos.work_orders.record_miss(
        MissedCall(call_id=CallId("call-wo-label"), order_id=order.id, reason=order.reason, at=at), order
    )
    harness.seat_in_queue("1001")
    call = harness.call_to("1001")
    harness.login("seat1001")
    seat_view = harness.client.get(f"/api/seat/calls/{call}/screenpop").json()["file"]["work_orders"]
    assert [(o["order_no"], o["status_label"], o["reason_label"]) for o in seat_view] == [
        ("HB20261123-0001", WorkOrderStatus.CLOSED_REACHED.label, MissReason.IVR_REQUEST.label)
    ]
    harness.login("admin")
    listed = [
        o
        for o in harness.client.get("/api/orders?scope=all&status=closed").json()["orders"]
        if o["id"] == "wo-label"
    ]
    assert [(o["order_no"], o["status_label"], o["reason_label"]) for o in listed] == [
        ("HB20261123-0001", WorkOrderStatus.CLOSED_REACHED.label, MissReason.IVR_REQUEST.label)
    ]


def test_given_recent_calls_when_the_board_lists_them_then_each_carries_its_status_label(
    harness: Harness,
) -> None:
    harness.seat_in_queue("1001")
    harness.call_to("1001")
    harness.login("admin")
    calls = harness.client.get("/api/calls/recent").json()["calls"]
    assert calls and all(c["status_label"] == CallStatus(c["status"]).label for c in calls)


def test_given_each_role_when_asking_who_am_i_then_the_role_label_comes_from_the_enum(
    harness: Harness,
) -> None:
    for user in ("seat1001", "admin"):
        me = harness.login(user)
        assert (
            harness.client.get("/api/me").json()["role_label"] == Role(me["role"]).label == me["role_label"]
        )
