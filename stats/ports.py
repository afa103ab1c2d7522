"""Ports of the stats package: what the supervisor board, the forecast and the reports read.

`stats` may import only `core` and `routing`; what it needs of `seats` (teams, seats, shifts) and
of `callbacks` (the open work orders and their SLA state) comes through these Protocols, which the
store (`store/services.py`) satisfies. `store.repositories.CallRepository` satisfies
`CallHistory` and `SurveyRepository` satisfies `SurveyHistory` as they are.

Every method is synchronous and may block (a database read): async callers go through
`core.blocking.offload`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from core.access import RosterSeat, TeamLike
from core.calls import CallRecord
from stats.hot_topics import RecordText
from stats.models import FollowUpFigure, SurveyAnswer


class Directory(Protocol):
    """The teams and seats (every one, active or not)."""

    def teams(self) -> Sequence[TeamLike]: ...

    def seats(self) -> Sequence[RosterSeat]: ...


class SeatFlags(Protocol):
    def set_expert(self, seat_id: str, expert: bool) -> RosterSeat:
        """The seat made an expert seat (专家坐席) or not, as stored; `NotFound` when no such seat."""
        ...


class CallHistory(Protocol):
    def between(self, start: datetime, end: datetime) -> Sequence[CallRecord]:
        """Citizens' calls offered in [start, end)."""
        ...


class SurveyHistory(Protocol):
    def between(self, start: datetime, end: datetime) -> Sequence[SurveyAnswer]:
        """Survey answers given in [start, end)."""
        ...


class RecordTexts(Protocol):
    def of_calls_between(self, start: datetime, end: datetime) -> Sequence[RecordText]:
        """The submitted consultation records of the calls offered in [start, end) (热点)."""
        ...


class FollowUpHistory(Protocol):
    def between(self, start: datetime, end: datetime) -> Sequence[FollowUpFigure]:
        """The follow-ups (回访) of the 不满意 ratings given in [start, end)."""
        ...


class Roster(Protocol):
    def on_shift(self, at: datetime) -> Collection[str]:
        """The ids of the seats scheduled on a shift at `at`."""
        ...


class Backlog(Protocol):
    def open_orders(self, now: datetime) -> Sequence[tuple[str | None, str]]:
        """(team id, SLA state value at `now`) of every open work order."""
        ...
