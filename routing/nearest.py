"""The office nearest to a caller.

By distance (haversine) where the caller's point and offices' coordinates are known; otherwise
by hierarchy: the committee's room, else the street's station, else the district centre. An
office of another district is chosen only when the caller's district has none at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.errors import NotFound
from core.ids import OfficeId
from routing.offices import Office, OfficeLevel, OfficeRegistry

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class GeoPoint:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class NearestOffice:
    office: Office
    distance_m: float | None
    reason: str


@dataclass(frozen=True, slots=True)
class AddressCandidate:
    """An office matching what a caller said or a seat typed, with how sure the match is (the IVR's
    address lookup gives them, best first; the seat workspace shows them)."""

    office_id: OfficeId
    office_name: str
    office_address: str
    opening_hours: str
    district_code: str
    confidence: float
    reason: str


class NoOfficeFound(NotFound):
    error_id = "routing.no_office"


def haversine_m(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance in metres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _closest(offices: list[Office], point: GeoPoint) -> tuple[Office, float] | None:
    best: tuple[Office, float] | None = None
    for office in offices:
        if office.lat is None or office.lon is None:
            continue
        d = haversine_m(point, GeoPoint(office.lat, office.lon))
        if best is None or d < best[1] or (d == best[1] and office.id < best[0].id):
            best = (office, d)
    return best


def nearest_office(
    registry: OfficeRegistry,
    *,
    district_code: str | None,
    street_code: str | None = None,
    committee_code: str | None = None,
    point: GeoPoint | None = None,
) -> NearestOffice:
    """The office to send the caller to; raises `NoOfficeFound` when the registry cannot serve."""
    own = registry.in_district(district_code) if district_code else []
    if point is not None:
        pool, scope = (own, "本区") if own else (list(registry), "全市（本区无机构）")
        found = _closest(pool, point)
        if found is not None:
            near, distance = found
            return NearestOffice(
                near, distance, f"按坐标就近（{scope}）：{near.name}，约 {distance / 1000:.1f} 公里"
            )
    steps = (
        (OfficeLevel.ROOM, committee_code, "居村委工作室"),
        (OfficeLevel.STATION, street_code, "街镇工作站"),
        (OfficeLevel.CENTRE, district_code, "区中心"),
    )
    for level, code, label in steps:
        if not code:
            continue
        step = registry.find(level, code)
        if step is not None and (district_code is None or step.district_code == district_code):
            return NearestOffice(step, None, f"按行政层级：{label} {step.name}")
    if own:
        centre = next((o for o in own if o.level is OfficeLevel.CENTRE), None)
        chosen = centre or min(own, key=lambda o: (o.level != OfficeLevel.STATION, o.id))
        return NearestOffice(chosen, None, f"按行政层级：本区机构 {chosen.name}")
    centres = sorted((o for o in registry if o.level is OfficeLevel.CENTRE), key=lambda o: o.id)
    if district_code is None and centres:
        return NearestOffice(centres[0], None, f"未识别区，暂用 {centres[0].name}")
    if centres:
        return NearestOffice(centres[0], None, f"本区（{district_code}）无机构，转 {centres[0].name}")
    raise NoOfficeFound("没有可用的公共法律服务机构", district_code=district_code or "")
