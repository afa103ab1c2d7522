"""The supervisors' live board (班长监控台): page, KPI overview, seats, staffing forecast, reports.

The composition root puts an object satisfying `SupervisorBackend` on
`app.state.supervisor_backend`. Only supervisors and admins get in; what they see is scoped by the
backend (a district supervisor sees their district only). Reports come as JSON or, with
`format=csv`, as a UTF-8 CSV with Chinese headers (with a BOM, so Excel opens it right).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console_web.deps import AppService, add_page, audit, parse_day, require_role
from console_web.report_xlsx import XlsxResponse, content_disposition, file_name, report_workbook
from console_web.routes import Acting, User
from console_web.supervisor_views import (
    DistrictsOut,
    FollowUpReportOut,
    ForecastOut,
    OverviewOut,
    ReportOut,
    SeatExpertIn,
    SeatExpertOut,
    SeatsOut,
    WrapUpPolicyIn,
    WrapUpPolicyOut,
)
from core.access import SUPERVISING, Principal
from core.blocking import offload
from core.clock import CHINA_TZ
from core.csvsafe import safe_row
from core.errors import InvalidInput
from seats.wrap_up import WrapUpPolicy, WrapUpPolicyService
from stats.breakdown import Breakdown
from stats.reports import Period
from stats.supervision import SupervisionService

# (field of a report row, CSV header)
REPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("label", "时段"),
    ("offered", "进线量"),
    ("answered", "接通量"),
    ("abandoned", "放弃量"),
    ("answer_rate", "接通率(%)"),
    ("service_level", "服务水平(%)"),
    ("abandon_rate", "放弃率(%)"),
    ("asa_seconds", "平均应答时长(秒)"),
    ("aht_seconds", "平均处理时长(秒)"),
    ("survey_answers", "满意度评价数"),
    ("satisfaction_rate", "满意率(%)"),
)
_PERCENT = {"answer_rate", "service_level", "abandon_rate", "satisfaction_rate"}


SupervisorBackend = SupervisionService  # the service itself: one signature, no Protocol copy of it


supervisor_backend = AppService[SupervisorBackend]("supervisor_backend", "班长监控服务尚未启动")
wrap_up_policies = AppService[WrapUpPolicyService]("wrap_up_policy", "话后整理规则服务尚未启动")


def require_supervisor(principal: Principal) -> None:
    require_role(principal, SUPERVISING, "仅班长和管理员可以查看监控台")


def _cell(key: str, value: str | float | None) -> str:
    if value is None:
        return ""
    if key in _PERCENT and not isinstance(value, str):
        return f"{value * 100:.1f}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def report_csv(report: ReportOut) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(safe_row(header for _, header in REPORT_COLUMNS))
    for row in [*report.rows, report.total]:
        writer.writerow(safe_row(_cell(key, getattr(row, key)) for key, _ in REPORT_COLUMNS))
    return "\ufeff" + out.getvalue()


def parse_period(period: str) -> Period:
    if period not in Period.__members__.values():
        raise InvalidInput("报表周期应为 day（日）、week（周）或 month（月）", period=period)
    return Period(period)


async def fetch_breakdown(
    principal: Principal, request: Request, period: str, date: str | None
) -> tuple[Breakdown, datetime]:
    """The period's breakdown in the supervisor's scope (the XLSX and its print version), and
    now in China time for its heading."""
    require_supervisor(principal)
    chosen, day = parse_period(period), parse_day(date)
    backend = supervisor_backend(request)
    breakdown = await backend.breakdown(principal, chosen, day)
    return breakdown, backend.clock.now().astimezone(CHINA_TZ)


def build_supervisor_router() -> APIRouter:
    router = APIRouter()

    add_page(router, "/supervisor", "supervisor.html")
    add_page(router, "/wallboard", "wallboard.html")

    @router.get("/api/supervisor/overview", response_model=OverviewOut)
    async def overview(auth: User, request: Request) -> OverviewOut:
        require_supervisor(auth.principal)
        return OverviewOut.of(await supervisor_backend(request).overview(auth.principal))

    @router.get("/api/supervisor/seats", response_model=SeatsOut)
    async def seats(auth: User, request: Request) -> SeatsOut:
        require_supervisor(auth.principal)
        return SeatsOut.of(await supervisor_backend(request).seats(auth.principal))

    @router.put("/api/supervisor/seats/{seat_id}/expert", response_model=SeatExpertOut)
    async def set_expert(seat_id: str, body: SeatExpertIn, auth: Acting, request: Request) -> SeatExpertOut:
        """专家坐席: an admin marks a seat an expert seat, or an ordinary one again."""
        seat = await supervisor_backend(request).set_expert(auth.principal, seat_id, body.expert)
        await offload(audit, request, auth, "seat.expert", seat.id, {"expert": body.expert})
        return SeatExpertOut(seat_id=seat.id, name=seat.name, expert=seat.expert)

    @router.get("/api/supervisor/districts", response_model=DistrictsOut)
    async def districts(auth: User, request: Request) -> DistrictsOut:
        """Today's figures per district in scope (区地图, 大屏)."""
        require_supervisor(auth.principal)
        return DistrictsOut.of(*await supervisor_backend(request).districts(auth.principal))

    @router.get("/api/supervisor/forecast", response_model=ForecastOut)
    async def forecast(auth: User, request: Request) -> ForecastOut:
        require_supervisor(auth.principal)
        return ForecastOut.of(await supervisor_backend(request).forecast(auth.principal))

    @router.get(
        "/api/supervisor/report",
        response_model=ReportOut,
        responses={200: {"content": {"text/csv": {}}, "description": "JSON，或 format=csv 时为 CSV"}},
    )
    async def report(
        auth: User,
        request: Request,
        period: str = "day",
        date: str | None = None,
        format: str = "json",
    ) -> ReportOut | Response:
        require_supervisor(auth.principal)
        chosen = parse_period(period)
        if format not in ("json", "csv"):
            raise InvalidInput("format 应为 json 或 csv", format=format)
        day = parse_day(date)
        body = ReportOut.of(await supervisor_backend(request).report(auth.principal, chosen, day))
        if format == "csv":
            name = f"report-{period}-{body.start.isoformat()}.csv"
            return Response(
                report_csv(body),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        return body

    @router.get(
        "/api/supervisor/report.xlsx",
        response_class=XlsxResponse,
        responses={200: {"description": "XLSX 报表（汇总及按区、团队、坐席、队列、法律类别）"}},
    )
    async def report_xlsx(
        auth: User, request: Request, period: str = "day", date: str | None = None
    ) -> Response:
        """报表下载: the period report and its breakdowns as a workbook named by scope and period."""
        breakdown, now = await fetch_breakdown(auth.principal, request, period, date)
        body = await offload(report_workbook, breakdown, now)
        return XlsxResponse(body, headers={"Content-Disposition": content_disposition(file_name(breakdown))})

    @router.get("/api/supervisor/follow-ups", response_model=FollowUpReportOut)
    async def follow_ups(
        auth: User, request: Request, period: str = "month", date: str | None = None
    ) -> FollowUpReportOut:
        """回访统计: 回访率 and the satisfaction after follow-up, per team and in total."""
        require_supervisor(auth.principal)
        chosen, day = parse_period(period), parse_day(date)
        return FollowUpReportOut.of(
            await supervisor_backend(request).follow_up_report(auth.principal, chosen, day)
        )

    @router.get("/api/supervisor/wrap-up-policy", response_model=WrapUpPolicyOut)
    async def wrap_up_policy(auth: User, request: Request) -> WrapUpPolicyOut:
        require_supervisor(auth.principal)
        return WrapUpPolicyOut.of(await wrap_up_policies(request).current(), auth.principal)

    @router.put("/api/supervisor/wrap-up-policy", response_model=WrapUpPolicyOut)
    async def set_wrap_up_policy(body: WrapUpPolicyIn, auth: Acting, request: Request) -> WrapUpPolicyOut:
        require_supervisor(auth.principal)
        policy = WrapUpPolicy(step_s=body.step_s, max_s=body.max_s)
        return WrapUpPolicyOut.of(await wrap_up_policies(request).set(auth.principal, policy), auth.principal)

    return router
