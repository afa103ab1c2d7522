from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.clock import CHINA_TZ
from core.errors import ConfigurationError, InvalidInput
from routing.calendar import HolidayCalendar
from routing.hours_text import DEMO_HOURS_TEXT, service_hours_text
from routing.queues import (
    DEFAULT_RULES_PATH,
    RULES_ENV,
    LegalCategory,
    QueueKind,
    QueueRules,
    after_hours_all_day,
    around_the_clock,
    load_queue_rules,
    parse_queue_rules,
    rules_path,
)


@pytest.fixture
def rules(calendar: HolidayCalendar) -> QueueRules:
    return load_queue_rules(calendar, district_names={"310106": "静安区", "310115": "浦东新区"})


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)


def test_given_working_hours_when_choosing_then_district_queue_with_reason(rules: QueueRules) -> None:
    d = rules.choose_queue("310106", "劳动争议", at(2026, 11, 24, 10, 0), 0)
    assert d.queue == "q-310106-labor"
    assert d.kind is QueueKind.DISTRICT
    assert d.team_id == "team-310106"
    assert d.reason == "静安区·劳动争议 工作时间内 → q-310106-labor"


def test_given_long_wait_when_choosing_then_overflow_to_city(rules: QueueRules) -> None:
    d = rules.choose_queue("310106", LegalCategory.LABOR, at(2026, 11, 24, 10, 0), 130)
    assert (d.queue, d.kind) == ("q-city-labor", QueueKind.OVERFLOW)
    assert "已等待 130 秒（超过 120 秒）" in d.reason


def test_given_team_override_when_choosing_then_its_overflow_and_hours(rules: QueueRules) -> None:
    assert rules.choose_queue("310115", "family", at(2026, 11, 24, 10, 0), 95).kind is QueueKind.OVERFLOW
    assert rules.choose_queue("310115", "family", at(2026, 11, 24, 17, 15), 0).queue == "q-310115-family"
    assert rules.choose_queue("310106", "family", at(2026, 11, 24, 17, 15), 0).queue == "q-city-family"


def test_given_national_day_when_choosing_then_after_hours(rules: QueueRules) -> None:
    d = rules.choose_queue("310106", "公证", at(2026, 10, 2, 10, 0), 0)
    assert (d.queue, d.kind) == ("q-afterhours", QueueKind.AFTER_HOURS)
    assert "国庆节假期" in d.reason


def test_given_makeup_saturday_when_choosing_then_district_queue(rules: QueueRules) -> None:
    assert rules.choose_queue("310106", "notary", at(2026, 10, 10, 10, 0), 0).queue == "q-310106-notary"


def test_given_evening_when_choosing_then_city_then_after_hours(rules: QueueRules) -> None:
    assert rules.choose_queue("310106", "other", at(2026, 11, 24, 18, 0), 0).kind is QueueKind.CITY
    assert rules.choose_queue("310106", "other", at(2026, 11, 24, 21, 0), 0).kind is QueueKind.AFTER_HOURS


def test_given_utc_time_when_choosing_then_read_in_china_time(rules: QueueRules) -> None:
    d = rules.choose_queue(
        "310106", "other", datetime(2026, 11, 24, 2, 0, tzinfo=UTC), 0
    )  # 10:00 in Shanghai
    assert d.kind is QueueKind.DISTRICT


def test_given_unknown_district_when_choosing_then_city_pool(rules: QueueRules) -> None:
    d = rules.choose_queue(None, "traffic", at(2026, 11, 24, 10, 0), 0)
    assert d.queue == "q-city-traffic"
    assert "无法确定所属区" in d.reason
    assert rules.choose_queue("320102", "traffic", at(2026, 11, 24, 10, 0), 0).queue == "q-city-traffic"


def test_given_bad_input_when_choosing_then_rejected(rules: QueueRules) -> None:
    with pytest.raises(InvalidInput):
        rules.choose_queue("310106", "离婚", at(2026, 11, 24, 10, 0), 0)
    with pytest.raises(InvalidInput):
        rules.choose_queue("310106", "labor", datetime(2026, 11, 24, 10, 0), 0)


def test_given_categories_when_listed_then_ten_stable_ascii_codes() -> None:
    assert [c.value for c in LegalCategory] == [
        "family",
        "labor",
        "contract",
        "property",
        "traffic",
        "legal-aid",
        "notary",
        "forensic",
        "mediation",
        "other",
    ]
    assert all(c.value.isascii() for c in LegalCategory)
    assert LegalCategory.parse("司法鉴定") is LegalCategory.FORENSIC


def test_given_inverted_hours_when_parsed_then_configuration_error(calendar: HolidayCalendar) -> None:
    data = {
        "district_queue": "q-{district}-{category}",
        "city_queue": "q-{category}",
        "after_hours_queue": "q-ah",
        "default_hours": {"open": "17:00", "close": "09:00"},
    }
    with pytest.raises(ConfigurationError):
        parse_queue_rules(data, calendar)


def test_given_the_demos_rules_when_choosing_at_night_on_a_holiday_then_in_service(rules: QueueRules) -> None:
    demo = around_the_clock(rules, ["310106"])
    national_day_3am = at(2026, 10, 1, 3, 0)

    assert rules.choose_queue("310106", "labor", national_day_3am).kind is QueueKind.AFTER_HOURS
    assert not rules.city_open(national_day_3am)
    assert demo.city_open(national_day_3am)
    assert demo.choose_queue("310106", "labor", national_day_3am).queue == "q-310106-labor"
    pudong = demo.choose_queue("310115", "labor", national_day_3am)
    assert (pudong.queue, pudong.kind) == ("q-city-labor", QueueKind.CITY)
    assert "该区无坐席团队" in pudong.reason
    assert service_hours_text(demo) == DEMO_HOURS_TEXT and DEMO_HOURS_TEXT not in service_hours_text(rules)


def test_given_the_after_hours_demos_rules_when_choosing_on_a_working_morning_then_after_hours(
    rules: QueueRules,
) -> None:
    demo = after_hours_all_day(rules, ["310106"])
    monday_10am = at(2026, 11, 23, 10, 0)

    assert rules.city_open(monday_10am) and not demo.city_open(monday_10am)
    decision = demo.choose_queue("310106", "labor", monday_10am)
    assert (decision.queue, decision.kind) == (rules.after_hours_queue, QueueKind.AFTER_HOURS)
    # The after-hours prompt tells the caller the real hours, not the demo's round-the-clock ones.
    assert service_hours_text(demo) == service_hours_text(rules)


def _seven_by_24(text: str) -> str:
    """The packaged rules turned into a 7x24 hotline's: every [hours] 00:00-24:00 on every day."""
    out = []
    for line in text.splitlines():
        if line.startswith("open = "):
            line = 'open = "00:00"'
        elif line.startswith("close = "):
            line = 'close = "24:00"\nevery_day = true'
        out.append(line)
    return "\n".join(out)


def test_given_a_rules_file_named_by_the_environment_then_every_reader_uses_it(
    calendar: HolidayCalendar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packaged = load_queue_rules(calendar)
    national_day_3am = at(2026, 10, 1, 3, 0)
    assert not packaged.city_open(national_day_3am)

    path = tmp_path / "rules.toml"
    path.write_text(_seven_by_24(DEFAULT_RULES_PATH.read_text(encoding="utf-8")), encoding="utf-8")
    monkeypatch.setenv(RULES_ENV, str(path))
    assert rules_path() == path
    rules = load_queue_rules(calendar, district_names={"310106": "静安区"})

    assert rules.city_open(national_day_3am) and rules.city_open(at(2026, 12, 6, 23, 59, 59))
    d = rules.choose_queue("310106", "labor", national_day_3am)
    assert (d.queue, d.kind) == ("q-310106-labor", QueueKind.DISTRICT)
    assert rules.choose_queue("310115", "labor", at(2026, 12, 6, 0, 0)).queue == "q-310115-labor"
    assert str(rules.city_hours) == "每天00:00-24:00"
    assert service_hours_text(rules) == "全天24小时（含周末和法定节假日）"
    assert rules.all_queues() == packaged.all_queues()


def test_given_every_day_hours_that_close_then_weekends_open_and_nights_closed(
    calendar: HolidayCalendar,
) -> None:
    data = {
        "district_queue": "q-{district}-{category}",
        "city_queue": "q-city-{category}",
        "after_hours_queue": "q-ah",
        "districts": ["310106"],
        "default_hours": {"open": "08:00", "close": "24:00", "every_day": True},
        "city_hours": {"open": "08:00", "close": "22:00", "every_day": True},
    }
    rules = parse_queue_rules(data, calendar)
    sunday = (2026, 12, 6)
    assert rules.choose_queue("310106", "labor", at(*sunday, 23, 30)).kind is QueueKind.DISTRICT
    assert rules.choose_queue(None, "labor", at(*sunday, 21, 0)).kind is QueueKind.CITY
    late = rules.choose_queue(None, "labor", at(*sunday, 22, 30))
    assert late.kind is QueueKind.AFTER_HOURS and "每天08:00-22:00" in late.reason
    assert rules.choose_queue("310106", "labor", at(*sunday, 7, 59)).kind is QueueKind.AFTER_HOURS
    assert service_hours_text(rules) == "每天上午8点至晚上10点（含周末和法定节假日）"


@pytest.mark.parametrize(
    ("hours", "why"),
    [
        ({"open": "08:00", "close": "18:00", "every_day": "yes"}, "every_day"),
        ({"open": "08:00"}, "服务时间无效"),
    ],
)
def test_given_bad_hours_then_configuration_error(
    calendar: HolidayCalendar, hours: dict[str, object], why: str
) -> None:
    data = {
        "district_queue": "q-{district}-{category}",
        "city_queue": "q-{category}",
        "after_hours_queue": "q",
    }
    with pytest.raises(ConfigurationError, match=why):
        parse_queue_rules({**data, "default_hours": hours}, calendar)


def test_given_a_missing_or_broken_rules_file_then_a_clear_configuration_error(
    calendar: HolidayCalendar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RULES_ENV, str(tmp_path / "absent.toml"))
    with pytest.raises(ConfigurationError, match="排队规则文件无法读取"):
        load_queue_rules(calendar)
    broken = tmp_path / "broken.toml"
    broken.write_text("district_queue = \n", encoding="utf-8")
    monkeypatch.setenv(RULES_ENV, str(broken))
    with pytest.raises(ConfigurationError, match="排队规则文件格式错误"):
        load_queue_rules(calendar)
