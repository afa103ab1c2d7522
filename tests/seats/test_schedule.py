from __future__ import annotations

from datetime import date, datetime, time

import pytest

from core.clock import CHINA_TZ
from core.ids import SeatId, TeamId
from seats.schedule import ScheduleImportError, Shift, attendance, parse_schedule_csv, write_schedule_csv

TEAM = TeamId("team-310106")
GOOD = "\ufeff日期,坐席编号,开始,结束\n2026-12-01,1001,09:00,12:00\n2026-12-01,1002,13:00,17:00\n\n2026-12-02,1001,09:00,17:00\n"


def _at(h: int, m: int = 0) -> datetime:
    return datetime(2026, 12, 1, h, m, tzinfo=CHINA_TZ)


def test_given_a_good_csv_when_imported_then_shifts_sorted_and_it_round_trips() -> None:
    shifts = parse_schedule_csv(GOOD, TEAM, known_seats={"1001", "1002"})
    assert [(s.day.day, s.seat_id, s.start.hour) for s in shifts] == [
        (1, "1001", 9),
        (1, "1002", 13),
        (2, "1001", 9),
    ]
    assert parse_schedule_csv(write_schedule_csv(shifts), TEAM) == shifts


def test_given_bad_rows_when_imported_then_every_problem_is_named_with_its_line() -> None:
    bad = (
        "日期,坐席编号,开始,结束\n"
        "2026-13-01,1001,09:00,12:00\n"
        "2026-12-01,1001,12:00,09:00\n"
        "2026-12-01,9999,09:00,10:00\n"
        "2026-12-01,1001\n"
        "2026-12-03,1001,9点,12:00\n"
    )
    with pytest.raises(ScheduleImportError) as err:
        parse_schedule_csv(bad, TEAM, known_seats={"1001"})
    msg = err.value.message
    for needle in (
        "第 2 行",
        "第 3 行",
        "第 4 行",
        "第 5 行",
        "第 6 行",
        "9999",
        "结束时间必须晚于开始时间",
        "开始“9点”",
    ):
        assert needle in msg, needle


def test_given_overlapping_shifts_for_one_seat_when_imported_then_refused() -> None:
    text = "日期,坐席编号,开始,结束\n2026-12-01,1001,09:00,12:00\n2026-12-01,1001,11:00,13:00\n"
    with pytest.raises(ScheduleImportError, match="重叠"):
        parse_schedule_csv(text, TEAM)


def test_given_shifts_ending_at_midnight_when_imported_then_they_last_to_24_00_and_round_trip() -> None:
    text = "日期,坐席编号,开始,结束\n2026-12-01,1001,16:00,24:00\n2026-12-01,1002,00:00,00:00\n"
    day, night = parse_schedule_csv(text, TEAM)  # sorted by start
    assert night.ends_at == day.ends_at == datetime(2026, 12, 2, 0, 0, tzinfo=CHINA_TZ)
    assert day.starts_at == _at(0) and night.starts_at == _at(16)
    assert "2026-12-01,1001,16:00,24:00" in write_schedule_csv([night, day])
    assert parse_schedule_csv(write_schedule_csv([day, night]), TEAM) == [day, night]
    overlapping = "日期,坐席编号,开始,结束\n2026-12-01,1001,16:00,24:00\n2026-12-01,1001,20:00,22:00\n"
    with pytest.raises(ScheduleImportError, match="重叠"):
        parse_schedule_csv(overlapping, TEAM)


def test_given_a_wrong_header_when_imported_then_refused() -> None:
    with pytest.raises(ScheduleImportError, match="表头"):
        parse_schedule_csv("date,seat,start,end\n", TEAM)


SHIFT = Shift(team_id=TEAM, seat_id=SeatId("1001"), day=date(2026, 12, 1), start=time(9), end=time(12))


@pytest.mark.parametrize(
    ("online", "status", "late", "early", "minutes"),
    [
        ([(_at(8, 55), _at(12, 5))], "正常", 0.0, 0.0, 180.0),
        ([(_at(9, 20), _at(12, 0))], "迟到", 20.0, 0.0, 160.0),
        ([(_at(9, 3), _at(11, 0))], "早退", 0.0, 60.0, 117.0),
        ([], "缺勤", 0.0, 0.0, 0.0),
        ([(_at(13), _at(14))], "缺勤", 0.0, 0.0, 0.0),
        ([(_at(9), _at(10)), (_at(9, 30), _at(10, 30)), (_at(11), _at(12))], "正常", 0.0, 0.0, 150.0),
    ],
)
def test_given_online_intervals_when_computing_attendance_then_status_and_minutes(
    online: list[tuple[datetime, datetime]], status: str, late: float, early: float, minutes: float
) -> None:
    a = attendance(SHIFT, online)
    assert (a.status, a.late_minutes, a.left_early_minutes, a.online_minutes) == (
        status,
        late,
        early,
        minutes,
    )
