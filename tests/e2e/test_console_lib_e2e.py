"""End to end in headless Chromium: the shared console lib (one nav bar, pushed events applied in place).

The app is `build_app` with demo settings and the PBX simulator, exactly as `hotline demo` composes
it: no router or backend is mounted by the test (only ports, database path, and the simulator's
own call generator and seat auto-login are turned off). Skipped only when /usr/bin/chromium is
missing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD
from callbacks.models import MissedCall, MissReason, WorkOrder, WorkOrderStatus
from core.calls import CallRecord, CallStatus
from core.ids import CallId, TeamId, WorkOrderId
from pbx.sim.model import CallerSpec
from tests.support.app import simulated_app
from tests.support.browser import ARGS, CHROMIUM, log_in

PAGES = ["/", "/seat", "/supervisor", "/orders", "/offices", "/schedule", "/qc"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="需要 /usr/bin/chromium")


@dataclass
class Server:
    url: str
    runtime: Runtime
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self.loop).result(15)


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with simulated_app(tmp_path_factory.mktemp("e2e-lib") / "e2e-lib.db") as (app, live):
        yield Server(live.url, app.state.runtime, live.loop)


@pytest.fixture
def server(app_server: Server) -> str:
    return app_server.url


def _login(page: Any, base: str, user: str) -> None:
    from playwright.sync_api import expect

    log_in(page, base, user)
    expect(page.locator("#nav a").first).to_be_visible()


def _collect(errors: list[str], who: str) -> Any:
    return lambda exc: errors.append(f"{who}: {exc}")


def _nav(page: Any) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = page.locator("#nav a").evaluate_all(
        "els => els.map(a => [a.getAttribute('href'), a.textContent])"
    )
    return [(h, t) for h, t in links]


def test_given_each_role_when_it_opens_every_page_then_the_nav_bar_is_the_same_everywhere(
    server: str,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    seen: dict[str, dict[str, list[tuple[str, str]]]] = {}
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for user in ("seat1001", "banzhang", "admin"):
                context = browser.new_context(locale="zh-CN")
                page = context.new_page()
                page.on("pageerror", _collect(errors, user))
                _login(page, server, user)
                seen[user] = {}
                for path in PAGES:
                    page.goto(server + path)
                    expect(page.locator("#nav a").first).to_be_visible()
                    expect(page.locator("#who")).not_to_be_empty()
                    landed = page.evaluate("location.pathname")
                    seen[user][landed] = _nav(page)
                    here = page.locator("#nav a.here")
                    if any(h == landed for h, _ in seen[user][landed]):
                        expect(here).to_have_count(1)
                        assert here.get_attribute("href") == landed
                    else:
                        expect(here).to_have_count(0)
                context.close()
        finally:
            browser.close()
    assert errors == []
    for user, by_page in seen.items():
        navs = {tuple(v) for v in by_page.values()}
        assert len(navs) == 1, f"{user}: {by_page}"
        assert all(text for _, text in next(iter(navs)))
    seat_nav = {h for h, _ in next(iter({tuple(v) for v in seen["seat1001"].values()}))}
    sup_nav = {h for h, _ in next(iter({tuple(v) for v in seen["banzhang"].values()}))}
    assert "/seat" in seat_nav and "/supervisor" not in seat_nav
    assert "/supervisor" in sup_nav and "/seat" not in sup_nav


def test_given_the_supervisor_board_when_a_seat_signs_in_and_takes_a_call_then_its_row_changes_without_any_request(
    server: str, app_server: Server
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            sup = browser.new_context(locale="zh-CN").new_page()
            # A paused page clock: the board's periodic refreshes (15 s and more) cannot fire during
            # the test, while `run_for` below still runs any short debounced re-fetch.
            start = dt.datetime.now(dt.UTC)
            sup.clock.install(time=start)
            _login(sup, server, "banzhang")
            sup.goto(server + "/supervisor")
            sup.clock.pause_at(start + dt.timedelta(seconds=5))
            row = sup.locator('#seats tr[data-seat="1001"]')
            expect(row.locator("td").nth(2)).to_have_text("离线")
            expect(sup.locator("#conn")).to_have_class("badge on")
            requests: list[str] = []
            sup.on("request", lambda r: requests.append(r.url) if "/api/" in r.url else None)

            seat = browser.new_context(locale="zh-CN").new_page()
            _login(seat, server, "seat1001")
            expect(seat.locator("#state-label")).to_have_text("离线")
            seat.get_by_role("button", name="签入").click()
            expect(seat.locator("#state-label")).to_have_text("空闲", timeout=10_000)

            expect(row.locator("td").nth(2)).to_have_text("空闲", timeout=10_000)
            expect(row).to_have_attribute("data-status", "available")

            async def place() -> None:
                assert app_server.runtime.simulator is not None
                app_server.runtime.simulator.place_call(
                    CallerSpec(endpoint="13812345678", number="13812345678", dtmf="12", district="310106")
                )

            # A call: offered, queued, ringing at 1001, answered. Every event reaches the board.
            app_server.run(place())
            expect(seat.locator("#state-label")).to_have_text("通话中", timeout=15_000)
            expect(row).to_have_attribute("data-status", "talking", timeout=10_000)
            sup.clock.run_for(3000)  # well past any debounce; far from the 15 s refresh
            sup.wait_for_timeout(500)  # let a request, had one started, be reported
            assert requests == []
        finally:
            browser.close()


def test_given_two_tabs_of_one_seat_when_one_signs_in_then_the_other_shows_it_from_the_push_alone(
    server: str,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(locale="zh-CN")
            watcher = context.new_page()
            start = dt.datetime.now(dt.UTC)
            watcher.clock.install(time=start)
            _login(watcher, server, "seat1002")
            expect(watcher.locator("#state-label")).to_have_text("离线")
            expect(watcher.locator("#conn")).to_have_class("badge on")
            expect(watcher.locator("#queues")).to_have_text("未签入任何队列")
            # Paused: the queue list (which events do not carry) reloads on a short timer only
            # once the clock runs again, so the state change below can only come from the push.
            watcher.clock.pause_at(start + dt.timedelta(seconds=5))
            requests: list[str] = []
            watcher.on("request", lambda r: requests.append(r.url) if "/api/" in r.url else None)

            actor = context.new_page()
            actor.goto(server + "/seat")
            expect(actor.locator("#state-label")).to_have_text("离线")
            actor.get_by_role("button", name="签入").click()
            expect(actor.locator("#state-label")).to_have_text("空闲", timeout=10_000)

            expect(watcher.locator("#state-label")).to_have_text("空闲", timeout=10_000)
            expect(watcher.locator("#btn-login")).to_be_disabled()
            expect(watcher.locator("#btn-pause")).to_be_enabled()
            assert requests == []
            watcher.clock.run_for(2000)
            expect(watcher.locator("#queues")).to_contain_text("服务队列")
            assert any(u.endswith("/api/seat/state") for u in requests)
        finally:
            browser.close()


def test_given_the_orders_page_when_a_seat_claims_an_order_then_the_supervisor_row_changes_without_any_request(
    server: str, app_server: Server
) -> None:
    from playwright.sync_api import expect, sync_playwright

    rt = app_server.runtime
    now = dt.datetime.now(dt.UTC)
    order = WorkOrder(
        id=WorkOrderId("wo-e2e-lib"),
        caller_number="13912340000",
        reason=MissReason.ABANDONED,
        status=WorkOrderStatus.POOL,
        team_id=TeamId("team-310106"),
        created_at=now - dt.timedelta(minutes=5),
        deadline=now + dt.timedelta(hours=20),
    )
    rt.repos.work_orders.record_miss(
        MissedCall(
            call_id=CallId("e2e-lib-miss"), order_id=order.id, reason=order.reason, at=order.created_at
        ),
        order,
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            sup = browser.new_context(locale="zh-CN").new_page()
            start = dt.datetime.now(dt.UTC)
            sup.clock.install(time=start)
            _login(sup, server, "banzhang")
            sup.goto(server + "/orders")
            row = sup.locator('#orders tr[data-id="wo-e2e-lib"]')
            expect(row.locator("td").nth(4)).to_have_text("—")
            expect(sup.locator("#conn")).to_have_class("badge on")
            sup.clock.pause_at(start + dt.timedelta(seconds=5))
            requests: list[str] = []
            sup.on("request", lambda r: requests.append(r.url) if "/api/" in r.url else None)

            seat = browser.new_context(locale="zh-CN").new_page()
            _login(seat, server, "seat1001")
            seat.goto(server + "/orders#pool")
            seat.locator('#orders tr[data-id="wo-e2e-lib"]').get_by_role("button", name="领取").click()
            expect(seat.locator('#orders tr[data-id="wo-e2e-lib"]')).to_have_count(0)  # left the pool

            expect(row.locator("td").nth(4)).to_have_text("张律师", timeout=10_000)
            expect(row.get_by_role("button", name="退回工单池")).to_be_visible()
            sup.clock.run_for(3000)
            sup.wait_for_timeout(500)
            assert requests == []
        finally:
            browser.close()


def test_given_a_supervisor_when_they_log_in_on_the_home_page_then_the_form_goes_and_links_and_agreeing_counters_show(
    server: str, app_server: Server
) -> None:
    from playwright.sync_api import expect, sync_playwright

    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    for i, status in enumerate([CallStatus.ANSWERED, CallStatus.ABANDONED, CallStatus.TIMED_OUT]):
        app_server.runtime.repos.calls.save(
            CallRecord(
                id=CallId(f"e2e-home-{i}"),
                caller_number="13812348000",
                offered_at=at + dt.timedelta(seconds=i),
                status=status,
                queue="q-310106-labor",
                wait_seconds=5.0,
                talk_seconds=60.0 if status is CallStatus.ANSWERED else None,
            )
        )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.goto(server + "/")
            page.get_by_label("用户名").fill("banzhang")
            page.get_by_label("密码").fill(DEMO_ADMIN_PASSWORD)
            page.get_by_role("button", name="登录").click()
            expect(page.locator("#who")).to_contain_text("市级班长")
            # The login form is gone (and its password with it), not merely marked hidden.
            expect(page.locator("#login")).to_be_hidden()
            assert page.locator("input[name=password]").input_value() == ""
            pages = page.get_by_role("region", name="我的页面")
            for name, href in (("监控台", "/supervisor"), ("回拨工单", "/orders"), ("排班考勤", "/schedule")):
                expect(pages.get_by_role("link", name=name)).to_have_attribute("href", href)
            rows = page.locator("#calls tr")
            expect(rows.filter(has_text="e2e")).to_have_count(0)  # masked numbers only, no ids
            expect(rows.filter(has_text=CallStatus.TIMED_OUT.label)).not_to_have_count(0)
            listed = rows.count()
            expect(page.locator("#k-offered")).to_have_text(str(listed))
            gave_up = (
                rows.filter(has_text=CallStatus.ABANDONED.label).count()
                + rows.filter(has_text=CallStatus.TIMED_OUT.label).count()
            )
            assert gave_up >= 2
            expect(page.locator("#k-abandoned")).to_have_text(str(gave_up))

            # The same CSS rule on another page: the seat workspace, refused to a supervisor, shows no empty panels.
            page.goto(server + "/seat")
            expect(page.get_by_role("alert")).to_have_text("坐席工作台仅供坐席账号使用。")
            expect(page.locator("#workspace")).to_be_hidden()
            expect(page.locator("#statusbar")).to_be_hidden()
        finally:
            browser.close()
