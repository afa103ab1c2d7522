from __future__ import annotations

from datetime import date

import pytest

from core.errors import ConfigurationError
from routing.calendar import DayKind, HolidayCalendar, parse_holidays


@pytest.mark.parametrize("day", [date(2026, 10, d) for d in range(1, 8)])
def test_given_2026_national_day_when_checked_then_holiday(calendar: HolidayCalendar, day: date) -> None:
    info = calendar.day(day)
    assert info.kind is DayKind.HOLIDAY
    assert info.holiday == "国庆节"
    assert not info.working


@pytest.mark.parametrize("day", [date(2026, 9, 20), date(2026, 10, 10)])
def test_given_2026_national_day_makeup_weekend_when_checked_then_working(
    calendar: HolidayCalendar, day: date
) -> None:
    info = calendar.day(day)
    assert day.weekday() >= 5
    assert info.kind is DayKind.MAKEUP_WORKDAY
    assert info.working
    assert "调休上班（国庆节）" in info.describe()


def test_given_2026_mid_autumn_and_spring_festival_when_checked_then_holidays(
    calendar: HolidayCalendar,
) -> None:
    assert calendar.day(date(2026, 9, 25)).holiday == "中秋节"
    assert calendar.day(date(2026, 10, 8)).kind is DayKind.WORKDAY
    assert all(not calendar.is_working_day(date(2026, 2, d)) for d in range(15, 24))
    assert calendar.is_working_day(date(2026, 2, 14)) and calendar.is_working_day(date(2026, 2, 28))


def test_given_2025_schedule_when_checked_then_official_dates(calendar: HolidayCalendar) -> None:
    assert calendar.day(date(2025, 10, 8)).kind is DayKind.HOLIDAY
    assert calendar.day(date(2025, 10, 11)).kind is DayKind.MAKEUP_WORKDAY
    assert calendar.day(date(2025, 4, 27)).kind is DayKind.MAKEUP_WORKDAY
    assert calendar.day(date(2025, 1, 28)).holiday == "春节"


def test_given_unpublished_2027_when_checked_then_weekday_rule_flagged(calendar: HolidayCalendar) -> None:
    info = calendar.day(date(2027, 10, 1))  # a Friday; the 2027 notice is not in the table
    assert info.working and not info.verified
    assert "2027年放假安排未录入" in info.describe()
    assert 2027 not in calendar.official_years


def test_given_holiday_when_next_working_day_then_after_the_break(calendar: HolidayCalendar) -> None:
    assert calendar.next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)


def test_given_makeup_day_on_weekday_when_parsed_then_rejected() -> None:
    data = {
        "years": {
            "2030": {"holidays": [{"name": "x", "off": ["2030-01-01", "2030-01-01"], "work": ["2030-01-02"]}]}
        }
    }
    with pytest.raises(ConfigurationError, match="不是周末"):
        parse_holidays(data)
