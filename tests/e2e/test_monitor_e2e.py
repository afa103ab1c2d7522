"""End to end in real headless Chromium, through the demo's simulator: seat 1001 answers a caller
in its console, the city supervisor listens from the board (班长监控台), switches to whisper and
barge, leaves, and every step is in the audit log (issue 16's demo)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.main import build_app
from app.runtime import Runtime
from app.settings import demo_settings
from core.ids import SeatId, UserId
from pbx.sim.config import Dist, PhoneConfig
from pbx.sim.demo import DEMO_SUPERVISOR_PHONES
from seats.monitor import AUDIT_ACTIONS
from store.supervisor_phones import SupervisorPhoneRepository
from tests.e2e.test_seat_console_e2e import Server, _browser, _call, _login
from tests.support.app import WorkdayClock
from tests.support.browser import CHROMIUM, log_in
from tests.support.live_server import live_server
from tests.support.polling import wait_until

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (CI installs it)")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    settings = demo_settings(
        database={"url": f"sqlite:///{tmp_path / 'e2e-monitor.db'}"},
        sim={"enabled": True, "calls_per_hour": 0, "auto_login_seats": False, "time_scale": 1.0},
        ami={"port": 0},
        agi={"port": 0},
        audiosocket={"enabled": False},
    )
    app = build_app(settings, clock=WorkdayClock())
    with live_server(app) as live:
        runtime: Runtime = app.state.runtime
        events: list[dict[str, str]] = []

        async def wire() -> None:
            assert runtime.simulator is not None
            runtime.simulator.event_listeners.append(lambda headers: events.append(dict(headers)))
            # Seat 1001's phone answers after 1 s and never hangs up by itself.
            runtime.simulator.register_phone(PhoneConfig("1001", answer_delay=Dist.fixed(1.0)))

        srv = Server(live.url, runtime, live.loop, events)
        srv.run(wire())
        wait_until(lambda: runtime.bridge is not None and runtime.bridge.status.connected, 20, "the AMI link")
        yield srv


def test_given_a_live_call_when_the_supervisor_listens_whispers_and_barges_from_the_board_then_each_step_is_audited(
    server: Server,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    rt = server.runtime
    phone = DEMO_SUPERVISOR_PHONES[0]  # a desk phone of the demo's simulator
    SupervisorPhoneRepository(rt.repos.db).save(UserId("u-city"), phone, "pw-desk-8001")
    with sync_playwright() as pw:
        browser = _browser(pw)
        try:
            seat = browser.new_context(locale="zh-CN").new_page()
            _login(seat, server.url, "seat1001")
            seat.get_by_role("button", name="签入").click()
            expect(seat.locator("#state-label")).to_have_text("空闲", timeout=10_000)
            _call(server, "13800000016")
            expect(seat.locator("#state-label")).to_have_text("通话中", timeout=20_000)
            call_id = rt.board.state(SeatId("1001")).call_id if rt.board else None
            assert call_id

            boss = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
            log_in(boss, server.url, "banzhang")
            expect(boss.locator("#who")).to_contain_text("市级班长")
            boss.goto(server.url + "/supervisor")
            row = boss.locator('#seats tr[data-seat="1001"]')
            expect(row.get_by_role("button", name="强拆")).to_be_visible(timeout=15_000)
            row.get_by_role("button", name="监听").click()
            state = boss.locator("#m-state")
            expect(state).to_contain_text("坐席 1001")
            expect(state).to_have_text("坐席 1001：监听中", timeout=15_000)  # the desk phone answered
            expect(row.get_by_role("button", name="监听")).to_have_count(0)  # one monitor at a time

            boss.get_by_role("button", name="切换为耳语").click()
            expect(state).to_have_text("坐席 1001：耳语中", timeout=15_000)
            boss.get_by_role("button", name="切换为强插").click()
            expect(state).to_have_text("坐席 1001：强插中", timeout=15_000)
            boss.get_by_role("button", name="结束监听").click()
            expect(state).to_have_text("监听已结束")
            expect(row.get_by_role("button", name="耳语")).to_be_visible()  # free to listen again
            expect(seat.locator("#state-label")).to_have_text("通话中")  # the call went on
        finally:
            browser.close()

    entries = list(reversed(rt.repos.audit.recent(prefixes=AUDIT_ACTIONS)))
    assert [(e.action, e.detail["mode"], e.detail["seat_id"], e.detail["call_id"]) for e in entries] == [
        ("monitor.start", "listen", "1001", call_id),
        ("monitor.switch", "whisper", "1001", call_id),
        ("monitor.switch", "barge", "1001", call_id),
        ("monitor.end", "barge", "1001", call_id),
    ]
    assert entries[-1].detail["reason"] == "stopped" and all(e.actor == "u-city" for e in entries)
    # Asterisk's side: three monitors in turn, each ChanSpy on seat 1001's leg.
    spies = [e for e in list(server.sim_events) if e.get("Event") == "ChanSpyStart"]
    assert len({e["SpyerChannel"] for e in spies}) == 3
    assert {e["SpyeeChannel"].split("-")[0] for e in spies} == {"PJSIP/1001"}


def test_given_a_barge_when_the_supervisor_takes_over_from_the_board_then_the_seat_sees_it_and_it_is_audited(
    server: Server,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    rt = server.runtime
    SupervisorPhoneRepository(rt.repos.db).save(UserId("u-city"), DEMO_SUPERVISOR_PHONES[0], "pw-desk-8001")
    with sync_playwright() as pw:
        browser = _browser(pw)
        try:
            seat = browser.new_context(locale="zh-CN").new_page()
            _login(seat, server.url, "seat1001")
            seat.get_by_role("button", name="签入").click()
            expect(seat.locator("#state-label")).to_have_text("空闲", timeout=10_000)
            number = "13800000017"
            _call(server, number)
            expect(seat.locator("#state-label")).to_have_text("通话中", timeout=20_000)
            call_id = rt.board.state(SeatId("1001")).call_id if rt.board else None
            assert call_id

            boss = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
            boss.on("dialog", lambda d: d.accept())  # 确定接管该通话吗？
            log_in(boss, server.url, "banzhang")
            expect(boss.locator("#who")).to_contain_text("市级班长")
            boss.goto(server.url + "/supervisor")
            row = boss.locator('#seats tr[data-seat="1001"]')
            expect(row.get_by_role("button", name="强拆")).to_be_visible(timeout=15_000)
            row.get_by_role("button", name="强插", exact=True).click()
            state = boss.locator("#m-state")
            expect(state).to_have_text("坐席 1001：强插中", timeout=15_000)
            boss.get_by_role("button", name="接管通话").click()
            expect(state).to_have_text("坐席 1001：已接管通话（坐席已退出）", timeout=15_000)
            expect(boss.get_by_role("button", name="切换为监听")).to_be_hidden()
            expect(boss.get_by_role("button", name="结束接管（挂断）")).to_be_visible()
            # The seat's console says why the call left it.
            expect(seat.locator("#call-status")).to_have_text("班长已接管该通话", timeout=10_000)
            expect(seat.locator("#notice")).to_contain_text("班长已接管本通话")

            server.run(_hang_up(server, number))
            expect(state).to_have_text("接管的通话已结束", timeout=15_000)
        finally:
            browser.close()

    entries = list(reversed(rt.repos.audit.recent(prefixes=AUDIT_ACTIONS)))
    assert [(e.action, e.detail["call_id"]) for e in entries] == [
        ("monitor.start", call_id),
        ("monitor.takeover", call_id),
        ("monitor.end", call_id),
    ]
    assert entries[-1].detail["reason"] == "takeover_ended"
    takeovers = [e for e in list(server.sim_events) if e.get("Event") == "BridgeEnter"]
    assert any(e["Channel"].startswith(f"PJSIP/{DEMO_SUPERVISOR_PHONES[0]}-") for e in takeovers)


async def _hang_up(server: Server, number: str) -> None:
    assert server.runtime.simulator is not None
    assert server.runtime.simulator.pbx.hangup_endpoint(number)
