"""The seat's screen with the whole-utterance engine only (issue 18, items 1, 2 and 4): no Vosk
model, so the transcript panel says why it is empty during the call; after the call, the
recording's post-call transcript (real AISHELL-1 speech, decoded by the real Whisper engine)
appears in the same panel, labelled 录音转写（通话后）, pushed without a reload."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD
from asr.whisper_model import verify_model_dir
from core.errors import ConfigurationError
from pbx.sim.model import CallerSpec
from tests.support.app import simulated_app
from tests.support.browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (CI installs it)"),
    pytest.mark.slow,
    pytest.mark.whisper_model,
]

REPO = Path(__file__).resolve().parents[2]
SPEECH = "speech-fireredasr-BAC009S0764W0121.wav"  # 甚至出现交易几乎停滞的情况


def _model_dir() -> Path:
    configured = os.environ.get("HOTLINE_ASR__WHISPER_MODEL_PATH")
    path = Path(configured) if configured else REPO / "models" / "faster-whisper-base"
    try:
        verify_model_dir(path, checksum=False)
    except ConfigurationError as exc:
        pytest.skip(f"Whisper 模型不可用（make install 安装到 models/faster-whisper-base）：{exc.message}")
    return path


@pytest.fixture
def runtime_url(tmp_path: Path) -> Iterator[tuple[Runtime, str, asyncio.AbstractEventLoop]]:
    asr = {"engine": "auto", "whisper_model_path": str(_model_dir()), "model_path": str(tmp_path / "no-vosk")}
    recordings = {"pbx_dir": str(tmp_path / "recordings"), "settle_s": 0.3}
    with simulated_app(tmp_path / "e2e.db", audiosocket={"port": 0}, asr=asr, recordings=recordings) as (
        app,
        live,
    ):
        runtime: Runtime = app.state.runtime
        yield runtime, live.url, live.loop


def test_given_no_vosk_when_the_seat_takes_a_call_then_the_panel_says_why_and_shows_the_recording_transcript_after(
    runtime_url: tuple[Runtime, str, asyncio.AbstractEventLoop],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    runtime, url, loop = runtime_url
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN").new_page()
            page.goto(f"{url}/")
            page.get_by_label("用户名").fill("seat1001")
            page.get_by_label("密码").fill(DEMO_ADMIN_PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url("**/seat")
            page.get_by_role("button", name="签入").click()
            expect(page.locator("#state-label")).to_have_text("空闲", timeout=10_000)

            async def place() -> None:
                assert runtime.simulator is not None
                spec = CallerSpec(
                    number="13800000018", dtmf="12", district="310106", talk_time=6.0, speech=SPEECH
                )
                runtime.simulator.place_call(spec)

            asyncio.run_coroutine_threadsafe(place(), loop).result(15)
            expect(page.locator("#state-label")).to_have_text("通话中", timeout=20_000)
            expect(page.locator("#asr-status")).to_have_text(
                "实时转写未启用：当前为整句识别引擎，通话结束后将显示录音转写。"
            )
            expect(page.locator("#transcript li")).to_have_count(0)
            # The caller hangs up after 6 s; the recording is kept, decoded, and pushed to this page.
            expect(page.locator("#transcript-title")).to_have_text("录音转写（通话后）", timeout=90_000)
            first = page.locator("#transcript li").first
            expect(first).to_contain_text("录音转写（通话后）")
            expect(first).to_contain_text("交易")
        finally:
            browser.close()
