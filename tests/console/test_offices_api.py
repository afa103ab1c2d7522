"""The office registry admin API over a real app (SQLite), wired as the integrator does."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import build_app
from app.runtime import Runtime
from core.clock import ManualClock
from routing.gazetteer import SHANGHAI_DIR
from routing.office_admin import OfficeAdmin, seed_offices_if_empty
from routing.offices import OfficeRegistry
from tests.support.app import demo_test_settings, login

RELOADED: list[OfficeRegistry] = []
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wednesday 11:00 China time


def supervisor_app(tmp_path: Path, clock: ManualClock) -> FastAPI:
    settings = demo_test_settings(tmp_path, "offices.db")
    app = build_app(settings, clock=clock)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with inner(a):
            runtime: Runtime = a.state.runtime
            a.state.offices_backend = OfficeAdmin(
                runtime.repos.offices, runtime.repos.teams, on_reload=RELOADED.append
            )
            yield

    app.router.lifespan_context = lifespan
    return app


@pytest.fixture
def offices_client(tmp_path: Path) -> Iterator[TestClient]:
    clock = ManualClock(NOW)
    with TestClient(supervisor_app(tmp_path, clock), base_url="http://127.0.0.1") as c:
        yield c


def runtime_of(c: TestClient) -> Runtime:
    rt: Runtime = c.app.state.runtime  # type: ignore[attr-defined]
    return rt


GOOD = """id,name,level,parent_id,admin_code,district_code,street_code,address,phone,opening_hours,lat,lon,team_id
office-310106,静安区公共法律服务中心,centre,,310106,310106,,新闸路1号,021-12345678,,31.23,121.45,team-310106
office-310106001,静安区新中心工作站,station,office-310106,310106001,310106,310106001,某路2号,,,,,team-310106
"""

BAD = """id,name,level,parent_id,admin_code,district_code,street_code,address,phone,opening_hours,lat,lon,team_id
office-x1,坏机构一,centre,,31A106,310106,,,,,,,team-310106
office-x2,坏机构二,station,,310106002,310106,310106002,,,,,,team-310106
office-x3,坏机构三,centre,,310107,310107,,,电话abc,,95,121,team-310107
"""


def test_given_a_fresh_database_when_starting_then_offices_are_seeded_from_the_gazetteer_and_filters_work(
    offices_client: TestClient,
) -> None:
    rt = runtime_of(offices_client)
    assert rt.repos.offices.count() > 6000  # seeded from the gazetteer at start-up
    assert seed_offices_if_empty(rt.repos.offices, SHANGHAI_DIR) == 0  # only once
    login(offices_client, "banzhang")
    body = offices_client.get("/api/offices?district=310106&level=centre").json()
    assert body["total"] == 1 and body["offices"][0]["name"].startswith("静安区")
    assert any(d["code"] == "310115" and d["name"] == "浦东新区" for d in body["districts"])
    found = offices_client.get("/api/offices", params={"q": "静安区", "level": "station"}).json()
    assert found["total"] > 5 and all(o["district_code"] == "310106" for o in found["offices"])


def test_given_a_csv_with_bad_rows_when_importing_then_422_listing_every_row_and_nothing_written(
    offices_client: TestClient,
) -> None:
    rt = runtime_of(offices_client)
    before = rt.repos.offices.count()  # the table is empty: nothing half-imported may appear
    csrf = login(offices_client, "admin")
    r = offices_client.post(
        "/api/offices/import",
        content=BAD.encode(),
        headers={**csrf, "Content-Type": "text/csv"},
    )
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert [e[:4] for e in errors] == ["第2行（", "第3行（", "第4行（"]
    assert (
        "admin_code" in errors[0] and "parent_id" in errors[1] and "phone" in errors[2] and "lat" in errors[2]
    )
    assert "3 处错误" in r.json()["message"]
    assert rt.repos.offices.count() == before


def test_given_a_good_csv_in_gbk_when_importing_then_upserted_and_the_registry_reloaded(
    offices_client: TestClient,
) -> None:
    rt = runtime_of(offices_client)
    csrf = login(offices_client, "admin")
    RELOADED.clear()
    r = offices_client.post(
        "/api/offices/import",
        content=GOOD.encode("gb18030"),
        headers={**csrf, "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 2
    assert RELOADED and RELOADED[-1].get("office-310106001").name == "静安区新中心工作站"
    centre = offices_client.get("/api/offices/office-310106").json()
    assert centre["phone"] == "021-12345678" and centre["lat"] == 31.23
    assert any(e.action == "office.import" for e in rt.repos.audit.recent())


def test_given_an_admin_when_editing_an_office_then_saved_validated_and_reloaded(
    offices_client: TestClient,
) -> None:
    csrf = login(offices_client, "admin")
    h = csrf
    assert offices_client.post("/api/offices/import", content=GOOD.encode(), headers=h).status_code == 200
    edit = {
        "name": "静安区公共法律服务中心",
        "address": "新闸路 1 号",
        "phone": "021-62000000",
        "opening_hours": "工作日 9:00-17:00",
        "lat": 31.24,
        "lon": 121.46,
        "team_id": "team-310106",
    }
    RELOADED.clear()
    r = offices_client.put("/api/offices/office-310106", json=edit, headers=h)
    assert r.status_code == 200, r.text
    assert RELOADED and RELOADED[-1].get("office-310106").phone == "021-62000000"
    bad = offices_client.put("/api/offices/office-310106", json=edit | {"lat": 95.0}, headers=h)
    assert bad.status_code == 422 and "lat" in bad.json()["message"]
    assert (
        offices_client.put(
            "/api/offices/office-310106", json=edit | {"team_id": "team-nope"}, headers=h
        ).status_code
        == 422
    )
    assert offices_client.put("/api/offices/office-nope", json=edit, headers=h).status_code == 404


def test_given_a_supervisor_when_editing_or_importing_then_403_but_reading_and_export_work(
    offices_client: TestClient,
) -> None:
    csrf = login(offices_client, "admin")
    offices_client.post("/api/offices/import", content=GOOD.encode(), headers=csrf)
    csrf = login(offices_client, "jingan")
    h = csrf
    edit = {"name": "x", "team_id": "team-310106"}
    assert offices_client.put("/api/offices/office-310106", json=edit, headers=h).status_code == 403
    assert offices_client.post("/api/offices/import", content=GOOD.encode(), headers=h).status_code == 403
    r = offices_client.get("/api/offices/export.csv")
    assert r.status_code == 200 and r.text.startswith("\ufeffid,name,level")
    assert "office-310106001" in r.text
    login(offices_client, "seat1001")
    assert offices_client.get("/api/offices").status_code == 403


def test_given_the_page_when_fetched_then_html_in_chinese(offices_client: TestClient) -> None:
    r = offices_client.get("/offices")
    assert r.status_code == 200 and "公共法律服务机构" in r.text


def _settled(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    """The registry swap after an edit is handed to the app's loop (`core.blocking.on_loop`)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_given_an_admin_enters_a_station_address_then_the_ivr_finds_its_road(tmp_path: Path) -> None:
    # Wired as the app is (no stand-in backend): an edit reloads the registry that routing uses,
    # and the office's road and number join the road index.
    with TestClient(build_app(demo_test_settings(tmp_path, "roads.db")), base_url="http://127.0.0.1") as c:
        routing = runtime_of(c).routes.routing
        assert routing is not None
        lookup = routing.lookup
        assert lookup.verdict("漕溪北路88号").outcome == "no_address"
        csrf = login(c, "admin")
        station = c.get("/api/offices/office-310104014").json()  # 徐家汇街道's station
        edit = {"name": station["name"], "team_id": station["team_id"], "address": "徐汇区漕溪北路88号"}
        r = c.put("/api/offices/office-310104014", json=edit, headers=csrf)
        assert r.status_code == 200, r.text
        assert _settled(lambda: lookup.verdict("漕溪北路88号").outcome == "found")
        assert "徐家汇街道" in lookup.verdict("漕溪北路88号").note
        assert lookup.lookup("漕溪北路88号")[0].office_id == "office-310104014"
        # An address with no road in it is saved, noted and skipped; the other offices' roads stay.
        room = c.get("/api/offices/office-310104003").json()
        vague = {"name": room["name"], "team_id": room["team_id"], "address": "天平路街道社区服务中心内"}
        assert c.put("/api/offices/office-310104003", json=vague, headers=csrf).status_code == 200
        assert _settled(lambda: any(n.office_id == "office-310104003" for n in lookup.road_notes))
        assert lookup.verdict("漕溪北路88号").outcome == "found"
        # Moved away: the road leaves the index with it.
        moved = edit | {"address": "徐汇区虹桥路1号"}
        assert c.put("/api/offices/office-310104014", json=moved, headers=csrf).status_code == 200
        assert _settled(lambda: lookup.verdict("漕溪北路88号").outcome == "no_address")
