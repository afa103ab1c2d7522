"""Working days in mainland China: weekends, public holidays and make-up working days (调休).

The schedule is data (`routing/holidays.toml`, one table per year from the State Council's
notice). A year that is missing or marked `unpublished` falls back to Monday-Friday, and every
`DayInfo` for it says so (`verified=False`), so callers can show that the answer is a guess.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from core.errors import ConfigurationError

DEFAULT_HOLIDAYS_PATH = Path(__file__).with_name("holidays.toml")
_WEEKDAYS = "一二三四五六日"


class DayKind(enum.StrEnum):
    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"  # a Saturday or Sunday worked in exchange for a holiday


@dataclass(frozen=True, slots=True)
class DayInfo:
    day: date
    kind: DayKind
    holiday: str | None
    verified: bool  # False when the year's official schedule is not in the table

    @property
    def working(self) -> bool:
        return self.kind in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)

    def describe(self) -> str:
        """`2026年10月10日（周六）调休上班（国庆节）`."""
        d = self.day
        head = f"{d.year}年{d.month}月{d.day}日（周{_WEEKDAYS[d.weekday()]}）"
        text = {
            DayKind.WORKDAY: "工作日",
            DayKind.WEEKEND: "周末",
            DayKind.HOLIDAY: f"{self.holiday}假期",
            DayKind.MAKEUP_WORKDAY: f"调休上班（{self.holiday}）",
        }[self.kind]
        if not self.verified:
            text += f"（{d.year}年放假安排未录入，按周一至周五推定）"
        return head + text


@dataclass(frozen=True, slots=True)
class YearSchedule:
    year: int
    official: bool
    source: str
    off: Mapping[date, str]
    work: Mapping[date, str]


class HolidayCalendar:
    def __init__(self, years: Mapping[int, YearSchedule]) -> None:
        self._years = dict(years)

    @property
    def official_years(self) -> list[int]:
        return sorted(y for y, s in self._years.items() if s.official)

    def day(self, d: date) -> DayInfo:
        schedule = self._years.get(d.year)
        verified = schedule is not None and schedule.official
        if schedule is not None:
            if d in schedule.off:
                return DayInfo(d, DayKind.HOLIDAY, schedule.off[d], verified)
            if d in schedule.work:
                return DayInfo(d, DayKind.MAKEUP_WORKDAY, schedule.work[d], verified)
        kind = DayKind.WEEKEND if d.weekday() >= 5 else DayKind.WORKDAY
        return DayInfo(d, kind, None, verified)

    def is_working_day(self, d: date) -> bool:
        return self.day(d).working

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        d += timedelta(days=1)
        for _ in range(60):
            if self.is_working_day(d):
                return d
            d += timedelta(days=1)
        raise ConfigurationError(f"{d} 之后 60 天内没有工作日，节假日表有误")


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigurationError(f"节假日表 {where}：日期无效 {value!r}") from None


def parse_holidays(data: Mapping[str, Any]) -> HolidayCalendar:
    """Build a calendar from the parsed TOML (see holidays.toml for the shape); checks it."""
    years: dict[int, YearSchedule] = {}
    for key, table in dict(data.get("years", {})).items():
        year = int(key)
        status = table.get("status", "official")
        if status not in ("official", "unpublished"):
            raise ConfigurationError(f"节假日表 {year}：status 应为 official 或 unpublished")
        off: dict[date, str] = {}
        work: dict[date, str] = {}
        for item in table.get("holidays", []):
            name = str(item["name"])
            first, last = (_date(v, f"{year} {name}") for v in item["off"])
            if last < first or first.year != year:
                raise ConfigurationError(f"节假日表 {year} {name}：放假区间无效")
            d = first
            while d <= last:
                off[d] = name
                d += timedelta(days=1)
            for v in item.get("work", []):
                w = _date(v, f"{year} {name}")
                if w.weekday() < 5:
                    raise ConfigurationError(f"节假日表 {year} {name}：调休上班日 {w} 不是周末")
                work[w] = name
        years[year] = YearSchedule(year, status == "official", str(table.get("source", "")), off, work)
    return HolidayCalendar(years)


def load_holidays(path: Path = DEFAULT_HOLIDAYS_PATH) -> HolidayCalendar:
    """Read the holiday table at `path` (the packaged table by default)."""
    with path.open("rb") as f:
        return parse_holidays(tomllib.load(f))
