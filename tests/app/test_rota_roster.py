"""The supervisor board's "scheduled now" is the rota's shifts (`Rota.on_shift`, built over the
store by `store.services.rota`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from core.clock import CHINA_TZ, SystemClock
from core.ids import SeatId, TeamId
from seats.models import Seat, SeatKind
from seats.rota import plan_whole_days
from seats.schedule import Shift
from store.db import Database
from store.migrate import upgrade
from store.repositories import Repositories
from store.schedules import ScheduleRepository
from store.services import rota

DAY = date(2026, 11, 25)


def test_given_shifts_in_the_store_when_asking_who_is_on_shift_then_those_whose_shift_covers_the_moment(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'rota.db'}"
    upgrade(url)
    with Database(url) as db:
        shifts = ScheduleRepository(db)
        team = TeamId("team-310106")
        shifts.add(Shift(team_id=team, seat_id=SeatId("1001"), day=DAY, start=time(8, 0), end=time(12, 0)))
        shifts.add(Shift(team_id=team, seat_id=SeatId("1002"), day=DAY, start=time(12, 0), end=time(18, 0)))
        shifts.add(Shift(team_id=team, seat_id=SeatId("1003"), day=DAY, start=time(6, 0), end=time(8, 0)))
        shifts.add(Shift(team_id=team, seat_id=SeatId("1004"), day=DAY, start=time(18, 0), end=time(0, 0)))
        roster = rota(Repositories(db), SystemClock())

        at = datetime.combine(DAY, time(11, 59), CHINA_TZ)
        assert roster.on_shift(at) == {"1001"}
        # A shift ends at its end: the next one has begun.
        assert roster.on_shift(datetime.combine(DAY, time(12, 0), CHINA_TZ)) == {"1002"}
        # The day is China's whatever the zone of the moment: 07:30 there is the day before in UTC.
        early = datetime.combine(DAY, time(7, 30), CHINA_TZ).astimezone(UTC)
        assert early.date() != DAY and roster.on_shift(early) == {"1003"}
        assert roster.on_shift(datetime.combine(DAY, time(17, 0), CHINA_TZ)) == {"1002"}
        # A shift ending at 00:00 runs to the midnight that closes its day (24:00).
        assert roster.on_shift(datetime.combine(DAY, time(23, 59, 59), CHINA_TZ)) == {"1004"}


def test_given_a_seat_planned_already_when_planning_whole_days_then_its_plan_is_kept_and_nothing_doubles(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'standing.db'}"
    upgrade(url)
    with Database(url) as db:
        shifts, repos = ScheduleRepository(db), Repositories(db)
        team = TeamId("team-310106")
        seats = [
            Seat(id=SeatId(sid), name=sid, kind=SeatKind.LAWYER, team_id=team, interface=f"PJSIP/{sid}")
            for sid in ("1001", "1002")
        ]
        shifts.add(Shift(team_id=team, seat_id=SeatId("1001"), day=DAY, start=time(9, 0), end=time(12, 0)))

        assert plan_whole_days(shifts, seats, DAY) == 3  # 1002 on DAY, both the day after
        assert plan_whole_days(shifts, seats, DAY) == 0
        assert [(s.shift.seat_id, s.shift.start, s.shift.end) for s in shifts.on_day(DAY)] == [
            ("1002", time(0), time(0)),
            ("1001", time(9), time(12)),
        ]
        night = datetime.combine(DAY, time(23, 30), CHINA_TZ)
        assert rota(repos, SystemClock()).on_shift(night) == {"1002"}
        assert rota(repos, SystemClock()).on_shift(night + timedelta(hours=1)) == {"1001", "1002"}
