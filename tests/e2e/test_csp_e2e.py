"""End to end in real headless Chromium: every console page works under the Content-Security-Policy.

The app runs under uvicorn in a thread on a free port. A supervisor, an admin and a seat open
each page; Chromium reports any script, style or connection the CSP blocks on the console, and
the test fails on any such report, on any page error, and when a page does not come alive (its
scripts fill in the user's name; the live pages connect their websocket).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from app.main import build_app
from app.settings import DEMO_ADMIN_PASSWORD, demo_settings
from tests.support.live_server import live_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (CI installs it)")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    settings = demo_settings(
        database={"url": f"sqlite:///{tmp_path / 'e2e-csp.db'}"},
        sim={"enabled": False},
        ami={"enabled": False},
        agi={"port": 0},
        audiosocket={"enabled": False},
    )
    app: FastAPI = build_app(settings)
    with live_server(app, start_timeout=20) as live:
        yield live.url


# user, pages to open (path, a selector that scripts fill in, whether a websocket goes live)
VISITS = [
    (
        "banzhang",
        [
            ("/supervisor", "#who", True),
            ("/orders", "#who", True),
            ("/schedule", "#who", False),
            ("/report", "#title", False),
        ],
    ),
    ("admin", [("/offices", "#who", False), ("/", "#who", True), ("/qc", "#who", False)]),
    ("seat1001", [("/seat", "#who", True), ("/qc", "#who", False)]),
    ("zhijian", [("/qc", "#who", False)]),
]


def _listen(page: Any, who: str, blocked: list[str], errors: list[str]) -> None:
    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            blocked.append(f"{who} {page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"{who} {page.url}: {exc}"))


def test_given_the_csp_when_each_role_opens_its_pages_then_nothing_is_blocked_and_pages_work(
    server: str,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    blocked: list[str] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for user, pages in VISITS:
                context = browser.new_context(locale="zh-CN")
                page = context.new_page()
                _listen(page, user, blocked, errors)
                first = page.goto(server + "/")
                assert first is not None and "script-src 'self'" in first.headers["content-security-policy"]
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", DEMO_ADMIN_PASSWORD)
                page.click("#login button[type=submit]")
                expect(page.locator("#who")).not_to_be_empty()  # logged in (a seat lands on /seat)
                for path, filled, live in pages:
                    page.goto(server + path)
                    expect(page.locator(filled)).not_to_be_empty()
                    if live:  # the websocket (connect-src 'self') is up
                        expect(page.locator("#conn")).to_have_class(re.compile(r"\bon\b"))
                    if path == "/supervisor":
                        # The scope note's colour now comes from supervisor.css, not an inline style.
                        color = page.locator("#scope").evaluate("el => getComputedStyle(el).color")
                        assert color == "rgb(255, 221, 221)"
                context.close()
        finally:
            browser.close()
    assert blocked == []
    assert errors == []
