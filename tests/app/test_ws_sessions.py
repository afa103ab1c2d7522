"""A session's websockets end with it: logout, expiry, a disabled account (code 4401 and a reason)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from app.main import build_app
from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD
from console_web.auth import token_hash
from core.clock import ManualClock
from core.events import DomainEvent
from core.ids import UserId
from tests.support.app import demo_test_settings
from tests.support.pushes import pushed

PW = DEMO_ADMIN_PASSWORD


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice(DomainEvent):
    """A system-wide fact about no call: every logged-in user may see it."""

    text: str = ""


@dataclass
class App:
    client: TestClient
    runtime: Runtime
    clock: ManualClock

    def login(self, user: str) -> tuple[str, str]:
        """(cookie token, csrf token) of a fresh session."""
        self.client.cookies.clear()
        r = self.client.post("/api/login", json={"username": user, "password": PW})
        assert r.status_code == 200, r.text
        token = self.client.cookies.get("hotline_session") or ""
        self.client.cookies.clear()
        return token, r.json()["csrf_token"]

    def socket(self, token: str) -> tuple[AbstractContextManager[Any], WebSocketTestSession]:
        self.client.cookies.set("hotline_session", token)
        cm = self.client.websocket_connect("/ws/events")
        ws = cm.__enter__()
        self.client.cookies.clear()
        assert ws.receive_json()["type"] == "hello"
        return cm, ws

    def publish(self, text: str) -> None:
        event = Notice(at=datetime(2026, 11, 23, 2, tzinfo=UTC), text=text)
        self.client.portal.call(self.runtime.bus.publish, event)  # type: ignore[union-attr]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    settings = demo_test_settings(tmp_path, "wss.db")
    clock = ManualClock()
    fastapi_app = build_app(settings, clock=clock)
    with TestClient(fastapi_app, base_url="http://127.0.0.1") as client:
        yield App(client, fastapi_app.state.runtime, clock)


def _closed(ws: WebSocketTestSession) -> WebSocketDisconnect:
    """Reads until the server closes the socket; skips events that were already on their way."""
    with pytest.raises(WebSocketDisconnect) as closed:
        for _ in range(100):
            ws.receive_json()
    return closed.value


def test_given_two_sessions_when_one_logs_out_then_only_its_socket_is_closed_4401(app: App) -> None:
    token_a, csrf_a = app.login("admin")
    token_b, _ = app.login("admin")
    cm_a, ws_a = app.socket(token_a)
    cm_b, ws_b = app.socket(token_b)
    app.client.cookies.set("hotline_session", token_a)
    assert app.client.post("/api/logout", headers={"X-CSRF-Token": csrf_a}).status_code == 200
    closed = _closed(ws_a)
    assert closed.code == 4401 and closed.reason == "已退出登录"
    # The other session (another tab or desk) goes on receiving.
    app.publish("仍在线")
    assert next(pushed(ws_b))["data"]["text"] == "仍在线"
    cm_b.__exit__(None, None, None)
    cm_a.__exit__(None, None, None)


def test_given_an_expired_session_then_its_socket_is_closed_at_the_next_recheck(app: App) -> None:
    token, _ = app.login("seat1001")
    app.runtime.hub.recheck_s = 0.05
    cm, ws = app.socket(token)
    app.clock.advance(hours=13)  # sessions last 12 hours
    closed = _closed(ws)
    assert closed.code == 4401 and closed.reason == "登录已失效，请重新登录"
    cm.__exit__(None, None, None)


def test_given_a_disabled_account_then_its_sockets_are_closed(app: App) -> None:
    token, _ = app.login("seat1002")
    app.runtime.hub.recheck_s = 0.05
    cm, ws = app.socket(token)
    app.runtime.repos.users.set_active(UserId("u-1002"), False)
    closed = _closed(ws)
    assert closed.code == 4401 and closed.reason == "账号已停用"
    cm.__exit__(None, None, None)


def test_given_close_user_then_every_session_of_that_user_is_closed_at_once(app: App) -> None:
    sockets = [app.socket(app.login("jingan")[0]) for _ in range(2)]
    other_cm, other_ws = app.socket(app.login("admin")[0])

    async def close() -> int:
        return app.runtime.hub.close_user("u-jingan")

    n = app.client.portal.call(close)  # type: ignore[union-attr]
    assert n == 2
    for cm, ws in sockets:
        closed = _closed(ws)
        assert closed.code == 4401 and closed.reason == "账号已停用"
        cm.__exit__(None, None, None)
    app.publish("管理员仍在线")
    assert next(pushed(other_ws))["data"]["text"] == "管理员仍在线"
    other_cm.__exit__(None, None, None)


def test_given_a_session_about_to_expire_then_its_socket_closes_at_the_expiry_without_waiting_for_a_recheck(
    app: App,
) -> None:
    token, _ = app.login("seat1001")
    assert app.runtime.hub.recheck_s >= 30  # the recheck cannot be what closes it here
    app.clock.advance(hours=12, seconds=-0.3)  # sessions last 12 hours: 0.3 s left
    cm, ws = app.socket(token)
    closed = _closed(ws)
    assert closed.code == 4401 and closed.reason == "登录已失效，请重新登录"
    cm.__exit__(None, None, None)


def test_the_recheck_reads_every_open_session_at_once_and_says_why_each_ended(app: App) -> None:
    live, _ = app.login("seat1001")
    disabled, _ = app.login("seat1002")
    gone, gone_csrf = app.login("jingan")
    app.runtime.repos.users.set_active(UserId("u-1002"), False)
    app.client.cookies.set("hotline_session", gone)
    assert app.client.post("/api/logout", headers={"X-CSRF-Token": gone_csrf}).status_code == 200
    app.client.cookies.clear()
    hashes = [token_hash(t) for t in (live, disabled, gone)] + ["no-such-session"]

    now = app.runtime.auth.recheck(hashes)

    assert now[hashes[0]] == app.runtime.repos.users.get(UserId("u-1001")).principal()
    assert now[hashes[1]] == "账号已停用"
    assert now[hashes[2]] == now["no-such-session"] == "登录已失效，请重新登录"


def test_given_many_open_sockets_then_one_recheck_call_covers_them_all(app: App) -> None:
    calls: list[list[str]] = []
    recheck = app.runtime.hub._recheck
    assert recheck is not None

    async def counting(sessions: list[str]) -> Any:
        calls.append(sessions)
        return await recheck(sessions)

    app.runtime.hub._recheck = counting
    app.runtime.hub.recheck_s = 0.05
    tokens = [app.login(user)[0] for user in ("seat1001", "seat1002", "admin")]
    sockets = [app.socket(t) for t in tokens]
    app.runtime.repos.users.set_active(UserId("u-1002"), False)
    closed = _closed(sockets[1][1])
    assert closed.code == 4401 and closed.reason == "账号已停用"
    # A sweep asks for the three sockets' sessions in one call, not one call per socket.
    assert sorted(token_hash(t) for t in tokens) in calls
    app.publish("仍在线")
    assert next(pushed(sockets[0][1]))["data"]["text"] == "仍在线"
    for cm, _ws in sockets:
        cm.__exit__(None, None, None)
