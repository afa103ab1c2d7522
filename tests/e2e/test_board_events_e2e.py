"""End to end in headless Chromium: the event board (`/`) folds pushed call events into its recent
calls and counters, without reading `/api/calls/recent` again (issue 13).

The app is `build_app` with demo settings and the PBX simulator, exactly as `hotline demo` composes
it (only ports, the database path, and the simulator's own call generator and seat auto-login are
set by the test). A city-wide supervisor is pushed the call's every event from its offer on: after
the first load the table follows the call with no request. A district supervisor is first pushed
the call when it rings one of their seats (it went to a city-wide queue): a call not in their table
is read again (the defined fallback) until it is theirs (answered by their seat), then followed from
the pushes. A resync reloads the table. Skipped only when /usr/bin/chromium is missing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from app.runtime import Runtime
from core.calls import CallStatus
from core.events import StateResynced
from pbx.sim.model import CallerSpec
from tests.support.app import simulated_app
from tests.support.browser import ARGS, CHROMIUM, log_in

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="需要 /usr/bin/chromium")

NUMBER = "13812345678"
MASKED = "138****5678"
RECENT = "/api/calls/recent"


@pytest.fixture(scope="module")
def app_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Runtime, asyncio.AbstractEventLoop]]:
    with simulated_app(tmp_path_factory.mktemp("e2e-board") / "e2e-board.db") as (app, live):
        yield live.url, app.state.runtime, live.loop


def _board(browser: Any, base: str, user: str, errors: list[str]) -> tuple[Any, list[str]]:
    """`user`'s board, loaded, and the `/api/calls/recent` requests it makes from now on."""
    from playwright.sync_api import expect

    page = browser.new_context(locale="zh-CN").new_page()
    page.on("pageerror", lambda exc: errors.append(f"{user}: {exc}"))
    log_in(page, base, user)
    expect(page.locator("#calls-count")).to_contain_text("最近")
    expect(page.locator("#conn")).to_have_class("badge on")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if RECENT in r.url else None)
    return page, requests


def test_given_the_board_when_a_call_comes_and_ends_then_its_row_follows_the_pushes_and_a_resync_reloads(
    app_server: tuple[str, Runtime, asyncio.AbstractEventLoop],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, runtime, loop = app_server

    def run(coro: Any) -> None:
        asyncio.run_coroutine_threadsafe(coro, loop).result(15)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            errors: list[str] = []
            city, city_requests = _board(browser, base, "banzhang", errors)
            district, district_requests = _board(browser, base, "jingan", errors)
            before = {
                name: {
                    k: int(page.locator(f"#k-{k}").inner_text()) for k in ("offered", "talking", "answered")
                }
                for name, page in (("city", city), ("district", district))
            }

            seat = browser.new_context(locale="zh-CN").new_page()
            log_in(seat, base, "seat1001")
            expect(seat.locator("#state-label")).to_have_text("离线")
            seat.get_by_role("button", name="签入").click()
            expect(seat.locator("#state-label")).to_have_text("空闲", timeout=10_000)

            async def place() -> None:
                assert runtime.simulator is not None
                runtime.simulator.place_call(
                    CallerSpec(endpoint=NUMBER, number=NUMBER, dtmf="12", district="310106", talk_time=4.0)
                )

            # Offered, routed to Jing'an's labour queue, rung at 1001, answered, ended by the caller.
            run(place())
            for page in (city, district):
                row = page.locator("#calls tr").filter(has_text=MASKED)
                expect(row).to_have_attribute("data-status", "talking", timeout=15_000)
                expect(row.locator("td").nth(2)).to_have_text(CallStatus.TALKING.label)
                expect(row.locator("td").nth(4)).to_have_text("1001")
            expect(city.locator("#k-talking")).to_have_text(str(before["city"]["talking"] + 1))
            expect(city.locator("#k-offered")).to_have_text(str(min(20, before["city"]["offered"] + 1)))
            for page, name in ((city, "city"), (district, "district")):
                row = page.locator("#calls tr").filter(has_text=MASKED)
                expect(row).to_have_attribute("data-status", "answered", timeout=15_000)
                expect(row.locator("td").nth(2)).to_have_text(CallStatus.ANSWERED.label)
                expect(page.locator("#k-talking")).to_have_text(str(before[name]["talking"]))
                expect(row.get_by_role("button", name="收听通话录音")).to_be_visible()
            expect(city.locator("#k-answered")).to_have_text(str(min(20, before["city"]["answered"] + 1)))
            seat.close()

            city.wait_for_timeout(1500)  # well past the half-second debounce a reload would wait
            # The city-wide board saw the call from its offer: nothing was read again.
            assert city_requests == []
            # The district's board first heard of the call when it rang their seat, and read it
            # again then and once it was answered (it is theirs from then on).
            assert 1 <= len(district_requests) <= 3, district_requests
            shown = city.locator("#calls tr").filter(has_text=MASKED).locator("td").all_inner_texts()

            # A resync (the PBX link came back, or the socket fell behind) reloads the table, which
            # then shows what the pushes had made of the call.
            with city.expect_request(lambda r: RECENT in r.url, timeout=10_000):
                run(runtime.bus.publish(StateResynced(at=dt.datetime.now(dt.UTC), source="test")))
            expect(city.locator('#events li[data-type="StateResynced"]')).to_contain_text("状态已重新同步")
            city.wait_for_timeout(500)
            assert city.locator("#calls tr").filter(has_text=MASKED).locator("td").all_inner_texts() == shown
            assert len(city_requests) == 1
            assert errors == []
            # What the pushes made of the call is what the API serves for it.
            served = next(
                c
                for c in city.request.get(f"{base}{RECENT}?limit=20").json()["calls"]
                if c["caller"] == MASKED
            )
            assert shown[1:5] == [
                served["caller"],
                served["status_label"],
                served["queue"],
                served["seat_id"],
            ]
        finally:
            browser.close()
