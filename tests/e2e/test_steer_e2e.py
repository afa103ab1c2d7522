"""End to end in real headless Chromium, through the demo's simulator: seat 1001 signs in in its
console; 静安's district supervisor pauses it from the board (班长示忙, a reason picked in the
dialog), the seat's console shows who did it and why and its row on the board shows it was forced;
then the supervisor makes it ready again (issue 16, steering seats)."""

from __future__ import annotations

import pytest

from tests.e2e.test_monitor_e2e import server  # noqa: F401  (the fixture: the demo over the simulator)
from tests.e2e.test_seat_console_e2e import Server, _browser, _login
from tests.support.browser import CHROMIUM, log_in

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (CI installs it)")


def test_given_a_signed_in_seat_when_its_supervisor_pauses_it_from_the_board_then_the_seat_sees_who_and_why(
    server: Server,  # noqa: F811
) -> None:
    from playwright.sync_api import expect, sync_playwright

    rt = server.runtime
    with sync_playwright() as pw:
        browser = _browser(pw)
        try:
            seat = browser.new_context(locale="zh-CN").new_page()
            _login(seat, server.url, "seat1001")
            seat.get_by_role("button", name="签入").click()
            expect(seat.locator("#state-label")).to_have_text("空闲", timeout=10_000)

            boss = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
            log_in(boss, server.url, "jingan")
            expect(boss.locator("#who")).to_contain_text("班长")
            boss.goto(server.url + "/supervisor")
            row = boss.locator('#seats tr[data-seat="1001"]')
            expect(row.get_by_role("button", name="示忙")).to_be_visible(timeout=15_000)
            expect(boss.locator('#seats tr[data-seat="1003"]')).to_have_count(0)  # not 静安's seat

            row.get_by_role("button", name="示忙").click()
            dialog = boss.locator("#steer-dlg")
            expect(dialog).to_be_visible()
            expect(dialog.locator("#steer-title")).to_have_text("班长示忙：坐席 1001")
            expect(dialog.locator("#steer-reason option")).not_to_contain_text(["未接来电自动示忙"])
            dialog.locator("#steer-reason").select_option("meeting")
            dialog.locator("#steer-note").fill("全员例会")
            dialog.get_by_role("button", name="确定").click()

            expect(seat.locator("#state-label")).to_have_text("示忙", timeout=15_000)
            expect(seat.locator("#steered")).to_contain_text("将您示忙：会议；全员例会")
            expect(row.locator("td.st-paused")).to_contain_text("班长示忙：会议", timeout=15_000)

            row.get_by_role("button", name="示闲").click()
            expect(dialog).to_be_visible()
            dialog.get_by_role("button", name="确定").click()
            expect(seat.locator("#state-label")).to_have_text("空闲", timeout=15_000)
            expect(seat.locator("#steered")).to_contain_text("将您示闲")
            expect(row.locator("td.st-available")).to_contain_text("班长示闲")
        finally:
            browser.close()

    entries = list(reversed(rt.repos.audit.recent(prefixes=("steer.",))))
    assert [(e.action, e.actor, e.target) for e in entries] == [
        ("steer.pause", "u-jingan", "1001"),
        ("steer.ready", "u-jingan", "1001"),
    ]
    assert entries[0].detail["reason"] == "meeting" and entries[0].detail["note"] == "全员例会"
