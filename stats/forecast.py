"""The day's staffing forecast (排班预测), per half hour, against the rota (pure: no I/O).

Volumes: the mean calls per half hour over the same weekday of the last `HISTORY_WEEKS` weeks
(days with no call at all are left out), or, without history, the default curve of a 12348
hotline. AHT: the mean talk time of those answered calls plus the wrap-up time, or
`DEFAULT_AHT_SECONDS`. Patience: estimated from the queue waits of every call of the history (all
weekdays: abandons are few) (`stats.erlang.estimate_patience`: time queued / abandons), or
`DEFAULT_PATIENCE_SECONDS`.

Seats: Erlang A (callers hang up: `stats.erlang`), the fewest seats that meet both targets, the
answer rate (`ANSWER_RATE_TARGET`, 95 %) and the share answered within 15 seconds
(`FAST_ANSWER_TARGET` within `FAST_ANSWER_SECONDS`, GB/T 33358-2016); then shrinkage (the share of
a rostered seat's time not spent taking calls: breaks, meetings, training) gives the seats to roster.
Each half hour is compared with the seats the rota has on shift at its middle: a shortfall is a gap.
Today's calls so far, per half hour, go beside the forecast (the board's chart).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.access import Scope
from core.calls import CallRecord
from core.clock import CHINA_TZ
from stats.erlang import DEFAULT_PATIENCE_SECONDS, StaffingA, estimate_patience, seats_for_targets
from stats.kpi import (
    ANSWER_RATE_TARGET,
    FAST_ANSWER_SECONDS,
    FAST_ANSWER_TARGET,
    SLOT_SECONDS,
    SLOTS_PER_DAY,
    CallOutcome,
    average_volumes,
    default_volumes,
    sample_of,
    slot_of,
)
from stats.reports import china_day_start

DEFAULT_AHT_SECONDS = 300.0  # a legal consultation: about five minutes with the notes
DEFAULT_DAILY_CALLS = 400.0  # city-wide; a district's share is a sixteenth
DEFAULT_SHRINKAGE = 0.30  # breaks, meetings, training, sickness: a common planning value
HISTORY_WEEKS = 4


class ForecastSource(enum.StrEnum):
    HISTORY = "history"
    DEFAULT = "default"


@dataclass(frozen=True, slots=True, kw_only=True)
class SlotForecast:
    staffing: StaffingA  # the forecast: calls, seats taking calls, seats to roster, figures
    scheduled: int | None  # seats the rota has on shift mid-slot (None: no rota read)
    actual_calls: int  # calls offered to the queues in this half hour of the day so far
    actual_answered: int
    actual_abandoned: int

    @property
    def gap(self) -> int | None:
        """Rostered minus needed: negative is a shortfall (None: no rota read)."""
        return None if self.scheduled is None else self.scheduled - self.staffing.rostered


@dataclass(frozen=True, slots=True, kw_only=True)
class Forecast:
    scope: str  # the scope's label
    day: date
    source: ForecastSource
    history_days: int  # days with calls in the history (0 with the default curve)
    daily_calls: float  # the default curve's day total (with the default curve)
    aht_seconds: float
    patience_seconds: float
    patience_abandons: int  # abandons the patience was estimated from (0: the default)
    shrinkage: float
    slots: list[SlotForecast]  # SLOTS_PER_DAY of them, from 00:00

    @property
    def source_label(self) -> str:
        if self.source is ForecastSource.HISTORY:
            return f"按近 {HISTORY_WEEKS} 周同星期、同半小时的历史来电量（{self.history_days} 天有数据）"
        return f"无历史来电数据，使用默认来电曲线（全天约 {self.daily_calls:.0f} 通）"

    @property
    def patience_label(self) -> str:
        if self.patience_abandons:
            return f"按 {self.patience_abandons} 通放弃来电估算来电人平均耐心 {self.patience_seconds:.0f} 秒"
        return f"历史中无放弃来电，来电人平均耐心按默认 {self.patience_seconds:.0f} 秒"

    @property
    def gaps(self) -> int:
        """Half hours where the rota has fewer seats than needed."""
        return sum(1 for s in self.slots if s.gap is not None and s.gap < 0)


def history_span(day: date) -> tuple[datetime, datetime]:
    """[start, end) of the calls the forecast of `day` reads."""
    return china_day_start(day - timedelta(weeks=HISTORY_WEEKS)), china_day_start(day)


def slot_middles(day: date) -> list[datetime]:
    """The middle of each half hour of `day` (China time): where the rota is read."""
    start = china_day_start(day)
    return [start + timedelta(seconds=SLOT_SECONDS * i + SLOT_SECONDS / 2) for i in range(SLOTS_PER_DAY)]


def build_forecast(
    scope: Scope,
    day: date,
    calls: Sequence[CallRecord],
    *,
    wrap_up_s: float,
    shrinkage: float = DEFAULT_SHRINKAGE,
    scheduled: Sequence[int] | None = None,
    today: Sequence[CallRecord] = (),
) -> Forecast:
    """The forecast of `day` from the calls of `history_span(day)`; `scheduled`: seats on the
    rota per half hour (`slot_middles`); `today`: the day's calls so far."""
    mine = [sample_of(c) for c in calls if scope.sees_call(c)]
    same_day = [s for s in mine if s.offered_at.astimezone(CHINA_TZ).weekday() == day.weekday()]
    offered = [s.offered_at for s in same_day if s.outcome is not CallOutcome.NOT_OFFERED]
    volumes, days = average_volumes(offered)
    talks = [s.talk_seconds for s in same_day if s.outcome is CallOutcome.ANSWERED and s.talk_seconds]
    abandon_waits = [s.wait_seconds or 0.0 for s in mine if s.outcome is CallOutcome.ABANDONED]
    answer_waits = [s.wait_seconds for s in mine if s.outcome is CallOutcome.ANSWERED and s.wait_seconds]
    daily = DEFAULT_DAILY_CALLS if scope.citywide else DEFAULT_DAILY_CALLS / 16
    if not days:
        volumes = default_volumes(daily)
    aht = (sum(talks) / len(talks) + wrap_up_s) if talks else DEFAULT_AHT_SECONDS
    patience = estimate_patience(abandon_waits, answer_waits) or DEFAULT_PATIENCE_SECONDS
    actual = [[0, 0, 0] for _ in range(SLOTS_PER_DAY)]
    for c in today:
        s = sample_of(c)
        if not scope.sees_call(c) or s.outcome is CallOutcome.NOT_OFFERED:
            continue
        cell = actual[slot_of(s.offered_at)]
        cell[0] += 1
        cell[1] += s.outcome is CallOutcome.ANSWERED
        cell[2] += s.outcome is CallOutcome.ABANDONED
    return Forecast(
        scope=scope.label,
        day=day,
        source=ForecastSource.HISTORY if days else ForecastSource.DEFAULT,
        history_days=days,
        daily_calls=daily,
        aht_seconds=aht,
        patience_seconds=patience,
        patience_abandons=len(abandon_waits),
        shrinkage=shrinkage,
        slots=[
            SlotForecast(
                staffing=seats_for_targets(
                    volumes[i],
                    aht,
                    patience,
                    interval_s=SLOT_SECONDS,
                    answer_rate_target=ANSWER_RATE_TARGET,
                    service_level_target=FAST_ANSWER_TARGET,
                    threshold_s=FAST_ANSWER_SECONDS,
                    shrinkage=shrinkage,
                ),
                scheduled=None if scheduled is None else scheduled[i],
                actual_calls=actual[i][0],
                actual_answered=actual[i][1],
                actual_abandoned=actual[i][2],
            )
            for i in range(SLOTS_PER_DAY)
        ],
    )
