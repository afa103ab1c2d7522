"""End to end in headless Chromium through the real app (issue 17): the supervisor page shows the
告警 banner with who was alerted and acknowledges it, the live per-queue / per-team tables, and the
daily trend chart with its 7天/30天 and 全部/按团队/按队列 toggles; the wallboard shows the banner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from app.main import build_app
from app.settings import DEMO_ADMIN_PASSWORD
from callbacks.models import MissedCall, MissReason, WorkOrder, WorkOrderStatus
from core.calls import CallRecord, CallStatus
from core.ids import CallId, SeatId, TeamId, WorkOrderId
from tests.support.app import demo_test_settings
from tests.support.browser import ARGS, CHROMIUM
from tests.support.live_server import live_server


def _seed(app: FastAPI) -> None:
    rt = app.state.runtime
    now = datetime.now(UTC)
    for i, days in enumerate((0, 0, 2)):
        at = now - timedelta(days=days, minutes=5)
        rt.repos.calls.save(
            CallRecord(
                id=CallId(f"e2e-{i}"), caller_number="13812348000", offered_at=at,
                status=CallStatus.ANSWERED, queue="q-310106-labor", district_code="310106",
                seat_id=SeatId("1001"), answered_at=at + timedelta(seconds=8), wait_seconds=8.0,
                talk_seconds=120.0,
            )
        )  # fmt: skip
    order = WorkOrder(
        id=WorkOrderId("wo-e2e"), caller_number="13900001111", reason=MissReason.ABANDONED,
        status=WorkOrderStatus.POOL, team_id=TeamId("team-310106"),
        created_at=now - timedelta(days=3), deadline=now - timedelta(days=1),
    )  # fmt: skip
    rt.repos.work_orders.record_miss(
        MissedCall(
            call_id=CallId("call-wo-e2e"), order_id=order.id, reason=order.reason, at=order.created_at
        ),
        order,
    )


def test_the_board_shows_alerts_live_groups_and_trends(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser test needs the system Chromium")
    from playwright.sync_api import expect, sync_playwright

    settings = demo_test_settings(tmp_path, "e2e-live.db", web={"alerts": {"check_s": 0.2}})
    app = build_app(settings)
    problems: list[str] = []
    with live_server(app, start_timeout=20) as live, sync_playwright() as pw:
        _seed(app)
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on(
                "console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None
            )
            page.goto(live.url + "/")
            page.fill("input[name=username]", "jingan")
            page.fill("input[name=password]", DEMO_ADMIN_PASSWORD)
            page.click("#login button[type=submit]")
            expect(page.locator("#who")).to_be_visible()

            page.goto(live.url + "/supervisor")
            banner = page.locator("#board-alerts .board-alert")
            expect(banner).to_have_count(1, timeout=10_000)
            expect(banner).to_contain_text("回拨工单超时")
            expect(banner).to_contain_text("已通知：市级班长、静安区班长（控制台横幅）")
            banner.locator("button", has_text="确认").click()
            expect(banner).to_contain_text("已由 静安区班长")

            expect(page.locator("#live-groups tr[data-key='team-310106'] td").nth(3)).to_have_text("2")
            page.wait_for_function(
                "() => { const c = echarts.getInstanceByDom(document.getElementById('t-chart'));"
                " return c && c.getOption().series.length === 4; }"
            )
            offered = _series(page)[0]["data"]
            assert len(offered) == 7 and offered[-1] == 2 and offered[-3] == 1
            page.click("#trends button[data-value='30']")
            page.click("#trends button[data-value='queue']")
            page.wait_for_function(
                "() => { const c = echarts.getInstanceByDom(document.getElementById('t-chart'));"
                " const s = c && c.getOption().series; return s && s.length === 1 && s[0].data.length === 30; }"
            )
            assert _series(page)[0]["name"] == "q-310106-labor"

            page.goto(live.url + "/wallboard")
            expect(page.locator("#board-alerts .board-alert")).to_contain_text("已通知：市级班长、静安区班长")
        finally:
            browser.close()
    assert problems == []


def _series(page: Any) -> list[dict[str, Any]]:
    series: list[dict[str, Any]] = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('t-chart')).getOption()"
        ".series.map(s => ({name: s.name, data: s.data}))"
    )
    return series
