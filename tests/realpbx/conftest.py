"""Fixtures for the tests against a REAL Asterisk 22 (skipped unless HOTLINE_TEST_ASTERISK names
an `asterisk` binary; see README.md in this folder).

`hotline` gives each test its own Asterisk (our rendered configuration, private ports and
directories), our application composed as `hotline serve` composes it (`app.main.build_app`, its
lifespan run in-process) with AMI / FastAGI / AudioSocket pointed at that Asterisk and a fresh
SQLite database, and registered pyVoIP phones: the citizen (in context hotline-incoming), seats
1001 and 1002, and the carrier behind the trunk.

The application's clock is moved to a working-day morning in Shanghai (the IVR's menus and the
queues' routing depend on service hours), so the daytime path is taken whatever the hour the
tests run; Asterisk's own timestamps are untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realpbx_app import Hotline, WorkingEveningClock, WorkingMorningClock, asterisk_binary, seed, settings_for
from realpbx_asterisk import Ports, RealAsterisk
from realpbx_link import AmiLink
from realpbx_phones import SipPhone

from app.main import build_app
from core.events import StateResynced
from store.db import Database


@pytest.fixture
def pbx_systemname() -> str:
    """asterisk.conf `systemname` (none by default); a module may set one."""
    return ""


@pytest.fixture
async def pbx(tmp_path: Path, pbx_systemname: str) -> AsyncIterator[RealAsterisk]:
    """A private Asterisk on our rendered configuration; its logs end up in tmp_path/asterisk-logs."""
    pbx = RealAsterisk(asterisk_binary(), Ports.pick(), secrets.token_hex(12), pbx_systemname)
    try:
        await asyncio.to_thread(pbx.start)
        yield pbx
    finally:
        await asyncio.to_thread(pbx.stop, tmp_path / "asterisk-logs")


@pytest.fixture
def hotline_clock(request: pytest.FixtureRequest) -> WorkingMorningClock:
    """A working-day morning; `@pytest.mark.parametrize("hotline_clock", ["evening"], indirect=True)`
    gives that day's 22:00 (after hours) instead."""
    return WorkingEveningClock() if getattr(request, "param", "") == "evening" else WorkingMorningClock()


@pytest.fixture
def hotline_overrides() -> dict[str, Any]:
    """Settings sections a test module replaces in `settings_for` (none by default)."""
    return {}


@pytest.fixture
async def hotline(
    pbx: RealAsterisk, tmp_path: Path, hotline_clock: WorkingMorningClock, hotline_overrides: dict[str, Any]
) -> AsyncIterator[Hotline]:
    db_url = f"sqlite:///{tmp_path / 'hotline.db'}"
    app = None
    db = None
    phones: dict[str, SipPhone] = {}
    link = AmiLink(pbx.ports.ami)
    await link.start()
    try:
        await asyncio.to_thread(seed, db_url)
        app = build_app(settings_for(db_url, pbx, link.port, **hotline_overrides), clock=hotline_clock)
        async with app.router.lifespan_context(app):
            runtime = app.state.runtime
            resynced = asyncio.Event()

            async def on_resync(_event: object) -> None:
                resynced.set()

            runtime.bus.subscribe("test-resync", on_resync, types=(StateResynced,))
            if not (runtime.bridge is not None and runtime.bridge.status.resyncs > 0):
                await asyncio.wait_for(resynced.wait(), 20)
            db = Database(db_url)
            h = Hotline(pbx=pbx, app=app, db=db, ami_link=link, phones=phones)
            yield h
            # Let the last AMI events reach the store before the lifespan stops everything.
            await asyncio.sleep(0.5)
            await runtime.bus.drain()
    finally:
        for phone in phones.values():
            with contextlib.suppress(Exception):
                await asyncio.to_thread(phone.stop)
        if db is not None:
            db.dispose()
        await link.stop()
