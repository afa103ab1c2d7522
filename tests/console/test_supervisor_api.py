"""The supervisor board's API over a real app (SQLite, no PBX), wired as the integrator does."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import build_app
from app.runtime import Runtime
from callbacks.models import MissedCall, MissReason, WorkOrder, WorkOrderStatus
from core.calls import CallRecord, CallStatus
from core.clock import ManualClock
from core.ids import CallId, SeatId, TeamId, WorkOrderId
from stats.models import Satisfaction, SurveyAnswer
from tests.support.app import demo_test_settings, logged_out, login, serving

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wednesday 11:00 China time


def supervisor_app(tmp_path: Path, clock: ManualClock) -> FastAPI:
    settings = demo_test_settings(tmp_path, "sup.db")
    # The composition root (app.main) mounts the supervisor, orders and offices backends itself.
    return build_app(settings, clock=clock)


@pytest.fixture
def sup_client(tmp_path: Path) -> Iterator[TestClient]:
    """A fresh app for a test that writes data."""
    clock = ManualClock(NOW)
    with TestClient(supervisor_app(tmp_path, clock), base_url="http://127.0.0.1") as c:
        yield c


# Building the app is most of these tests' time: tests that only read share one app per module
# (an empty one, and one holding `seed_day`), each test starting logged out.
@pytest.fixture(scope="module")
def _empty_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with serving(supervisor_app(tmp_path_factory.mktemp("sup-empty"), ManualClock(NOW))) as c:
        yield c


@pytest.fixture(scope="module")
def _seeded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with serving(supervisor_app(tmp_path_factory.mktemp("sup-seeded"), ManualClock(NOW)), seed_day) as c:
        yield c


@pytest.fixture
def empty_client(_empty_app: TestClient) -> TestClient:
    """The module's app with no calls, shared by read-only tests."""
    return logged_out(_empty_app)


@pytest.fixture
def seeded_client(_seeded_app: TestClient) -> TestClient:
    """The module's app holding `seed_day`'s calls and orders, shared by read-only tests."""
    return logged_out(_seeded_app)


def runtime_of(c: TestClient) -> Runtime:
    rt: Runtime = c.app.state.runtime  # type: ignore[attr-defined]
    return rt


def add_call(
    rt: Runtime,
    cid: str,
    queue: str,
    status: CallStatus,
    *,
    ago: timedelta = timedelta(minutes=30),
    wait: float | None = 10.0,
    talk: float | None = 200.0,
    district: str | None = None,
) -> None:
    answered = status in (CallStatus.ANSWERED, CallStatus.TALKING)
    at = NOW - ago
    rt.repos.calls.save(
        CallRecord(
            id=CallId(cid),
            caller_number="13812348000",
            offered_at=at,
            status=status,
            queue=queue,
            district_code=district,
            seat_id=SeatId("1001") if answered else None,
            answered_at=at + timedelta(seconds=wait or 0) if answered else None,
            wait_seconds=wait,
            talk_seconds=talk if answered else None,
        )
    )


def add_order(
    rt: Runtime, oid: str, team: str, *, number: str, created_ago: timedelta, due_in: timedelta
) -> None:
    order = WorkOrder(
        id=WorkOrderId(oid),
        caller_number=number,
        reason=MissReason.ABANDONED,
        status=WorkOrderStatus.POOL,
        team_id=TeamId(team),
        created_at=NOW - created_ago,
        deadline=NOW + due_in,
    )
    rt.repos.work_orders.record_miss(
        MissedCall(
            call_id=CallId(f"call-{oid}"), order_id=order.id, reason=order.reason, at=order.created_at
        ),
        order,
    )


def seed_day(rt: Runtime) -> None:
    for i in range(19):
        add_call(rt, f"ja-{i}", "q-310106-labor", CallStatus.ANSWERED, wait=10.0 if i < 15 else 40.0)
    add_call(rt, "ja-x", "q-310106-labor", CallStatus.ABANDONED, wait=50.0)
    add_call(rt, "ja-ivr", "q-310106-labor", CallStatus.ENDED, wait=None)  # left in the IVR
    for i in range(5):
        add_call(rt, f"pd-{i}", "q-310115-family", CallStatus.ABANDONED, wait=90.0)
    add_call(rt, "yesterday", "q-310106-labor", CallStatus.ANSWERED, ago=timedelta(days=1))
    rt.repos.surveys.record(
        SurveyAnswer(call_id=CallId("ja-0"), seat_id=SeatId("1001"), score=Satisfaction.SATISFIED, at=NOW)
    )
    rt.repos.surveys.record(
        SurveyAnswer(call_id=CallId("ja-1"), seat_id=SeatId("1001"), score=Satisfaction.DISSATISFIED, at=NOW)
    )
    add_order(
        rt,
        "wo-ja-late",
        "team-310106",
        number="13900001111",
        created_ago=timedelta(hours=2),
        due_in=-timedelta(minutes=5),
    )
    add_order(
        rt,
        "wo-pd-late",
        "team-310115",
        number="13900002222",
        created_ago=timedelta(hours=2),
        due_in=-timedelta(minutes=5),
    )
    add_order(
        rt,
        "wo-ja-fresh",
        "team-310106",
        number="13900003333",
        created_ago=timedelta(minutes=1),
        due_in=timedelta(minutes=29),
    )


def test_given_todays_calls_when_the_city_supervisor_asks_then_kpis_cover_every_district(
    seeded_client: TestClient,
) -> None:
    login(seeded_client, "banzhang")
    body = seeded_client.get("/api/supervisor/overview").json()
    today = body["today"]
    assert (today["offered"], today["answered"], today["abandoned"]) == (25, 19, 6)
    assert today["answer_rate"] == pytest.approx(19 / 25, abs=1e-4)
    assert today["service_level"] == pytest.approx(15 / 25, abs=1e-4)
    assert today["satisfaction_rate"] == pytest.approx(0.5)
    assert body["targets"]["answer_rate"] == 0.95 and body["targets"]["satisfaction_rate"] == 0.90
    assert body["backlog"]["by_sla"]["breached"]["count"] == 2
    assert body["seats"]["scheduled"] == 0 and body["seats"]["total"] == 7
    assert body["scope"] == "全市"


def test_given_todays_calls_when_the_jingan_supervisor_asks_then_pudong_is_left_out(
    seeded_client: TestClient,
) -> None:
    login(seeded_client, "jingan")
    body = seeded_client.get("/api/supervisor/overview").json()
    today = body["today"]
    assert (today["offered"], today["answered"], today["abandoned"]) == (20, 19, 1)
    assert today["answer_rate"] == pytest.approx(0.95)
    assert body["backlog"]["total"] == 2 and body["backlog"]["by_sla"]["breached"]["count"] == 1
    assert body["seats"]["total"] == 2  # seats 1001 and 1002 of the Jing'an team
    seats = seeded_client.get("/api/supervisor/seats").json()["seats"]
    assert {s["seat_id"] for s in seats} == {"1001", "1002"}
    assert all(s["status_label"] == "离线" for s in seats)
    assert "静安" in body["scope"]


def test_given_the_demo_expert_seat_when_the_city_supervisor_reads_the_seats_then_only_it_is_marked_expert(
    seeded_client: TestClient,
) -> None:
    login(seeded_client, "banzhang")
    seats = seeded_client.get("/api/supervisor/seats").json()["seats"]
    assert [(s["seat_id"], s["name"]) for s in seats if s["expert"]] == [("1007", "孙专家律师")]
    assert len(seats) == 7


def test_given_the_admin_when_making_seat_1003_an_expert_then_the_board_marks_it_and_only_the_admin_may(
    tmp_path: Path,
) -> None:
    with serving(supervisor_app(tmp_path, ManualClock(NOW))) as c:
        url = "/api/supervisor/seats/1003/expert"
        city = login(c, "banzhang")
        refused = c.put(url, json={"expert": True}, headers=city)
        assert refused.status_code == 403 and "仅管理员" in refused.json()["message"]
        admin = login(c, "admin", clear_cookies=True)
        made = c.put(url, json={"expert": True}, headers=admin)
        assert made.json() == {"seat_id": "1003", "name": "王律师", "expert": True}
        seats = c.get("/api/supervisor/seats").json()["seats"]
        assert sorted(s["seat_id"] for s in seats if s["expert"]) == ["1003", "1007"]
        assert c.put(url, json={"expert": False}, headers=admin).json()["expert"] is False
        assert runtime_of(c).repos.seats.get(SeatId("1003")).expert is False
        missing = c.put("/api/supervisor/seats/9999/expert", json={"expert": True}, headers=admin)
        assert missing.status_code == 404 and missing.json()["message"] == "坐席不存在"
        lines = [
            (e.target, e.detail)
            for e in runtime_of(c).repos.audit.recent(limit=20)
            if e.action == "seat.expert"
        ]
        assert lines == [("1003", {"expert": False}), ("1003", {"expert": True})]


def test_given_a_seat_when_opening_the_supervisor_api_then_403_in_chinese(empty_client: TestClient) -> None:
    login(empty_client, "seat1001")
    for path in ("overview", "seats", "forecast", "report"):
        r = empty_client.get(f"/api/supervisor/{path}")
        assert r.status_code == 403 and "班长" in r.json()["message"]


def test_given_no_session_when_asking_then_401(empty_client: TestClient) -> None:
    assert empty_client.get("/api/supervisor/overview").status_code == 401


def test_given_no_history_when_forecasting_then_the_default_curve_is_used_and_said_so(
    empty_client: TestClient,
) -> None:
    login(empty_client, "banzhang")
    body = empty_client.get("/api/supervisor/forecast").json()
    assert body["source"] == "default" and "默认" in body["source_label"]
    assert len(body["slots"]) == 48
    peak = max(body["slots"], key=lambda s: s["calls"])
    assert peak["seats"] > 0 and peak["service_level"] >= 0.8


def test_given_four_past_wednesdays_when_forecasting_then_history_drives_the_volumes(
    sup_client: TestClient,
) -> None:
    rt = runtime_of(sup_client)
    for week in range(1, 5):
        for i in range(10):  # ten calls at 10:05 China each past Wednesday
            add_call(
                rt,
                f"h{week}-{i}",
                "q-310106-labor",
                CallStatus.ANSWERED,
                ago=timedelta(weeks=week, minutes=55),
                talk=180.0,
            )
    add_call(rt, "tuesday", "q-310106-labor", CallStatus.ANSWERED, ago=timedelta(days=1))
    login(sup_client, "banzhang")
    body = sup_client.get("/api/supervisor/forecast").json()
    assert body["source"] == "history" and "4 天" in body["source_label"]
    slot = body["slots"][20]
    assert slot["label"] == "10:00-10:30" and slot["calls"] == 10.0
    assert body["aht_seconds"] == pytest.approx(180.0 + rt.settings.seats.wrap_up_s)
    assert slot["seats"] >= 2 and sum(s["calls"] for s in body["slots"]) == pytest.approx(10.0)


def test_given_calls_when_asking_a_daily_report_as_csv_then_chinese_headers_and_a_total_row(
    seeded_client: TestClient,
) -> None:
    login(seeded_client, "jingan")
    body = seeded_client.get("/api/supervisor/report?period=day&date=2026-11-25").json()
    assert body["start"] == "2026-11-25" and len(body["rows"]) == 24
    assert body["total"]["offered"] == 20
    r = seeded_client.get("/api/supervisor/report?period=day&date=2026-11-25&format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["时段", "进线量", "接通量", "放弃量"]
    assert rows[-1][0] == "合计" and rows[-1][1] == "20" and rows[-1][4] == "95.0"


def test_given_week_and_month_periods_when_reporting_then_one_row_per_day(empty_client: TestClient) -> None:
    login(empty_client, "banzhang")
    week = empty_client.get("/api/supervisor/report?period=week&date=2026-11-25").json()
    assert (week["start"], week["end"], len(week["rows"])) == ("2026-11-23", "2026-11-29", 7)
    month = empty_client.get("/api/supervisor/report?period=month&date=2026-02-10").json()
    assert (month["start"], month["end"], len(month["rows"])) == ("2026-02-01", "2026-02-28", 28)
    assert empty_client.get("/api/supervisor/report?period=year").status_code == 422
    assert empty_client.get("/api/supervisor/report?date=25/11/2026").status_code == 422


def test_given_the_page_when_fetched_then_html_in_chinese(empty_client: TestClient) -> None:
    r = empty_client.get("/supervisor")
    assert r.status_code == 200 and "班长监控台" in r.text


def test_given_the_openapi_document_then_each_supervisor_json_route_names_its_response_model(
    empty_client: TestClient,
) -> None:
    doc = empty_client.get("/openapi.json").json()
    models = {
        "/api/supervisor/overview": "OverviewOut",
        "/api/supervisor/seats": "SeatsOut",
        "/api/supervisor/forecast": "ForecastOut",
        "/api/supervisor/report": "ReportOut",
    }
    for path, model in models.items():
        content = doc["paths"][path]["get"]["responses"]["200"]["content"]
        assert content["application/json"]["schema"] == {"$ref": f"#/components/schemas/{model}"}, path
    schemas = doc["components"]["schemas"]
    assert {"today", "live", "seats", "backlog", "targets"} <= set(schemas["OverviewOut"]["required"])
    assert "text/csv" in doc["paths"]["/api/supervisor/report"]["get"]["responses"]["200"]["content"]
