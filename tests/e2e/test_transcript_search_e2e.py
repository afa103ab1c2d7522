"""转写检索 in real headless Chromium: the city supervisor searches the transcripts from the board
(首页) with two words, sees the one call holding both with the words marked and its caller masked,
pages on; seat 1001 finds the same call from its workspace, seat 1002 finds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.settings import DEMO_ADMIN_PASSWORD
from core.calls import CallRecord, CallStatus, TranscriptLine
from core.ids import CallId, SeatId
from tests.e2e.test_seat_console_e2e import Server, _browser, server  # noqa: F401 (fixture)
from tests.support.browser import CHROMIUM

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (CI installs it)")


def _seed(server: Server) -> None:  # noqa: F811
    repos = server.runtime.repos
    now = datetime.now(UTC)
    for i in range(12):  # 12 calls say 工资; the newest also 仲裁
        call = CallId(f"ts-{i:02d}")
        repos.calls.save(
            CallRecord(
                id=call,
                caller_number="13812345678",
                offered_at=now - timedelta(minutes=30 - i),
                status=CallStatus.ANSWERED,
                seat_id=SeatId("1001"),
                queue="q-310106-labor",
                district_code="310106",
            )
        )
        text = "老板拖欠工资，想申请劳动仲裁" if i == 11 else f"第{i}次问工资的事"
        line = TranscriptLine(
            call_id=call, leg="mixed", seq=1, text=text, start_s=3.0, end_s=6.0, final=True, at=now
        )
        repos.transcripts.add(line)


def _log_in(page, base: str, user: str, lands: str) -> None:
    page.goto(base + "/")
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(DEMO_ADMIN_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + lands)


def test_given_transcripts_when_searched_from_the_board_and_the_seat_then_marked_hits_in_scope(
    server: Server,  # noqa: F811
) -> None:
    from playwright.sync_api import expect, sync_playwright

    _seed(server)
    with sync_playwright() as pw:
        browser = _browser(pw)
        try:
            page = browser.new_context(locale="zh-CN").new_page()
            _log_in(page, server.url, "banzhang", "/")
            box = page.locator("#transcript-search")
            box.get_by_label("检索通话转写内容").fill("工资　仲裁")
            box.get_by_role("button", name="检索").click()
            hits = box.locator("li.transcript-hit")
            expect(hits).to_have_count(1)
            expect(hits.first).to_have_attribute("data-call", "ts-11")
            expect(hits.first.locator("mark")).to_have_text(["工资", "仲裁"])
            expect(hits.first).to_contain_text("138****5678")
            expect(hits.first.get_by_role("button", name="收听通话录音")).to_be_visible()

            box.get_by_label("检索通话转写内容").fill("工资")
            box.get_by_role("button", name="检索").click()
            expect(hits).to_have_count(10)
            expect(hits.first).to_have_attribute("data-call", "ts-11")  # newest first
            box.get_by_role("button", name="下一页").click()
            expect(hits).to_have_count(2)
            expect(box.get_by_role("button", name="下一页")).to_be_disabled()

            box.get_by_label("检索通话转写内容").fill(" ")
            box.get_by_role("button", name="检索").click()
            expect(box.get_by_role("status")).to_have_text("请输入要检索的词语")
            assert "13812345678" not in page.content()

            seat = browser.new_context(locale="zh-CN").new_page()
            _log_in(seat, server.url, "seat1001", "/seat")
            sbox = seat.locator("#transcript-search")
            sbox.get_by_label("检索通话转写内容").fill("仲裁")
            sbox.get_by_role("button", name="检索").click()
            expect(sbox.locator("li.transcript-hit")).to_have_count(1)

            other = browser.new_context(locale="zh-CN").new_page()
            _log_in(other, server.url, "seat1002", "/seat")
            obox = other.locator("#transcript-search")
            obox.get_by_label("检索通话转写内容").fill("仲裁")
            obox.get_by_role("button", name="检索").click()
            expect(obox.get_by_role("status")).to_contain_text("没有找到")
        finally:
            browser.close()
