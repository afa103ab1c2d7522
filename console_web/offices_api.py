"""The office registry (公共法律服务机构) admin: the /offices page and its API.

The composition root puts an object satisfying `OfficesBackend` on `app.state.offices_backend`.
Supervisors and admins read; only admins edit and import. An import is all or nothing: a file
with bad rows is refused with 422 and `errors` lists every bad row. After an edit or an import
the backend reloads the registry that routing uses.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from console_web.deps import (
    AppService,
    add_page,
    audit,
    import_refused,
    require_role,
    uploaded_csv,
)
from console_web.offices_views import OfficeImportOut, OfficeOut, OfficePageOut
from console_web.routes import Acting, User
from core.access import SUPERVISING, Principal, Role
from core.blocking import offload
from routing.office_admin import OfficeAdmin, OfficeEdit
from routing.offices import OfficeCsvError

OfficesBackend = OfficeAdmin  # the service itself: one signature, no Protocol copy of it


class OfficeForm(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(default="", max_length=300)
    phone: str = Field(default="", max_length=40)
    opening_hours: str = Field(default="", max_length=200)
    lat: float | None = None
    lon: float | None = None
    team_id: str = Field(min_length=1, max_length=64)


offices_backend = AppService[OfficesBackend]("offices_backend", "机构管理服务尚未启动")


def _require_reader(p: Principal) -> None:
    require_role(p, SUPERVISING, "仅班长和管理员可以查看机构表")


def _require_admin(p: Principal) -> None:
    require_role(p, (Role.ADMIN,), "仅管理员可以修改机构表")


def build_offices_router() -> APIRouter:
    router = APIRouter()

    add_page(router, "/offices", "offices.html")

    @router.get("/api/offices")
    def list_offices(
        auth: User,
        request: Request,
        district: str | None = None,
        level: str | None = None,
        q: str | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> OfficePageOut:
        _require_reader(auth.principal)
        page = offices_backend(request).list_offices(
            district=district or None,
            level=level or None,
            q=(q or "").strip() or None,
            limit=max(1, min(limit, 1000)),
            offset=max(0, offset),
        )
        return OfficePageOut.of(page)

    @router.get(
        "/api/offices/export.csv",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}, "description": "机构名录 CSV"}},
    )
    def export_csv(auth: User, request: Request) -> Response:
        _require_reader(auth.principal)
        return Response(
            "\ufeff" + offices_backend(request).export_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="offices.csv"'},
        )

    @router.get("/api/offices/{office_id}")
    def get_office(office_id: str, auth: User, request: Request) -> OfficeOut:
        _require_reader(auth.principal)
        return OfficeOut.of(offices_backend(request).get_office(office_id))

    @router.put("/api/offices/{office_id}")
    def update_office(office_id: str, form: OfficeForm, auth: Acting, request: Request) -> OfficeOut:
        _require_admin(auth.principal)
        office = offices_backend(request).update_office(office_id, OfficeEdit(**form.model_dump()))
        audit(request, auth, "office.update", office_id, form.model_dump())
        return OfficeOut.of(office)

    @router.post("/api/offices/import", response_model=OfficeImportOut)
    async def import_csv(auth: Acting, request: Request) -> OfficeImportOut | JSONResponse:
        _require_admin(auth.principal)
        text = await uploaded_csv(request)
        try:
            result = await offload(offices_backend(request).import_csv, text)
        except OfficeCsvError as exc:
            return import_refused(exc, "机构表", exc.errors)
        await offload(audit, request, auth, "office.import", "offices", {"rows": result.imported})
        return OfficeImportOut.of(result)

    return router
