from __future__ import annotations

from pathlib import Path

import pytest

from routing.address import AddressResolver
from routing.calendar import HolidayCalendar, load_holidays
from routing.gazetteer import Gazetteer, load_gazetteer
from routing.offices import OfficeRegistry, build_offices

GAZETTEER_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "gazetteer"


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    if not GAZETTEER_DIR.is_dir():
        pytest.fail(f"gazetteer missing: {GAZETTEER_DIR}")
    return load_gazetteer(GAZETTEER_DIR)


@pytest.fixture(scope="session")
def resolver(gazetteer: Gazetteer) -> AddressResolver:
    return AddressResolver.build(gazetteer)


@pytest.fixture(scope="session")
def registry(gazetteer: Gazetteer) -> OfficeRegistry:
    return build_offices(gazetteer)


@pytest.fixture(scope="session")
def calendar() -> HolidayCalendar:
    return load_holidays()
