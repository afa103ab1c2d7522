"""The menu file loader: the packaged menu loads; a bad file fails naming the key."""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from core.clock import CHINA_TZ
from ivr.errors import MenuFileError
from ivr.hours import WeeklyServiceHours
from ivr.menu import DEFAULT_MENU_PATH, Action, load_menu, parse_menu


def packaged() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_MENU_PATH.read_text(encoding="utf-8"))


def test_given_packaged_menu_when_loaded_then_main_menu_has_the_documented_keys():
    book = load_menu()

    main = book.menus["main"].options
    assert {k: o.action for k, o in main.items()} == {
        "1": Action.MENU,
        "2": Action.QUEUE,
        "3": Action.MENU,
        "4": Action.ADDRESS,
        "9": Action.REPEAT,
        "0": Action.HUMAN,
    }
    assert [o.label for o in book.menus["consult"].options.values()][:6] == [
        "婚姻家庭", "劳动争议", "合同纠纷", "房产物业", "交通事故", "其他法律问题",
    ]  # fmt: skip
    assert book.prompts["greeting"].startswith("您好，这里是12348公共法律服务热线")


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d["menus"]["main"]["keys"]["1"].update(target="nowhere"), 'menus.main.keys."1".target'),
        (lambda d: d["menus"]["main"]["keys"]["2"].update(category="tax"), 'menus.main.keys."2".category'),
        (lambda d: d["menus"]["main"]["keys"]["2"].update(action="dance"), 'menus.main.keys."2".action'),
        (lambda d: d["menus"]["main"]["keys"]["2"].pop("label"), 'menus.main.keys."2".label'),
        (
            lambda d: d["menus"]["main"]["keys"].update({"12": {"action": "human", "label": "x"}}),
            'menus.main.keys."12"',
        ),
        (lambda d: d["menus"]["main"].update(prompt="nope"), "menus.main.prompt"),
        (lambda d: d["menus"].pop("main"), "menus.main"),
        (lambda d: d["prompts"].pop("greeting"), "prompts.greeting"),
        (lambda d: d["prompts"].update(greeting=""), "prompts.greeting"),
        (lambda d: d["templates"].update(office_readback="{name}"), "templates.office_readback"),
        (lambda d: d["settings"].update(max_tries="3"), "settings.max_tries"),
        (lambda d: d["settings"].update(max_tries=0), "settings.max_tries"),
        (lambda d: d["settings"].update(colour="red"), "settings.colour"),
        (lambda d: d["settings"].update(human_category="tax"), "settings.human_category"),
        (lambda d: d["hours"].update(days=[0, 8]), "hours.days"),
        (lambda d: d["hours"].update(open="9点"), "hours.open"),
        (lambda d: d["hours"].update(close="08:00"), "hours.close"),
    ],
)
def test_given_a_bad_menu_when_parsed_then_error_names_the_key(mutate, key):
    data = packaged()
    mutate(data)

    with pytest.raises(MenuFileError) as caught:
        parse_menu(data, source="menu.toml")

    assert key in caught.value.message
    assert caught.value.context["key"] == key


def test_given_broken_toml_when_loaded_then_clear_error(tmp_path: Path):
    bad = tmp_path / "menu.toml"
    bad.write_text("[prompts\ngreeting = 1", encoding="utf-8")

    with pytest.raises(MenuFileError, match="格式错误"):
        load_menu(bad)


def test_given_missing_file_when_loaded_then_clear_error(tmp_path: Path):
    with pytest.raises(MenuFileError, match="不存在"):
        load_menu(tmp_path / "none.toml")


@pytest.mark.parametrize(
    ("local", "is_open"),
    [
        (datetime(2026, 11, 23, 9, 0), True),  # Monday 9:00
        (datetime(2026, 11, 23, 16, 59), True),
        (datetime(2026, 11, 23, 17, 0), False),
        (datetime(2026, 11, 23, 8, 59), False),
        (datetime(2026, 11, 28, 10, 0), False),  # Saturday
    ],
)
def test_given_default_hours_when_asked_then_mon_to_fri_9_to_17_china_time(local, is_open):
    hours = WeeklyServiceHours(load_menu().hours)

    assert hours.is_open(local.replace(tzinfo=CHINA_TZ)) is is_open
