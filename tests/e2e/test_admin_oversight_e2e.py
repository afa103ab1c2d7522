"""End to end in real headless Chromium, through the app as `build_app` composes it (issue 16, item
3): the admin opens 权限设置 from the nav bar, gives 质检员 强插与强拆 and saves; the seat role's
boxes cannot be ticked; 审计日志 then lists that change in Chinese beside a monitor's lines, filtered
by kind and paged; the inspector is refused the audit page and finds 实时监听 in their nav bar."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI

from app.main import build_app
from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD
from core.audit import AuditEntry
from tests.support.app import demo_test_settings
from tests.support.browser import ARGS, CHROMIUM
from tests.support.live_server import live_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (CI installs it)")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, FastAPI]]:
    app = build_app(demo_test_settings(tmp_path, "e2e-admin.db"))
    with live_server(app, start_timeout=20) as live:
        yield live.url, app


def _login(browser: Browser, base: str, user: str) -> Page:
    from playwright.sync_api import expect

    page = browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page.goto(base + "/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", DEMO_ADMIN_PASSWORD)
    page.click("#login button[type=submit]")
    expect(page.locator("#who")).to_be_visible()
    return page


def _seed_monitor(rt: Runtime) -> None:
    """A supervisor's monitor of yesterday: its start and its end (how long)."""
    boss = rt.repos.users.by_username("banzhang")
    assert boss is not None
    at = datetime.now(UTC) - timedelta(days=1)
    for action, extra in (("monitor.start", {}), ("monitor.end", {"reason": "call_ended", "seconds": 95.0})):
        detail = {"seat_id": "1001", "call_id": "call-e2e", "mode": "listen"} | extra
        rt.repos.audit.append(
            AuditEntry(at=at, actor=boss.id, action=action, target="call-e2e", detail=detail)
        )
        at += timedelta(seconds=95)


def test_given_the_admin_when_giving_inspectors_barge_then_saved_applied_and_listed_in_the_audit(
    server: tuple[str, FastAPI],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, app = server
    rt: Runtime = app.state.runtime
    _seed_monitor(rt)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            admin = _login(browser, base, "admin")
            admin.locator("#nav").get_by_role("link", name="权限设置").click()
            expect(admin).to_have_url(base + "/admin/rights")
            inspector_barge = admin.get_by_label("质检员：强插与强拆")
            expect(inspector_barge).not_to_be_checked()
            expect(admin.get_by_label("质检员：监听与耳语")).to_be_checked()
            expect(admin.get_by_label("坐席：监听与耳语")).to_be_disabled()
            expect(admin.locator('tr[data-role="seat"]')).to_contain_text("坐席不可获得")
            expect(admin.locator('tr[data-role="inspector"]')).to_contain_text("系统默认")

            inspector_barge.check()
            admin.get_by_role("button", name="保存权限").click()
            expect(admin.locator("#rights-result")).to_have_text("权限已保存，立即生效")
            expect(admin.locator('tr[data-role="inspector"]')).to_contain_text("管理员设置")
            admin.reload()
            expect(admin.get_by_label("质检员：强插与强拆")).to_be_checked()

            admin.locator("#nav").get_by_role("link", name="审计日志").click()
            expect(admin).to_have_url(base + "/admin/audit")
            rows = admin.locator("#rows tr")
            expect(rows).to_have_count(3)
            expect(rows.nth(0)).to_contain_text("修改角色权限")
            expect(rows.nth(0)).to_contain_text("质检员：增加强插与强拆")
            expect(rows.nth(0)).to_contain_text("系统管理员")
            expect(rows.nth(1)).to_contain_text("结束监听")
            expect(rows.nth(1)).to_contain_text("1分35秒")
            expect(rows.nth(2)).to_contain_text("开始监听")
            expect(admin.locator("#count")).to_have_text("共 3 条记录")

            admin.select_option("#f-kind", label="监听、耳语、强插")
            admin.get_by_role("button", name="查询").click()
            expect(rows).to_have_count(2)
            expect(rows.nth(0)).to_contain_text("call-e2e")
            admin.select_option("#f-kind", label="权限变更")
            admin.get_by_role("button", name="查询").click()
            expect(rows).to_have_count(1)
            expect(admin.locator("#page-no")).to_have_text("第 1 / 1 页")
            expect(admin.locator("#next")).to_be_disabled()

            qc = _login(browser, base, "zhijian")
            expect(qc.locator("#nav").get_by_role("link", name="审计日志")).to_have_count(0)
            qc.goto(base + "/admin/audit")
            expect(qc.locator("#denied")).to_have_text("仅管理员可以查看审计日志。")
            expect(qc.locator("#audit")).to_be_hidden()
            qc.goto(base + "/")
            qc.locator("#nav").get_by_role("link", name="实时监听").click()
            expect(qc).to_have_url(base + "/listen")
            expect(qc.locator("#state")).to_have_text("未在监听")
            expect(qc.locator("#none")).to_have_text("当前没有通话中的坐席")
        finally:
            browser.close()

    (entry,) = rt.repos.audit.recent(prefixes=("rights.",))
    assert entry.detail["after"]["inspector"] == ["monitor", "barge"]
