"""Time as a dependency.

Domain code never reads the wall clock: it is handed a `Clock` (or a timestamp). Production uses
`SystemClock`; tests and the simulator's fast-forward mode use `ManualClock`.
All datetimes in the system are timezone-aware; storage and the wire use UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
"""China Standard Time. China has had no daylight saving since 1991, so a fixed offset is exact."""


class Clock(Protocol):
    """Something that tells the current time as an aware datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to; for tests and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float = 0.0, **kwargs: float) -> datetime:
        self._now = self._now + timedelta(seconds=seconds, **kwargs)
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = when


def ensure_aware(value: datetime) -> datetime:
    """Treat a naive datetime as UTC (SQLite hands naive values back)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
