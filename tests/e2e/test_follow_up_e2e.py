"""End to end in real headless Chromium: a district supervisor finds a 回访 order on the orders page
(its own filter), sees the rated call, records the outcome through the form (a missing field is
refused in Chinese, the dialog stays open), and the board's 回访统计 counts it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

from app.main import build_app
from app.settings import DEMO_ADMIN_PASSWORD
from core.clock import CHINA_TZ
from tests.console.test_follow_up_api import add_follow_up
from tests.support.app import demo_test_settings
from tests.support.browser import ARGS, CHROMIUM
from tests.support.live_server import live_server


@pytest.fixture
def fu_server(tmp_path: Path) -> Iterator[tuple[str, FastAPI]]:
    app = build_app(demo_test_settings(tmp_path, "e2e-fu.db"))
    with live_server(app, start_timeout=20) as live:
        yield live.url, app


def test_given_a_follow_up_when_the_supervisor_records_its_outcome_then_the_order_closes_and_the_board_counts_it(
    fu_server: tuple[str, FastAPI],
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser test needs the system Chromium")
    from playwright.sync_api import expect, sync_playwright

    base, app = fu_server
    rated_at = datetime.now(UTC) - timedelta(minutes=30)
    order_id = add_follow_up(app.state.runtime, "e2e-rated-call", at=rated_at)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.goto(base + "/")
            page.fill("input[name=username]", "jingan")
            page.fill("input[name=password]", DEMO_ADMIN_PASSWORD)
            page.click("#login button[type=submit]")
            expect(page.locator("#who")).to_be_visible()
            page.goto(base + "/orders")
            page.select_option("#f-kind", "follow_up")
            row = page.locator(f"tr[data-id='{order_id}']")
            expect(row).to_contain_text("不满意回访")
            expect(row).to_contain_text("被评价：张律师 · 劳动争议 · 不满意")
            expect(row).to_contain_text("138****5678")
            assert page.locator("#orders tr").count() == 1  # the 回访 filter: no callback order

            row.get_by_role("button", name="记录回访结果").click()
            dialog = page.locator("#follow-dlg")
            expect(dialog).to_be_visible()
            dialog.get_by_label("已联系上").check()
            dialog.get_by_label("已解决").check()
            dialog.locator("textarea[name=note]").fill("已再次解答，来电人表示理解")
            dialog.get_by_role("button", name="保存回访结果").click()
            expect(page.locator("#follow-error")).to_have_text("请选择回访后满意度")
            expect(dialog).to_be_visible()
            dialog.locator("#follow-satisfaction").select_option(label="基本满意")
            dialog.get_by_role("button", name="保存回访结果").click()
            expect(dialog).to_be_hidden()
            expect(row).to_contain_text("回访结果：已联系上，问题已解决，回访后基本满意")
            expect(row).to_contain_text("已结案（已接通）")

            page.goto(base + "/supervisor")
            page.select_option("#r-period", "month")
            page.fill("#r-date", rated_at.astimezone(CHINA_TZ).date().isoformat())
            page.click("#r-show")
            team = page.locator("#follow-ups tr", has_text="静安区坐席团队")
            expect(team).to_contain_text("100.0%")
            cells = team.locator("td")
            expect(cells.nth(1)).to_have_text("1")
            expect(cells.nth(2)).to_have_text("1")
            assert "13812345678" not in page.content()
        finally:
            browser.close()
