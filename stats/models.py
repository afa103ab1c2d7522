"""Values the KPI maths works on."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from core.ids import CallId, SeatId, TeamId


class Satisfaction(enum.IntEnum):
    """Survey keys: 1 满意, 2 基本满意, 3 不满意."""

    SATISFIED = 1
    FAIRLY_SATISFIED = 2
    DISSATISFIED = 3

    @property
    def label(self) -> str:
        return {1: "满意", 2: "基本满意", 3: "不满意"}[int(self)]


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyAnswer:
    call_id: CallId
    seat_id: SeatId | None
    score: Satisfaction
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUpFigure:
    """One follow-up (回访) of a 不满意 rating, as the reports count it."""

    call_id: CallId
    seat_id: SeatId | None  # the rated seat
    team_id: TeamId | None  # the team the follow-up belongs to
    done: bool  # its result is recorded (reached, or 联系不上 once the retries are used up)
    reached: bool
    after: Satisfaction | None = None  # the satisfaction after the follow-up (reached ones)
