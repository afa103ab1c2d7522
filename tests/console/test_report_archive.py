"""Reports kept on disk: the periods that end with a day, written once, scope and period in the name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from console_web.report_archive import archive_ended, ended_periods
from core.clock import ManualClock
from stats.reports import Period
from tests.console.test_report_xlsx import _seed
from tests.console.test_supervisor_api import NOW, supervisor_app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(supervisor_app(tmp_path, ManualClock(NOW)), base_url="http://127.0.0.1") as c:
        yield c


def test_the_periods_ending_with_a_day() -> None:
    assert ended_periods(date(2026, 11, 25)) == [Period.DAY]  # a Wednesday
    assert ended_periods(date(2026, 11, 29)) == [Period.DAY, Period.WEEK]  # a Sunday
    assert ended_periods(date(2026, 11, 30)) == [Period.DAY, Period.MONTH]  # a Monday, month's end
    assert ended_periods(date(2026, 5, 31)) == [Period.DAY, Period.WEEK, Period.MONTH]


def test_the_ended_day_is_written_for_the_city_and_each_district_once(
    client: TestClient, tmp_path: Path
) -> None:
    _seed(client)
    backend = client.app.state.supervisor_backend  # type: ignore[attr-defined]
    out = tmp_path / "archive"

    async def run() -> tuple[list[Path], list[Path]]:
        first = await archive_ended(backend, date(2026, 11, 25), out, ["310106"])
        again = await archive_ended(backend, date(2026, 11, 25), out, ["310106"])
        return first, again

    assert client.portal is not None  # the app's own loop: the backend was built on it
    first, again = client.portal.call(run)
    assert sorted(p.name for p in first) == [
        "12348报表-全市-日报-2026-11-25.xlsx",
        "12348报表-静安区-日报-2026-11-25.xlsx",
    ]
    assert again == []
    city = load_workbook(out / "day" / "12348报表-全市-日报-2026-11-25.xlsx")
    district = load_workbook(out / "day" / "12348报表-静安区-日报-2026-11-25.xlsx")
    assert city["汇总"]["A2"].value.startswith("范围：全市")
    totals = [list(ws.iter_rows(values_only=True)) for ws in (city["汇总"], district["汇总"])]
    assert [next(r for r in rows if r[0] == "合计")[1] for rows in totals] == [6, 4]
