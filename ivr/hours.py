"""The default `ServiceHours`: fixed weekly hours in China Standard Time.

Public holidays and adjusted working days (调休) are not known here; inject a calendar-aware
`ServiceHours` from `app` for that.
"""

from __future__ import annotations

from datetime import datetime

from core.clock import CHINA_TZ
from ivr.menu import HoursSpec


class WeeklyServiceHours:
    def __init__(self, spec: HoursSpec) -> None:
        self._spec = spec

    def is_open(self, now: datetime) -> bool:
        if now.tzinfo is None:
            raise ValueError("is_open needs an aware datetime")
        local = now.astimezone(CHINA_TZ)
        return local.isoweekday() in self._spec.days and self._spec.open <= local.time() < self._spec.close
