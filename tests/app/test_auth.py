from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.main import build_app
from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD
from core.clock import ManualClock
from core.events import DomainEvent
from core.ids import SeatId, TeamId, UserId
from core.seat_events import SeatStateChanged, SeatStatus
from tests.support.app import demo_test_settings
from tests.support.pushes import pushed

PW = DEMO_ADMIN_PASSWORD


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthProbeRang(DomainEvent):
    call_id: str
    seat_id: str | None = None
    district_code: str | None = None
    caller_number: str = ""


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = demo_test_settings(tmp_path, "auth.db")
    with TestClient(build_app(settings), base_url="http://127.0.0.1") as c:
        yield c


def test_given_a_non_local_host_when_logging_in_then_the_cookie_is_secure(tmp_path: Path) -> None:
    settings = demo_test_settings(tmp_path, "sec.db")
    with TestClient(build_app(settings), base_url="https://hotline.example.cn") as c:
        r = c.post("/api/login", json={"username": "admin", "password": PW})
    assert "secure" in r.headers["set-cookie"].lower()


def _login(client: TestClient, user: str, password: str = PW) -> dict[str, str]:
    r = client.post("/api/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    body: dict[str, str] = r.json()
    return body


def test_given_good_credentials_when_logging_in_then_a_strict_httponly_cookie_and_csrf_token(
    client: TestClient,
) -> None:
    r = client.post("/api/login", json={"username": "seat1001", "password": PW})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"].lower()
    assert "hotline_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert "secure" not in cookie  # plain http on localhost in the demo
    body = r.json()
    assert body["role"] == "seat" and body["seat_id"] == "1001" and len(body["csrf_token"]) > 20
    assert client.get("/api/me").json()["username"] == "seat1001"


def test_given_a_wrong_password_when_logging_in_then_401_in_chinese_and_audited(client: TestClient) -> None:
    r = client.post("/api/login", json={"username": "seat1001", "password": "wrong"})
    assert r.status_code == 401 and r.json()["message"] == "用户名或密码错误"
    r = client.post("/api/login", json={"username": "nobody", "password": "wrong"})
    assert r.status_code == 401
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    actions = [e.action for e in runtime.repos.audit.recent()]
    assert actions.count("login_failed") == 2


def test_given_repeated_failures_when_logging_in_then_rate_limited_even_with_the_right_password(
    tmp_path: Path,
) -> None:
    settings = demo_test_settings(tmp_path, "rl.db")
    # The throttle's waits are measured on the app's clock; a still one cannot run out mid-test.
    with TestClient(build_app(settings, clock=ManualClock()), base_url="http://127.0.0.1") as client:
        for _ in range(3):
            assert (
                client.post("/api/login", json={"username": "seat1002", "password": "x"}).status_code == 401
            )
        r = client.post("/api/login", json={"username": "seat1002", "password": PW})
    assert r.status_code == 429 and "过于频繁" in r.json()["message"]


def test_given_empty_fields_when_logging_in_then_422(client: TestClient) -> None:
    assert client.post("/api/login", json={"username": "", "password": ""}).status_code == 422
    assert (
        client.post(
            "/api/login", content=b"not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )


def test_given_a_session_when_posting_without_the_csrf_header_then_403_and_with_it_ok(
    client: TestClient,
) -> None:
    me = _login(client, "admin")
    assert client.post("/api/logout").status_code == 403
    assert client.post("/api/logout", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post("/api/logout", headers={"X-CSRF-Token": me["csrf_token"]}).status_code == 200
    assert client.get("/api/me").status_code == 401  # the session is revoked server-side


def test_given_a_stolen_cookie_after_logout_when_reused_then_rejected(client: TestClient) -> None:
    me = _login(client, "admin")
    token = client.cookies.get("hotline_session")
    client.post("/api/logout", headers={"X-CSRF-Token": me["csrf_token"]})
    client.cookies.set("hotline_session", token or "")
    assert client.get("/api/status").status_code == 401


def test_given_no_session_when_opening_the_websocket_then_closed_with_4401(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws/events") as ws:
        ws.receive_json()
    assert closed.value.code == 4401


def test_given_a_foreign_origin_when_opening_the_websocket_then_closed_with_4403(client: TestClient) -> None:
    _login(client, "admin")
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/ws/events", headers={"origin": "http://evil.example"}) as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 4403


def test_given_two_seats_when_a_call_rings_seat_1001_then_only_1001_and_scoped_supervisors_get_it(
    tmp_path: Path,
) -> None:
    settings = demo_test_settings(tmp_path, "ws.db")
    app = build_app(settings)
    # One app, one client; each user's cookie is set on the client just before opening their socket.
    with TestClient(app, base_url="http://127.0.0.1") as base:
        runtime: Runtime = app.state.runtime
        jars = {}
        for user in ("seat1001", "seat1002", "jingan"):
            r = base.post("/api/login", json={"username": user, "password": PW})
            jars[user] = r.cookies.get("hotline_session") or base.cookies.get("hotline_session")
            base.cookies.clear()
        sockets = {}
        for user, token in jars.items():
            base.cookies.set("hotline_session", token or "")
            cm = base.websocket_connect("/ws/events")
            sockets[user] = (cm, cm.__enter__())
            base.cookies.clear()
            assert sockets[user][1].receive_json()["type"] == "hello"
        at = datetime(2026, 11, 23, 2, tzinfo=UTC)
        mine = AuthProbeRang(
            at=at, call_id="c1", seat_id="1001", district_code="310106", caller_number="13800138000"
        )
        marker = AuthProbeRang(at=at, call_id="c2", seat_id="1002", district_code="310115")
        base.portal.call(runtime.bus.publish, mine)  # type: ignore[union-attr]
        base.portal.call(runtime.bus.publish, marker)  # type: ignore[union-attr]
        got_1001 = next(pushed(sockets["seat1001"][1]))
        got_1002 = next(pushed(sockets["seat1002"][1]))
        got_sup = next(pushed(sockets["jingan"][1]))
        assert got_1001["data"]["call_id"] == "c1" and got_1001["data"]["caller_number"] == "138****8000"
        assert got_1002["data"]["call_id"] == "c2"  # seat 1002's first event is its own: c1 never reached it
        assert got_sup["data"]["call_id"] == "c1"  # Jing'an supervisor sees the Jing'an call only
        for cm, _ws in sockets.values():
            cm.__exit__(None, None, None)
        assert runtime.repos.audit.recent(actor=UserId("u-1001"))[0].action == "login"


def test_given_an_unknown_feed_when_opening_the_websocket_then_closed_with_4400(client: TestClient) -> None:
    _login(client, "admin")
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/ws/events?feed=all-of-it") as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 4400


def test_given_the_supervisor_feed_then_the_app_pushes_seat_states_but_not_other_events(
    client: TestClient,
) -> None:
    _login(client, "banzhang")
    token = client.cookies.get("hotline_session") or ""
    client.cookies.clear()
    client.cookies.set("hotline_session", token)  # as the other socket tests: the jar's cookie, host-wide
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    at = datetime(2026, 11, 23, 2, tzinfo=UTC)
    with client.websocket_connect("/ws/events?feed=supervisor") as ws:
        assert ws.receive_json()["type"] == "hello"
        client.portal.call(runtime.bus.publish, AuthProbeRang(at=at, call_id="c9"))  # type: ignore[union-attr]
        state = SeatStateChanged(
            at=at,
            seat_id=SeatId("1001"),
            team_id=TeamId("t-1"),
            previous=SeatStatus.AVAILABLE,
            status=SeatStatus.PAUSED,
        )
        client.portal.call(runtime.bus.publish, state)  # type: ignore[union-attr]
        got = next(pushed(ws))
    assert got["type"] == "SeatStateChanged"  # the probe, published first, never reached the board
