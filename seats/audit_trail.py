"""`AuditTrail`: the admins' audit page of the supervisors' oversight (issue 16, item 3): who
listened to, whispered into, barged into or hung up which call, who steered which seat, who
changed the rights; when, in what mode or why, and for how long.

The entries are those `seats.monitor`, `seats.steer` and `seats.rights` write to the one audit log
(`core.audit.AuditEntry`); this module only reads them back, a page at a time, newest first,
filtered by who, by kind of action and by China date, and puts each in Chinese words. Admins only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from core.access import Principal, Right, Role
from core.audit import AuditEntry, AuditFilter
from core.blocking import offload
from core.clock import CHINA_TZ
from core.errors import InvalidInput, PermissionDenied
from core.ids import UserId
from core.labels import LabelledEnum
from core.seat_events import PauseReason
from seats.monitor import MonitorMode

PER_PAGE_MAX = 200


class AuditKind(LabelledEnum):
    """The kinds of action the page filters by; each is one or more action prefixes."""

    MONITOR = "monitor", "监听、耳语、强插"
    FORCE_HANGUP = "force_hangup", "强拆"
    STEER = "steer", "调度坐席"
    RIGHTS = "rights", "权限变更"

    @property
    def prefixes(self) -> tuple[str, ...]:
        return {
            "monitor": ("monitor.",),
            "force_hangup": ("call.force_hangup",),
            "steer": ("steer.",),
            "rights": ("rights.",),
        }[self.value]


ALL_PREFIXES: tuple[str, ...] = tuple(p for kind in AuditKind for p in kind.prefixes)

ACTION_LABELS: Mapping[str, str] = {
    "monitor.start": "开始监听",
    "monitor.switch": "切换监听方式",
    "monitor.end": "结束监听",
    "monitor.takeover": "接管通话",
    "monitor.phone": "分配班长话机",
    "call.force_hangup": "强拆通话",
    "steer.pause": "班长示忙",
    "steer.pause_queued": "安排通话结束后示忙",
    "steer.pause_cancelled": "取消待示忙",
    "steer.pause_dropped": "待示忙作废（坐席已签出）",
    "steer.pause_failed": "待示忙执行失败",
    "steer.ready": "班长示闲",
    "steer.logout": "班长签出",
    "steer.add_queue": "加入队列（仅限今日）",
    "steer.remove_queue": "移出队列（仅限今日）",
    "steer.revert": "次日恢复队列",
    "rights.change": "修改角色权限",
}
"""The Chinese name of each action; an action not listed (a newer one) shows its code."""

END_REASONS: Mapping[str, str] = {
    "stopped": "班长结束",
    "failed": "切换失败",
    "phone_hung_up": "话机挂断或坐席话路结束",
    "no_answer": "班长话机未接听",
    "call_ended": "通话结束",
}


class AuditQuery(Protocol):
    """The audit log, read a page at a time (`store.repositories.AuditRepository`). Blocking."""

    def page(self, wanted: AuditFilter) -> tuple[list[AuditEntry], int]:
        """The page's entries and how many match in all."""
        ...

    def actors(self, prefixes: tuple[str, ...] = ()) -> dict[UserId, str]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditLine:
    """One entry in words: `what` is the mode, the reason or the change; `seconds` how long a
    monitor lasted (its end's line)."""

    at: datetime
    actor: UserId | None
    actor_name: str
    action: str
    action_label: str
    seat_id: str
    call_id: str
    what: str
    seconds: float | None
    source_ip: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditPage:
    lines: list[AuditLine]
    total: int
    page: int
    per_page: int
    actors: dict[UserId, str]  # everyone who wrote such entries: the filter's choices


class AuditTrail:
    def __init__(self, audit: AuditQuery) -> None:
        self._audit = audit

    async def page(
        self,
        principal: Principal,
        *,
        kind: AuditKind | None = None,
        actor: UserId | None = None,
        since: date | None = None,
        until: date | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> AuditPage:
        """Entries of `kind` (all four kinds: None) by `actor`, from the China date `since` to
        `until` (both included), newest first; `page` counts from 1."""
        if principal.role is not Role.ADMIN:
            raise PermissionDenied("仅管理员可以查看审计日志")
        if since is not None and until is not None and since > until:
            raise InvalidInput("开始日期不能晚于结束日期")
        if page < 1 or not 1 <= per_page <= PER_PAGE_MAX:
            raise InvalidInput(f"页码应从 1 开始，每页 1 至 {PER_PAGE_MAX} 条")
        prefixes = kind.prefixes if kind is not None else ALL_PREFIXES
        start = None if since is None else datetime.combine(since, time(), CHINA_TZ)
        end = None if until is None else datetime.combine(until + timedelta(days=1), time(), CHINA_TZ)

        def read() -> tuple[list[AuditEntry], int, dict[UserId, str]]:
            entries, total = self._audit.page(
                AuditFilter(
                    prefixes=prefixes,
                    actor=actor,
                    since=start,
                    until=end,
                    offset=(page - 1) * per_page,
                    limit=per_page,
                )
            )
            return entries, total, self._audit.actors(ALL_PREFIXES)

        entries, total, actors = await offload(read)
        return AuditPage(
            lines=[_line(e, actors) for e in entries],
            total=total,
            page=page,
            per_page=per_page,
            actors=actors,
        )


def _line(e: AuditEntry, names: Mapping[UserId, str]) -> AuditLine:
    d = e.detail
    seconds = d.get("seconds")
    return AuditLine(
        at=e.at,
        actor=e.actor,
        actor_name=("系统" if e.actor is None else names.get(e.actor, e.actor)),
        action=e.action,
        action_label=ACTION_LABELS.get(e.action, e.action),
        seat_id=str(d.get("seat_id") or ""),
        call_id=str(d.get("call_id") or ""),
        what=_what(e.action, d),
        seconds=float(seconds) if isinstance(seconds, int | float) else None,
        source_ip=e.source_ip,
    )


def _what(action: str, d: Mapping[str, object]) -> str:
    """The mode, the reason or the change of one entry, in words."""
    parts: list[str] = []
    if action.startswith("monitor."):
        parts.append(_label(MonitorMode, d.get("mode")))
        if action == "monitor.switch":
            parts.append(f"原为{_label(MonitorMode, d.get('from'))}")
        if action == "monitor.end":
            parts.append(END_REASONS.get(str(d.get("reason") or ""), str(d.get("reason") or "")))
        if action == "monitor.phone":
            parts.append(f"话机 {d.get('endpoint', '')}")
    elif action.startswith("steer."):
        parts.append(_label(PauseReason, d.get("reason")))
        if d.get("queue"):
            parts.append(f"队列 {d['queue']}")
        if action == "steer.revert":
            added, removed = _names(d.get("added")), _names(d.get("removed"))
            parts.append(f"撤销加入 {added or '无'}，恢复 {removed or '无'}")
        parts.append(str(d.get("note") or ""))
        if d.get("queued"):
            parts.append("通话结束后执行")
        if d.get("error"):
            parts.append(str(d["error"]))
    elif action == "rights.change":
        parts.append(_rights_change(d))
    return "；".join(p for p in parts if p)


def _rights_change(d: Mapping[str, object]) -> str:
    before, after = d.get("before"), d.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return ""
    out = []
    for role in Role:
        was, now = set(before.get(role.value) or []), set(after.get(role.value) or [])
        if was == now:
            continue
        gained = [r.label for r in Right if r.value in now - was]
        lost = [r.label for r in Right if r.value in was - now]
        change = "，".join(
            x
            for x in (f"增加{'、'.join(gained)}" if gained else "", f"取消{'、'.join(lost)}" if lost else "")
            if x
        )
        out.append(f"{role.label}：{change}")
    return "；".join(out)


def _names(items: object) -> str:
    return "、".join(str(x) for x in items) if isinstance(items, list) else ""


def _label(enum: type[LabelledEnum], value: object) -> str:
    try:
        return enum(str(value)).label if value else ""
    except ValueError:
        return str(value)
