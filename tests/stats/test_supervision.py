"""`SupervisionService` over hand-written ports: scope, the I/O model and the day's figures cache."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from core.access import Principal, Role
from core.call_events import CallAnswered, CallOffered, CallQueued
from core.call_view import CallViews
from core.calls import CallRecord, CallStatus
from core.clock import ManualClock
from core.ids import CallId, SeatId, TeamId, UserId
from core.seat_events import SeatStateChanged, SeatStatus
from stats.live import LiveBoard
from stats.models import SurveyAnswer
from stats.supervision import SupervisionService

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 11:00 China time
JINGAN, PUDONG = "q-310106-labor", "q-310115-family"


@dataclass(frozen=True)
class TeamRow:
    id: TeamId
    name: str
    district_code: str | None


@dataclass(frozen=True)
class SeatRow:
    id: SeatId
    team_id: TeamId
    name: str
    active: bool = True
    expert: bool = False


TEAMS = [
    TeamRow(TeamId("team-310106"), "静安区坐席团队", "310106"),
    TeamRow(TeamId("team-310115"), "浦东新区坐席团队", "310115"),
]
SEATS = [
    SeatRow(SeatId("1001"), TeamId("team-310106"), "张三"),
    SeatRow(SeatId("1002"), TeamId("team-310106"), "李四"),
    SeatRow(SeatId("2001"), TeamId("team-310115"), "王五"),
    SeatRow(SeatId("2002"), TeamId("team-310115"), "赵六", active=False),
]


@dataclass
class Tables:
    """The database behind the ports; records each read and the thread it ran on."""

    calls: list[CallRecord] = field(default_factory=list)
    answers: list[SurveyAnswer] = field(default_factory=list)
    orders: list[tuple[str | None, str]] = field(default_factory=list)
    on_shift_now: set[str] = field(default_factory=set)
    call_reads: int = 0
    threads: set[int] = field(default_factory=set)
    fail_next: bool = False

    def _read(self) -> None:
        self.threads.add(threading.get_ident())

    # Directory
    def teams(self) -> Sequence[TeamRow]:
        self._read()
        return TEAMS

    def seats(self) -> Sequence[SeatRow]:
        self._read()
        return SEATS

    # Roster
    def on_shift(self, at: datetime) -> set[str]:
        self._read()
        return self.on_shift_now

    # Backlog
    def open_orders(self, now: datetime) -> list[tuple[str | None, str]]:
        self._read()
        return self.orders


class CallTable:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def between(self, start: datetime, end: datetime) -> list[CallRecord]:
        self.t._read()
        self.t.call_reads += 1
        if self.t.fail_next:
            self.t.fail_next = False
            raise ConnectionError("database down")
        return [c for c in self.t.calls if start <= c.offered_at < end]


class SurveyTable:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def between(self, start: datetime, end: datetime) -> list[SurveyAnswer]:
        self.t._read()
        return [a for a in self.t.answers if start <= a.at < end]


class Monotonic:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def call(cid: str, queue: str, status: CallStatus, at: datetime = NOW - timedelta(minutes=30)) -> CallRecord:
    answered = status is CallStatus.ANSWERED
    return CallRecord(
        id=CallId(cid),
        caller_number="13812348000",
        offered_at=at,
        status=status,
        queue=queue,
        seat_id=SeatId("1001") if answered else None,
        answered_at=at + timedelta(seconds=8) if answered else None,
        wait_seconds=8.0,
        talk_seconds=120.0 if answered else None,
    )


def principal(role: Role = Role.SUPERVISOR, district: str | None = None) -> Principal:
    return Principal(
        user_id=UserId("u1"), username="u", display_name="班长", role=role, scope_district_code=district
    )


CITY, JINGAN_SUP = principal(), principal(district="310106")


@dataclass
class Rig:
    tables: Tables
    clock: ManualClock
    monotonic: Monotonic
    service: SupervisionService


@pytest.fixture
def rig() -> Rig:
    tables = Tables()
    clock, mono = ManualClock(NOW), Monotonic()
    service = SupervisionService(
        clock=clock,
        directory=tables,
        calls=CallTable(tables),
        surveys=SurveyTable(tables),
        backlog=tables,
        roster=tables,
        live=LiveBoard(CallViews()),
        wrap_up_s=30.0,
        cache_s=5.0,
        monotonic=mono,
    )
    return Rig(tables, clock, mono, service)


async def test_given_calls_of_two_districts_when_each_supervisor_asks_then_each_sees_its_scope(
    rig: Rig,
) -> None:
    rig.tables.calls += [call("a", JINGAN, CallStatus.ANSWERED), call("b", PUDONG, CallStatus.ABANDONED)]
    rig.tables.orders += [("team-310106", "breached"), ("team-310115", "ok"), (None, "warning")]
    rig.tables.on_shift_now |= {"1001", "2001"}
    city = await rig.service.overview(CITY)
    jingan = await rig.service.overview(JINGAN_SUP)
    assert (city.today.offered, city.today.answered, city.today.abandoned) == (2, 1, 1)
    assert (jingan.today.offered, jingan.today.answered, jingan.today.abandoned) == (1, 1, 0)
    assert city.backlog == {"breached": 1, "ok": 1, "warning": 1} and jingan.backlog == {"breached": 1}
    assert (city.scheduled, city.total) == (2, 3) and (jingan.scheduled, jingan.total) == (1, 2)
    assert jingan.scope == "静安区" and city.scope == "全市"


async def test_given_a_burst_of_refetches_when_nothing_happens_then_the_day_is_read_once_off_the_loop(
    rig: Rig,
) -> None:
    rig.tables.calls.append(call("a", JINGAN, CallStatus.ANSWERED))
    views = await asyncio.gather(*(rig.service.overview(CITY) for _ in range(5)))
    again = await rig.service.overview(CITY)
    assert rig.tables.call_reads == 1
    assert {v.today.answered for v in [*views, again]} == {1}
    assert threading.get_ident() not in rig.tables.threads  # every port read ran on a worker thread


async def test_given_cached_figures_when_a_call_event_arrives_then_the_next_fetch_reads_again(
    rig: Rig,
) -> None:
    await rig.service.overview(CITY)
    rig.tables.calls.append(call("late", JINGAN, CallStatus.ANSWERED))
    assert (await rig.service.overview(CITY)).today.answered == 0  # cached
    await rig.service.follow(
        CallAnswered(
            at=NOW,
            call_id=CallId("late"),
            seat_id=SeatId("1001"),
            interface="PJSIP/1001",
            queue=JINGAN,
            wait_seconds=8.0,
        )
    )
    assert (await rig.service.overview(CITY)).today.answered == 1
    assert rig.tables.call_reads == 2


async def test_given_cached_figures_when_they_age_or_the_day_turns_then_they_are_read_again(rig: Rig) -> None:
    await rig.service.overview(CITY)
    rig.tables.calls.append(call("a", JINGAN, CallStatus.ANSWERED))
    rig.monotonic.t += 5.0
    assert (await rig.service.overview(CITY)).today.answered == 1
    rig.clock.set(datetime(2026, 11, 25, 16, 0, 1, tzinfo=UTC))  # 00:00:01 China time, the next day
    assert (await rig.service.overview(CITY)).today.answered == 0
    assert rig.tables.call_reads == 3


async def test_given_a_failed_read_when_fetching_again_then_it_is_not_served_from_the_cache(rig: Rig) -> None:
    rig.tables.fail_next = True
    with pytest.raises(ConnectionError):
        await rig.service.overview(CITY)
    assert (await rig.service.overview(CITY)).today.offered == 0
    assert rig.tables.call_reads == 2


async def test_given_live_events_when_reading_the_board_then_waiting_and_seat_states_come_from_them(
    rig: Rig,
) -> None:
    since = NOW - timedelta(seconds=40)
    for event in (
        CallOffered(
            at=since, call_id=CallId("w1"), channel="PJSIP/trunk-1", caller_number="1", dialed="12348"
        ),
        CallQueued(at=since, call_id=CallId("w1"), queue=PUDONG, position=1),
    ):
        rig.service.live.calls.apply(event)  # the calls' own bus subscription
        await rig.service.follow(event)
    await rig.service.follow(
        SeatStateChanged(
            at=NOW - timedelta(minutes=2),
            seat_id=SeatId("1002"),
            team_id=TeamId("team-310106"),
            previous=SeatStatus.OFFLINE,
            status=SeatStatus.AVAILABLE,
        )
    )
    city, jingan = await rig.service.overview(CITY), await rig.service.overview(JINGAN_SUP)
    assert (city.waiting, city.longest_wait_seconds) == (1, 40.0) and jingan.waiting == 0
    assert jingan.online == 1 and jingan.seats_by_state[SeatStatus.AVAILABLE] == 1
    rows = {s.seat_id: s for s in (await rig.service.seats(JINGAN_SUP)).seats}
    assert set(rows) == {"1001", "1002"}
    assert rows["1002"].status is SeatStatus.AVAILABLE and rows["1002"].since == NOW - timedelta(minutes=2)
    assert rows["1001"].status is SeatStatus.OFFLINE and rows["1001"].since is None
