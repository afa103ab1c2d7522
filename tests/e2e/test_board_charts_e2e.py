"""End to end in real headless Chromium through the real app: the board's charts (vendored ECharts)
render with data, the district map is coloured from the day's calls, the wallboard (大屏) shows its
large figures and a district, and the Content Security Policy blocks nothing on the way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from app.main import build_app
from app.settings import DEMO_ADMIN_PASSWORD
from core.calls import CallRecord, CallStatus
from core.ids import CallId, SeatId
from tests.support.app import demo_test_settings
from tests.support.browser import ARGS, CHROMIUM
from tests.support.live_server import live_server


@pytest.fixture
def board_server(tmp_path: Path) -> Iterator[tuple[str, FastAPI]]:
    app = build_app(demo_test_settings(tmp_path, "e2e-board.db"))
    with live_server(app, start_timeout=20) as live:
        yield live.url, app


def _seed(app: FastAPI) -> None:
    calls = app.state.runtime.repos.calls
    at = datetime.now(UTC) - timedelta(minutes=5)
    for i, (district, status) in enumerate(
        [("310106", CallStatus.ANSWERED)] * 3
        + [("310106", CallStatus.ABANDONED), ("310115", CallStatus.ANSWERED)]
    ):
        answered = status is CallStatus.ANSWERED
        calls.save(
            CallRecord(
                id=CallId(f"e2e-{i}"),
                caller_number="13812348000",
                offered_at=at,
                status=status,
                queue=f"q-{district}-labor",
                district_code=district,
                category="labor",
                seat_id=SeatId("1001") if answered else None,
                answered_at=at + timedelta(seconds=8) if answered else None,
                wait_seconds=8.0,
                talk_seconds=120.0 if answered else None,
            )
        )


def _series(page: Any, element_id: str) -> list[dict[str, Any]]:
    series: list[dict[str, Any]] = page.evaluate(
        "id => { const c = echarts.getInstanceByDom(document.getElementById(id));"
        " return c ? c.getOption().series.map(s => ({name: s.name, type: s.type, data: s.data})) : []; }",
        element_id,
    )
    return series


def test_given_todays_calls_when_the_board_and_the_wallboard_open_then_the_charts_render_with_data(
    board_server: tuple[str, FastAPI],
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser test needs the system Chromium")
    from playwright.sync_api import expect, sync_playwright

    base, app = board_server
    _seed(app)
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on(
                "console",
                lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
            )
            page.goto(base + "/")
            page.fill("input[name=username]", "banzhang")
            page.fill("input[name=password]", DEMO_ADMIN_PASSWORD)
            page.click("#login button[type=submit]")
            expect(page.locator("#who")).to_be_visible()

            page.goto(base + "/supervisor")
            expect(page.locator("#f-chart canvas")).to_have_count(1)
            expect(page.locator("#d-map canvas")).to_have_count(1)
            expect(page.locator("#k-15s")).to_have_text("80.0%")  # 4 answered within 15 s of 5 resolved
            expect(page.locator("#c-15s .def")).to_contain_text("15 秒")
            page.wait_for_function(
                "() => { const c = echarts.getInstanceByDom(document.getElementById('f-chart'));"
                " return c && c.getOption().series.length === 5; }"
            )
            forecast = {s["name"]: s["data"] for s in _series(page, "f-chart")}
            assert forecast["预计来电"] and max(forecast["预计来电"]) > 0
            assert sum(forecast["今日来电"]) == 5  # the seeded calls, in their half hour
            page.wait_for_function(
                "() => { const c = echarts.getInstanceByDom(document.getElementById('d-map'));"
                " return c && c.getOption().series[0].data.length > 0; }"
            )
            shanghai = {d["name"]: d["value"] for d in _series(page, "d-map")[0]["data"]}
            assert shanghai == {"静安区": 0.75, "浦东新区": 1.0}

            page.goto(base + "/wallboard")
            expect(page.locator("#w-map canvas")).to_have_count(1)
            expect(page.locator("#w-answer-rate")).to_have_text("80.0%")
            expect(page.locator("#d-name")).to_have_text("静安区")  # the busiest district first
            expect(page.locator("#alarm")).to_contain_text("低于目标")
            size = page.evaluate(
                "() => parseFloat(getComputedStyle(document.getElementById('w-answer-rate')).fontSize)"
            )
            assert size >= 48  # readable across the room
        finally:
            browser.close()
    assert problems == []
