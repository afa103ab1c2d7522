"""Reports kept on disk: the periods that end with a day, written once, scope and period in the name."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from app.main import build_app
from console_web.report_archive import archive_ended, ended_periods
from core.clock import ManualClock
from stats.reports import Period
from tests.console.test_report_xlsx import _seed
from tests.console.test_supervisor_api import NOW, supervisor_app
from tests.support.app import demo_test_settings, login


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


def _names(paths: list[Path]) -> list[str]:
    return sorted(f"{p.parent.name}/{p.name}" for p in paths)


def test_a_sunday_adds_the_week_and_a_month_s_last_day_the_month_each_written_once(
    client: TestClient, tmp_path: Path
) -> None:
    backend = client.app.state.supervisor_backend  # type: ignore[attr-defined]
    out = tmp_path / "archive"

    async def run() -> list[list[Path]]:
        return [
            await archive_ended(backend, date(2026, 11, 29), out, ["310106"]),  # a Sunday
            await archive_ended(backend, date(2026, 11, 30), out, ["310106"]),  # November's last day
            await archive_ended(backend, date(2026, 11, 29), out, ["310106"]),
            await archive_ended(backend, date(2026, 11, 30), out, ["310106"]),
        ]

    assert client.portal is not None
    sunday, month_end, *again = client.portal.call(run)
    assert _names(sunday) == [
        "day/12348报表-全市-日报-2026-11-29.xlsx",
        "day/12348报表-静安区-日报-2026-11-29.xlsx",
        "week/12348报表-全市-周报-2026-11-23至2026-11-29.xlsx",
        "week/12348报表-静安区-周报-2026-11-23至2026-11-29.xlsx",
    ]
    assert _names(month_end) == [
        "day/12348报表-全市-日报-2026-11-30.xlsx",
        "day/12348报表-静安区-日报-2026-11-30.xlsx",
        "month/12348报表-全市-月报-2026-11-01至2026-11-30.xlsx",
        "month/12348报表-静安区-月报-2026-11-01至2026-11-30.xlsx",
    ]
    assert again == [[], []]
    assert sorted(p.name for p in out.rglob("*") if p.is_file() and p.suffix != ".xlsx") == []
    month = load_workbook(out / "month" / "12348报表-全市-月报-2026-11-01至2026-11-30.xlsx")
    assert "月报" in month["汇总"]["A1"].value and "热点" in month.sheetnames


ARCHIVED = {
    "day": [
        "12348报表-全市-日报-2026-11-20.xlsx",
        "12348报表-静安区-日报-2026-11-20.xlsx",
        "12348报表-浦东新区-日报-2026-11-20.xlsx",
    ],
    "week": ["12348报表-静安区-周报-2026-11-09至2026-11-15.xlsx"],
}


@pytest.fixture
def archived(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    """An app keeping its archive in a folder (settings), the clock at 2026-11-25 11:00 China time."""
    folder = tmp_path / "reports"
    for period, names in ARCHIVED.items():
        (folder / period).mkdir(parents=True)
        for name in names:
            (folder / period / name).write_bytes(f"{period}:{name}".encode())
    (tmp_path / "secret.txt").write_text("不该被下载")
    settings = demo_test_settings(tmp_path, "arch.db", web={"report_archive_dir": str(folder)})
    with TestClient(build_app(settings, clock=ManualClock(NOW)), base_url="http://127.0.0.1") as c:
        yield c, folder


def _wait_for(path: Path, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} not written"
        time.sleep(0.1)


def test_the_app_starts_the_archive_which_writes_yesterday_at_once(archived: tuple[TestClient, Path]) -> None:
    """Without waiting for midnight: the task's first check archives the day before (2026-11-24)."""
    _, folder = archived
    city = folder / "day" / "12348报表-全市-日报-2026-11-24.xlsx"
    _wait_for(city)
    # every district with a team (the demo's 16), after the city
    _wait_for(folder / "day" / "12348报表-崇明区-日报-2026-11-24.xlsx")
    assert (folder / "day" / "12348报表-静安区-日报-2026-11-24.xlsx").exists()
    assert "汇总" in load_workbook(city).sheetnames
    assert not (folder / "week").joinpath("12348报表-全市-周报-2026-11-23至2026-11-29.xlsx").exists()


def test_the_archive_lists_and_serves_the_files_of_the_scope(archived: tuple[TestClient, Path]) -> None:
    c, _ = archived
    login(c, "banzhang")
    body = c.get("/api/supervisor/report-archive").json()
    assert body["kept"] is True
    names = {f["name"] for f in body["files"]}
    assert names >= {n for ns in ARCHIVED.values() for n in ns}  # the city: every file
    f = next(f for f in body["files"] if f["name"] == ARCHIVED["week"][0])
    assert f["period_label"] == "周报"
    r = c.get(f["url"])
    assert r.status_code == 200 and r.content == f"week:{ARCHIVED['week'][0]}".encode()
    assert "filename*=UTF-8''" in r.headers["content-disposition"]

    login(c, "jingan", clear_cookies=True)
    mine = {f["name"] for f in c.get("/api/supervisor/report-archive").json()["files"]}
    assert mine >= {ARCHIVED["day"][1], ARCHIVED["week"][0]}
    assert all("-静安区-" in n for n in mine)  # not the city's, not 浦东's
    city = c.get(f"/api/supervisor/report-archive/day/{quote(ARCHIVED['day'][0])}")
    assert city.status_code == 404 and "不存在" in city.json()["message"]
    assert c.get(f"/api/supervisor/report-archive/day/{quote(ARCHIVED['day'][1])}").status_code == 200

    login(c, "seat1001", clear_cookies=True)
    assert c.get("/api/supervisor/report-archive").status_code == 403


def test_an_unknown_or_outside_file_is_not_found(archived: tuple[TestClient, Path]) -> None:
    c, _ = archived
    login(c, "admin")
    for path in (  # the route's own answer: 404 in Chinese
        "day/12348报表-全市-日报-2026-01-01.xlsx",
        "year/12348报表-全市-日报-2026-11-20.xlsx",
        "week/12348报表-全市-日报-2026-11-20.xlsx",  # there, but not under this period
        "day/..secret.txt",
        "day/secret.txt",
    ):
        r = c.get(f"/api/supervisor/report-archive/{path}")
        assert r.status_code == 404 and r.json()["message"] == "归档报表不存在或无权查看", path
    for path in (
        "day/..%2F..%2Fsecret.txt",
        "day/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "..%2F..%2Fsecret.txt/x",
        "..%2F../secret.txt",
    ):
        r = c.get(f"/api/supervisor/report-archive/{path}")  # normalised out of the route, or not found in it
        assert r.status_code == 404 and "不该被下载" not in r.text, path


def test_without_a_folder_nothing_is_kept(client: TestClient) -> None:
    login(client, "banzhang")
    assert client.get("/api/supervisor/report-archive").json() == {"kept": False, "files": []}
