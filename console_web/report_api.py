"""Reports beside the board's: the printable report (打印版报表) with its JSON, and the archive
(报表归档) of the ended periods' workbooks.

- `/report?period=day|week|month&date=YYYY-MM-DD`: the printable page (report.html, report_print.js)
  over `GET /api/supervisor/breakdown`, the same figures as the XLSX (`report_xlsx`): the summary
  with the definitions, the tables by district, team, seat, queue and legal category, and 热点.
- `GET /api/supervisor/report-archive`: the archived workbooks this principal may read
  (`report_archive.may_read`); `GET /api/supervisor/report-archive/{period}/{name}`: one of them,
  404 when it is not there or not theirs.

Only supervisors and admins, as the board; the scope is the backend's and the archive's.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console_web.deps import AppService, add_page
from console_web.report_archive import ReportArchive
from console_web.report_views import ArchiveOut, BreakdownOut
from console_web.report_xlsx import XlsxResponse, content_disposition
from console_web.routes import User
from console_web.supervisor_api import fetch_breakdown, require_supervisor
from core.blocking import offload

report_archive = AppService[ReportArchive]("report_archive", "报表归档服务尚未启动")


def build_report_router() -> APIRouter:
    router = APIRouter()

    add_page(router, "/report", "report.html")

    @router.get("/api/supervisor/breakdown", response_model=BreakdownOut)
    async def breakdown(
        auth: User, request: Request, period: str = "day", date: str | None = None
    ) -> BreakdownOut:
        """The period's figures as in the XLSX: summary, by each dimension, and 热点 (打印版报表)."""
        return BreakdownOut.of(*await fetch_breakdown(auth.principal, request, period, date))

    @router.get("/api/supervisor/report-archive", response_model=ArchiveOut)
    async def archived(auth: User, request: Request) -> ArchiveOut:
        """报表归档: the workbooks kept of the ended days, weeks and months, those in this scope."""
        require_supervisor(auth.principal)
        archive = report_archive(request)
        files = await offload(archive.files, auth.principal)
        return ArchiveOut.of(archive.directory is not None, files)

    @router.get(
        "/api/supervisor/report-archive/{period}/{name}",
        response_class=XlsxResponse,
        responses={
            200: {"description": "归档的 XLSX 报表"},
            404: {"description": "归档报表不存在或无权查看"},
        },
    )
    async def archived_file(period: str, name: str, auth: User, request: Request) -> Response:
        require_supervisor(auth.principal)
        body = await offload(report_archive(request).read, auth.principal, period, name)
        return XlsxResponse(body, headers={"Content-Disposition": content_disposition(name)})

    return router
