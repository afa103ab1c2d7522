"""Today's staffing forecast (排班预测), per half hour (pure: no I/O).

Volumes: the mean calls per half hour over the same weekday of the last `HISTORY_WEEKS` weeks
(days with no call at all are left out), or, without history, the default curve of a 12348
hotline. AHT: the mean talk time of those answered calls plus the wrap-up time, or
`DEFAULT_AHT_SECONDS`. Seats: Erlang C against the service-level target.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.access import Scope
from core.calls import CallRecord
from core.clock import CHINA_TZ
from stats.kpi import (
    SERVICE_LEVEL_SECONDS,
    SERVICE_LEVEL_TARGET,
    SLOTS_PER_DAY,
    CallOutcome,
    Staffing,
    average_volumes,
    default_volumes,
    sample_of,
    seats_needed,
)
from stats.reports import china_day_start

DEFAULT_AHT_SECONDS = 300.0  # a legal consultation: about five minutes with the notes
DEFAULT_DAILY_CALLS = 400.0  # city-wide; a district's share is a sixteenth
HISTORY_WEEKS = 4


class ForecastSource(enum.StrEnum):
    HISTORY = "history"
    DEFAULT = "default"


@dataclass(frozen=True, slots=True, kw_only=True)
class Forecast:
    scope: str  # the scope's label
    day: date
    source: ForecastSource
    history_days: int  # days with calls in the history (0 with the default curve)
    daily_calls: float  # the default curve's day total (with the default curve)
    aht_seconds: float
    slots: list[Staffing]  # SLOTS_PER_DAY of them, from 00:00

    @property
    def source_label(self) -> str:
        if self.source is ForecastSource.HISTORY:
            return f"按近 {HISTORY_WEEKS} 周同星期的历史来电量（{self.history_days} 天有数据）"
        return f"无历史来电数据，使用默认来电曲线（全天约 {self.daily_calls:.0f} 通）"


def history_span(day: date) -> tuple[datetime, datetime]:
    """[start, end) of the calls the forecast of `day` reads."""
    return china_day_start(day - timedelta(weeks=HISTORY_WEEKS)), china_day_start(day)


def build_forecast(scope: Scope, day: date, calls: Sequence[CallRecord], *, wrap_up_s: float) -> Forecast:
    """The forecast of `day` from the calls of `history_span(day)`."""
    samples = [
        sample_of(c)
        for c in calls
        if c.offered_at.astimezone(CHINA_TZ).weekday() == day.weekday() and scope.sees_call(c)
    ]
    offered = [s.offered_at for s in samples if s.outcome is not CallOutcome.NOT_OFFERED]
    volumes, days = average_volumes(offered)
    talks = [s.talk_seconds for s in samples if s.outcome is CallOutcome.ANSWERED and s.talk_seconds]
    daily = DEFAULT_DAILY_CALLS if scope.citywide else DEFAULT_DAILY_CALLS / 16
    if not days:
        volumes = default_volumes(daily)
    aht = (sum(talks) / len(talks) + wrap_up_s) if talks else DEFAULT_AHT_SECONDS
    return Forecast(
        scope=scope.label,
        day=day,
        source=ForecastSource.HISTORY if days else ForecastSource.DEFAULT,
        history_days=days,
        daily_calls=daily,
        aht_seconds=aht,
        slots=[
            seats_needed(
                volumes[slot], aht, target_level=SERVICE_LEVEL_TARGET, threshold_s=SERVICE_LEVEL_SECONDS
            )
            for slot in range(SLOTS_PER_DAY)
        ],
    )
