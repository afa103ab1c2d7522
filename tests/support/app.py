"""The real app for tests: demo settings on a temporary SQLite file with the PBX side off (no simulator,
no AMI, FastAGI on a free port, no AudioSocket), and a console login that returns the CSRF header."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import build_app
from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD, Settings, demo_settings
from core.clock import Clock
from tests.support.live_server import LiveServer, live_server
from tests.support.polling import wait_until

TEST_BASE_URL = "http://127.0.0.1"


class ShiftedClock:
    """The real clock moved so that it starts at `start` and runs on from there."""

    def __init__(self, start: datetime) -> None:
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


class WorkdayClock(ShiftedClock):
    """The real clock moved to a working Monday 10:00 in Shanghai: the daytime menu and queues are open."""

    def __init__(self) -> None:
        super().__init__(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


def demo_test_settings(tmp_path: Path, db_name: str = "test.db", **overrides: Any) -> Settings:
    """`demo_settings` with the common test overrides; any section given in `overrides` replaces ours."""
    base: dict[str, Any] = {
        "database": {"url": f"sqlite:///{tmp_path / db_name}"},
        "sim": {"enabled": False},
        "ami": {"enabled": False},
        "agi": {"port": 0},
        "audiosocket": {"enabled": False},
        "voicemail": {"pbx_dir": str(tmp_path / "voicemail")},
        "recordings": {"pbx_dir": str(tmp_path / "recordings")},
    }
    base.update(overrides)
    return demo_settings(**base)


def build_test_app(
    tmp_path: Path, db_name: str = "test.db", *, clock: Clock | None = None, **overrides: Any
) -> FastAPI:
    return build_app(demo_test_settings(tmp_path, db_name, **overrides), clock=clock)


def login(
    client: TestClient, user: str, password: str = DEMO_ADMIN_PASSWORD, *, clear_cookies: bool = False
) -> dict[str, str]:
    """Log `user` in (the session cookie lands in `client`); returns the CSRF header for writes."""
    if clear_cookies:
        client.cookies.clear()
    r = client.post("/api/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    return {"X-CSRF-Token": r.json()["csrf_token"]}


@contextmanager
def serving(app: FastAPI, seed: Callable[[Runtime], None] | None = None) -> Iterator[TestClient]:
    """A client on the started `app`, after `seed(runtime)` put data in. For a module-scoped fixture
    shared by tests that only read: hand it to each test through `logged_out`."""
    with TestClient(app, base_url=TEST_BASE_URL) as client:
        if seed is not None:
            seed(client.app.state.runtime)  # type: ignore[attr-defined]
        yield client


def logged_out(client: TestClient) -> TestClient:
    """`client` with no session cookie, as a shared client must be at the start of each test."""
    client.cookies.clear()
    return client


QUIET_SIMULATOR = {"enabled": True, "calls_per_hour": 0, "auto_login_seats": False, "time_scale": 1.0}
"""The embedded simulator placing no call of its own and signing no seat in: the test does both."""


@contextmanager
def simulated_app(db_path: Path, **overrides: Any) -> Iterator[tuple[FastAPI, LiveServer]]:
    """The app as `hotline demo` composes it (the quiet simulator on free ports, no AudioSocket,
    a working-day clock) served on a free port; yields once the AMI link is up. `overrides`
    replace whole settings sections."""
    sections: dict[str, Any] = {
        "database": {"url": f"sqlite:///{db_path}"},
        "sim": QUIET_SIMULATOR,
        "ami": {"port": 0},
        "agi": {"port": 0},
        "audiosocket": {"enabled": False},
    }
    app = build_app(demo_settings(**{**sections, **overrides}), clock=WorkdayClock())
    with live_server(app) as live:
        runtime: Runtime = app.state.runtime
        wait_until(lambda: runtime.bridge is not None and runtime.bridge.status.connected, 30, "the AMI link")
        yield app, live
