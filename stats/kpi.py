"""KPI maths of the hotline (pure: no I/O, no clock; every time is a parameter).

Which calls count
-----------------
Each inbound call is classified once (`classify`) from its stored record:

* ANSWERED: a seat picked it up (`answered_at` set, or status talking / answered).
* ABANDONED: the caller hung up while queued (`abandoned`) or the queue timed out (`timed_out`).
* WAITING: still in a queue or ringing a seat now.
* NOT_OFFERED: never reached a seat queue: self-service or hang-up in the IVR, an unanswered
  transfer out of the IVR, or a call with no outcome yet (still in the IVR).

The figures then are (T = the service-level threshold, default 20 s):

* offered (来电量 / 进线量) = answered + abandoned + waiting: calls that reached a seat queue;
* 接通率 answer rate = answered / (answered + abandoned): calls still waiting are left out until
  they are resolved, so the rate does not dip while callers queue;
* service level 服务水平 = answered with wait <= T / (answered + abandoned) (an abandon counts
  against it whatever its wait, the strict definition);
* 15-second answer rate 15秒接通率 = answered with wait <= 15 s / (answered + abandoned): the
  service level at GB/T 33358-2016's 15 seconds, whatever T is set to;
* abandon rate 放弃率 = abandoned / (answered + abandoned) = 1 - answer rate;
* ASA 平均应答时长 = mean queue wait of answered calls whose wait is known;
* AHT 平均处理时长 = mean talk time of answered calls whose talk time is known, plus the
  configured after-call wrap-up (话后整理) time;
* 满意率 satisfaction rate = (满意 + 基本满意) / survey answers.

`short_abandon_s` (default 0: off) drops abandons quicker than that from both counts, as some
centres do for callers who hang up at once. A rate with no denominator is None, never 0.

Staffing: Erlang C (`erlang_c`, `seats_needed`) is kept for comparison only: the forecast and the
demo size seats with Erlang A (`stats.erlang.seats_for_targets`, callers who give up included); `average_volumes` / `default_volumes` give the volumes.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from typing import Self

from core.calls import CallRecord, CallStatus
from core.clock import CHINA_TZ

SLOTS_PER_DAY = 48
SLOT_SECONDS = 1800

# The hotline's targets, shown beside the figures and used by the staffing forecast.
ANSWER_RATE_TARGET = 0.95
SATISFACTION_TARGET = 0.90
SERVICE_LEVEL_TARGET = 0.80
SERVICE_LEVEL_SECONDS = 20.0
FAST_ANSWER_SECONDS = 15.0  # GB/T 33358-2016: calls answered within 15 seconds
FAST_ANSWER_TARGET = 0.80  # the share of calls the staffing forecast plans to answer within 15 s

# Each figure's definition, shown beside the figure wherever it is (board, reports, workbooks).
DEFINITIONS: dict[str, str] = {
    "offered": "进线量：进入人工队列的来电（接通 + 放弃 + 正在排队）",
    "answer_rate": "接通率 = 接通 ÷（接通 + 放弃）；排队中的来电待结果确定后计入",
    "answer_rate_15s": "15秒接通率 = 等待不超过 15 秒接通的来电 ÷（接通 + 放弃）（GB/T 33358-2016）",
    "service_level": f"服务水平 = 等待不超过 {SERVICE_LEVEL_SECONDS:.0f} 秒接通的来电 ÷（接通 + 放弃）；放弃的来电无论等待多久都计为未达标",
    "abandon_rate": "放弃率 = 放弃 ÷（接通 + 放弃）",
    "asa_seconds": "平均应答时长 = 已接通来电的平均排队等待时长",
    "aht_seconds": "平均处理时长 = 已接通来电的平均通话时长 + 话后整理时长",
    "satisfaction_rate": "满意率 =（满意 + 基本满意）÷ 参评数",
}


class CallOutcome(enum.StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    WAITING = "waiting"
    NOT_OFFERED = "not_offered"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallSample:
    """What the KPIs need of one call."""

    offered_at: datetime
    outcome: CallOutcome
    wait_seconds: float | None = None
    talk_seconds: float | None = None


def classify(call: CallRecord) -> CallOutcome:
    if call.answered_at is not None or call.status in (CallStatus.TALKING, CallStatus.ANSWERED):
        return CallOutcome.ANSWERED
    if call.status in (CallStatus.ABANDONED, CallStatus.TIMED_OUT):
        return CallOutcome.ABANDONED
    if call.status in (CallStatus.QUEUED, CallStatus.RINGING):
        return CallOutcome.WAITING
    return CallOutcome.NOT_OFFERED


def sample_of(call: CallRecord) -> CallSample:
    return CallSample(
        offered_at=call.offered_at,
        outcome=classify(call),
        wait_seconds=call.wait_seconds,
        talk_seconds=call.talk_seconds,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Kpis:
    offered: int
    answered: int
    abandoned: int
    waiting: int
    answered_in_threshold: int
    answer_rate: float | None
    service_level: float | None
    abandon_rate: float | None
    asa_seconds: float | None
    aht_seconds: float | None
    survey_answers: int
    satisfied: int
    satisfaction_rate: float | None
    answered_in_15s: int = 0
    answer_rate_15s: float | None = None  # 15秒接通率

    def rounded(self) -> Self:
        """As shown: rates to four places, seconds to one."""
        return replace(
            self,
            answer_rate=_round(self.answer_rate, 4),
            service_level=_round(self.service_level, 4),
            abandon_rate=_round(self.abandon_rate, 4),
            asa_seconds=_round(self.asa_seconds, 1),
            aht_seconds=_round(self.aht_seconds, 1),
            satisfaction_rate=_round(self.satisfaction_rate, 4),
            answer_rate_15s=_round(self.answer_rate_15s, 4),
        )


def _round(x: float | None, places: int) -> float | None:
    return None if x is None else round(x, places)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def rounded_rate(part: int, whole: int) -> float | None:
    """part / whole to four places, as the reports show a rate (None: no denominator)."""
    return _round(_ratio(part, whole), 4)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def compute_kpis(
    samples: Iterable[CallSample],
    survey_scores: Iterable[int] = (),
    *,
    threshold_s: float = 20.0,
    short_abandon_s: float = 0.0,
    wrap_up_s: float = 0.0,
) -> Kpis:
    """The KPIs of `samples` (see the module docstring); `survey_scores`: 1 满意, 2 基本满意, 3 不满意."""
    answered = abandoned = waiting = in_threshold = in_15s = 0
    waits: list[float] = []
    talks: list[float] = []
    for s in samples:
        if s.outcome is CallOutcome.ANSWERED:
            answered += 1
            if s.wait_seconds is not None:
                waits.append(s.wait_seconds)
                if s.wait_seconds <= threshold_s:
                    in_threshold += 1
                if s.wait_seconds <= FAST_ANSWER_SECONDS:
                    in_15s += 1
            if s.talk_seconds is not None:
                talks.append(s.talk_seconds)
        elif s.outcome is CallOutcome.ABANDONED:
            if s.wait_seconds is not None and s.wait_seconds < short_abandon_s:
                continue
            abandoned += 1
        elif s.outcome is CallOutcome.WAITING:
            waiting += 1
    scores = list(survey_scores)
    satisfied = sum(1 for x in scores if x in (1, 2))
    resolved = answered + abandoned
    mean_talk = _mean(talks)
    return Kpis(
        offered=resolved + waiting,
        answered=answered,
        abandoned=abandoned,
        waiting=waiting,
        answered_in_threshold=in_threshold,
        answer_rate=_ratio(answered, resolved),
        service_level=_ratio(in_threshold, resolved),
        abandon_rate=_ratio(abandoned, resolved),
        asa_seconds=_mean(waits),
        aht_seconds=None if mean_talk is None else mean_talk + wrap_up_s,
        survey_answers=len(scores),
        satisfied=satisfied,
        satisfaction_rate=_ratio(satisfied, len(scores)),
        answered_in_15s=in_15s,
        answer_rate_15s=_ratio(in_15s, resolved),
    )


# --- Erlang C ------------------------------------------------------------------------------


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability (Erlang B), by the stable recursion B(n) = A·B(n-1) / (n + A·B(n-1))."""
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic must not be negative")
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a call waits (Erlang C), for `traffic` Erlangs offered to `agents` seats.

    1.0 when the seats cannot carry the load (agents <= traffic): the queue grows without end.
    """
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    b = erlang_b(agents, traffic)
    return agents * b / (agents - traffic * (1.0 - b))


def erlang_service_level(agents: int, traffic: float, aht_s: float, threshold_s: float) -> float:
    """Share of calls answered within `threshold_s`: 1 - C·exp(-(N - A)·T / AHT)."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return 1.0 - erlang_c(agents, traffic) * math.exp(-(agents - traffic) * threshold_s / aht_s)


def erlang_asa(agents: int, traffic: float, aht_s: float) -> float:
    """Mean wait over all calls: C·AHT / (N - A); infinite when the seats cannot carry the load."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(agents, traffic) * aht_s / (agents - traffic)


@dataclass(frozen=True, slots=True, kw_only=True)
class Staffing:
    calls: float
    traffic: float  # Erlangs
    seats: int
    service_level: float
    asa_seconds: float
    occupancy: float


def seats_needed(
    calls: float,
    aht_s: float,
    *,
    interval_s: float = SLOT_SECONDS,
    target_level: float = 0.8,
    threshold_s: float = 20.0,
    max_occupancy: float = 1.0,
    limit: int = 10_000,
) -> Staffing:
    """The fewest seats meeting `target_level` within `threshold_s` (and `max_occupancy`)."""
    if calls < 0 or aht_s <= 0 or interval_s <= 0:
        raise ValueError("calls must not be negative; aht and interval must be positive")
    if not 0 < target_level < 1 or not 0 < max_occupancy <= 1:
        raise ValueError("target_level must lie in (0, 1) and max_occupancy in (0, 1]")
    traffic = calls * aht_s / interval_s
    if traffic == 0:
        return Staffing(calls=calls, traffic=0.0, seats=0, service_level=1.0, asa_seconds=0.0, occupancy=0.0)
    n = max(1, math.floor(traffic) + 1)
    while n <= limit:
        level = erlang_service_level(n, traffic, aht_s, threshold_s)
        if level >= target_level and traffic / n <= max_occupancy:
            return Staffing(
                calls=calls,
                traffic=traffic,
                seats=n,
                service_level=level,
                asa_seconds=erlang_asa(n, traffic, aht_s),
                occupancy=traffic / n,
            )
        n += 1
    raise ValueError(f"more than {limit} seats needed")


# --- volumes per half hour -------------------------------------------------------------------


def slot_of(at: datetime, tz: tzinfo = CHINA_TZ) -> int:
    local = at.astimezone(tz)
    return local.hour * 2 + (1 if local.minute >= 30 else 0)


def slot_label(slot: int) -> str:
    start = slot * 30
    end = start + 30
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def average_volumes(offered_at: Iterable[datetime], tz: tzinfo = CHINA_TZ) -> tuple[list[float], int]:
    """Mean calls per half hour over the days that had calls; returns (48 volumes, days counted).

    A day with no call at all is taken for a day the system was not running, not a quiet day.
    """
    per_day: dict[date, list[int]] = {}
    for at in offered_at:
        day = at.astimezone(tz).date()
        per_day.setdefault(day, [0] * SLOTS_PER_DAY)[slot_of(at, tz)] += 1
    if not per_day:
        return [0.0] * SLOTS_PER_DAY, 0
    days = len(per_day)
    return [sum(d[i] for d in per_day.values()) / days for i in range(SLOTS_PER_DAY)], days


# A working day's shape at a 12348 hotline: a morning peak from 9:00, a dip at lunch, an afternoon
# peak, a tail into the evening (weights per half hour from 00:00; they need not add up to 1).
_DEFAULT_SHAPE: tuple[float, ...] = (
    *([0.2] * 14),  # 00:00-07:00
    0.6, 1.0, 1.6, 2.4,  # 07:00-09:00
    4.2, 5.0, 5.2, 5.0, 4.6, 4.0,  # 09:00-12:00
    2.6, 2.4,  # 12:00-13:00
    3.6, 4.4, 4.8, 4.8, 4.4, 4.0, 3.4, 2.8,  # 13:00-17:00
    2.0, 1.6, 1.4, 1.2, 1.0, 0.9, 0.8, 0.6, 0.5, 0.4,  # 17:00-22:00
    0.3, 0.3, 0.2, 0.2,  # 22:00-24:00
)  # fmt: skip


def default_volumes(daily_calls: float = 400.0) -> list[float]:
    """The default curve scaled to `daily_calls`, for a deployment without call history."""
    total = sum(_DEFAULT_SHAPE)
    return [daily_calls * w / total for w in _DEFAULT_SHAPE]
