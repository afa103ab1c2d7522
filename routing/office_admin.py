"""The office registry's administration (公共法律服务机构表): list, edit, import, export, seed.

`OfficeAdmin` implements `console_web.offices_api.OfficesBackend` over an `OfficeStore` (the offices
table, `store.repositories.OfficeRepository`, keeps offices as plain mappings) and the seat teams.
After an edit or an import it rebuilds the registry and hands it to `on_reload` (the composition
root points routing at it). All of it blocks (the store): call it off the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from core.access import TeamList
from core.errors import InvalidInput, NotFound
from core.ids import OfficeId, TeamId
from routing.gazetteer import District
from routing.offices import (
    DEFAULT_OPENING_HOURS,
    Office,
    OfficeLevel,
    OfficeRegistry,
    build_offices,
    edit_problems,
    load_gazetteer,
    read_offices_csv,
    write_offices_csv,
)

log = logging.getLogger(__name__)

CENTRE_SUFFIX = "公共法律服务中心"


class OfficeStore(Protocol):
    """The offices table, one mapping per office (the keys of `office_mapping`)."""

    def upsert_many(self, offices: Sequence[Mapping[str, Any]]) -> int: ...

    def all(self) -> Sequence[Mapping[str, Any]]: ...

    def count(self) -> int: ...


def office_from_mapping(row: Mapping[str, Any]) -> Office:
    district = str(row.get("district_code") or "")
    return Office(
        id=OfficeId(str(row["id"])),
        name=str(row.get("name") or ""),
        level=OfficeLevel(str(row.get("level"))),
        parent_id=OfficeId(str(row["parent_id"])) if row.get("parent_id") else None,
        admin_code=str(row.get("admin_code") or ""),
        district_code=district,
        street_code=str(row["street_code"]) if row.get("street_code") else None,
        team_id=TeamId(str(row.get("team_id") or f"team-{district}")),
        address=str(row.get("address") or ""),
        phone=str(row.get("phone") or ""),
        opening_hours=str(row.get("opening_hours") or DEFAULT_OPENING_HOURS),
        lat=row.get("lat"),
        lon=row.get("lon"),
    )


def office_mapping(o: Office) -> dict[str, Any]:
    return {
        "id": o.id,
        "name": o.name,
        "level": o.level.value,
        "parent_id": o.parent_id,
        "admin_code": o.admin_code,
        "district_code": o.district_code,
        "street_code": o.street_code,
        "address": o.address,
        "phone": o.phone,
        "opening_hours": o.opening_hours,
        "lat": o.lat,
        "lon": o.lon,
        "team_id": o.team_id,
    }


def seed_offices_if_empty(store: OfficeStore, gazetteer_dir: Path, *, demo_contacts: bool = False) -> int:
    """Fill the offices table from the gazetteer's derived network when it is empty; returns rows
    added. `demo_contacts`: the demo's made-up addresses and phones (`build_offices`)."""
    if store.count() > 0:
        return 0
    registry = build_offices(load_gazetteer(gazetteer_dir), demo_contacts=demo_contacts)
    added = store.upsert_many([office_mapping(o) for o in registry])
    log.info("offices table seeded from the gazetteer: %d offices", added)
    return added


@dataclass(frozen=True, slots=True)
class OfficeEdit:
    """What the console may change of an office."""

    name: str
    team_id: str
    address: str = ""
    phone: str = ""
    opening_hours: str = ""
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class OfficeView:
    office: Office
    team_name: str


@dataclass(frozen=True, slots=True)
class OfficePage:
    total: int
    offices: list[OfficeView]
    districts: list[District]
    teams: dict[str, str]


@dataclass(frozen=True, slots=True)
class OfficeImport:
    imported: int
    total: int


class OfficeAdmin:
    def __init__(
        self,
        store: OfficeStore,
        teams: TeamList,
        *,
        on_reload: Callable[[OfficeRegistry], None] | None = None,
    ) -> None:
        self._store = store
        self._teams = teams
        self._on_reload = on_reload
        self.registry: OfficeRegistry | None = None

    def _all(self) -> list[Office]:
        return [office_from_mapping(r) for r in self._store.all()]

    def _team_names(self) -> dict[str, str]:
        return {t.id: t.name for t in self._teams.all()}

    def reload(self) -> OfficeRegistry:
        registry = OfficeRegistry(self._all())
        self.registry = registry
        if self._on_reload is not None:
            self._on_reload(registry)
        return registry

    def list_offices(
        self,
        *,
        district: str | None = None,
        level: str | None = None,
        q: str | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> OfficePage:
        offices = self._all()
        districts = sorted({o.district_code for o in offices})
        centres = {o.district_code: o.name for o in offices if o.level is OfficeLevel.CENTRE}
        if district:
            offices = [o for o in offices if o.district_code == district]
        if level:
            offices = [o for o in offices if o.level.value == level]
        if q:
            offices = [o for o in offices if q in o.name or q in o.address or q == o.admin_code]
        teams = self._team_names()
        return OfficePage(
            total=len(offices),
            offices=[
                OfficeView(o, teams.get(o.team_id, o.team_id)) for o in offices[offset : offset + limit]
            ],
            districts=[District(d, centres.get(d, d).removesuffix(CENTRE_SUFFIX)) for d in districts],
            teams=teams,
        )

    def get_office(self, office_id: str) -> OfficeView:
        for row in self._store.all():
            if row["id"] == office_id:
                office = office_from_mapping(row)
                return OfficeView(office, self._team_names().get(office.team_id, office.team_id))
        raise NotFound("机构不存在", office_id=office_id)

    def update_office(self, office_id: str, changes: OfficeEdit) -> OfficeView:
        current = next((o for o in self._all() if o.id == office_id), None)
        if current is None:
            raise NotFound("机构不存在", office_id=office_id)
        teams = self._team_names()
        if changes.team_id not in teams:
            raise InvalidInput(f"团队不存在：{changes.team_id}", team_id=changes.team_id)
        edited = replace(
            current,
            name=changes.name.strip(),
            address=changes.address.strip(),
            phone=changes.phone.strip(),
            opening_hours=changes.opening_hours.strip() or DEFAULT_OPENING_HOURS,
            lat=changes.lat,
            lon=changes.lon,
            team_id=TeamId(changes.team_id),
        )
        problems = edit_problems(edited)
        if problems:
            raise InvalidInput(f"机构信息有误（{office_id}）：" + "，".join(problems), office_id=office_id)
        self._store.upsert_many([office_mapping(edited)])
        self.reload()
        return OfficeView(edited, teams[edited.team_id])

    def import_csv(self, text: str) -> OfficeImport:
        offices = read_offices_csv(text)  # OfficeCsvError lists every bad row
        teams = self._team_names()
        unknown = sorted({o.team_id for o in offices if o.team_id not in teams})
        if unknown:
            raise InvalidInput("机构表引用了不存在的团队：" + "、".join(unknown))
        self._store.upsert_many([office_mapping(o) for o in offices])
        return OfficeImport(imported=len(offices), total=len(self.reload()))

    def export_csv(self) -> str:
        return write_offices_csv(self._all())
