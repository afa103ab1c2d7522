"""End to end in headless Chromium: the city-wide callback pool (issue 14's first defect).

Nearly every after-hours and abandoned call becomes an order of the city-wide pool
(`team-citywide`): a seat's 团队工单池 listed them with 领取 / 回拨, but every click answered 404
`工单不存在或不属于您` (the claim checked the seat's own team only), the pool was labelled 未分组,
and a district supervisor could not see it at all. Here a Pudong seat claims one from its page, and
the Jing'an supervisor finds the pool by name in the team filter and hands one to a Jing'an lawyer.
The app is `build_app` with demo settings, as `hotline demo` composes it. Skipped only when
/usr/bin/chromium is missing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from app.runtime import Runtime
from callbacks.models import MissedCall, MissReason, WorkOrder, WorkOrderStatus
from callbacks.policy import CITYWIDE_POOL_NAME, CITYWIDE_TEAM
from core.ids import CallId, WorkOrderId
from tests.support.app import simulated_app
from tests.support.browser import ARGS, CHROMIUM, log_in

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="需要 /usr/bin/chromium")

TEAM_COLUMN, OWNER_COLUMN = 3, 4


@dataclass
class Server:
    url: str
    runtime: Runtime
    loop: asyncio.AbstractEventLoop


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with simulated_app(tmp_path_factory.mktemp("e2e-pools") / "e2e-pools.db") as (app, live):
        yield Server(live.url, app.state.runtime, live.loop)


def _citywide_order(rt: Runtime, order_id: str, number: str) -> str:
    """A missed call of nobody's district (the city-wide pool), as the callback policy files it;
    its readable number (HB…)."""
    now = rt.clock.now()
    order = WorkOrder(
        id=WorkOrderId(order_id),
        caller_number=number,
        reason=MissReason.ABANDONED,
        status=WorkOrderStatus.POOL,
        team_id=CITYWIDE_TEAM,
        created_at=now - dt.timedelta(minutes=3),
        deadline=now + dt.timedelta(hours=20),
    )
    miss = MissedCall(
        call_id=CallId(f"{order_id}-miss"), order_id=order.id, reason=order.reason, at=order.created_at
    )
    rt.repos.work_orders.record_miss(miss, order)
    return rt.repos.work_orders.get(order.id).order_no


def _page(browser: Any, base: str, user: str) -> Any:
    from playwright.sync_api import expect

    page = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900}).new_page()
    log_in(page, base, user)
    expect(page.locator("#nav a").first).to_be_visible()
    return page


def test_given_a_citywide_order_in_the_pool_when_a_pudong_seat_claims_it_then_it_is_his_not_404(
    server: Server,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    order_no = _citywide_order(server.runtime, "wo-e2e-city-claim", "13912349001")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = _page(browser, server.url, "seat1003")  # 浦东新区 lawyer: not the order's team
            page.goto(server.url + "/orders#pool")
            row = page.locator('#orders tr[data-id="wo-e2e-city-claim"]')
            expect(row.locator("td").nth(0)).to_have_text(order_no)
            expect(row.locator("td").nth(TEAM_COLUMN)).to_have_text(CITYWIDE_POOL_NAME)  # not 未分组
            row.get_by_role("button", name="领取").click()
            expect(row).to_have_count(0)  # left the pool
            expect(page.locator("#error")).to_have_text("")  # was 工单不存在或不属于您
            page.get_by_role("button", name="我的工单").click()
            mine = page.locator('#orders tr[data-id="wo-e2e-city-claim"]')
            expect(mine.locator("td").nth(OWNER_COLUMN)).to_have_text("王律师")
            expect(mine.get_by_role("button", name="回拨")).to_be_visible()
        finally:
            browser.close()
    claimed = server.runtime.repos.work_orders.get(WorkOrderId("wo-e2e-city-claim"))
    assert (claimed.status, claimed.owner_seat_id) == (WorkOrderStatus.ASSIGNED, "1003")


def test_given_a_citywide_order_when_the_jingan_supervisor_filters_the_city_pool_then_assigns_it_to_a_jingan_lawyer(
    server: Server,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    order_no = _citywide_order(server.runtime, "wo-e2e-city-assign", "13912349002")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = _page(browser, server.url, "jingan")
            page.goto(server.url + "/orders")
            row = page.locator('#orders tr[data-id="wo-e2e-city-assign"]')
            expect(row.locator("td").nth(0)).to_have_text(order_no)  # the district supervisor sees it
            page.locator("#f-team").select_option(label=CITYWIDE_POOL_NAME)
            page.locator("#f-apply").click()
            teams = page.locator("#orders tr td:nth-child(4)")
            expect(teams.first).to_have_text(CITYWIDE_POOL_NAME)
            assert set(teams.all_text_contents()) == {CITYWIDE_POOL_NAME}
            row.get_by_role("button", name="分派").click()
            seats = page.locator("#assign-seat option")
            offered = seats.evaluate_all("os => os.map(o => o.value)")
            assert "1001" in offered and "1003" not in offered  # Jing'an's lawyers, not Pudong's
            page.locator("#assign-seat").select_option("1001")
            page.get_by_role("button", name="确认分派").click()
            expect(row.locator("td").nth(OWNER_COLUMN)).to_have_text("张律师")
            expect(page.locator("#error")).to_have_text("")
        finally:
            browser.close()
    assigned = server.runtime.repos.work_orders.get(WorkOrderId("wo-e2e-city-assign"))
    assert (assigned.status, assigned.owner_seat_id) == (WorkOrderStatus.ASSIGNED, "1001")
