"""Service hours have one source: the routing rules the IVR decides by (routing/queue_rules.toml
[city_hours] on the holiday calendar's working days). The after-hours prompt is filled from them.

Before, the IVR routed by queue_rules.toml (08:30-20:00) while the prompt announced the menu
file's own hours (Monday to Friday 9 to 5).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, time

import pytest

from core.clock import CHINA_TZ
from ivr.adapters import RoutingServiceHours
from ivr.menu import load_menu
from ivr.prompts import prompt_texts
from routing.calendar import load_holidays
from routing.hours_text import service_hours_text, speak_time
from routing.queues import ServiceHours, load_queue_rules


@pytest.mark.parametrize(
    ("t", "spoken"),
    [
        (time(8, 30), "上午8点半"),
        (time(9, 0), "上午9点"),
        (time(12, 0), "中午12点"),
        (time(13, 15), "下午1点15分"),
        (time(17, 0), "下午5点"),
        (time(20, 0), "晚上8点"),
    ],
)
def test_given_a_clock_time_when_spoken_then_chinese_with_the_part_of_day(t: time, spoken: str) -> None:
    assert speak_time(t) == spoken


def test_given_the_packaged_files_when_the_prompt_is_built_then_it_announces_routings_hours() -> None:
    rules = load_queue_rules(load_holidays())

    text = prompt_texts(load_menu())["after_hours"]

    assert service_hours_text(rules) in text
    assert speak_time(rules.city_hours.open) in text and speak_time(rules.city_hours.close) in text
    assert "{" not in text


def test_given_the_menu_file_when_read_then_it_states_no_hours_of_its_own() -> None:
    raw = load_menu().prompts["after_hours"]

    assert "{service_hours}" in raw
    assert not re.search(r"\d+\s*点|周[一二三四五六日]至", raw)


def test_given_other_city_hours_when_routing_and_prompt_are_derived_then_they_agree() -> None:
    calendar = load_holidays()
    rules = replace(load_queue_rules(calendar), city_hours=ServiceHours(time(10, 0), time(16, 0)))
    hours = RoutingServiceHours(rules)
    monday = datetime(2026, 11, 23, tzinfo=CHINA_TZ)

    text = prompt_texts(load_menu(), rules)["after_hours"]

    assert "上午10点至下午4点" in text
    assert [
        hours.is_open(monday.replace(hour=h, minute=m)) for h, m in ((9, 59), (10, 0), (15, 59), (16, 0))
    ] == [
        False,
        True,
        True,
        False,
    ]
