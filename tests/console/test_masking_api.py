"""Phone numbers are masked at serialisation: every JSON response and every websocket push."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.testclient import TestClient

from app.main import build_app
from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD
from console_web.security import SEES_FULL_NUMBERS, MaskPhoneNumbers
from core.events import DomainEvent
from tests.support.app import demo_test_settings, login
from tests.support.pushes import pushed

PW = DEMO_ADMIN_PASSWORD


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeChannelRinging(DomainEvent):
    """An event that names the caller only inside a channel name, under no `number` key."""

    call_id: str
    seat_id: str | None = None
    channel: str = ""
    peers: tuple[str, ...] = ()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = demo_test_settings(tmp_path, "mask.db")
    with TestClient(build_app(settings), base_url="http://127.0.0.1") as c:
        yield c


def test_given_a_city_wide_supervisor_when_a_channel_name_carries_the_number_then_the_push_is_masked(
    client: TestClient,
) -> None:
    login(client, "banzhang")  # the city-wide supervisor
    token = client.cookies.get("hotline_session") or ""
    client.cookies.clear()
    client.cookies.set("hotline_session", token)  # a host-less cookie, as the websocket client wants
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with client.websocket_connect("/ws/events") as ws:
        assert ws.receive_json()["type"] == "hello"
        event = ProbeChannelRinging(
            at=datetime(2026, 11, 23, 2, tzinfo=UTC),
            call_id="1795300000.16",
            seat_id="1001",
            channel="PJSIP/13900139000-00000012",
            peers=("PJSIP/1001-00000013", "Local/02162345678@hotline-callback-0000001a;1"),
        )
        client.portal.call(runtime.bus.publish, event)  # type: ignore[union-attr]
        got = next(pushed(ws))
    assert got["data"]["channel"] == "PJSIP/139****9000-00000012"
    assert got["data"]["peers"] == ["PJSIP/1001-00000013", "Local/021****5678@hotline-callback-0000001a;1"]
    assert got["data"]["call_id"] == "1795300000.16" and got["data"]["seat_id"] == "1001"
    assert "13900139000" not in str(got)


def test_given_an_error_that_echoes_a_number_under_any_key_then_the_response_is_masked(
    client: TestClient,
) -> None:
    login(client, "admin")
    r = client.get("/api/schedule", params={"month": "13900139000"})
    assert r.status_code == 422
    assert r.json()["month"] == "139****9000"
    assert "13900139000" not in r.text
    assert int(r.headers["content-length"]) == len(r.content)


def test_given_the_office_directory_then_public_office_numbers_stay_whole(client: TestClient) -> None:
    csrf = login(client, "admin")
    office = client.get("/api/offices", params={"limit": 1}).json()["offices"][0]
    edit = {
        "name": office["name"],
        "address": office["address"] or "新闸路 1 号",
        "phone": "021-62000000",
        "opening_hours": office["opening_hours"],
        "lat": office["lat"],
        "lon": office["lon"],
        "team_id": office["team_id"],
    }
    r = client.put(f"/api/offices/{office['id']}", json=edit, headers=csrf)
    assert r.status_code == 200, r.text
    assert r.json()["phone"] == "021-62000000"
    assert client.get(f"/api/offices/{office['id']}").json()["phone"] == "021-62000000"


def _tiny() -> FastAPI:
    app = FastAPI()

    @app.get("/nested")
    def nested() -> dict[str, Any]:
        return {"a": [{"b": "PJSIP/13900139000-1"}, ["+8613900139000"]], "seat": "1001", "svc": "12345"}

    @app.get("/explicit")
    def explicit() -> JSONResponse:
        return JSONResponse({"why": "来电 13900139000"}, status_code=409)

    @app.get("/text")
    def text() -> PlainTextResponse:
        return PlainTextResponse("13900139000")

    @app.get("/api/offices/x")
    def office() -> dict[str, str]:
        return {"phone": "021-62000000"}

    @app.get("/full")
    def full(request: Request) -> dict[str, str]:
        request.state.__setattr__(SEES_FULL_NUMBERS, True)
        return {"caller": "13900139000"}

    app.add_middleware(MaskPhoneNumbers)
    return app


def test_the_masking_middleware_covers_every_json_response_and_only_json() -> None:
    with TestClient(_tiny()) as c:
        assert c.get("/nested").json() == {
            "a": [{"b": "PJSIP/139****9000-1"}, ["+86139****9000"]],
            "seat": "1001",
            "svc": "12345",
        }
        r = c.get("/explicit")
        assert r.status_code == 409 and r.json() == {"why": "来电 139****9000"}
        assert c.get("/text").text == "13900139000"  # not JSON: left alone (CSV exports are not for seats)
        assert c.get("/api/offices/x").json() == {"phone": "021-62000000"}
        assert c.get("/full").json() == {"caller": "13900139000"}  # a role allowed full numbers
