"""End to end in real headless Chromium with the PBX simulator: seat 1001 answers a simulated
caller; once the call is over its recording (录音, written by the simulator's MixMonitor) is played
from the seat console's own recent calls with seeking (HTTP Range), and the listen is audited. Seat 1002
neither sees the call nor may fetch its recording."""

from __future__ import annotations

import pytest

from core.ids import SeatId
from core.recordings import RecordingStatus
from pbx.sim.model import CallerSpec
from store.recordings import RecordingRepository
from tests.e2e.test_seat_console_e2e import Server, _browser, _login, server  # noqa: F401 (fixture)
from tests.support.browser import CHROMIUM
from tests.support.polling import wait_until

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (CI installs it)")

SPEECH = "speech-fireredasr-BAC009S0764W0121.wav"


def test_given_a_demo_call_when_its_seat_plays_the_recording_then_it_seeks_and_another_seat_is_refused(
    server: Server,  # noqa: F811
) -> None:
    from playwright.sync_api import expect, sync_playwright

    rt = server.runtime
    with sync_playwright() as pw:
        browser = _browser(pw)
        try:
            page = browser.new_context(locale="zh-CN").new_page()
            _login(page, server.url, "seat1001")
            page.get_by_role("button", name="签入").click()
            expect(page.locator("#state-label")).to_have_text("空闲", timeout=10_000)

            async def place() -> None:
                assert rt.simulator is not None
                rt.simulator.place_call(
                    CallerSpec(
                        number="13812345678", dtmf="12", district="310106", talk_time=6.0, speech=SPEECH
                    )
                )

            server.run(place())
            expect(page.locator("#state-label")).to_have_text("通话中", timeout=15_000)
            call_id = rt.board.state(SeatId("1001")).call_id if rt.board else None
            assert call_id
            repo = RecordingRepository(rt.repos.db)
            wait_until(lambda: bool(repo.for_call(call_id)), 30, "the call's recording kept")
            (kept,) = repo.for_call(call_id)
            assert kept.status is RecordingStatus.OK

            # The seat's own recent calls on its console, each with its recording.
            cell = page.locator(f"#my-calls-rows tr[data-call='{call_id}'] td.recordings")
            cell.get_by_role("button", name="收听通话录音").click()
            player = cell.locator(".recording[data-segment='1'] audio")
            expect(player).to_have_attribute("src", f"/api/calls/{call_id}/recordings/1/audio")
            with page.expect_response(lambda r: r.url.endswith("/recordings/1/audio")) as got:
                player.evaluate("a => a.play()")
            # Chromium asks for a byte range: the server answers it (206), so the player can seek.
            assert got.value.status == 206 and got.value.header_value("content-type") == "audio/wav"
            assert (got.value.header_value("content-range") or "").startswith("bytes 0-")
            page.wait_for_function("a => a.currentTime > 0.5 && a.duration > 4", arg=player.element_handle())
            seekable = "a => a.seekable.length === 1 && a.seekable.end(0) > a.duration - 0.1"
            assert player.evaluate(seekable)
            player.evaluate("a => { a.currentTime = a.duration - 1.5; }")
            page.wait_for_function("a => a.currentTime > a.duration - 1.4", arg=player.element_handle())
            assert "13812345678" not in page.content()

            other = browser.new_context(locale="zh-CN").new_page()
            _login(other, server.url, "seat1002")
            expect(other.locator("#my-calls")).to_be_visible()
            expect(other.locator("#my-calls-rows")).not_to_contain_text("138****5678")
            refused = other.request.get(f"{server.url}/api/calls/{call_id}/recordings/1/audio")
            assert refused.status == 403 and "无权" in refused.json()["message"]
        finally:
            browser.close()

    heard = [(e.actor, e.target) for e in rt.repos.audit.recent() if e.action == "recording.listen"]
    assert heard and set(heard) == {("u-1001", call_id)}
