"""The menu file loader: the packaged menu loads; a bad file fails naming the key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from ivr.errors import MenuFileError
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
        # Service hours have one source (routing); a menu that declares its own is refused.
        (lambda d: d.update(hours={"days": [1, 2, 3, 4, 5], "open": "09:00", "close": "17:00"}), "hours"),
        (
            lambda d: d["prompts"].update(after_hours="现在是非工作时间，人工服务时间为周一至周五。"),
            "prompts.after_hours",
        ),
        (lambda d: d["prompts"].update(greeting="您好{caller}"), "prompts.greeting"),
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
