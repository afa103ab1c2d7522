"""The system Chromium the browser tests drive through Playwright, and its flags (headless, offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.settings import DEMO_ADMIN_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def log_in(page: Any, base: str, username: str, password: str = DEMO_ADMIN_PASSWORD) -> None:
    """Sign in on the home page's form (a demo account's password by default)."""
    page.goto(base + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login button[type=submit]")
