"""Board alerts (告警): raised once per episode, cleared when the condition ends, kept in the store.

Rules (`conditions`, pure), each per district (区划代码; "" is the city: city queues, teams with
no district, and the whole city's answer rate):

* 接通率低于目标 (`answer_rate`): of the calls offered in the last `window_s` seconds (30 min), the
  answer rate answered / (answered + abandoned) is below `target` (95 %); only when at least
  `min_calls` calls were offered in the window (fewer: no alert, to avoid noise). Exactly at the
  target is no alert. Checked per district and for the whole city.
* 来电等待超时 (`long_wait`): a caller has waited longer than `max_wait_s` (exactly that long is
  not yet longer).
* 回拨工单超时 (`sla_breach`): an open callback work order is past its deadline (SLA 已超时).

`BoardAlerts.tick` checks the rules from the live board (memory) and the open work orders (a
database read, on a worker thread); an episode is one row from its raise to its clear. Who was
alerted (`recipients`) are the supervisors whose scope covers the alert's district (the city's
supervisors always, a district's its own), by name, and how: the console banner (控制台横幅).
Open alerts are read back at `start`, so a restart neither repeats nor forgets them. A supervisor
acknowledges (确认) an alert they see; a district supervisor sees their district's alerts only.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from core.access import Principal, Scope, Scopes, queue_district
from core.blocking import offload
from core.clock import Clock
from core.errors import NotFound
from core.ticker import Ticker
from routing.districts import DISTRICTS
from stats.kpi import ANSWER_RATE_TARGET
from stats.live import DayCall, LiveBoard, Waiting
from stats.ports import Backlog, Directory

CONSOLE_BANNER = "控制台横幅"
BREACHED = "breached"  # callbacks.sla.SlaState.BREACHED's value (stats may not import callbacks)


class AlertKind(enum.StrEnum):
    ANSWER_RATE = "answer_rate"
    LONG_WAIT = "long_wait"
    SLA_BREACH = "sla_breach"

    @property
    def label(self) -> str:
        return {
            AlertKind.ANSWER_RATE: "接通率低于目标",
            AlertKind.LONG_WAIT: "来电等待超时",
            AlertKind.SLA_BREACH: "回拨工单超时",
        }[self]


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertSettings:
    window_s: float = 1800.0
    min_calls: int = 20  # calls offered in the window before the answer-rate rule speaks
    target: float = ANSWER_RATE_TARGET
    max_wait_s: float = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    kind: AlertKind
    district: str  # "" : the city
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardAlert:
    id: int
    kind: AlertKind
    district: str
    raised_at: datetime
    cleared_at: datetime | None
    detail: str
    recipients: tuple[str, ...]  # the supervisors alerted, by name
    channel: str = CONSOLE_BANNER
    acknowledged_by: str | None = None  # the user's display name
    acknowledged_at: datetime | None = None


class AlertStore(Protocol):
    def open_alerts(self) -> list[BoardAlert]: ...

    def raise_alert(self, alert: BoardAlert) -> BoardAlert:
        """Stored; returned with its id."""
        ...

    def clear(self, alert_id: int, at: datetime) -> None: ...

    def acknowledge(self, alert_id: int, by: str, at: datetime) -> None: ...


# The supervisors: (display name, district code or None for the city's).
Supervisors = Callable[[], Sequence[tuple[str, str | None]]]


def _district_of(keys: Iterable[str]) -> str:
    return next((k.removeprefix("district:") for k in keys if k.startswith("district:")), "")


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def answer_rate_conditions(
    calls: Iterable[DayCall], now: datetime, settings: AlertSettings, names: Callable[[str], str]
) -> list[Condition]:
    since = now - timedelta(seconds=settings.window_s)
    recent = [c for c in calls if c.offered_at is not None and since <= c.offered_at <= now]
    groups: dict[str, list[DayCall]] = {"": recent}
    for c in recent:
        if d := _district_of(c.keys):
            groups.setdefault(d, []).append(c)
    out = []
    for district, mine in sorted(groups.items()):
        answered = sum(1 for c in mine if c.answered)
        resolved = answered + sum(1 for c in mine if c.abandoned)
        if len(mine) < settings.min_calls or not resolved:
            continue
        rate = answered / resolved
        if rate < settings.target:
            out.append(
                Condition(
                    kind=AlertKind.ANSWER_RATE,
                    district=district,
                    detail=f"{names(district)}近 {settings.window_s / 60:.0f} 分钟接通率 {_pct(rate)}，"
                    f"低于目标 {_pct(settings.target)}（进线 {len(mine)} 通，接通 {answered} 通）",
                )
            )
    return out


def long_wait_conditions(
    waiting: Iterable[Waiting], now: datetime, settings: AlertSettings, names: Callable[[str], str]
) -> list[Condition]:
    worst: dict[str, tuple[float, int]] = {}
    for w in waiting:
        if w.since is None:
            continue
        wait = (now - w.since).total_seconds()
        if wait > settings.max_wait_s:
            district = queue_district(w.queue)[0] or ""
            longest, n = worst.get(district, (0.0, 0))
            worst[district] = (max(longest, wait), n + 1)
    return [
        Condition(
            kind=AlertKind.LONG_WAIT,
            district=d,
            detail=f"{names(d)}有 {n} 位来电人等待超过 {settings.max_wait_s:.0f} 秒（最长 {longest:.0f} 秒）",
        )
        for d, (longest, n) in sorted(worst.items())
    ]


def sla_conditions(
    orders: Iterable[tuple[str | None, str]],
    district_of_team: Callable[[str | None], str],
    names: Callable[[str], str],
) -> list[Condition]:
    breached = Counter(district_of_team(team) for team, sla in orders if sla == BREACHED)
    return [
        Condition(
            kind=AlertKind.SLA_BREACH,
            district=d,
            detail=f"{names(d)}有 {n} 张回拨工单已超过处理时限",
        )
        for d, n in sorted(breached.items())
    ]


def recipients_of(district: str, supervisors: Iterable[tuple[str, str | None]]) -> tuple[str, ...]:
    """The supervisors whose scope covers `district` ("" : the city's only)."""
    return tuple(sorted(name for name, d in supervisors if d is None or (district and d == district)))


def sees(scope: Scope, alert: BoardAlert) -> bool:
    return scope.citywide or (bool(alert.district) and f"district:{alert.district}" in scope.keys)


@dataclass(eq=False, kw_only=True)
class BoardAlerts:
    """The alert episodes; the open ones are held in memory (read on the loop), the store keeps all."""

    clock: Clock
    store: AlertStore
    live: LiveBoard
    backlog: Backlog
    directory: Directory
    supervisors: Supervisors
    district_names: Mapping[str, str] = field(default_factory=lambda: dict(DISTRICTS))
    settings: AlertSettings = AlertSettings()
    check_s: float = 5.0
    _open: dict[tuple[AlertKind, str], BoardAlert] | None = None
    _ticker: Ticker | None = None
    _scopes: Scopes | None = None

    async def run(self) -> None:
        """Read the open alerts back, then check the rules every `check_s` seconds until `stop`."""
        await self.start()
        self._ticker = Ticker("board-alerts", self.check_s, self.tick)
        await self._ticker.start()

    async def stop(self) -> None:
        if self._ticker is not None:
            await self._ticker.stop()

    async def start(self) -> None:
        """The open alerts as stored (after a restart: not raised again, still shown)."""
        stored = await offload(self.store.open_alerts)
        self._open = {(a.kind, a.district): a for a in stored}

    def name(self, district: str) -> str:
        return self.district_names.get(district, district) if district else "全市"

    def _read(self, now: datetime) -> tuple[list[Condition], list[tuple[str, str | None]]]:
        teams: dict[str, str] = {t.id: t.district_code or "" for t in self.directory.teams()}
        orders = self.backlog.open_orders(now)
        sla = sla_conditions(orders, lambda t: teams.get(t or "", ""), self.name)
        return sla, list(self.supervisors())

    async def tick(self) -> None:
        if self._open is None:
            await self.start()
        assert self._open is not None
        now = self.clock.now()
        found = answer_rate_conditions(self.live.today(now), now, self.settings, self.name)  # on the loop
        found += long_wait_conditions(self.live.waiting(), now, self.settings, self.name)
        sla, supervisors = await offload(self._read, now)
        found += sla
        await self.apply(found, supervisors, now)

    async def apply(
        self, found: Sequence[Condition], supervisors: Sequence[tuple[str, str | None]], now: datetime
    ) -> None:
        """Raise what is new, clear what ended (one row per episode)."""
        if self._open is None:
            await self.start()
        assert self._open is not None
        current = {(c.kind, c.district): c for c in found}
        for key, c in current.items():
            if key not in self._open:
                alert = BoardAlert(
                    id=0,
                    kind=c.kind,
                    district=c.district,
                    raised_at=now,
                    cleared_at=None,
                    detail=c.detail,
                    recipients=recipients_of(c.district, supervisors),
                )
                self._open[key] = await offload(self.store.raise_alert, alert)
        for key in [k for k in self._open if k not in current]:
            alert = self._open.pop(key)
            await offload(self.store.clear, alert.id, now)

    def open_for(self, scope: Scope) -> list[BoardAlert]:
        """The open alerts `scope` sees, newest first (memory only)."""
        return sorted(
            (a for a in (self._open or {}).values() if sees(scope, a)),
            key=lambda a: a.raised_at,
            reverse=True,
        )

    def scope_of(self, principal: Principal) -> Scope:
        """Blocking (reads the directory, at most every 30 s: `Scopes`): through `offload`."""
        if self._scopes is None:
            self._scopes = Scopes(lambda: (self.directory.teams(), self.directory.seats()))
        return self._scopes.of(principal)

    async def acknowledge(self, principal: Principal, by: str, alert_id: int) -> BoardAlert:
        scope = await offload(self.scope_of, principal)
        for key, alert in (self._open or {}).items():
            if alert.id == alert_id and sees(scope, alert):
                now = self.clock.now()
                await offload(self.store.acknowledge, alert_id, by, now)
                acked = replace(alert, acknowledged_by=by, acknowledged_at=now)
                assert self._open is not None
                self._open[key] = acked
                return acked
        raise NotFound("告警不存在或已解除", alert_id=alert_id)
