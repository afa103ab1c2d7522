"""End to end in real headless Chromium, through the demo's simulator (issue 16): while seat 1001
talks, the quality inspector picks the call on 实时监听 and listens through their own phone; the
静安 district supervisor pauses the talking seat from the board: no 409, the seat's console shows
“班长已安排：本通话结束后示忙（会议）”, the board shows it pending; the seat hangs up and is paused
at once, and the inspector's monitor ends with the call."""

from __future__ import annotations

import pytest

from core.ids import SeatId, UserId
from pbx.sim.demo import DEMO_SUPERVISOR_PHONES
from store.supervisor_phones import SupervisorPhoneRepository
from tests.e2e.test_monitor_e2e import server  # noqa: F401  (the fixture: the demo over the simulator)
from tests.e2e.test_seat_console_e2e import Server, _browser, _call, _login
from tests.support.browser import CHROMIUM, log_in

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (CI installs it)")


def test_given_a_talking_seat_when_an_inspector_listens_and_its_supervisor_pauses_it_then_paused_after_the_call(
    server: Server,  # noqa: F811
) -> None:
    from playwright.sync_api import expect, sync_playwright

    rt = server.runtime
    SupervisorPhoneRepository(rt.repos.db).save(UserId("u-qc"), DEMO_SUPERVISOR_PHONES[1], "pw-desk-8002")
    with sync_playwright() as pw:
        browser = _browser(pw)
        try:
            seat = browser.new_context(locale="zh-CN").new_page()
            _login(seat, server.url, "seat1001")
            seat.get_by_role("button", name="签入").click()
            expect(seat.locator("#state-label")).to_have_text("空闲", timeout=10_000)
            _call(server, "13800000017")
            expect(seat.locator("#state-label")).to_have_text("通话中", timeout=20_000)
            call_id = rt.board.state(SeatId("1001")).call_id if rt.board else None
            assert call_id

            qc = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
            log_in(qc, server.url, "zhijian")
            qc.locator("#nav").get_by_role("link", name="实时监听").click()
            row = qc.locator('#rows tr[data-seat="1001"]')
            expect(row).to_be_visible(timeout=15_000)
            expect(row.get_by_role("button", name="强插")).to_have_count(0)  # 质检员: listen and whisper only
            row.get_by_role("button", name="监听").click()
            expect(qc.locator("#state")).to_have_text("监听中：坐席 1001", timeout=15_000)

            boss = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
            log_in(boss, server.url, "jingan")
            expect(boss.locator("#who")).to_contain_text("班长")
            boss.goto(server.url + "/supervisor")
            seat_row = boss.locator('#seats tr[data-seat="1001"]')
            expect(seat_row.get_by_role("button", name="示忙")).to_be_visible(timeout=15_000)
            seat_row.get_by_role("button", name="示忙").click()
            dialog = boss.locator("#steer-dlg")
            dialog.locator("#steer-reason").select_option("meeting")
            dialog.get_by_role("button", name="确定").click()

            expect(seat.locator("#steered")).to_contain_text(
                "班长已安排：本通话结束后示忙（会议）", timeout=15_000
            )
            expect(seat.locator("#state-label")).to_have_text("通话中")
            expect(seat_row.locator(".pending")).to_contain_text(
                "待示忙：本通话结束后（会议）", timeout=15_000
            )

            seat.once("dialog", lambda d: d.accept())  # 确认挂断当前通话？
            seat.get_by_role("button", name="挂机").click()
            expect(seat.locator("#state-label")).to_have_text("示忙", timeout=20_000)
            expect(seat.locator("#steered")).to_contain_text("在通话结束后将您示忙：会议")
            expect(seat_row.locator("td.st-paused")).to_contain_text("班长示忙：会议", timeout=15_000)
            expect(seat_row.locator(".pending")).to_have_count(0)
            expect(qc.locator("#state")).to_have_text("未在监听", timeout=15_000)
        finally:
            browser.close()

    steer = [(e.action, e.actor) for e in reversed(rt.repos.audit.recent(prefixes=("steer.",)))]
    assert steer == [("steer.pause_queued", "u-jingan"), ("steer.pause", "u-jingan")]
    monitor = [(e.action, e.actor) for e in reversed(rt.repos.audit.recent(prefixes=("monitor.",)))]
    assert monitor[0] == ("monitor.start", "u-qc") and monitor[-1][0] == "monitor.end"
