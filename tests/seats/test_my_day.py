"""今日个人数据 (`seats.my_day.SeatDay`) over fake ports: the China day, this seat's calls only."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.calls import CallRecord
from core.clock import ManualClock
from core.ids import CallId, SeatId
from seats.my_day import SeatDay


@dataclass(frozen=True)
class Answer:
    seat_id: SeatId | None
    score: int
    at: datetime


class Store:
    def __init__(self, calls: list[CallRecord], answers: list[Answer]) -> None:
        self.calls, self.answers = calls, answers
        self.asked: list[tuple[datetime, datetime, str | None]] = []

    def between(
        self, start: datetime, end: datetime, *, direction: str | None = "inbound"
    ) -> Sequence[CallRecord]:
        self.asked.append((start, end, direction))
        return [c for c in self.calls if start <= c.offered_at < end]


class Surveys:
    def __init__(self, answers: list[Answer]) -> None:
        self.answers = answers

    def between(self, start: datetime, end: datetime) -> Sequence[Answer]:
        return [a for a in self.answers if start <= a.at < end]


def _call(
    cid: str,
    at: datetime,
    *,
    seat: str = "1001",
    final: str | None = None,
    talk: float | None = 60.0,
    answered: bool = True,
    direction: str = "inbound",
) -> CallRecord:
    return CallRecord(
        id=CallId(cid),
        caller_number="13800000000",
        offered_at=at,
        seat_id=SeatId(seat),
        final_seat_id=SeatId(final) if final else None,
        answered_at=at if answered else None,
        talk_seconds=talk,
        direction=direction,
    )


def test_given_calls_around_china_midnight_when_reading_today_then_only_todays_and_mine_count() -> None:
    # 2026-11-23 16:30 UTC is 2026-11-24 00:30 in China: the China day began at 16:00 UTC.
    now = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)
    midnight = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    calls = [
        _call("before", midnight - timedelta(seconds=1), talk=500),
        _call("first", midnight, talk=100),
        _call("transferred-to-me", midnight + timedelta(minutes=5), seat="1002", final="1001", talk=50),
        _call("unknown-talk", midnight + timedelta(minutes=6), talk=None),
        _call("missed", midnight + timedelta(minutes=7), answered=False),
        _call("other", midnight + timedelta(minutes=8), seat="1003", talk=700),
        _call("callback", midnight + timedelta(minutes=9), direction="callback", talk=40),
    ]
    answers = [
        Answer(SeatId("1001"), 1, midnight + timedelta(minutes=1)),
        Answer(SeatId("1001"), 1, midnight + timedelta(minutes=2)),
        Answer(SeatId("1001"), 3, midnight + timedelta(minutes=3)),
        Answer(SeatId("1001"), 3, midnight - timedelta(minutes=1)),
        Answer(SeatId("1003"), 3, midnight + timedelta(minutes=4)),
        Answer(None, 3, midnight + timedelta(minutes=4)),
    ]
    store = Store(calls, answers)
    day = asyncio.run(
        SeatDay(calls=store, surveys=Surveys(answers), clock=ManualClock(now)).today(SeatId("1001"))
    )

    assert store.asked == [(midnight, midnight + timedelta(days=1), None)]
    assert day.day == "2026-11-24"
    assert (day.answered, day.talk_seconds, day.average_talk_seconds, day.callbacks) == (3, 150.0, 75.0, 1)
    assert (day.survey_answers, day.satisfied, day.satisfaction_rate) == (3, 2, 0.6667)


def test_given_no_calls_today_when_reading_today_then_zeros_and_no_rates() -> None:
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    day = asyncio.run(
        SeatDay(calls=Store([], []), surveys=Surveys([]), clock=ManualClock(now)).today(SeatId("1001"))
    )
    assert (day.answered, day.talk_seconds, day.average_talk_seconds, day.callbacks) == (0, 0.0, None, 0)
    assert (day.survey_answers, day.satisfaction_rate) == (0, None)
