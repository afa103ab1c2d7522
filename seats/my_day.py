"""今日个人数据: one seat's figures for today (the China day), for its own workspace.

Read from the store through ports (blocking, so through `core.blocking.offload`): the calls offered
today and the survey answers given today. A call counts for the seat when the seat answered it
(`CallView.handled_by`'s rule: the first seat, or the one holding it at the end); its talk time is
the call's (all legs together). Callbacks made: today's callback calls the seat took. Satisfaction:
the share of 满意 (key 1) among today's survey answers rating this seat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol

from core.blocking import offload
from core.calls import CallRecord
from core.clock import CHINA_TZ, Clock
from core.ids import SeatId

SATISFIED = 1
"""The survey's key for 满意 (1 满意, 2 基本满意, 3 不满意)."""


class DayCalls(Protocol):
    """Stored calls (`store.repositories.CallRepository`)."""

    def between(
        self, start: datetime, end: datetime, *, direction: str | None = "inbound"
    ) -> Sequence[CallRecord]: ...


class SurveyScore(Protocol):
    """One survey answer (`stats.models.SurveyAnswer`)."""

    @property
    def seat_id(self) -> SeatId | None: ...

    @property
    def score(self) -> int: ...


class DaySurveys(Protocol):
    """Survey answers (`store.repositories.SurveyRepository`)."""

    def between(self, start: datetime, end: datetime) -> Sequence[SurveyScore]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class MyDay:
    day: str  # YYYY-MM-DD, China time
    answered: int
    talk_seconds: float  # total talk time of the answered calls whose talk time is known
    timed_calls: int  # those calls (the average's divisor)
    average_talk_seconds: float | None
    callbacks: int
    survey_answers: int
    satisfied: int
    satisfaction_rate: float | None  # satisfied / survey_answers


def china_day_span(now: datetime) -> tuple[datetime, datetime]:
    """[00:00, next 00:00) of `now`'s day in China time."""
    start = datetime.combine(now.astimezone(CHINA_TZ).date(), time(0), CHINA_TZ)
    return start, start + timedelta(days=1)


def _answered_by(call: CallRecord, seat_id: SeatId) -> bool:
    return call.answered_at is not None and seat_id in (call.seat_id, call.final_seat_id)


def figures(seat_id: SeatId, day: str, calls: Sequence[CallRecord], answers: Sequence[SurveyScore]) -> MyDay:
    """The seat's figures from the day's calls (every direction) and survey answers."""
    mine = [c for c in calls if _answered_by(c, seat_id)]
    inbound = [c for c in mine if c.direction == "inbound"]
    talks = [c.talk_seconds for c in inbound if c.talk_seconds is not None]
    rated = [a for a in answers if a.seat_id == seat_id]
    satisfied = sum(1 for a in rated if int(a.score) == SATISFIED)
    return MyDay(
        day=day,
        answered=len(inbound),
        talk_seconds=round(sum(talks), 1),
        timed_calls=len(talks),
        average_talk_seconds=round(sum(talks) / len(talks), 1) if talks else None,
        callbacks=sum(1 for c in mine if c.direction == "callback"),
        survey_answers=len(rated),
        satisfied=satisfied,
        satisfaction_rate=round(satisfied / len(rated), 4) if rated else None,
    )


class SeatDay:
    """The use case: `today(seat_id)`, only ever for the seat asking (the route passes the session's)."""

    def __init__(self, *, calls: DayCalls, surveys: DaySurveys, clock: Clock) -> None:
        self._calls = calls
        self._surveys = surveys
        self._clock = clock

    async def today(self, seat_id: SeatId) -> MyDay:
        return await offload(self._read, seat_id)

    def _read(self, seat_id: SeatId) -> MyDay:
        start, end = china_day_span(self._clock.now())
        calls = self._calls.between(start, end, direction=None)
        answers = self._surveys.between(start, end)
        return figures(seat_id, start.date().isoformat(), calls, answers)
