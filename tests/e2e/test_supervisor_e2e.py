"""End to end in real headless Chromium: the supervisor sees today's KPIs and a breached order in red.

The app is `build_app` with demo settings, exactly as `hotline demo` composes it (only the simulator,
AMI and ports are turned off or moved to free ports). Calls and a work order past its
deadline go in through the repositories. A screenshot of the board is written to
$HOTLINE_SCREENSHOT_DIR/supervisor.png when that is set (the README's picture), else to a temp dir.
The demo's staffing is checked on the demo itself: its simulator signs the demo seats in and its
plan (`app.seed.seed_demo_rota`) has them on shift, so the board's 排班 is its 在线.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from app.main import build_app
from app.runtime import Runtime
from app.seed import DEMO_SEATS
from app.settings import demo_settings
from callbacks.models import MissedCall, MissReason, WorkOrder, WorkOrderStatus
from core.calls import CallRecord, CallStatus
from core.clock import CHINA_TZ
from core.ids import CallId, SeatId, TeamId, WorkOrderId
from stats.reports import china_day_start
from tests.support.browser import ARGS, CHROMIUM, log_in
from tests.support.live_server import live_server


def _app(tmp_path: Path, *, simulator: bool = False) -> FastAPI:
    """`simulator`: the demo's own PBX simulator and traffic, its AMI on a free port."""
    settings = demo_settings(
        database={"url": f"sqlite:///{tmp_path / 'e2e-sup.db'}"},
        sim={"enabled": simulator},
        ami={"port": 0} if simulator else {"enabled": False},
        agi={"port": 0},
        audiosocket={"port": 0},
    )
    return build_app(settings)


def _log_in_supervisor(page: Any, base: str) -> None:
    log_in(page, base, "banzhang")


@pytest.fixture
def sup_server(tmp_path: Path) -> Iterator[tuple[str, FastAPI]]:
    app = _app(tmp_path)
    with live_server(app, start_timeout=20) as live:
        yield live.url, app


def _seed(rt: Runtime) -> None:
    now = datetime.now(UTC)
    at = max(
        now - timedelta(minutes=3), china_day_start(now.astimezone(CHINA_TZ).date()) + timedelta(seconds=1)
    )
    for i in range(9):
        rt.repos.calls.save(
            CallRecord(
                id=CallId(f"e2e-a{i}"),
                caller_number="13812348000",
                offered_at=at,
                status=CallStatus.ANSWERED,
                queue="q-310106-labor",
                seat_id=SeatId("1001"),
                answered_at=at + timedelta(seconds=8),
                wait_seconds=8.0,
                talk_seconds=240.0,
            )
        )
    rt.repos.calls.save(
        CallRecord(
            id=CallId("e2e-x"),
            caller_number="13812348001",
            offered_at=at,
            status=CallStatus.ABANDONED,
            queue="q-310115-family",
            wait_seconds=45.0,
        )
    )
    order = WorkOrder(
        id=WorkOrderId("wo-e2e-breached"),
        caller_number="13912348888",
        reason=MissReason.ABANDONED,
        status=WorkOrderStatus.POOL,
        team_id=TeamId("team-310106"),
        created_at=now - timedelta(hours=3),
        deadline=now - timedelta(minutes=10),
    )
    rt.repos.work_orders.record_miss(
        MissedCall(call_id=CallId("e2e-x"), order_id=order.id, reason=order.reason, at=order.created_at),
        order,
    )


def test_given_calls_and_a_breached_order_when_the_city_supervisor_opens_the_board_then_kpis_and_red_order_shown(
    sup_server: tuple[str, FastAPI], tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser test needs the system Chromium")
    from playwright.sync_api import expect, sync_playwright

    base, app = sup_server
    _seed(app.state.runtime)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100}, locale="zh-CN")
            _log_in_supervisor(page, base)
            expect(page.locator("#who")).to_contain_text("市级班长")

            page.goto(base + "/supervisor")
            expect(page.locator("#k-offered")).to_have_text("10")
            expect(page.locator("#k-answered")).to_have_text("9")
            expect(page.locator("#k-answer-rate")).to_have_text("90.0%")
            expect(page.locator("#c-answer")).to_have_class("bad")  # below the 95 % target
            expect(page.locator("#t-answer")).to_contain_text("95%")
            expect(page.locator("#b-breached")).to_have_text("1")
            expect(page.locator("#f-source")).to_contain_text("默认来电曲线")
            expect(page.locator("#seats tr")).to_have_count(7)
            expect(page.locator("#seats .expert-mark")).to_have_count(1)  # the one expert seat, marked 专家
            expect(page.locator('#seats tr[data-seat="1007"] td').first).to_have_text(
                "孙专家律师（1007） 专家"
            )
            expect(page.locator("#conn")).to_have_text("实时")
            # At 1400 px the seat and order panels fill their row (a third of it stood empty) and
            # no seat's row is squeezed: its state (离线) and its name read on one line each.
            sections = page.locator("#board > section")
            wide, seats, orders = (sections.nth(i).bounding_box() for i in range(3))
            assert wide is not None and seats is not None and orders is not None
            assert abs((orders["x"] + orders["width"]) - (wide["x"] + wide["width"])) < 2, (wide, orders)
            lines = page.locator("#seats tr td:nth-child(-n+3)").evaluate_all(
                """tds => tds.map(td => { const r = document.createRange(); r.selectNodeContents(td);
                     return [td.textContent.trim(), [...r.getClientRects()].map(c => c.top).sort((a, b) => a - b).filter((t, i, ts) => i === 0 || t - ts[i - 1] > 8).length]; })"""
            )
            assert len(lines) == 21 and all(n == 1 for _, n in lines), lines
            shots = Path(os.environ.get("HOTLINE_SCREENSHOT_DIR", tmp_path))
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "supervisor.png"), full_page=True)

            page.goto(base + "/orders")
            row = page.locator("tr[data-id='wo-e2e-breached']")
            expect(row).to_have_class("sla-breached")
            expect(row).to_contain_text("139****8888")
            expect(row).to_contain_text("已超时")
            color = row.locator("td.sla-breached").evaluate("el => getComputedStyle(el).color")
            assert color == "rgb(198, 40, 40)"
            assert "13912348888" not in page.content()
        finally:
            browser.close()


def test_given_the_admin_on_the_board_when_ticking_专家_for_seat_1003_then_it_is_stored_an_expert_seat(
    sup_server: tuple[str, FastAPI],
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser test needs the system Chromium")
    from playwright.sync_api import expect, sync_playwright

    base, app = sup_server
    rt: Runtime = app.state.runtime
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            log_in(page, base, "admin")
            expect(page.locator("#who")).to_contain_text("系统管理员")
            page.goto(base + "/supervisor")
            expect(page.get_by_label("孙专家律师（1007）为专家坐席")).to_be_checked()
            wang = page.get_by_label("王律师（1003）为专家坐席")
            expect(wang).not_to_be_checked()
            wang.check()
            expect(page.get_by_label("王律师（1003）为专家坐席")).to_be_enabled()  # the list read back
            expect(page.get_by_label("王律师（1003）为专家坐席")).to_be_checked()
            assert rt.repos.seats.get(SeatId("1003")).expert
        finally:
            browser.close()


def test_given_the_demo_when_the_supervisor_opens_the_board_then_every_online_demo_seat_is_scheduled(
    tmp_path: Path,
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser test needs the system Chromium")
    from playwright.sync_api import expect, sync_playwright

    seats = str(len(DEMO_SEATS))
    with live_server(_app(tmp_path, simulator=True), start_timeout=30) as live, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            _log_in_supervisor(page, live.url)
            expect(page.locator("#who")).to_contain_text("市级班长")
            page.goto(live.url + "/supervisor")
            expect(page.locator("#s-online")).to_have_text(seats, timeout=30_000)
            expect(page.locator("#s-scheduled")).to_have_text(seats)
        finally:
            browser.close()


def test_given_a_recording_alert_of_a_jingan_call_when_the_district_supervisor_acknowledges_it_then_who_is_kept(
    tmp_path: Path,
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser test needs the system Chromium")
    from playwright.sync_api import expect, sync_playwright

    app = _app(tmp_path)
    with live_server(app, start_timeout=20) as live, sync_playwright() as pw:
        base = live.url
        rt: Runtime = app.state.runtime
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            log_in(page, base, "jingan")
            expect(page.locator("#who")).to_contain_text("静安区班长")
            page.goto(base + "/supervisor")
            expect(page.locator("#rec-open")).to_have_text("无待处理告警")
            # The keeper finds an answered 静安 call without any recording: pushed to the board.
            now = datetime.now(UTC)
            rt.repos.calls.save(
                CallRecord(
                    id=CallId("e2e-unrecorded"),
                    caller_number="13812348000",
                    offered_at=now - timedelta(minutes=10),
                    status=CallStatus.ANSWERED,
                    queue="q-310106-labor",
                    district_code="310106",
                    seat_id=SeatId("1001"),
                    answered_at=now - timedelta(minutes=9),
                    ended_at=now - timedelta(minutes=5),
                )
            )
            keeper = rt.recordings.keeper
            assert keeper is not None
            keeper._checked_until = None  # the check looks back over its last period
            live.run(keeper.check())
            alert = page.locator("#rec-alerts tr[data-call-id='e2e-unrecorded']")
            expect(alert).to_contain_text("已接通通话没有录音")
            expect(page.locator("#rec-open")).to_have_text("待处理 1 条")
            alert.get_by_role("button", name="确认").click()
            expect(alert).to_contain_text("已由 静安区班长")
            expect(page.locator("#rec-open")).to_have_text("无待处理告警")
            assert rt.repos.audit.recent(limit=5)[0].action == "recording.alert_ack"
        finally:
            browser.close()
