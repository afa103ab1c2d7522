"""End to end in real headless Chromium: a seat opens its team pool, finds the after-hours message
(来电留言) on the order and plays it; the audio comes from the authenticated route."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI

from app.main import build_app
from callbacks.models import MissedCall, MissReason, WorkOrder, WorkOrderStatus
from callbacks.voicemail import Voicemail
from core.ids import CallId, TeamId, WorkOrderId
from tests.support.app import demo_test_settings
from tests.support.audio import write_tone
from tests.support.browser import ARGS, CHROMIUM, log_in
from tests.support.live_server import live_server

if TYPE_CHECKING:
    from playwright.sync_api import Page

ORDER, CALL = "wo-e2e-vm", "e2e-vm-call"


@pytest.fixture
def vm_server(tmp_path: Path) -> Iterator[tuple[str, FastAPI]]:
    app = build_app(demo_test_settings(tmp_path, "e2e-vm.db"))
    with live_server(app, start_timeout=20) as live:
        yield live.url, app


def _seed(app: FastAPI) -> None:
    rt = app.state.runtime
    now = datetime.now(UTC)
    order = WorkOrder(
        id=WorkOrderId(ORDER),
        caller_number="13912347777",
        reason=MissReason.VOICEMAIL,
        status=WorkOrderStatus.POOL,
        team_id=TeamId("team-310106"),
        created_at=now - timedelta(hours=10),
        deadline=now + timedelta(hours=3),
    )
    rt.repos.work_orders.record_miss(
        MissedCall(call_id=CallId(CALL), order_id=order.id, reason=order.reason, at=order.created_at), order
    )
    recording = rt.settings.voicemail.folder().recording_for(CALL)
    write_tone(Path(recording), seconds=1.5)
    rt.repos.voicemails.record(
        Voicemail(
            call_id=CallId(CALL),
            order_id=order.id,
            caller_number=order.caller_number,
            recording=recording,
            status="DTMF",
            at=order.created_at,
        )
    )


@contextmanager
def seat_pool(base: str) -> Iterator[Page]:
    """Seat 1001 logged in, on its team pool's tab of the orders page (media plays unprompted)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser test needs the system Chromium")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=[*ARGS, "--autoplay-policy=no-user-gesture-required"]
        )
        try:
            page = browser.new_page(locale="zh-CN")
            log_in(page, base, "seat1001")
            expect(page.locator("#who")).to_be_visible()
            page.goto(base + "/orders")
            page.click("#tabs button[data-scope=pool]")
            yield page
        finally:
            browser.close()


def test_given_a_message_on_a_pool_order_when_the_seat_plays_it_then_the_recording_plays(
    vm_server: tuple[str, FastAPI],
) -> None:
    from playwright.sync_api import expect

    base, app = vm_server
    _seed(app)
    with seat_pool(base) as page:
        row = page.locator(f"tr[data-id='{ORDER}']")
        expect(row).to_contain_text("来电留言")
        expect(row).to_contain_text("139****7777")
        player = row.locator(f".voicemail[data-call='{CALL}'] audio")
        expect(player).to_have_attribute("src", f"/api/orders/{ORDER}/voicemails/{CALL}/audio")
        with page.expect_response(lambda r: r.url.endswith("/audio")) as got:
            player.evaluate("a => a.play()")
        assert got.value.status in (200, 206)
        assert got.value.header_value("content-type") == "audio/wav"
        page.wait_for_function(
            "a => a.currentTime > 0.3 && Math.abs(a.duration - 1.5) < 0.05", arg=player.element_handle()
        )
        assert "13912347777" not in page.content()


def test_given_a_message_whose_file_is_gone_when_played_then_the_page_says_it_cannot_be_read(
    vm_server: tuple[str, FastAPI],
) -> None:
    from playwright.sync_api import expect

    base, app = vm_server
    _seed(app)
    Path(app.state.runtime.settings.voicemail.folder().recording_for(CALL)).unlink()
    with seat_pool(base) as page:
        box = page.locator(f"tr[data-id='{ORDER}'] .voicemail[data-call='{CALL}']")
        box.locator("audio").evaluate("a => a.load()")
        expect(box).to_contain_text("录音文件暂时无法读取")
