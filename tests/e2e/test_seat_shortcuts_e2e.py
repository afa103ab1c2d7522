"""End to end in headless Chromium: the seat's 今日个人数据 panel follows its calls as they end
(pushed events, no polling), and the keyboard shortcuts act, but never while typing in a field.
What the server counts is tested in tests/console/test_seat_api.py: here the simulator stamps calls
with the real time while the app's clock is moved to a working Monday, so a reload would read
another day.

The app, the PBX simulator and the browser helpers are those of `test_seat_console_e2e`."""

from __future__ import annotations

import re
from typing import Any

import pytest

from core.ids import CallId, SeatId
from core.ivr_events import SurveyAnswered, SurveyRating
from tests.e2e import test_seat_console_e2e as seat_e2e
from tests.e2e.test_seat_console_e2e import (
    Server,
    _browser,
    _call,
    _login,
    _seat_1001,
    _seat_call_id,
)
from tests.support.browser import CHROMIUM

server = seat_e2e.server  # the app with the PBX simulator: that module's fixture, used here too

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (CI installs it)")


def test_given_seat_1001_when_its_call_ends_and_is_rated_then_todays_figures_update_in_place(
    server: Server,
) -> None:
    from playwright.sync_api import expect

    with _seat_1001(server) as page:
        expect(page.locator("#today-answered")).to_have_text("0 通")
        expect(page.locator("#today-satisfaction")).to_have_text("暂无评价")
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))

        _call(server, "13812345678", talk_time=2)
        expect(page.locator("#state-label")).to_have_text("通话中", timeout=15_000)
        call_id = _seat_call_id(server)
        expect(page.locator("#today-answered")).to_have_text("1 通", timeout=15_000)
        talked = re.compile(r"^[23]秒$")  # the caller talks for 2 s (the simulator's timing, rounded)
        expect(page.locator("#today-talk")).to_have_text(talked)
        expect(page.locator("#today-average")).to_have_text(talked)

        rated = SurveyAnswered(
            call_id=CallId(call_id),
            seat_id=SeatId("1001"),
            rating=SurveyRating.SATISFIED,
            at=server.runtime.clock.now(),
        )
        server.run(server.runtime.bus.publish(rated))
        expect(page.locator("#today-satisfaction")).to_have_text("100.0%（满意 1 / 评价 1）", timeout=10_000)
        assert not [u for u in requests if u.endswith("/api/seat/today")], (
            "the panel must apply pushes, not ask"
        )


def test_given_the_keyboard_when_pressing_shortcuts_then_they_act_but_not_while_typing(
    server: Server,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = _browser(pw)
        try:
            page: Any = browser.new_context(
                viewport={"width": 1440, "height": 1000}, locale="zh-CN"
            ).new_page()
            _login(page, server.url, "seat1001")
            expect(page.locator("#state-label")).to_have_text("离线")
            page.keyboard.press("Alt+2")  # 示忙 is disabled while offline: the shortcut does nothing
            page.wait_for_timeout(500)
            expect(page.locator("#state-label")).to_have_text("离线")
            page.keyboard.press("Alt+1")  # 签入
            expect(page.locator("#state-label")).to_have_text("空闲", timeout=10_000)

            question = page.locator("#f-question")
            question.click()
            page.keyboard.type("工资?")  # a plain "?" typed into a field is text, not the help
            expect(question).to_have_value("工资?")
            page.wait_for_timeout(300)
            expect(page.locator("#shortcuts-dialog")).not_to_be_visible()

            page.locator("#state-label").click()  # focus out of the field: now "?" opens the list
            page.keyboard.press("Shift+?")
            dialog = page.locator("#shortcuts-dialog")
            expect(dialog).to_be_visible()
            expect(dialog.get_by_role("row", name="Alt+1 签入 / 示闲")).to_be_visible()
            page.keyboard.press("Escape")
            expect(dialog).not_to_be_visible()
            page.get_by_role("button", name="快捷键").click()
            expect(dialog).to_be_visible()
        finally:
            browser.close()
