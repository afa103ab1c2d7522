"""Fixtures for the callback tests; the fakes are in `callback_fakes.py` (this folder goes on sys.path)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from callback_fakes import Rig, make_rig

from core.clock import ManualClock
from routing.calendar import HolidayCalendar, load_holidays
from store.db import Database


@pytest.fixture
def calendar() -> HolidayCalendar:
    return load_holidays()


@pytest.fixture
def clock() -> ManualClock:
    # Monday 2026-11-23 10:00 China time: a working day, in service hours.
    return ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


@pytest.fixture
def rig(db: Database, clock: ManualClock, calendar: HolidayCalendar) -> Rig:
    return make_rig(db, clock, calendar)
