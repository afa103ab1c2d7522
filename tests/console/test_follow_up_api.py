"""回访 over the real app (SQLite, no PBX): the orders page's 回访 filter and outcome form, the rated
seat kept off its follow-up, and the supervisor's 回访率 and satisfaction after follow-up."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from app.runtime import Runtime
from callbacks.followup import FollowUp, Rating, follow_up_order_id
from callbacks.models import MissReason, WorkOrder, WorkOrderStatus
from core.ids import CallId, SeatId, TeamId
from stats.models import Satisfaction, SurveyAnswer
from tests.console.test_orders_api import NOW, add_order, orders_client, runtime_of
from tests.support.app import login

__all__ = ["orders_client"]  # the fixture, used by name

JINGAN = "team-310106"
CALLER = "13812345678"


def add_follow_up(
    rt: Runtime, call: str, *, seat: str = "1001", team: str = JINGAN, at: datetime = NOW - timedelta(hours=1)
) -> str:
    """A 不满意 rating of seat `seat` on call `call`, and its follow-up order as the service opens it."""
    rt.repos.surveys.record(
        SurveyAnswer(call_id=CallId(call), seat_id=SeatId(seat), score=Satisfaction.DISSATISFIED, at=at)
    )
    order_id = follow_up_order_id(CallId(call))
    rt.repos.follow_ups.open(
        WorkOrder(
            id=order_id,
            caller_number=CALLER,
            reason=MissReason.FOLLOW_UP,
            status=WorkOrderStatus.POOL,
            team_id=TeamId(team),
            created_at=at,
            deadline=at + timedelta(days=1),
            misses=0,
        ),
        FollowUp(
            order_id=order_id,
            call_id=CallId(call),
            rated_seat_id=SeatId(seat),
            rating=Rating.DISSATISFIED,
            rated_at=at,
            team_id=TeamId(team),
            category="labor",
            district_code="310106",
        ),
    )
    return order_id


REACHED = {"reached": True, "resolved": True, "satisfaction": "satisfied", "note": "已再次解答，来电人认可"}


def test_the_follow_up_filter_lists_follow_ups_with_their_call_and_a_masked_number(
    orders_client: TestClient,
) -> None:
    rt = runtime_of(orders_client)
    oid = add_follow_up(rt, "rated-1")
    add_order(
        rt, "wo-cb", JINGAN, number="13900001111", created_ago=timedelta(minutes=5), due_in=timedelta(hours=1)
    )
    login(orders_client, "jingan")
    r = orders_client.get("/api/orders", params={"scope": "all", "kind": "follow_up"})
    assert r.status_code == 200, r.text
    [order] = r.json()["orders"]
    assert order["id"] == oid and order["reason_label"] == "不满意回访"
    assert order["order_no"].startswith("HF")
    assert order["caller_number"] != CALLER and order["caller_number"].endswith("5678")
    fu = order["follow_up"]
    assert (fu["rated_seat_name"], fu["category_label"], fu["rating_label"], fu["done"]) == (
        "张律师",
        "劳动争议",
        "不满意",
        False,
    )
    callbacks = orders_client.get("/api/orders", params={"scope": "all", "kind": "callback"}).json()["orders"]
    assert [o["id"] for o in callbacks] == ["wo-cb"]
    bad = orders_client.get("/api/orders", params={"scope": "all", "kind": "bogus"})
    assert bad.status_code == 422 and "工单类型" in bad.json()["message"]


def test_the_rated_seat_sees_its_follow_up_but_may_not_take_it_another_lawyer_records_it(
    orders_client: TestClient,
) -> None:
    oid = add_follow_up(runtime_of(orders_client), "rated-2")
    csrf = login(orders_client, "seat1001")
    pool = orders_client.get("/api/orders", params={"scope": "pool", "kind": "follow_up"}).json()["orders"]
    assert [o["id"] for o in pool] == [oid]
    refused = orders_client.post(f"/api/orders/{oid}/claim", headers=csrf)
    assert refused.status_code == 403 and "被评价的坐席" in refused.json()["message"]
    refused = orders_client.post(f"/api/orders/{oid}/follow-up", json=REACHED, headers=csrf)
    assert refused.status_code == 403
    csrf = login(orders_client, "seat1002", clear_cookies=True)
    assert orders_client.post(f"/api/orders/{oid}/claim", headers=csrf).status_code == 200
    done = orders_client.post(f"/api/orders/{oid}/follow-up", json=REACHED, headers=csrf)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == WorkOrderStatus.CLOSED_REACHED.value
    assert body["follow_up"]["satisfaction_label"] == "满意" and body["follow_up"]["resolved"] is True


def test_an_invalid_outcome_answers_in_chinese_and_changes_nothing(orders_client: TestClient) -> None:
    oid = add_follow_up(runtime_of(orders_client), "rated-3")
    csrf = login(orders_client, "jingan")
    for form, message in (
        ({**REACHED, "satisfaction": None}, "请选择回访后满意度"),
        ({**REACHED, "resolved": None}, "请选择问题是否已解决"),
        ({"reached": False, "satisfaction": "satisfied"}, "联系不上时不能填写是否解决和回访后满意度"),
    ):
        r = orders_client.post(f"/api/orders/{oid}/follow-up", json=form, headers=csrf)
        assert r.status_code == 422 and r.json()["message"] == message, r.text
    closing = orders_client.post(
        f"/api/orders/{oid}/close", json={"outcome": "reached", "note": "x"}, headers=csrf
    )
    assert closing.status_code == 422 and "回访结果" in closing.json()["message"]
    [order] = orders_client.get("/api/orders", params={"scope": "all", "kind": "follow_up"}).json()["orders"]
    assert order["open"] and order["attempts"] == 0


def test_the_supervisor_report_shows_the_follow_up_rate_and_satisfaction_after(
    orders_client: TestClient,
) -> None:
    rt = runtime_of(orders_client)
    reached, unreached, _open = (add_follow_up(rt, f"rated-{i}") for i in range(4, 7))
    add_follow_up(rt, "rated-pd", seat="1003", team="team-310115")
    csrf = login(orders_client, "banzhang")
    assert (
        orders_client.post(f"/api/orders/{reached}/follow-up", json=REACHED, headers=csrf).status_code == 200
    )
    for _ in range(3):  # the retry plan's three tries, then 联系不上
        r = orders_client.post(
            f"/api/orders/{unreached}/follow-up", json={"reached": False, "note": "无人接"}, headers=csrf
        )
        assert r.status_code == 200, r.text
    assert r.json()["status"] == WorkOrderStatus.CLOSED_UNREACHABLE.value
    report = orders_client.get("/api/supervisor/follow-ups", params={"period": "month", "date": "2026-11-25"})
    assert report.status_code == 200, report.text
    body = report.json()
    rows = {row["team_id"]: row for row in body["rows"]}
    jingan = rows[JINGAN]
    assert (jingan["dissatisfied"], jingan["followed_up"], jingan["reached"]) == (3, 2, 1)
    assert jingan["follow_up_rate"] == round(2 / 3, 4) and jingan["satisfaction_after_rate"] == 1.0
    assert (rows["team-310115"]["dissatisfied"], rows["team-310115"]["follow_up_rate"]) == (1, 0.0)
    assert body["total"]["label"] == "全市合计" and body["total"]["dissatisfied"] == 4
    assert body["total"]["follow_up_rate"] == 0.5
    # A district supervisor counts its own district only.
    login(orders_client, "jingan", clear_cookies=True)
    scoped = orders_client.get(
        "/api/supervisor/follow-ups", params={"period": "month", "date": "2026-11-25"}
    ).json()
    assert [row["team_id"] for row in scoped["rows"]] == [JINGAN]
    assert scoped["total"]["dissatisfied"] == 3
