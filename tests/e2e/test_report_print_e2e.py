"""End to end in real headless Chromium: the printable report (打印版报表) of a seeded day shows the
same figures as its JSON and the XLSX, with the scope and period in its title; printed, the
navigation and the controls are gone. Also: the supervisor page links to it, and lists the archive
(报表归档) with download links.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from openpyxl import load_workbook

from app.main import build_app
from core.calls import CallRecord, CallStatus
from core.ids import CallId, SeatId
from seats.records import CheckedRecord
from store.consultations import ConsultationRepository
from tests.support.app import demo_test_settings
from tests.support.browser import ARGS, CHROMIUM, log_in
from tests.support.live_server import live_server

AT = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 China time
DAY = "period=day&date=2026-11-25"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, FastAPI]]:
    folder = tmp_path / "reports"
    (folder / "day").mkdir(parents=True)
    (folder / "day" / "12348报表-全市-日报-2026-11-20.xlsx").write_bytes(b"PK-city")
    (folder / "day" / "12348报表-静安区-日报-2026-11-20.xlsx").write_bytes(b"PK-jingan")
    settings = demo_test_settings(tmp_path, "print.db", web={"report_archive_dir": str(folder)})
    app = build_app(settings)
    with live_server(app, start_timeout=30) as live:
        yield live.url, app


def _seed(app: FastAPI) -> None:
    rt = app.state.runtime
    rows = [
        ("p1", "310106", "labor", CallStatus.ANSWERED, 5.0, "1001"),
        ("p2", "310106", "labor", CallStatus.ANSWERED, 25.0, "1002"),
        ("p3", "310106", "family", CallStatus.ABANDONED, 40.0, None),
        ("p4", "310115", "family", CallStatus.ANSWERED, 12.0, "1003"),
        ("p5", "310115", "traffic", CallStatus.ABANDONED, 70.0, None),
    ]
    for i, (cid, district, category, status, wait, seat) in enumerate(rows):
        at = AT + timedelta(minutes=7 * i)
        answered = status is CallStatus.ANSWERED
        rt.repos.calls.save(
            CallRecord(
                id=CallId(cid),
                caller_number="13812348000",
                offered_at=at,
                status=status,
                queue=f"q-{district}-{category}",
                district_code=district,
                category=category,
                seat_id=SeatId(seat) if seat else None,
                answered_at=at + timedelta(seconds=wait) if answered else None,
                wait_seconds=wait,
                talk_seconds=180.0 if answered else None,
            )
        )
    records = ConsultationRepository(rt.repos.db)
    for cid, seat, question in (("p1", "1001", "拖欠工资怎么办"), ("p2", "1002", "拖欠工资，申请仲裁")):
        records.save(CallId(cid), SeatId(seat), CheckedRecord(question=question), AT, final=True)


def _table(page: Any, selector: str) -> dict[str, list[str]]:
    rows = page.locator(f"{selector} tbody tr").evaluate_all(
        "trs => trs.map(tr => [...tr.children].map(td => td.textContent.trim()))"
    )
    return {r[0]: r[1:] for r in rows}


def _shown(columns: list[dict[str, Any]], kpis: dict[str, Any]) -> list[str]:
    """A row as the page should show it: as the XLSX formats it (counts whole, rates as percentages
    to one place, seconds to one place)."""
    assert [c["decimals"] for c in columns] == [0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1]
    out = []
    for c in columns:
        v = kpis[c["key"]]
        if v is None:
            out.append("")
        elif c["percent"]:
            out.append(f"{v * 100:.{c['decimals']}f}%")
        else:
            out.append(f"{v:.{c['decimals']}f}")
    return out


def test_the_printable_report_shows_the_figures_of_the_json_and_the_xlsx(
    server: tuple[str, FastAPI], tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser test needs the system Chromium")
    from playwright.sync_api import expect, sync_playwright

    base, app = server
    _seed(app)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000}, locale="zh-CN")
            log_in(page, base, "banzhang")
            expect(page.locator("#who")).to_contain_text("市级班长")

            # the supervisor page: a link to the printable report of the chosen period, and the archive
            page.goto(base + "/supervisor")
            page.select_option("#r-period", "week")
            page.fill("#r-date", "2026-11-25")
            page.dispatch_event("#r-date", "change")
            expect(page.locator("#r-printable")).to_have_attribute(
                "href", "/report?period=week&date=2026-11-25"
            )
            expect(page.locator("#report-archive")).to_be_visible()
            # (the archive also writes yesterday's files now: the city sees those too)
            link = page.locator('#ra-files a[download="12348报表-静安区-日报-2026-11-20.xlsx"]')
            expect(link).to_have_count(1)
            href = link.get_attribute("href")
            assert href is not None and page.request.get(base + href).body() == b"PK-jingan"

            page.goto(f"{base}/report?{DAY}")
            expect(page.locator("#report-page")).to_be_visible()
            expect(page.locator("#title")).to_have_text("12348 公共法律服务热线 日报（全市）2026-11-25")
            body = page.request.get(f"{base}/api/supervisor/breakdown?{DAY}").json()
            xlsx = load_workbook(
                io.BytesIO(page.request.get(f"{base}/api/supervisor/report.xlsx?{DAY}").body())
            )
            cols = body["columns"]

            summary = _table(page, "#report-page section.block:first-of-type table")
            assert summary["合计"] == _shown(cols, body["report"]["total"])
            assert summary["合计"][:4] == ["5", "3", "2", "60.0%"]
            sheet_total = next(r for r in xlsx["汇总"].iter_rows(values_only=True) if r[0] == "合计")
            assert [int(x) for x in summary["合计"][:3]] == list(sheet_total[1:4])
            assert f"{sheet_total[4] * 100:.1f}%" == summary["合计"][3]

            titles = page.locator("#tables section h2").all_text_contents()
            assert titles == ["按区", "按团队", "按坐席", "按队列", "按法律类别"]
            for t in body["tables"]:
                shown = _table(page, f'#tables section[data-table="{t["title"]}"]')
                assert {r["label"]: _shown(cols, r["kpis"]) for r in t["rows"]} == {
                    k: v for k, v in shown.items() if k != "合计"
                }, t["title"]
                sheet = {r[0]: r[1:] for r in xlsx[t["title"]].iter_rows(min_row=5, values_only=True) if r[0]}
                assert {k: [int(x) for x in v[:3]] for k, v in shown.items()} == {
                    k: list(v[:3]) for k, v in sheet.items()
                }, t["title"]
            districts = _table(page, '#tables section[data-table="按区"]')
            assert districts["静安区"][:3] == ["3", "2", "1"] and districts["浦东新区"][:3] == ["2", "1", "1"]

            hot = _table(page, "#hot table:not(.words)")
            assert hot["劳动争议"][:3] == ["2", "0", "+2"] and hot["交通事故"][:3] == ["1", "0", "+1"]
            words = _table(page, "#hot table.words")
            assert words["拖欠工资"] == ["2"]
            assert [r[0] for r in xlsx["热点"].iter_rows(values_only=True)].count("拖欠工资") == 1
            expect(page.locator("#definitions")).to_contain_text("接通率 = 接通 ÷（接通 + 放弃）")

            # printed: no navigation, no controls; the tables stay
            page.emulate_media(media="print")
            expect(page.locator("#nav")).to_be_hidden()
            expect(page.locator("#controls")).to_be_hidden()
            expect(page.locator("#tables table").first).to_be_visible()
            assert (
                page.locator("#tables tr").first.evaluate("tr => getComputedStyle(tr).breakInside") == "avoid"
            )
            page.pdf(path=str(tmp_path / "report.pdf"))  # lays out for paper without error
            page.emulate_media(media="screen")

            # a district supervisor: their district in the title, their figures only
            page.context.clear_cookies()
            log_in(page, base, "jingan")
            expect(page.locator("#who")).to_contain_text("静安")
            page.goto(f"{base}/report?period=week&date=2026-11-25")
            expect(page.locator("#title")).to_have_text(
                "12348 公共法律服务热线 周报（静安区）2026-11-23 至 2026-11-29"
            )
            assert set(_table(page, '#tables section[data-table="按区"]')) == {"静安区", "合计"}
            assert "交通事故" not in _table(page, "#hot table:not(.words)")
            # a seat: told in Chinese, no figures
            page.context.clear_cookies()
            log_in(page, base, "seat1001")
            expect(page.locator("#who")).to_contain_text("坐席")
            page.goto(f"{base}/report?{DAY}")
            expect(page.locator("#denied")).to_have_text("仅班长和管理员可以查看报表。")
            expect(page.locator("#report-page")).to_be_hidden()
        finally:
            browser.close()
