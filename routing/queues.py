"""Queue selection: district team x legal category, overflow, service hours, after hours.

Rules are data (`routing/queue_rules.toml`, or the file named by `HOTLINE_QUEUE_RULES`: read by
`load_queue_rules`, so the IVR, the prompts and the rendered queues.conf read the same file); the
choice is pure:
`QueueRules.choose_queue(district_code, category, now, waited_seconds)` gives a `QueueDecision`
whose `reason` tells a supervisor, in Chinese, why the call went where it went.
"""

from __future__ import annotations

import enum
import os
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from pathlib import Path
from typing import Any

from core.access import district_team
from core.clock import CHINA_TZ
from core.errors import ConfigurationError, InvalidInput
from core.ids import TeamId
from core.labels import LabelledEnum
from routing.calendar import DayInfo, HolidayCalendar

DEFAULT_RULES_PATH = Path(__file__).with_name("queue_rules.toml")
RULES_ENV = "HOTLINE_QUEUE_RULES"
END_OF_DAY = time.max
"""A close of `24:00` in the rules: open until midnight closes the day."""


def rules_path() -> Path:
    """The rules file in force: `HOTLINE_QUEUE_RULES` when set, else the packaged one."""
    return Path(os.environ.get(RULES_ENV) or DEFAULT_RULES_PATH)


class LegalCategory(LabelledEnum):
    """Legal matter categories; the values are stable ASCII codes used in queue names."""

    FAMILY = "family", "婚姻家庭"
    LABOR = "labor", "劳动争议"
    CONTRACT = "contract", "合同纠纷"
    PROPERTY = "property", "房产物业"
    TRAFFIC = "traffic", "交通事故"
    LEGAL_AID = "legal-aid", "法律援助"
    NOTARY = "notary", "公证"
    FORENSIC = "forensic", "司法鉴定"
    MEDIATION = "mediation", "人民调解"
    OTHER = "other", "其他"

    @classmethod
    def parse(cls, value: LegalCategory | str) -> LegalCategory:
        """Accept the enum, its ASCII code or its Chinese name (劳动争议)."""
        if isinstance(value, LegalCategory):
            return value
        category = cls.of_text(value)
        if category is not None:
            return category
        raise InvalidInput(f"未知的法律类别：{value!r}", category=value)

    @classmethod
    def label_of(cls, code: str | None) -> str:
        """The Chinese name of a category code for display; an unknown code is shown as it is."""
        if not code:
            return ""
        try:
            return cls.parse(code).label
        except InvalidInput:
            return code


class QueueKind(enum.StrEnum):
    DISTRICT = "district"
    OVERFLOW = "overflow"  # waited too long in the district: the city pool
    CITY = "city"  # no district (or no team, or the team is closed): the city pool
    AFTER_HOURS = "after_hours"


@dataclass(frozen=True, slots=True)
class ServiceHours:
    """Open from `open` to `close` (`END_OF_DAY`: to midnight) on working days, or on every day,
    weekends and public holidays too, with `every_day` (a 7x24 hotline: 00:00 to 24:00)."""

    open: time
    close: time
    every_day: bool = False

    def contains(self, t: time) -> bool:
        return self.open <= t < self.close or (self.close == END_OF_DAY and t == END_OF_DAY)

    def open_on(self, day: DayInfo) -> bool:
        return self.every_day or day.working

    @property
    def all_day(self) -> bool:
        return self.open == time(0) and self.close == END_OF_DAY

    def __str__(self) -> str:
        close = "24:00" if self.close == END_OF_DAY else f"{self.close:%H:%M}"
        return f"{'每天' if self.every_day else ''}{self.open:%H:%M}-{close}"


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamRule:
    hours: ServiceHours
    overflow_after_seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueDecision:
    queue: str
    kind: QueueKind
    category: LegalCategory
    team_id: TeamId | None
    reason: str
    day: DayInfo


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueRules:
    district_queue: str
    city_queue: str
    after_hours_queue: str
    default: TeamRule
    city_hours: ServiceHours
    districts: Collection[str]
    calendar: HolidayCalendar
    teams: Mapping[str, TeamRule] = field(default_factory=dict)
    district_names: Mapping[str, str] = field(default_factory=dict)
    # The demo's service hours (`around_the_clock`): every team and the city pool open at any hour
    # of any day, holidays included; or (`after_hours_all_day`, `hotline demo --after-hours`) at
    # no hour. Never set by the rules file.
    always_open: bool = False
    never_open: bool = False

    def rule_for(self, district_code: str) -> TeamRule:
        return self.teams.get(district_code, self.default)

    def district_queue_name(self, district_code: str, category: LegalCategory | str) -> str:
        return self.district_queue.format(
            district=district_code, category=LegalCategory.parse(category).value
        )

    def city_queue_name(self, category: LegalCategory | str) -> str:
        return self.city_queue.format(category=LegalCategory.parse(category).value)

    def all_queues(self) -> list[str]:
        """Every queue the rules can choose: for asterisk's queues.conf and seat membership checks."""
        names = [self.district_queue_name(d, c) for d in self.districts for c in LegalCategory]
        names += [self.city_queue_name(c) for c in LegalCategory]
        return [*names, self.after_hours_queue]

    def city_open(self, now: datetime) -> bool:
        """Whether the city pool answers at `now` (aware): its hours on a working day."""
        local = now.astimezone(CHINA_TZ)
        return self._open(self.city_hours, self.calendar.day(local.date()), local.time())

    def _open(self, hours: ServiceHours, day: DayInfo, t: time) -> bool:
        return not self.never_open and (self.always_open or (hours.open_on(day) and hours.contains(t)))

    def choose_queue(
        self,
        district_code: str | None,
        category: LegalCategory | str,
        now: datetime,
        waited_seconds: float = 0.0,
    ) -> QueueDecision:
        """Where a call should wait now. `now` must be aware; it is read in China time."""
        if now.tzinfo is None:
            raise InvalidInput("choose_queue 需要带时区的时间")
        cat = LegalCategory.parse(category)
        local = now.astimezone(CHINA_TZ)
        day = self.calendar.day(local.date())
        clock = f"{local:%H:%M}"
        day_text = day.describe()
        city = self.city_queue_name(cat)
        city_open = self._open(self.city_hours, day, local.time())

        def decide(queue: str, kind: QueueKind, team: TeamId | None, why: str) -> QueueDecision:
            return QueueDecision(queue=queue, kind=kind, category=cat, team_id=team, reason=why, day=day)

        def fallback(who: str, why: str) -> QueueDecision:
            if city_open:
                return decide(city, QueueKind.CITY, None, f"{who}·{cat.label} {why}，转全市 → {city}")
            return decide(
                self.after_hours_queue,
                QueueKind.AFTER_HOURS,
                None,
                f"{who}·{cat.label} {why}，全市坐席亦非服务时间（{self.city_hours}，{day_text} {clock}）"
                f" → {self.after_hours_queue}",
            )

        if district_code is None:
            return fallback("未识别区", "无法确定所属区")
        name = self.district_names.get(district_code, district_code)
        if district_code not in self.districts:
            return fallback(name, "该区无坐席团队")
        rule = self.rule_for(district_code)
        if not self._open(rule.hours, day, local.time()):
            when = day_text if not rule.hours.open_on(day) else f"{clock} 不在 {rule.hours}"
            return fallback(name, f"非服务时间（{when}）")
        team = district_team(district_code)
        queue = self.district_queue_name(district_code, cat)
        if waited_seconds >= rule.overflow_after_seconds:
            return decide(
                city,
                QueueKind.OVERFLOW,
                None,
                f"{name}·{cat.label} 已等待 {waited_seconds:.0f} 秒（超过 {rule.overflow_after_seconds:.0f} 秒），"
                f"溢出至全市 → {city}",
            )
        return decide(queue, QueueKind.DISTRICT, team, f"{name}·{cat.label} 工作时间内 → {queue}")


def around_the_clock(rules: QueueRules, districts: Collection[str] | None = None) -> QueueRules:
    """The demo's rules: in service at any hour of any day (holidays too), so a viewer sees a
    staffed hotline whatever their time of day; `districts`: the districts that have a seat team
    (callers from the others go to the city pool, "该区无坐席团队")."""
    return replace(
        rules,
        always_open=True,
        districts=frozenset(rules.districts if districts is None else districts),
    )


def after_hours_all_day(rules: QueueRules, districts: Collection[str] | None = None) -> QueueRules:
    """The after-hours demo's rules: out of service at any hour, so that every caller meets the
    after-hours menu (预约回拨, 留言, the after-hours pool); `districts` as in `around_the_clock`."""
    return replace(around_the_clock(rules, districts), always_open=False, never_open=True)


def _hours(table: Mapping[str, Any], where: str) -> ServiceHours:
    try:
        close = str(table["close"])
        hours = ServiceHours(
            time.fromisoformat(str(table["open"])),
            END_OF_DAY if close == "24:00" else time.fromisoformat(close),
            every_day=_flag(table.get("every_day", False), where),
        )
    except (KeyError, ValueError) as exc:
        raise ConfigurationError(f"排队规则 {where}：服务时间无效（{exc}）") from None
    if hours.close <= hours.open:
        raise ConfigurationError(f"排队规则 {where}：结束时间应晚于开始时间")
    return hours


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"排队规则 {where}：every_day 应为 true 或 false")
    return value


def parse_queue_rules(
    data: Mapping[str, Any],
    calendar: HolidayCalendar,
    district_names: Mapping[str, str] | None = None,
) -> QueueRules:
    """Rules from the parsed TOML (the shape of queue_rules.toml), checked."""
    try:
        overflow = float(data.get("overflow_after_seconds", 120))
        default = TeamRule(
            hours=_hours(data.get("default_hours", {}), "default_hours"), overflow_after_seconds=overflow
        )
        teams = {
            str(code): TeamRule(
                hours=_hours(t, f"teams.{code}") if "open" in t else default.hours,
                overflow_after_seconds=float(t.get("overflow_after_seconds", overflow)),
            )
            for code, t in dict(data.get("teams", {})).items()
        }
        rules = QueueRules(
            district_queue=str(data["district_queue"]),
            city_queue=str(data["city_queue"]),
            after_hours_queue=str(data["after_hours_queue"]),
            default=default,
            city_hours=_hours(data.get("city_hours", data.get("default_hours", {})), "city_hours"),
            districts=frozenset(str(d) for d in data.get("districts", [])),
            calendar=calendar,
            teams=teams,
            district_names=dict(district_names or {}),
        )
        rules.district_queue.format(district="310000", category="other")
        rules.city_queue.format(category="other")
    except (KeyError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"排队规则无效：{exc!r}") from None
    return rules


def load_queue_rules(
    calendar: HolidayCalendar,
    path: Path | None = None,
    district_names: Mapping[str, str] | None = None,
) -> QueueRules:
    """Read the rules at `path` (by default `rules_path()`: HOTLINE_QUEUE_RULES or the packaged
    queue_rules.toml)."""
    path = rules_path() if path is None else path
    try:
        f = path.open("rb")
    except OSError as exc:
        raise ConfigurationError(f"排队规则文件无法读取：{path}（{exc.strerror}）") from None
    with f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"排队规则文件格式错误：{path}（{exc}）") from None
    return parse_queue_rules(data, calendar, district_names)
