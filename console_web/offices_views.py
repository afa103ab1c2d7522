"""The JSON of the office registry admin (`/api/offices*`), built from `routing.office_admin`'s views."""

from __future__ import annotations

from pydantic import BaseModel

from console_web.views import Choice, FromFields, TeamOption, from_fields
from routing.office_admin import OfficePage, OfficeView
from routing.offices import OfficeLevel


class OfficeOut(BaseModel):
    id: str
    name: str
    level: str
    level_label: str
    parent_id: str | None
    admin_code: str
    district_code: str
    street_code: str | None
    address: str
    phone: str
    opening_hours: str
    lat: float | None
    lon: float | None
    team_id: str
    team_name: str

    @classmethod
    def of(cls, view: OfficeView) -> OfficeOut:
        return from_fields(cls, view.office, team_name=view.team_name)


class DistrictOut(BaseModel):
    code: str
    name: str


class OfficePageOut(BaseModel):
    total: int
    offices: list[OfficeOut]
    districts: list[DistrictOut]
    levels: list[Choice]
    teams: list[TeamOption]

    @classmethod
    def of(cls, page: OfficePage) -> OfficePageOut:
        return cls(
            total=page.total,
            offices=[OfficeOut.of(v) for v in page.offices],
            districts=[DistrictOut(code=d.code, name=d.name) for d in page.districts],
            levels=Choice.all(OfficeLevel),
            teams=[TeamOption(id=k, name=v) for k, v in page.teams.items()],
        )


class OfficeImportOut(FromFields):
    """What an office import did (`routing.office_admin.OfficeImport`)."""

    imported: int
    total: int
