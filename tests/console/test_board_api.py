"""The board's live views, alerts and trends through the app (issue 17): daily figures from stored
calls across several days (a call across midnight counts the day it was offered), the per-queue
and per-team live figures from pushed events, and alerts raised from breached work orders, seen and
acknowledged within the supervisor's district and audited."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import build_app
from core.call_events import CallAnswered, CallQueued
from core.calls import CallStatus
from core.clock import ManualClock
from core.ids import CallId, SeatId
from tests.console.test_supervisor_api import NOW, add_call, add_order, runtime_of
from tests.support.app import demo_test_settings, login

# 11:00 China time on the 25th: China days run from 16:00 UTC.


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = demo_test_settings(tmp_path, "board.db", web={"alerts": {"check_s": 0.1, "max_wait_s": 60}})
    with TestClient(build_app(settings, clock=ManualClock(NOW)), base_url="http://127.0.0.1") as c:
        yield c


def seed_days(c: TestClient) -> None:
    rt = runtime_of(c)
    # Today (the 25th): 3 answered (2 within 15 s), 1 abandoned, in 静安; 1 abandoned in 浦东.
    add_call(rt, "t1", "q-310106-labor", CallStatus.ANSWERED, ago=timedelta(hours=1), wait=5.0)
    add_call(rt, "t2", "q-310106-labor", CallStatus.ANSWERED, ago=timedelta(hours=1), wait=15.0)
    add_call(rt, "t3", "q-310106-labor", CallStatus.ANSWERED, ago=timedelta(hours=1), wait=16.0)
    add_call(rt, "t4", "q-310106-labor", CallStatus.ABANDONED, ago=timedelta(hours=1), wait=30.0)
    add_call(rt, "t5", "q-310115-family", CallStatus.ABANDONED, ago=timedelta(hours=1), wait=3.0)
    # Across midnight: offered 23:59:30 China time on the 24th, answered on the 25th: counts on the 24th.
    add_call(rt, "mid", "q-310106-labor", CallStatus.ANSWERED, ago=timedelta(hours=11, seconds=30), wait=40.0)
    # Three days ago (the 22nd): 1 abandoned; eight days ago: outside 7 days, inside 30.
    add_call(rt, "d3", "q-310106-labor", CallStatus.ABANDONED, ago=timedelta(days=3))
    add_call(rt, "d8", "q-310106-labor", CallStatus.ANSWERED, ago=timedelta(days=8))


def test_trends_give_each_days_figures_for_the_scope(client: TestClient) -> None:
    seed_days(client)
    login(client, "banzhang")

    body = client.get("/api/supervisor/trends?days=7").json()

    [series] = body["series"]
    days = {d["day"]: d for d in series["days"]}
    assert len(days) == 7 and body["first"] == "2026-11-19" and body["last"] == "2026-11-25"
    assert days["2026-11-25"] == {
        "day": "2026-11-25", "offered": 5, "answered": 3, "answer_rate": 0.6, "answer_rate_15s": 0.4,
    }  # fmt: skip
    assert days["2026-11-24"]["offered"] == 1 and days["2026-11-24"]["answer_rate_15s"] == 0.0
    assert days["2026-11-22"] == {
        "day": "2026-11-22", "offered": 1, "answered": 0, "answer_rate": 0.0, "answer_rate_15s": 0.0,
    }  # fmt: skip
    assert days["2026-11-23"]["offered"] == 0 and days["2026-11-23"]["answer_rate"] is None
    month = client.get("/api/supervisor/trends?days=30").json()["series"][0]["days"]
    assert len(month) == 30 and sum(d["offered"] for d in month) == 8


def test_trends_per_queue_and_per_team_within_a_district_supervisors_scope(client: TestClient) -> None:
    seed_days(client)
    login(client, "jingan")

    by_queue = client.get("/api/supervisor/trends?days=7&by=queue").json()["series"]
    by_team = client.get("/api/supervisor/trends?days=7&by=team").json()["series"]

    assert [s["key"] for s in by_queue] == ["q-310106-labor"]  # 浦东's queue is not in 静安's scope
    today = {s["key"]: s["days"][-1] for s in by_team}
    assert today["team-310106"]["answered"] == 3  # seat 1001 of 静安 answered them
    assert today[""]["offered"] == 1 and today[""]["answered"] == 0  # 静安's abandon: no seat


def test_trends_refuse_bad_input_in_chinese(client: TestClient) -> None:
    login(client, "banzhang")

    days = client.get("/api/supervisor/trends?days=9")
    by = client.get("/api/supervisor/trends?by=seat")

    assert days.status_code == 422 and "7 或 30" in days.json()["message"]
    assert by.status_code == 422 and "按团队" in by.json()["message"]


def test_live_groups_count_todays_pushed_calls_per_queue_and_team(client: TestClient) -> None:
    login(client, "banzhang")
    bus = runtime_of(client).bus
    for cid, wait in (("x1", 5.0), ("x2", 20.0)):
        client.portal.call(
            bus.publish,
            CallQueued(
                at=NOW - timedelta(seconds=30), call_id=CallId(cid), queue="q-310106-labor", position=1
            ),
        )
        client.portal.call(bus.publish,
            CallAnswered(at=NOW, call_id=CallId(cid), seat_id=SeatId("1001"), interface="PJSIP/1001",
                         queue="q-310106-labor", wait_seconds=wait)
        )  # fmt: skip

    body = {}
    for _ in range(50):
        body = client.get("/api/supervisor/live-groups").json()
        if any(q["answered"] == 2 for q in body["queues"]):
            break
        time.sleep(0.05)

    [queue] = [q for q in body["queues"] if q["key"] == "q-310106-labor"]
    assert (queue["offered"], queue["answered"], queue["answer_rate"], queue["answer_rate_15s"]) == (
        2,
        2,
        1.0,
        0.5,
    )
    team = next(t for t in body["teams"] if t["key"] == "team-310106")
    assert team["offered"] == 2 and team["label"] == "静安区坐席团队"
    assert {"scheduled", "online", "talking", "waiting", "longest_wait_seconds"} <= set(team)


def wait_for_alerts(c: TestClient, n: int) -> list[dict[str, object]]:
    alerts: list[dict[str, object]] = []
    for _ in range(100):
        alerts = c.get("/api/supervisor/alerts").json()["alerts"]
        if len(alerts) >= n:
            break
        time.sleep(0.05)
    return alerts


def test_breached_orders_raise_alerts_seen_in_scope_and_acknowledged_with_an_audit(
    client: TestClient,
) -> None:
    rt = runtime_of(client)
    for oid, team, number in (
        ("wo-ja", "team-310106", "13900001111"),
        ("wo-pd", "team-310115", "13900002222"),
    ):
        add_order(rt, oid, team, number=number, created_ago=timedelta(days=3), due_in=-timedelta(days=1))
    login(client, "banzhang")
    city = wait_for_alerts(client, 2)
    assert {a["district"] for a in city} == {"310106", "310115"}
    ja = next(a for a in city if a["district"] == "310106")
    assert ja["kind"] == "sla_breach" and ja["recipients"] == ["市级班长", "静安区班长"]
    assert "已通知：市级班长、静安区班长（控制台横幅）" in ja["text"]
    pd = next(a for a in city if a["district"] == "310115")

    csrf = login(client, "jingan", clear_cookies=True)
    mine = client.get("/api/supervisor/alerts").json()["alerts"]
    refused = client.post(f"/api/supervisor/alerts/{pd['id']}/ack", headers=csrf)
    acked = client.post(f"/api/supervisor/alerts/{ja['id']}/ack", headers=csrf)

    assert [a["district"] for a in mine] == ["310106"]
    assert refused.status_code == 404
    assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "静安区班长"
    audit = rt.repos.audit.recent(prefixes=("board_alert.",))
    assert [e.target for e in audit] == [str(ja["id"])]
