"""End to end in real headless Chromium (质检): the quality inspector logs in, lands on the QC page,
finds a flagged call in the queue, opens it and scores it on the form; the seat then sees its
score on its own QC page and appeals it with a reason; the supervisor's board shows the QC figures."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI

from app.main import build_app
from app.settings import DEMO_ADMIN_PASSWORD
from tests.console.test_qc_api import answered_call, queue_for_qc
from tests.support.app import demo_test_settings
from tests.support.browser import ARGS, CHROMIUM
from tests.support.live_server import live_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CALL = "e2e-qc-call"


@pytest.fixture
def qc_server(tmp_path: Path) -> Iterator[tuple[str, FastAPI]]:
    app = build_app(demo_test_settings(tmp_path, "e2e-qc.db"))
    with live_server(app, start_timeout=20) as live:
        yield live.url, app


def _login(browser: Browser, base: str, user: str) -> Page:
    from playwright.sync_api import expect

    page = browser.new_page(locale="zh-CN")
    page.goto(base + "/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", DEMO_ADMIN_PASSWORD)
    page.click("#login button[type=submit]")
    expect(page.locator("#who")).to_be_visible()
    return page


def test_given_a_queued_call_when_the_inspector_scores_it_then_the_seat_sees_the_score_and_appeals(
    qc_server: tuple[str, FastAPI],
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser test needs the system Chromium")
    from playwright.sync_api import expect, sync_playwright

    base, app = qc_server
    answered_call(app.state.runtime, CALL, talk=95.0)
    queue_for_qc(app, CALL)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            inspector = _login(browser, base, "zhijian")
            expect(inspector).to_have_url(base + "/qc")  # the inspector's home is the QC page
            inspector.select_option("#f-status", "pending")
            inspector.click("#f-apply")
            row = inspector.locator(f"#queue-rows tr[data-call-id='{CALL}']")
            expect(row).to_contain_text("待质检")
            row.get_by_role("button", name="评分").click()
            expect(inspector.locator("#d-call")).to_have_text(CALL)
            expect(inspector.locator("#recording")).to_have_attribute("data-call-id", CALL)
            inspector.get_by_label("法律解答准确").fill("28")
            inspector.get_by_label("服务禁语").fill("15")
            expect(inspector.locator("#score-total")).to_have_text("83")
            inspector.fill("#score-form textarea[name=comment]", "法律依据引用不全")
            inspector.click("#score-submit")
            expect(inspector.locator("#score-error")).to_have_text("")
            expect(inspector.locator("#d-facts")).to_contain_text("已评分")
            inspector.select_option("#f-status", "scored")
            inspector.click("#f-apply")
            expect(row).to_contain_text("已评分")
            expect(row).to_contain_text("83 / 100")
            inspector.close()

            seat = _login(browser, base, "seat1001")
            seat.get_by_role("link", name="我的质检").click()
            mine = seat.locator(f"#mine-rows tr[data-call-id='{CALL}']")
            expect(mine).to_contain_text("83 / 100")
            expect(mine).to_contain_text("法律依据引用不全")
            mine.get_by_role("button", name="查看").click()
            expect(seat.locator("#score-submit")).to_be_hidden()
            seat.fill("#appeal-form textarea[name=reason]", "录音第 2 分钟已引用劳动合同法第 47 条")
            seat.click("#appeal-form button[type=submit]")
            expect(mine).to_contain_text("申诉中")
            expect(seat.locator("#appeal-state")).to_contain_text("劳动合同法第 47 条")
            expect(seat.locator("#appeal-form")).to_be_hidden()  # once per inspection
            seat.close()

            # The supervisor's board shows the QC figures of the report's period.
            board = _login(browser, base, "jingan")
            board.goto(base + "/supervisor")
            board.select_option("#r-period", "week")
            board.fill("#r-date", "2026-11-25")
            board.click("#r-show")
            seat_row = board.locator("#qc-report tr", has_text="坐席 张律师")
            expect(seat_row).to_contain_text("100.0%")  # 1 answered call, inspected
            expect(seat_row).to_contain_text("83.0%")
        finally:
            browser.close()


def test_given_the_admin_on_the_qc_page_when_editing_the_phrase_lists_then_they_are_saved_and_errors_shown(
    qc_server: tuple[str, FastAPI],
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser test needs the system Chromium")
    from playwright.sync_api import expect, sync_playwright

    base, app = qc_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            admin = _login(browser, base, "admin")
            admin.goto(base + "/qc")
            forbidden = admin.locator("#phrases-edit textarea[name=forbidden]")
            expect(forbidden).to_have_value(re.compile("不归我们管"))
            admin.fill("#phrases-edit textarea[name=greetings]", "您好\n您好")
            admin.click("#phrases-edit button[type=submit]")
            expect(admin.locator("#phrases-result")).to_contain_text("开头语重复")
            admin.fill("#phrases-edit textarea[name=greetings]", "您好\n\n 早上好 \n")
            admin.click("#phrases-edit button[type=submit]")
            expect(admin.locator("#phrases-result")).to_have_text("服务禁语与规范用语已保存")
            expect(admin.locator("#phrases-edit textarea[name=greetings]")).to_have_value("您好\n早上好")
            assert app.state.qc_backend.phrases().greetings == ("您好", "早上好")
            admin.close()

            inspector = _login(browser, base, "zhijian")  # not an admin: no editing section
            expect(inspector.locator("#queue")).to_be_visible()
            expect(inspector.locator("#phrases-edit")).to_be_hidden()
        finally:
            browser.close()
