"""The supervisor board's live views, alerts and trends (按队列 / 按团队, 告警, 趋势).

* `GET /api/supervisor/live-groups`: per queue and per team in scope, now (from the live board in
  memory: the page refetches it after a burst of pushed events, no database read per event);
* `GET /api/supervisor/alerts`: the open alerts the principal's scope covers (memory), with who was
  alerted; `POST /api/supervisor/alerts/{id}/ack`: 确认, audited;
* `GET /api/supervisor/trends?days=7|30&by=all|team|queue`: per day, from the stored calls.

Only supervisors and admins (`require_supervisor`); the services scope what they return.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from pydantic import BaseModel

from console_web.deps import AppService, audit
from console_web.routes import Acting, User
from console_web.supervisor_api import require_supervisor, supervisor_backend
from console_web.views import IsoTime, from_fields
from core.blocking import offload
from core.errors import InvalidInput
from stats.board_alerts import AlertSettings, BoardAlert, BoardAlerts
from stats.board_live import GroupNow
from stats.trends import TREND_DAYS, DayFigures, TrendGroup

board_alerts = AppService[BoardAlerts]("board_alerts", "告警服务尚未启动")


class LiveGroupsOut(BaseModel):
    scope: str
    generated_at: IsoTime
    queues: list[GroupNow]
    teams: list[GroupNow]


class AlertOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    district: str
    raised_at: IsoTime
    detail: str
    recipients: list[str]
    channel: str
    text: str  # the banner: 告警 + 已通知：<names>（控制台横幅）
    acknowledged_by: str | None
    acknowledged_at: IsoTime | None

    @classmethod
    def of(cls, a: BoardAlert) -> AlertOut:
        names = "、".join(a.recipients) or "（无）"
        return from_fields(cls, a, text=f"【{a.kind.label}】{a.detail}。已通知：{names}（{a.channel}）")


class AlertsOut(BaseModel):
    alerts: list[AlertOut]
    settings: AlertSettings


class SeriesOut(BaseModel):
    key: str
    label: str
    days: list[DayFigures]


class TrendsOut(BaseModel):
    scope: str
    first: date
    last: date
    group: str
    series: list[SeriesOut]


def build_board_router() -> APIRouter:
    router = APIRouter()

    @router.get("/api/supervisor/live-groups", response_model=LiveGroupsOut)
    async def groups(auth: User, request: Request) -> LiveGroupsOut:
        require_supervisor(auth.principal)
        scope, g = await supervisor_backend(request).live_groups(auth.principal)
        return LiveGroupsOut(scope=scope, generated_at=g.at, queues=g.queues, teams=g.teams)

    @router.get("/api/supervisor/alerts", response_model=AlertsOut)
    async def alerts(auth: User, request: Request) -> AlertsOut:
        require_supervisor(auth.principal)
        service = board_alerts(request)
        scope = await offload(service.scope_of, auth.principal)
        return AlertsOut(alerts=[AlertOut.of(a) for a in service.open_for(scope)], settings=service.settings)

    @router.post("/api/supervisor/alerts/{alert_id}/ack", response_model=AlertOut)
    async def acknowledge(alert_id: int, auth: Acting, request: Request) -> AlertOut:
        require_supervisor(auth.principal)
        alert = await board_alerts(request).acknowledge(auth.principal, auth.principal.display_name, alert_id)
        await offload(audit, request, auth, "board_alert.ack", str(alert_id), {"kind": alert.kind.value})
        return AlertOut.of(alert)

    @router.get("/api/supervisor/trends", response_model=TrendsOut)
    async def trends(auth: User, request: Request, days: int = 7, by: str = "all") -> TrendsOut:
        require_supervisor(auth.principal)
        if days not in TREND_DAYS:
            raise InvalidInput("趋势天数应为 7 或 30", days=days)
        if by not in TrendGroup.__members__.values():
            raise InvalidInput("分组应为 all（全部）、team（按团队）或 queue（按队列）", by=by)
        t = await supervisor_backend(request).trends(auth.principal, days, TrendGroup(by))
        return TrendsOut(
            scope=t.scope,
            first=t.first,
            last=t.last,
            group=t.group.value,
            series=[SeriesOut(key=s.key, label=s.label, days=s.days) for s in t.series],
        )

    return router
