"""Shift schedules and attendance over a real app (SQLite, no PBX), wired as the integrator will."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.runtime import Runtime
from core.clock import ManualClock
from core.ids import SeatId, TeamId
from core.seat_events import SeatStateChanged, SeatStatus
from store.schedules import SeatLogRepository
from tests.support.app import build_test_app, login

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 18:00 China time, 1 December: the day's shifts are over
JINGAN = "team-310106"
PUDONG = "team-310115"
GOOD_CSV = "日期,坐席编号,开始,结束\n2026-12-01,1001,09:00,12:00\n2026-12-01,1002,13:00,17:00\n"


def schedule_app(tmp_path: Path, clock: ManualClock) -> FastAPI:
    # The composition root (app.main) mounts the schedule backend and subscribes the seat log.
    return build_test_app(tmp_path, "sched.db", clock=clock)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(schedule_app(tmp_path, ManualClock(NOW)), base_url="http://127.0.0.1") as c:
        yield c


def import_csv(c: TestClient, headers: dict[str, str], team: str, text: str) -> httpx2.Response:
    return c.post(
        f"/api/schedule/import?team={team}&month=2026-12",
        content=text.encode("utf-8"),
        headers=headers | {"Content-Type": "text/csv"},
    )


def log_repo(c: TestClient) -> SeatLogRepository:
    rt: Runtime = c.app.state.runtime  # type: ignore[attr-defined]
    return SeatLogRepository(rt.repos.db)


def test_given_a_good_csv_when_the_jingan_supervisor_imports_it_then_the_month_lists_the_shifts(
    client: TestClient,
) -> None:
    headers = login(client, "jingan", clear_cookies=True)

    r = client.post(
        f"/api/schedule/import?team={JINGAN}&month=2026-12",
        content=GOOD_CSV.encode(),
        headers=headers | {"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 2

    listed = client.get(f"/api/schedule?team={JINGAN}&month=2026-12")
    assert listed.status_code == 200, listed.text
    shifts = listed.json()["shifts"]
    assert [(s["seat_id"], s["day"], s["start"], s["end"]) for s in shifts] == [
        ("1001", "2026-12-01", "09:00", "12:00"),
        ("1002", "2026-12-01", "13:00", "17:00"),
    ]


def test_given_a_csv_with_bad_lines_when_imported_then_422_lists_every_line_and_nothing_is_stored(
    client: TestClient,
) -> None:
    headers = login(client, "jingan", clear_cookies=True)
    bad = (
        "日期,坐席编号,开始,结束\n"
        "2026-12-01,1001,09:00,12:00\n"
        "2026-13-01,1001,09:00,12:00\n"
        "2026-12-02,1001,12:00,09:00\n"
        "2026-12-03,1003,09:00,12:00\n"
        "2027-01-04,1001,09:00,12:00\n"
    )

    r = client.post(
        f"/api/schedule/import?team={JINGAN}&month=2026-12",
        content=bad.encode(),
        headers=headers | {"Content-Type": "text/csv"},
    )

    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [e.split("：")[0] for e in errors] == ["第 3 行", "第 4 行", "第 5 行", "第 6 行"]
    assert client.get(f"/api/schedule?team={JINGAN}&month=2026-12").json()["shifts"] == []


def test_given_the_jingan_supervisor_when_editing_pudongs_plan_then_403(client: TestClient) -> None:
    headers = login(client, "jingan", clear_cookies=True)

    imported = client.post(
        f"/api/schedule/import?team={PUDONG}&month=2026-12",
        content="日期,坐席编号,开始,结束\n2026-12-01,1003,09:00,12:00\n".encode(),
        headers=headers | {"Content-Type": "text/csv"},
    )
    added = client.post(
        "/api/schedule/shifts",
        json={"team_id": PUDONG, "seat_id": "1003", "day": "2026-12-01", "start": "09:00", "end": "12:00"},
        headers=headers,
    )

    assert imported.status_code == 403, imported.text
    assert added.status_code == 403, added.text
    assert "管辖" in added.json()["message"]


def test_given_a_shift_when_added_without_csrf_then_403_and_with_csrf_then_it_can_be_deleted(
    client: TestClient,
) -> None:
    headers = login(client, "banzhang", clear_cookies=True)
    body = {"team_id": JINGAN, "seat_id": "1001", "day": "2026-12-02", "start": "09:00", "end": "12:00"}

    assert client.post("/api/schedule/shifts", json=body).status_code == 403
    added = client.post("/api/schedule/shifts", json=body, headers=headers)
    assert added.status_code == 200, added.text
    removed = client.delete(f"/api/schedule/shifts/{added.json()['id']}", headers=headers)

    assert removed.status_code == 200, removed.text
    assert client.get(f"/api/schedule?team={JINGAN}&month=2026-12").json()["shifts"] == []


def test_given_a_seat_late_by_20_minutes_and_one_never_online_when_asking_attendance_then_late_and_absent(
    client: TestClient,
) -> None:
    headers = login(client, "jingan", clear_cookies=True)
    assert import_csv(client, headers, JINGAN, GOOD_CSV).status_code == 200
    log = log_repo(client)
    nine = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 China time
    log.append_many(
        [
            ("1001", JINGAN, "available", nine + timedelta(minutes=20)),
            ("1001", JINGAN, "offline", nine + timedelta(hours=3, minutes=1)),
        ]
    )

    r = client.get(f"/api/schedule/attendance?team={JINGAN}&date=2026-12-01")

    assert r.status_code == 200, r.text
    rows = {row["seat_id"]: row for row in r.json()["rows"]}
    assert rows["1001"]["status"] == "迟到"
    assert rows["1001"]["late_minutes"] == 20
    assert rows["1001"]["online_minutes"] == 160
    assert rows["1002"]["status"] == "缺勤"
    assert rows["1002"]["online_minutes"] == 0


def test_given_a_seat_state_change_on_the_bus_when_published_then_it_is_in_the_seat_log(
    client: TestClient,
) -> None:
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    at = NOW - timedelta(minutes=30)
    event = SeatStateChanged(
        at=at,
        seat_id=SeatId("1001"),
        team_id=TeamId(JINGAN),
        previous=SeatStatus.OFFLINE,
        status=SeatStatus.AVAILABLE,
    )

    async def go() -> None:
        await rt.bus.publish(event)
        await rt.bus.drain()

    client.portal.call(go)  # type: ignore[union-attr]

    assert log_repo(client).online_intervals("1001", at - timedelta(hours=1), NOW) == [(at, NOW)]
