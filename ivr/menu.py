"""The menu file: `ivr/menu.toml`, which an operator edits without touching code.

`load_menu(path)` reads and checks it completely before the server starts: every error names the
key that is wrong (`menus.main.keys."1".target`), so a typo fails at start-up, not mid-call.
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr.errors import MenuFileError
from routing.queues import LegalCategory

DEFAULT_MENU_PATH = Path(__file__).with_name("menu.toml")

DTMF_KEYS = frozenset("0123456789*#")
MAIN_MENU = "main"

REQUIRED_PROMPTS = (
    "greeting",
    "invalid",
    "no_input",
    "to_human",
    "after_hours",
    "long_wait_offer",
    "callback_done",
    "voicemail_ask",
    "voicemail_done",
    "voicemail_failed",
    "address_ask",
    "address_not_heard",
    "address_unknown",
    "address_confirm",
    "address_choose",
    "address_ambiguous",
    "address_outside",
    "address_outside_keys",
    "district_keypad_intro",
    "district_keypad_unheard",
    "district_menu_1",
    "district_menu_2",
    "appointment_offer",
    "appointment_done",
    "goodbye",
    "survey_ask",
    "survey_thanks",
    "queue_overflow",
    "transfer_failed",
)
REQUIRED_TEMPLATES = {
    "office_readback": ("name", "address", "hours"),
    "address_choices": ("choices",),  # the places of an ambiguous address, each as address_choice_item
    "address_choice_item": ("key", "place"),
    "address_outside_place": ("place",),  # the caller named a place outside the city
}
PROMPT_FIELDS: dict[str, tuple[str, ...]] = {"after_hours": ("service_hours",)}
"""Prompts filled when they are built: {service_hours} comes from routing's service hours (the
ones the IVR decides by), never from this file."""

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Action(enum.StrEnum):
    MENU = "menu"  # go to the sub-menu `target`
    QUEUE = "queue"  # announce (optional) and route to `category`
    ADDRESS = "address"  # spoken address -> nearest office
    REPEAT = "repeat"  # play this menu again
    HUMAN = "human"  # a human seat now
    BACK = "back"  # back to the main menu


@dataclass(frozen=True, slots=True)
class MenuOption:
    key: str
    action: Action
    label: str
    target: str | None = None
    category: str | None = None
    announce: str | None = None


@dataclass(frozen=True, slots=True)
class Menu:
    name: str
    prompt: str
    options: Mapping[str, MenuOption]


@dataclass(frozen=True, slots=True)
class IvrSettings:
    max_tries: int = 3
    digit_timeout_s: float = 6.0
    long_wait_limit_s: float = 180.0
    speech_timeout_s: float = 8.0
    address_max_tries: int = 2
    survey_max_tries: int = 2
    human_category: str = "other"
    after_hours_queue: str = "q-afterhours"
    prompt_base: str = "hotline"


@dataclass(frozen=True, slots=True)
class MenuBook:
    """Everything the menu file declares, checked."""

    settings: IvrSettings
    categories: Mapping[str, str]
    prompts: Mapping[str, str]
    templates: Mapping[str, str]
    menus: Mapping[str, Menu]

    def prompt(self, name: str) -> str:
        """The name Asterisk plays for prompt `name` (without extension)."""
        return f"{self.settings.prompt_base}/{name}"

    def prompt_texts(self, *, service_hours: str) -> dict[str, str]:
        """Every prompt's text as spoken, its fields filled (`service_hours`: routing's hours)."""
        values = {"service_hours": service_hours}
        return {
            name: text.format(**{f: values[f] for f in PROMPT_FIELDS.get(name, ())})
            for name, text in self.prompts.items()
        }


def load_menu(path: Path | None = None) -> MenuBook:
    source = path or DEFAULT_MENU_PATH
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MenuFileError(f"菜单文件不存在：{source}", path=source) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MenuFileError(f"菜单文件 {source} 格式错误：{exc}", path=source) from exc
    return parse_menu(data, source=str(source))


def parse_menu(data: Mapping[str, Any], *, source: str = "menu.toml") -> MenuBook:
    return _Parser(source).parse(data)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> MenuFileError:
        return MenuFileError(f"菜单文件 {self.source} 中 {key}：{problem}", path=self.source, key=key)

    def table(self, data: Mapping[str, Any], key: str, name: str) -> Mapping[str, Any]:
        value = data.get(name)
        if not isinstance(value, Mapping):
            raise self.fail(key, "缺少该表或不是表")
        return value

    def text_table(self, data: Mapping[str, Any], name: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in self.table(data, name, name).items():
            if not _NAME.match(k):
                raise self.fail(f"{name}.{k}", "名称只能用小写字母、数字和下划线")
            if not isinstance(v, str) or not v.strip():
                raise self.fail(f"{name}.{k}", "应为非空文字")
            out[k] = v.strip()
        return out

    def category_table(self, data: Mapping[str, Any]) -> dict[str, str]:
        """Category codes must be routing's (`LegalCategory`): queue names are built from them."""
        out: dict[str, str] = {}
        for k, v in self.table(data, "categories", "categories").items():
            if k not in {c.value for c in LegalCategory}:
                codes = "、".join(c.value for c in LegalCategory)
                raise self.fail(f"categories.{k}", f"未知的业务类别代码，可用：{codes}")
            if not isinstance(v, str) or not v.strip():
                raise self.fail(f"categories.{k}", "应为非空文字")
            out[k] = v.strip()
        return out

    def parse(self, data: Mapping[str, Any]) -> MenuBook:
        settings = self.settings(data.get("settings", {}))
        if "hours" in data:
            raise self.fail(
                "hours",
                "服务时间已统一由 routing/queue_rules.toml 的 [city_hours] 和节假日日历决定，请删去菜单文件中的 [hours]",
            )
        categories = self.category_table(data)
        prompts = self.text_table(data, "prompts")
        for name, text in prompts.items():
            needed = PROMPT_FIELDS.get(name, ())
            for f in needed:
                if "{" + f + "}" not in text:
                    raise self.fail(f"prompts.{name}", f"提示语中缺少 {{{f}}}（由系统按服务时间填入）")
            try:
                text.format(**dict.fromkeys(needed, ""))
            except (KeyError, IndexError, ValueError) as exc:
                raise self.fail(f"prompts.{name}", f"提示语含有无法填充的花括号：{exc}") from exc
        templates = self.text_table(data, "templates")
        for name in REQUIRED_PROMPTS:
            if name not in prompts:
                raise self.fail(f"prompts.{name}", "缺少必需的提示语")
        for name, fields in REQUIRED_TEMPLATES.items():
            if name not in templates:
                raise self.fail(f"templates.{name}", "缺少必需的语音模板")
            for f in fields:
                if "{" + f + "}" not in templates[name]:
                    raise self.fail(f"templates.{name}", f"模板中缺少 {{{f}}}")
            try:
                templates[name].format(**dict.fromkeys(fields, ""))
            except (KeyError, IndexError, ValueError) as exc:
                raise self.fail(f"templates.{name}", f"模板无法填充：{exc}") from exc
        if settings.human_category not in categories:
            raise self.fail("settings.human_category", f"类别 {settings.human_category!r} 不在 categories 中")
        menus_raw = self.table(data, "menus", "menus")
        menus = {name: self.menu(name, raw, categories, prompts) for name, raw in menus_raw.items()}
        if MAIN_MENU not in menus:
            raise self.fail("menus.main", "缺少主菜单")
        for menu in menus.values():
            for option in menu.options.values():
                if option.action is Action.MENU and option.target not in menus:
                    raise self.fail(
                        f'menus.{menu.name}.keys."{option.key}".target', f"子菜单 {option.target!r} 不存在"
                    )
        return MenuBook(settings, categories, prompts, templates, menus)

    def settings(self, raw: Any) -> IvrSettings:
        if not isinstance(raw, Mapping):
            raise self.fail("settings", "应为表")
        defaults = IvrSettings()
        values: dict[str, Any] = {}
        for k, v in raw.items():
            key = f"settings.{k}"
            if not hasattr(defaults, k):
                raise self.fail(key, "未知的设置项")
            expected = type(getattr(defaults, k))
            if expected is float and isinstance(v, int) and not isinstance(v, bool):
                v = float(v)
            if not isinstance(v, expected) or isinstance(v, bool):
                raise self.fail(key, f"类型应为 {expected.__name__}")
            if isinstance(v, int | float) and v <= 0:
                raise self.fail(key, "应为正数")
            if isinstance(v, str) and not v.strip():
                raise self.fail(key, "不能为空")
            values[k] = v
        return IvrSettings(**values)

    def menu(self, name: str, raw: Any, categories: Mapping[str, str], prompts: Mapping[str, str]) -> Menu:
        base = f"menus.{name}"
        if not _NAME.match(name):
            raise self.fail(base, "菜单名只能用小写字母、数字和下划线")
        if not isinstance(raw, Mapping):
            raise self.fail(base, "应为表")
        prompt = raw.get("prompt")
        if not isinstance(prompt, str) or prompt not in prompts:
            raise self.fail(f"{base}.prompt", f"提示语 {prompt!r} 不在 prompts 中")
        keys = raw.get("keys")
        if not isinstance(keys, Mapping) or not keys:
            raise self.fail(f"{base}.keys", "缺少按键定义")
        options: dict[str, MenuOption] = {}
        for key, spec in keys.items():
            where = f'{base}.keys."{key}"'
            if key not in DTMF_KEYS or len(key) != 1:
                raise self.fail(where, "按键应为 0-9、* 或 # 中的一个")
            options[key] = self.option(where, key, spec, categories, prompts)
        return Menu(name, prompt, options)

    def option(
        self, where: str, key: str, spec: Any, categories: Mapping[str, str], prompts: Mapping[str, str]
    ) -> MenuOption:
        if not isinstance(spec, Mapping):
            raise self.fail(where, "应为 { action = ..., label = ... }")
        unknown = set(spec) - {"action", "label", "target", "category", "announce"}
        if unknown:
            raise self.fail(f"{where}.{sorted(unknown)[0]}", "未知的字段")
        try:
            action = Action(str(spec.get("action")))
        except ValueError:
            allowed = "、".join(a.value for a in Action)
            raise self.fail(f"{where}.action", f"应为 {allowed} 之一") from None
        label = spec.get("label")
        if not isinstance(label, str) or not label.strip():
            raise self.fail(f"{where}.label", "缺少中文名称")
        target = spec.get("target")
        category = spec.get("category")
        announce = spec.get("announce")
        if action is Action.MENU and not isinstance(target, str):
            raise self.fail(f"{where}.target", "子菜单按键需要 target")
        if action is Action.QUEUE and category not in categories:
            raise self.fail(f"{where}.category", f"类别 {category!r} 不在 categories 中")
        if announce is not None and announce not in prompts:
            raise self.fail(f"{where}.announce", f"提示语 {announce!r} 不在 prompts 中")
        return MenuOption(key, action, label.strip(), target, category, announce)
