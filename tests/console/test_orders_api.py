"""The work-order API over a real app (SQLite, no PBX), wired as the integrator does."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import build_app
from app.runtime import Runtime
from callbacks.models import MissedCall, MissReason, WorkOrder, WorkOrderStatus
from callbacks.policy import CITYWIDE_TEAM
from callbacks.voicemail import UNSAVED_NOTE, Voicemail
from core.calls import CallRecord, CallStatus
from core.clock import ManualClock
from core.ids import CallId, SeatId, TeamId, WorkOrderId
from tests.support.app import demo_test_settings, logged_out, login, serving
from tests.support.audio import write_tone

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wednesday 11:00 China time


def supervisor_app(tmp_path: Path, clock: ManualClock) -> FastAPI:
    settings = demo_test_settings(tmp_path, "orders.db")
    # The composition root (app.main) mounts the supervisor, orders and offices backends itself.
    return build_app(settings, clock=clock)


@pytest.fixture
def orders_client(tmp_path: Path) -> Iterator[TestClient]:
    """A fresh app for a test that changes orders."""
    clock = ManualClock(NOW)
    with TestClient(supervisor_app(tmp_path, clock), base_url="http://127.0.0.1") as c:
        yield c


# Building the app is most of these tests' time: the tests whose requests change nothing share one
# app per module holding `seed_orders`, each test starting logged out.
@pytest.fixture(scope="module")
def _seeded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with serving(
        supervisor_app(tmp_path_factory.mktemp("orders-seeded"), ManualClock(NOW)), seed_orders
    ) as c:
        yield c


@pytest.fixture
def seeded_client(_seeded_app: TestClient) -> TestClient:
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


def add_voicemail(rt: Runtime, oid: str, *, status: str = "DTMF", saved: bool = True) -> str:
    """A message (来电留言) left on order `oid`'s call, its recording written where Asterisk would
    (a second of 8 kHz tone); returns the call id."""
    call = f"call-{oid}"
    recording = rt.settings.voicemail.folder().recording_for(call) if saved else ""
    if saved:
        write_tone(Path(recording))
    rt.repos.voicemails.record(
        Voicemail(
            call_id=CallId(call),
            order_id=WorkOrderId(oid),
            caller_number="13900001111",
            recording=recording,
            status=status,
            at=NOW - timedelta(minutes=3),
        )
    )
    return call


def seed_orders(rt: Runtime) -> None:
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


def add_citywide_orders(rt: Runtime, *ids: str) -> None:
    """Orders of the city-wide pool (misses with no district), which every seat serves."""
    for n, oid in enumerate(ids):
        add_order(
            rt,
            oid,
            CITYWIDE_TEAM,
            number=f"1390000900{n}",
            created_ago=timedelta(minutes=2),
            due_in=timedelta(minutes=28),
        )


def test_given_citywide_orders_when_a_seat_claims_or_calls_back_from_its_pool_then_allowed_not_404(
    orders_client: TestClient,
) -> None:
    # Issue 14: the pool listed them with 领取/回拨 buttons, but the actions answered 404.
    rt = runtime_of(orders_client)
    seed_orders(rt)
    add_citywide_orders(rt, "wo-city-1", "wo-city-2")
    csrf = login(orders_client, "seat1003")  # a Pudong seat
    pool = {o["id"] for o in orders_client.get("/api/orders?scope=pool").json()["orders"]}
    assert pool == {"wo-pd-late", "wo-city-1", "wo-city-2"}
    r = orders_client.post("/api/orders/wo-city-1/claim", headers=csrf)
    assert r.status_code == 200, r.text
    assert r.json()["owner_seat_id"] == "1003"
    # Calling back a pooled city-wide order gets as far as the PBX, which this app does not have.
    r = orders_client.post("/api/orders/wo-city-2/callback", headers=csrf)
    assert r.status_code == 503 and "电话系统未连接" in r.json()["message"]
    r = orders_client.post(
        "/api/orders/wo-city-1/close", json={"outcome": "reached", "note": "已回拨解答"}, headers=csrf
    )
    assert r.status_code == 200 and r.json()["status"] == "closed_reached"
    # Another district's pool stays out of reach; a city-wide order someone holds is theirs to close.
    assert orders_client.post("/api/orders/wo-ja-fresh/claim", headers=csrf).status_code == 404
    csrf = login(orders_client, "seat1001")
    r = orders_client.post(
        "/api/orders/wo-city-1/close", json={"outcome": "reached", "note": "x"}, headers=csrf
    )
    assert r.status_code == 403 and "处理坐席" in r.json()["message"]


def test_given_a_citywide_order_when_the_jingan_supervisor_lists_and_assigns_it_then_seen_and_given_to_a_jingan_seat(
    orders_client: TestClient,
) -> None:
    rt = runtime_of(orders_client)
    seed_orders(rt)
    add_citywide_orders(rt, "wo-city-1")
    h = login(orders_client, "jingan")
    orders = orders_client.get("/api/orders?scope=all").json()["orders"]
    assert {o["id"] for o in orders} == {"wo-ja-late", "wo-ja-fresh", "wo-city-1"}
    teams = orders_client.get("/api/orders/options").json()["teams"]
    assert {"id": CITYWIDE_TEAM, "name": "全市工单池"} in teams
    r = orders_client.get(f"/api/orders?scope=all&team={CITYWIDE_TEAM}")
    assert r.status_code == 200 and [o["id"] for o in r.json()["orders"]] == ["wo-city-1"]
    assert r.json()["orders"][0]["team_name"] == "全市工单池"
    r = orders_client.post("/api/orders/wo-city-1/assign", json={"seat_id": "1003"}, headers=h)
    assert r.status_code == 403  # a Pudong seat: not the Jing'an supervisor's to command
    r = orders_client.post("/api/orders/wo-city-1/assign", json={"seat_id": "1001"}, headers=h)
    assert r.status_code == 200 and r.json()["owner_seat_id"] == "1001"


def test_given_orders_in_two_districts_when_the_jingan_supervisor_lists_all_then_no_pudong_order(
    seeded_client: TestClient,
) -> None:
    login(seeded_client, "jingan")
    orders = seeded_client.get("/api/orders?scope=all").json()["orders"]
    assert {o["id"] for o in orders} == {"wo-ja-late", "wo-ja-fresh"}
    assert seeded_client.get("/api/orders?scope=all&team=team-310115").status_code == 403
    assert (
        seeded_client.post(
            "/api/orders/wo-pd-late/release", headers=login(seeded_client, "jingan")
        ).status_code
        == 404
    )


def test_given_orders_when_listed_then_numbers_are_masked_and_sla_and_china_deadlines_shown(
    seeded_client: TestClient,
) -> None:
    login(seeded_client, "banzhang")
    r = seeded_client.get("/api/orders?scope=all")
    assert "13900001111" not in r.text and "139****1111" in r.text
    by_id = {o["id"]: o for o in r.json()["orders"]}
    late = by_id["wo-ja-late"]
    assert late["sla"] == "breached" and late["sla_label"] == "已超时"
    assert late["deadline_local"] == "2026-11-25 10:55"  # 02:55 UTC in China time
    assert by_id["wo-ja-fresh"]["sla"] == "ok"
    breached = seeded_client.get("/api/orders?scope=all&sla=breached").json()["orders"]
    assert {o["id"] for o in breached} == {"wo-ja-late", "wo-pd-late"}
    assert seeded_client.get("/api/orders?scope=all&sla=purple").status_code == 422


def test_given_a_pooled_order_when_two_seats_claim_then_the_second_gets_409(
    orders_client: TestClient,
) -> None:
    seed_orders(runtime_of(orders_client))
    csrf = login(orders_client, "seat1001")
    pool = orders_client.get("/api/orders?scope=pool").json()["orders"]
    assert {o["id"] for o in pool} == {"wo-ja-late", "wo-ja-fresh"}
    r = orders_client.post("/api/orders/wo-ja-fresh/claim", headers=csrf)
    assert r.status_code == 200, r.text
    assert r.json()["owner_seat_id"] == "1001" and r.json()["caller_number"] == "139****3333"
    assert [o["id"] for o in orders_client.get("/api/orders?scope=mine").json()["orders"]] == ["wo-ja-fresh"]
    csrf2 = login(orders_client, "seat1002")
    r = orders_client.post("/api/orders/wo-ja-fresh/claim", headers=csrf2)
    assert r.status_code == 409 and (
        "已被其他坐席领取" in r.json()["message"] or "已结案" in r.json()["message"]
    )


def test_given_an_order_claimed_meanwhile_when_a_seat_claims_then_409_in_chinese(
    orders_client: TestClient,
) -> None:
    rt = runtime_of(orders_client)
    seed_orders(rt)
    csrf = login(orders_client, "seat1002")
    order = rt.repos.work_orders.get(WorkOrderId("wo-ja-fresh"))
    # Someone else's claim lands between our visibility check and our write.
    from dataclasses import replace

    backend = orders_client.app.state.orders_backend  # type: ignore[attr-defined]
    original = backend._visible

    def visible_then_taken(principal, order_id):  # type: ignore[no-untyped-def]
        result = original(principal, order_id)
        rt.repos.work_orders.update(
            replace(order, status=WorkOrderStatus.ASSIGNED, owner_seat_id=SeatId("1001"))
        )
        return result

    backend._visible = visible_then_taken
    r = orders_client.post("/api/orders/wo-ja-fresh/claim", headers=csrf)
    assert r.status_code == 409 and "已被其他坐席领取" in r.json()["message"]


def test_given_a_seat_when_assigning_or_releasing_then_403(seeded_client: TestClient) -> None:
    csrf = login(seeded_client, "seat1001")
    r = seeded_client.post("/api/orders/wo-ja-fresh/assign", json={"seat_id": "1001"}, headers=csrf)
    assert r.status_code == 403 and "班长" in r.json()["message"]
    assert seeded_client.post("/api/orders/wo-ja-fresh/release", headers=csrf).status_code == 403
    assert seeded_client.get("/api/orders?scope=all").status_code == 403


def test_given_no_csrf_header_when_claiming_then_403(seeded_client: TestClient) -> None:
    login(seeded_client, "seat1001")
    assert seeded_client.post("/api/orders/wo-ja-fresh/claim").status_code == 403


def test_given_a_supervisor_when_assigning_reassigning_and_releasing_then_audited(
    orders_client: TestClient,
) -> None:
    rt = runtime_of(orders_client)
    seed_orders(rt)
    csrf = login(orders_client, "jingan")
    h = csrf
    r = orders_client.post("/api/orders/wo-ja-late/assign", json={"seat_id": "1001"}, headers=h)
    assert r.status_code == 200 and r.json()["owner_seat_id"] == "1001"
    r = orders_client.post("/api/orders/wo-ja-late/assign", json={"seat_id": "1002"}, headers=h)
    assert r.json()["owner_seat_id"] == "1002"
    assert (
        orders_client.post("/api/orders/wo-ja-late/assign", json={"seat_id": "1003"}, headers=h).status_code
        == 403
    )
    r = orders_client.post("/api/orders/wo-ja-late/release", headers=h)
    assert r.json()["status"] == "pool" and r.json()["owner_seat_id"] is None
    actions = [e.action for e in rt.repos.audit.recent() if e.target == "wo-ja-late"]
    assert actions.count("work_order.assign") == 2 and "work_order.release" in actions


def test_given_a_claimed_order_when_the_owner_closes_with_a_note_then_closed_and_others_cannot(
    orders_client: TestClient,
) -> None:
    seed_orders(runtime_of(orders_client))
    csrf2 = login(orders_client, "seat1002")
    orders_client.post("/api/orders/wo-ja-fresh/claim", headers=csrf2)
    csrf1 = login(orders_client, "seat1001")
    r = orders_client.post(
        "/api/orders/wo-ja-fresh/close",
        json={"outcome": "reached", "note": "已解答"},
        headers=csrf1,
    )
    assert r.status_code == 403 and "处理坐席" in r.json()["message"]
    csrf2 = login(orders_client, "seat1002")
    h = csrf2
    assert (
        orders_client.post(
            "/api/orders/wo-ja-fresh/close", json={"outcome": "reached", "note": ""}, headers=h
        ).status_code
        == 422
    )
    assert (
        orders_client.post(
            "/api/orders/wo-ja-fresh/close", json={"outcome": "cancelled", "note": "x"}, headers=h
        ).status_code
        == 403
    )
    r = orders_client.post(
        "/api/orders/wo-ja-fresh/close",
        json={"outcome": "reached", "note": "已回拨解答劳动合同问题"},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["status"] == "closed_reached" and not r.json()["open"]
    r = orders_client.post(
        "/api/orders/wo-ja-fresh/close", json={"outcome": "reached", "note": "again"}, headers=h
    )
    assert r.status_code == 409 and (
        "已被其他坐席领取" in r.json()["message"] or "已结案" in r.json()["message"]
    )


def test_given_no_pbx_when_calling_back_then_503_in_chinese(orders_client: TestClient) -> None:
    seed_orders(runtime_of(orders_client))
    csrf = login(orders_client, "seat1001")
    r = orders_client.post("/api/orders/wo-ja-fresh/callback", headers=csrf)
    assert r.status_code == 503 and "电话系统未连接" in r.json()["message"]


def test_given_the_page_when_fetched_then_html_in_chinese(seeded_client: TestClient) -> None:
    r = seeded_client.get("/orders")
    assert r.status_code == 200 and "回拨工单" in r.text


def test_given_orders_when_listed_then_each_shows_its_readable_number_and_can_be_found_by_it(
    seeded_client: TestClient,
) -> None:
    login(seeded_client, "jingan")
    orders = seeded_client.get("/api/orders?scope=all").json()["orders"]
    # Opened 10:00 and 10:00 and 10:59 China time on 2026-11-25, in the order seed_orders opened them.
    assert {o["id"]: o["order_no"] for o in orders} == {
        "wo-ja-late": "HB20261125-0001",
        "wo-ja-fresh": "HB20261125-0003",
    }
    r = seeded_client.get("/api/orders?scope=all&order_no=hb20261125-0003")
    assert r.status_code == 200 and [o["id"] for o in r.json()["orders"]] == ["wo-ja-fresh"]
    r = seeded_client.get(
        "/api/orders?scope=all&order_no=20261125-0002"
    )  # Pudong's: not the Jing'an supervisor's
    assert r.status_code == 200 and r.json()["orders"] == []


def test_given_a_message_on_an_order_when_a_seat_of_the_team_lists_and_plays_it_then_it_streams_audited(
    orders_client: TestClient,
) -> None:
    rt = runtime_of(orders_client)
    seed_orders(rt)
    call = add_voicemail(rt, "wo-ja-fresh", status="HANGUP")
    login(orders_client, "seat1001")

    [order] = [
        o for o in orders_client.get("/api/orders?scope=pool").json()["orders"] if o["id"] == "wo-ja-fresh"
    ]
    [message] = order["voicemails"]
    assert message["call_id"] == call and message["saved"] is True
    assert message["status_label"] == "来电人挂机，已保存挂机前的留言"
    assert message["audio_url"] == f"/api/orders/wo-ja-fresh/voicemails/{call}/audio"
    r = orders_client.get(message["audio_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(r.content)) as w:
        assert (w.getframerate(), w.getnframes()) == (8000, 8000)
    ranged = orders_client.get(message["audio_url"], headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100
    actions = [e.action for e in rt.repos.audit.recent() if e.target == "wo-ja-fresh"]
    assert "work_order.voicemail_play" in actions


def test_given_a_message_when_asked_by_another_order_or_out_of_scope_or_lost_then_404(
    orders_client: TestClient,
) -> None:
    rt = runtime_of(orders_client)
    seed_orders(rt)
    call = add_voicemail(rt, "wo-pd-late")
    login(orders_client, "seat1001")  # 静安: 浦东's order is not its own
    assert orders_client.get(f"/api/orders/wo-pd-late/voicemails/{call}/audio").status_code == 404
    login(orders_client, "banzhang", clear_cookies=True)
    assert orders_client.get(f"/api/orders/wo-pd-late/voicemails/{call}/audio").status_code == 200
    assert orders_client.get(f"/api/orders/wo-ja-late/voicemails/{call}/audio").status_code == 404
    Path(rt.settings.voicemail.folder().recording_for(call)).unlink()
    r = orders_client.get(f"/api/orders/wo-pd-late/voicemails/{call}/audio")
    assert r.status_code == 404 and "留言录音文件不存在" in r.text


def test_given_a_message_that_could_not_be_saved_when_listed_then_the_order_says_so_and_nothing_plays(
    orders_client: TestClient,
) -> None:
    rt = runtime_of(orders_client)
    seed_orders(rt)
    call = add_voicemail(rt, "wo-ja-late", status="ERROR", saved=False)
    login(orders_client, "jingan")

    [order] = [
        o for o in orders_client.get("/api/orders?scope=all").json()["orders"] if o["id"] == "wo-ja-late"
    ]
    [message] = order["voicemails"]
    assert (message["saved"], message["audio_url"], message["status_label"]) == (False, "", UNSAVED_NOTE)
    assert orders_client.get(f"/api/orders/wo-ja-late/voicemails/{call}/audio").status_code == 404


def test_given_a_call_no_longer_in_memory_when_its_seat_books_a_callback_then_booked_from_the_stored_call(
    orders_client: TestClient,
) -> None:
    # After a restart (or once the consoles let the ended call go) only the stored row knows the
    # call: the seat still writing its record (wrap-up, 我的未提交记录) can book the appointment.
    rt = runtime_of(orders_client)
    add_call(
        rt, "c-earlier", "q-310106-labor", CallStatus.ANSWERED, ago=timedelta(hours=3), district="310106"
    )
    assert rt.call_views.get(CallId("c-earlier")) is None
    at = "2026-11-26T10:30:00+08:00"
    other = login(orders_client, "seat1002")
    r = orders_client.post("/api/orders/appointments", json={"call_id": "c-earlier", "at": at}, headers=other)
    assert r.status_code == 404, r.text  # not the seat that had the call
    mine = login(orders_client, "seat1001", clear_cookies=True)
    r = orders_client.post("/api/orders/appointments", json={"call_id": "c-earlier", "at": at}, headers=mine)
    assert r.status_code == 200, r.text
    [order] = rt.repos.work_orders.search()
    assert (order.owner_seat_id, order.caller_number, order.reason) == (
        "1001",
        "13812348000",
        MissReason.APPOINTMENT,
    )
    assert order.scheduled_for == datetime.fromisoformat(at)
