"""Values the KPI maths works on."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from core.ids import CallId, SeatId


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
