"""Issue 14: the demo is staffed by its plan. `hotline demo` plans the demo seats' shifts of the
viewer's today and tomorrow (`app.seed.seed_demo_rota`), so the supervisor board's 排班 is the
number of demo seats it shows 在线, at any hour: here a few seconds before midnight in Shanghai
(the day's shifts end at 24:00 and the next day's begin), and again after a restart, which plans
nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.runtime import Runtime
from app.seed import DEMO_SEATS
from core.clock import CHINA_TZ
from store.schedules import ScheduleRepository
from tests.support.app import TEST_BASE_URL, ShiftedClock, build_test_app, login
from tests.support.polling import wait_until

pytestmark = pytest.mark.slow

BEFORE_MIDNIGHT = datetime(2026, 11, 29, 15, 59, 50, tzinfo=UTC)  # Sunday 23:59:50 in Shanghai


def _seats_now(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    r = client.get("/api/supervisor/overview", headers=headers)
    assert r.status_code == 200, r.text
    seats: dict[str, Any] = r.json()["seats"]
    return seats


def test_at_any_hour_the_demo_board_has_every_online_demo_seat_scheduled(tmp_path: Path) -> None:
    clock = ShiftedClock(BEFORE_MIDNIGHT)
    demo = {"sim": {"enabled": True}, "ami": {"port": 0}, "callbacks": {"tick_s": 3600.0}}
    seats = len(DEMO_SEATS)
    with TestClient(build_test_app(tmp_path, clock=clock, **demo), base_url=TEST_BASE_URL) as client:
        runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        headers = login(client, "banzhang")
        wait_until(lambda: _seats_now(client, headers)["online"] == seats, 30, "every demo seat online")
        assert _seats_now(client, headers)["scheduled"] == seats
        # Past midnight the next day's plan has them.
        wait_until(lambda: clock.now() > BEFORE_MIDNIGHT + timedelta(seconds=12), 15, "midnight passed")
        now = _seats_now(client, headers)
        assert now["scheduled"] == now["online"] == seats
        db_url = runtime.settings.database.url
    # A restart on the same database plans nothing twice.
    with TestClient(build_test_app(tmp_path, clock=clock, **demo), base_url=TEST_BASE_URL) as client:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        assert runtime.settings.database.url == db_url
        shifts = ScheduleRepository(runtime.repos.db)
        today = clock.now().astimezone(CHINA_TZ).date()
        for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
            assert sorted(s.shift.seat_id for s in shifts.on_day(day)) == sorted(
                sid for sid, *_ in DEMO_SEATS
            )
