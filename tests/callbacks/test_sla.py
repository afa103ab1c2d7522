from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from callbacks.sla import SlaPolicy, SlaState
from core.clock import CHINA_TZ, ManualClock
from routing.calendar import HolidayCalendar


def cst(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CHINA_TZ)


@pytest.fixture
def sla(calendar: HolidayCalendar) -> SlaPolicy:
    return SlaPolicy(calendar=calendar)


@pytest.mark.parametrize(
    ("created", "due"),
    [
        # in service hours: 30 minutes later
        (cst(2026, 11, 23, 10, 0), cst(2026, 11, 23, 10, 30)),
        # 16:50 on a Friday: 10 min that day, 20 min on Monday
        (cst(2026, 11, 20, 16, 50), cst(2026, 11, 23, 9, 20)),
        # Friday evening, after hours: 10:00 on Monday
        (cst(2026, 11, 20, 18, 0), cst(2026, 11, 23, 10, 0)),
        # Saturday: 10:00 on Monday
        (cst(2026, 11, 21, 11, 0), cst(2026, 11, 23, 10, 0)),
        # early on a working day: 10:00 the same day
        (cst(2026, 11, 24, 7, 30), cst(2026, 11, 24, 10, 0)),
        # eve of National Day (1-7 Oct 2026 off): 10:00 on Thursday 8 Oct
        (cst(2026, 9, 30, 17, 30), cst(2026, 10, 8, 10, 0)),
        # during the holiday: the same
        (cst(2026, 10, 3, 9, 30), cst(2026, 10, 8, 10, 0)),
        # Friday 18 Sep 16:50: Sunday 20 Sep is a make-up working day
        (cst(2026, 9, 18, 16, 50), cst(2026, 9, 20, 9, 20)),
        # make-up Saturday 10 Oct 2026, in service hours
        (cst(2026, 10, 10, 10, 0), cst(2026, 10, 10, 10, 30)),
    ],
)
def test_given_a_creation_time_when_computing_the_deadline_then_service_hours_and_calendar_are_respected(
    sla: SlaPolicy, created: datetime, due: datetime
) -> None:
    assert sla.deadline(created) == due


def test_given_an_order_in_service_hours_when_the_clock_moves_then_ok_then_warning_at_80_then_breached(
    sla: SlaPolicy,
) -> None:
    clock = ManualClock(cst(2026, 11, 23, 10, 0))
    created = clock.now()
    due = sla.deadline(created)
    clock.advance(minutes=23, seconds=59)
    assert sla.state(created, due, clock.now()) is SlaState.OK
    clock.advance(seconds=1)  # 24 min = 80 % of 30
    assert sla.state(created, due, clock.now()) is SlaState.WARNING
    clock.advance(minutes=6)
    assert sla.state(created, due, clock.now()) is SlaState.BREACHED


def test_given_a_friday_evening_order_when_the_weekend_passes_then_the_warning_comes_monday_0948(
    sla: SlaPolicy,
) -> None:
    created = cst(2026, 11, 20, 18, 0)
    due = sla.deadline(created)
    # The budget is one hour of service time (09:00-10:00 Monday): warning after 48 minutes of it.
    assert sla.warning_at(created, due) == cst(2026, 11, 23, 9, 48)
    assert sla.state(created, due, cst(2026, 11, 22, 23, 0)) is SlaState.OK
    assert sla.state(created, due, cst(2026, 11, 23, 9, 48)) is SlaState.WARNING


def test_given_a_holiday_when_measuring_service_time_then_the_days_off_count_nothing(sla: SlaPolicy) -> None:
    assert sla.service_time_between(cst(2026, 9, 30, 16, 0), cst(2026, 10, 8, 10, 0)) == timedelta(hours=2)


def test_given_a_make_up_sunday_when_asked_then_it_is_in_service_and_a_normal_sunday_is_not(
    sla: SlaPolicy,
) -> None:
    assert sla.in_service(cst(2026, 9, 20, 10, 0))
    assert not sla.in_service(cst(2026, 9, 27, 10, 0))
