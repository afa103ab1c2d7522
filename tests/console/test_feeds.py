"""Feeds (`console_web.feeds`, issue 21): a page's socket is sent only the event types the page
applies. Each page's JavaScript is read here: every type its handlers name must be in its feed,
so a handler added without its type fails this test instead of silently never firing."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import app.main  # noqa: F401  (every event module is imported: the registry is complete)
from console_web.feeds import FEEDS, UnknownFeed, feed_named
from console_web.hub import RESYNC, WebsocketHub
from core.bus import EventBus
from core.call_events import CallOffered
from core.events import event_class
from core.ids import CallId, SeatId, TeamId
from core.seat_events import SeatStateChanged, SeatStatus
from tests.support.pushes import FakeSocket, settle

STATIC = Path(__file__).resolve().parents[2] / "console_web" / "static"
AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)

# What a page's handlers name: `case "X"`, `ev.type === "X"`, `ev.type.startsWith("X")`.
_CASE = re.compile(r'case "([A-Z]\w+)"')
_EQUALS = re.compile(r'\.type === "([A-Z]\w+)"')
_PREFIX = re.compile(r'\.type\.startsWith\("([A-Z]\w*)"\)')
_FEED = re.compile(r'live\(\{[^}]*feed: "(\w+)"')


def _pages() -> dict[str, str]:
    """Each page module that opens a live socket with a feed: its feed's name."""
    out = {}
    for js in sorted(STATIC.glob("*.js")):
        if m := _FEED.search(js.read_text(encoding="utf-8")):
            out[js.name] = m.group(1)
    return out


def test_the_pages_that_apply_only_some_events_ask_for_their_feed() -> None:
    assert _pages() == {"orders.js": "orders", "seat.js": "seat", "supervisor.js": "supervisor"}


def test_every_event_type_a_page_handles_is_in_its_feed() -> None:
    for page, name in _pages().items():
        feed = FEEDS[name]
        text = (STATIC / page).read_text(encoding="utf-8")
        handled = set(_CASE.findall(text)) | set(_EQUALS.findall(text))
        assert handled, page
        missing = sorted(t for t in handled if t not in ("StateResynced", "hello") and not feed.wants(t))
        assert not missing, f"{page} handles {missing}, not in its feed {name!r}"
        for prefix in _PREFIX.findall(text):
            assert f"{prefix}*" in feed.patterns, (
                f"{page} takes every {prefix}… event: {name!r} must say {prefix}*"
            )


def test_every_name_in_a_feed_is_an_event_type_and_every_prefix_matches_one() -> None:
    from core.events import _REGISTRY

    for feed in FEEDS.values():
        for name in feed.names():
            event_class(name)  # raises for a misspelt name, which would never be sent
        for pattern in feed.patterns:
            if pattern.endswith("*"):
                assert any(t.startswith(pattern[:-1]) for t in _REGISTRY), pattern


def test_an_unknown_feed_is_refused_and_none_is_every_event() -> None:
    assert feed_named(None) is None and feed_named("") is None
    assert feed_named("supervisor") is FEEDS["supervisor"]
    with pytest.raises(UnknownFeed):
        feed_named("everything-please")


async def test_given_a_supervisor_feed_then_its_socket_gets_seat_states_not_call_events() -> None:
    bus = EventBus()
    await bus.start()
    try:
        hub = WebsocketHub(bus)
        board, all_events = FakeSocket(), FakeSocket()
        tasks = [
            asyncio.create_task(hub.serve(board, feed=FEEDS["supervisor"])),  # type: ignore[arg-type]
            asyncio.create_task(hub.serve(all_events)),  # type: ignore[arg-type]
        ]
        await asyncio.sleep(0.05)
        offered = CallOffered(
            at=AT, call_id=CallId("1.1"), caller_number="13812345678", dialed="12348", channel="PJSIP/x-1"
        )
        state = SeatStateChanged(
            at=AT,
            seat_id=SeatId("1001"),
            team_id=TeamId("t-jingan"),
            previous=SeatStatus.AVAILABLE,
            status=SeatStatus.RINGING,
        )
        await bus.publish(offered)
        await bus.publish(state)
        await settle(bus)
        await asyncio.sleep(0.05)
        assert board.types() == ["SeatStateChanged"]
        assert all_events.types() == ["CallOffered", "SeatStateChanged"]
        # A resync is every page's, whatever its feed.
        for c in list(hub._connections):
            c.resync()
        await asyncio.sleep(0.05)
        assert board.raw[-1] == RESYNC
        for ws in (board, all_events):
            await ws.close()
        await asyncio.gather(*tasks)
    finally:
        await bus.stop()
