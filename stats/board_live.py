"""Live figures per queue and per team (按队列 / 按团队, the supervisor board): pure, no I/O.

Built from what the `LiveBoard` holds in memory (today's calls heard on the bus, the callers
waiting now, the seats' states): no database read, so the board may refetch it after every event
burst. The only stored input, who is on the rota now, is read by the caller (and kept a while).

Which calls count where
-----------------------
* a queue: the calls that joined it today (the first queue a call joined);
* a team: a call answered counts for the team of the seat that answered it last (as the reports'
  按团队 breakdown), one not answered (abandoned, waiting) for the team serving its queue's
  district (`q-<区划代码>-<类别>` -> `team-<区划代码>`); a call of a city queue nobody answered
  counts for no team. Callers waiting count the same way (their queue's district team).

Figures as on the board (`stats.kpi`): 接通率 = answered / (answered + abandoned), 15秒接通率 =
answered within 15 s of waiting / (answered + abandoned); a rate with no denominator is None.
Seats: scheduled (on the rota now), online (not offline), talking. For a queue, the seats that are
its members now (`membership`); None where membership is not known.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from core.access import district_team, queue_district
from core.seat_events import SeatStatus
from stats.kpi import rounded_rate
from stats.live import DayCall, SeatNow, Waiting

Membership = Callable[[str], Sequence[str]]  # seat id -> the queues it is a member of now


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupNow:
    key: str  # queue name or team id
    label: str
    waiting: int
    longest_wait_seconds: float
    offered: int
    answered: int
    abandoned: int
    answer_rate: float | None
    answer_rate_15s: float | None
    scheduled: int | None
    online: int | None
    talking: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveGroups:
    at: datetime
    queues: list[GroupNow]
    teams: list[GroupNow]


def queue_team(queue: str) -> str:
    """The team serving a queue's district ("" : a city queue)."""
    district, _ = queue_district(queue)
    return district_team(district) if district else ""


def call_team(call: DayCall, team_of_seat: Mapping[str, str]) -> str:
    if call.answered and call.seat_id:
        return team_of_seat.get(call.seat_id, "")
    return queue_team(call.queue)


@dataclass(slots=True)
class _Acc:
    waiting: int = 0
    oldest: datetime | None = None
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    fast: int = 0
    scheduled: int | None = None
    online: int | None = None
    talking: int | None = None

    def add_waiting(self, w: Waiting) -> None:
        self.waiting += 1
        if w.since is not None and (self.oldest is None or w.since < self.oldest):
            self.oldest = w.since

    def add_call(self, c: DayCall) -> None:
        self.offered += 1
        self.answered += c.answered
        self.abandoned += c.abandoned
        self.fast += c.answered and c.fast

    def add_seat(self, seat: SeatNow, on_rota: bool) -> None:
        self.scheduled = (self.scheduled or 0) + on_rota
        self.online = (self.online or 0) + (seat.status != SeatStatus.OFFLINE.value)
        self.talking = (self.talking or 0) + (seat.status == SeatStatus.TALKING.value)

    def row(self, key: str, label: str, now: datetime) -> GroupNow:
        resolved = self.answered + self.abandoned
        return GroupNow(
            key=key,
            label=label,
            waiting=self.waiting,
            longest_wait_seconds=round(max(0.0, (now - self.oldest).total_seconds()), 1)
            if self.oldest
            else 0.0,
            offered=self.offered,
            answered=self.answered,
            abandoned=self.abandoned,
            answer_rate=rounded_rate(self.answered, resolved),
            answer_rate_15s=rounded_rate(self.fast, resolved),
            scheduled=self.scheduled,
            online=self.online,
            talking=self.talking,
        )


def live_groups(
    now: datetime,
    *,
    today: Iterable[DayCall],
    waiting: Iterable[Waiting],
    seats: Iterable[SeatNow],
    teams: Mapping[str, str],
    team_of_seat: Mapping[str, str],
    on_rota: Collection[str],
    membership: Membership | None = None,
    queue_label: Callable[[str], str] = lambda q: q,
) -> LiveGroups:
    """Per queue and per team in scope. `teams`: the teams in scope (id -> name), each listed even
    when quiet; `today`, `waiting`, `seats`: already filtered to the scope."""
    by_queue: dict[str, _Acc] = defaultdict(_Acc)
    by_team: dict[str, _Acc] = {tid: _Acc() for tid in teams}
    for w in waiting:
        by_queue[w.queue].add_waiting(w)
        if (t := queue_team(w.queue)) in by_team:
            by_team[t].add_waiting(w)
    for c in today:
        by_queue[c.queue].add_call(c)
        if (t := call_team(c, team_of_seat)) in by_team:
            by_team[t].add_call(c)
    rota = set(on_rota)
    for seat in seats:
        if seat.team_id in by_team:
            by_team[seat.team_id].add_seat(seat, seat.seat_id in rota)
        if membership is not None:
            for q in membership(seat.seat_id):
                by_queue[q].add_seat(seat, seat.seat_id in rota)
    if membership is not None:
        for acc in by_queue.values():
            acc.scheduled, acc.online, acc.talking = acc.scheduled or 0, acc.online or 0, acc.talking or 0
    for acc in by_team.values():
        acc.scheduled, acc.online, acc.talking = acc.scheduled or 0, acc.online or 0, acc.talking or 0
    queues = [a.row(q, queue_label(q) if q else "（未知队列）", now) for q, a in by_queue.items()]
    team_rows = [a.row(t, teams[t], now) for t, a in by_team.items()]
    order = lambda g: (-g.waiting, -g.offered, g.key)  # noqa: E731
    return LiveGroups(at=now, queues=sorted(queues, key=order), teams=sorted(team_rows, key=order))
