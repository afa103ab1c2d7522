"""Service-level deadlines of callback work orders. Pure: every function takes the time it needs.

A miss during service hours (default Monday-Friday 09:00-17:00 China time, working days per the
holiday calendar, so public holidays are off and make-up Saturdays are on) is due 30 minutes of
*service time* later: a miss at 16:50 is due at 09:20 on the next working day, not at 17:20 when
nobody is there. A miss outside service hours is due at 10:00 on the next working day (the same
day when it came in before the opening). The warning comes when 80 % of the order's service-time
budget is spent, the breach at 100 % (the deadline itself). A follow-up (回访) of a 不满意 rating
is due `follow_up_days` working days of service time after the rating (default one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from callbacks.models import WorkOrder
from callbacks.ports import WorkingCalendar
from core.clock import CHINA_TZ
from core.errors import ConfigurationError, InvalidInput
from core.labels import LabelledEnum

_MAX_DAYS = 400  # a calendar with no working day in that span is broken, not a long holiday
APPOINTMENT_MIN_AHEAD = timedelta(minutes=5)
APPOINTMENT_MAX_AHEAD = timedelta(days=14)


class SlaState(LabelledEnum):
    OK = "ok", "正常"
    WARNING = "warning", "即将超时"
    BREACHED = "breached", "已超时"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceHours:
    opens: time = time(9, 0)
    closes: time = time(17, 0)
    tz: tzinfo = CHINA_TZ

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ConfigurationError("服务时间设置有误：结束时间须晚于开始时间")


@dataclass(frozen=True, slots=True, kw_only=True)
class SlaPolicy:
    calendar: WorkingCalendar
    hours: ServiceHours = field(default_factory=ServiceHours)
    response: timedelta = timedelta(minutes=30)
    after_hours_due: time = time(10, 0)
    warning_ratio: float = 0.8
    # 预约回拨: due at the agreed time (the warning), breached this long after it.
    appointment_grace: timedelta = timedelta(minutes=30)
    # 回访 of a 不满意 rating: due this many working days of service time after the rating.
    follow_up_days: float = 1.0

    def __post_init__(self) -> None:
        if self.follow_up_days <= 0:
            raise ConfigurationError("回访时限设置有误：须大于 0 个工作日")

    # --- service time -------------------------------------------------------------------------

    def window(self, d: date) -> tuple[datetime, datetime] | None:
        """The day's service window, or None on a day off."""
        if not self.calendar.is_working_day(d):
            return None
        tz = self.hours.tz
        return datetime.combine(d, self.hours.opens, tz), datetime.combine(d, self.hours.closes, tz)

    def in_service(self, at: datetime) -> bool:
        span = self.window(at.astimezone(self.hours.tz).date())
        return span is not None and span[0] <= at < span[1]

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself when in service hours, else the next moment service opens."""
        day = at.astimezone(self.hours.tz).date()
        for _ in range(_MAX_DAYS):
            span = self.window(day)
            if span is not None and at < span[1]:
                return max(at, span[0])
            day += timedelta(days=1)
        raise ConfigurationError(f"{_MAX_DAYS} 天内没有工作日，节假日表有误")

    def add_service_time(self, start: datetime, amount: timedelta) -> datetime:
        t, remaining = start, amount
        for _ in range(_MAX_DAYS):
            t = self.next_opening(t)
            span = self.window(t.astimezone(self.hours.tz).date())
            assert span is not None  # next_opening only stops on a working day
            available = span[1] - t
            if remaining <= available:
                return t + remaining
            remaining -= available
            t = span[1]
        raise ConfigurationError(f"{_MAX_DAYS} 天内没有工作日，节假日表有误")

    def service_time_between(self, start: datetime, end: datetime) -> timedelta:
        total = timedelta(0)
        if end <= start:
            return total
        day = start.astimezone(self.hours.tz).date()
        last = end.astimezone(self.hours.tz).date()
        while day <= last:
            span = self.window(day)
            if span is not None:
                lo, hi = max(start, span[0]), min(end, span[1])
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    # --- deadlines and states -----------------------------------------------------------------

    def deadline(self, created_at: datetime) -> datetime:
        if self.in_service(created_at):
            return self.add_service_time(created_at, self.response)
        opening = self.next_opening(created_at)
        day = opening.astimezone(self.hours.tz).date()
        return datetime.combine(day, self.after_hours_due, self.hours.tz)

    def follow_up_deadline(self, rated_at: datetime) -> datetime:
        """When the follow-up of a rating given at `rated_at` is due: `follow_up_days` working
        days of service time (a rating after hours counts from the next opening)."""
        opens = datetime.combine(date(2000, 1, 1), self.hours.opens)
        closes = datetime.combine(date(2000, 1, 1), self.hours.closes)
        return self.add_service_time(rated_at, (closes - opens) * self.follow_up_days)

    def warning_at(self, created_at: datetime, deadline: datetime) -> datetime:
        budget = self.service_time_between(created_at, deadline)
        if budget <= timedelta(0):
            return deadline
        return self.add_service_time(created_at, budget * self.warning_ratio)

    def state(self, created_at: datetime, deadline: datetime, now: datetime) -> SlaState:
        if now >= deadline:
            return SlaState.BREACHED
        if now >= self.warning_at(created_at, deadline):
            return SlaState.WARNING
        return SlaState.OK

    def state_of(self, order: WorkOrder, now: datetime) -> SlaState:
        """An open order's state now; a closed one's state when it was closed (met or missed).
        A callback appointment is due (WARNING) from its agreed time, BREACHED at its deadline."""
        at = order.closed_at if order.closed_at is not None and not order.status.is_open else now
        if order.scheduled_for is not None:
            if at >= order.deadline:
                return SlaState.BREACHED
            return SlaState.WARNING if at >= order.scheduled_for else SlaState.OK
        return self.state(order.created_at, order.deadline, at)

    def check_appointment(self, at: datetime, now: datetime) -> datetime:
        """`at` as a callback appointment made `now`, or `InvalidInput` in Chinese: in service
        hours, at least `APPOINTMENT_MIN_AHEAD` ahead and within `APPOINTMENT_MAX_AHEAD`."""
        if at.tzinfo is None:
            raise InvalidInput("预约时间须带时区", at=at.isoformat())
        if at < now + APPOINTMENT_MIN_AHEAD:
            raise InvalidInput(f"预约时间须至少在 {APPOINTMENT_MIN_AHEAD.seconds // 60} 分钟之后")
        if at > now + APPOINTMENT_MAX_AHEAD:
            raise InvalidInput(f"预约时间须在 {APPOINTMENT_MAX_AHEAD.days} 天之内")
        if not self.in_service(at):
            hours = f"{self.hours.opens:%H:%M}–{self.hours.closes:%H:%M}"
            raise InvalidInput(f"预约时间须在服务时间内（工作日 {hours}）", at=at.isoformat())
        return at
