from __future__ import annotations

import pytest

from core.ids import OfficeId, TeamId
from routing.nearest import GeoPoint, NoOfficeFound, haversine_m, nearest_office
from routing.offices import Office, OfficeLevel, OfficeRegistry


def _office(
    oid: str,
    level: OfficeLevel,
    district: str,
    street: str | None,
    lat: float | None = None,
    lon: float | None = None,
    parent: str | None = None,
) -> Office:
    return Office(
        id=OfficeId(oid),
        name=oid,
        level=level,
        parent_id=OfficeId(parent) if parent else None,
        admin_code=oid.removeprefix("office-"),
        district_code=district,
        street_code=street,
        team_id=TeamId(f"team-{district}"),
        lat=lat,
        lon=lon,
    )


def test_given_committee_when_nearest_then_its_room(registry: OfficeRegistry) -> None:
    got = nearest_office(
        registry, district_code="310106", street_code="310106101", committee_code="310106101201"
    )
    assert got.office.id == "office-310106101201"
    assert got.office.level is OfficeLevel.ROOM
    assert "居村委工作室" in got.reason


def test_given_street_only_when_nearest_then_station(registry: OfficeRegistry) -> None:
    got = nearest_office(registry, district_code="310106", street_code="310106021")
    assert got.office.id == "office-310106021"


def test_given_district_only_when_nearest_then_centre(registry: OfficeRegistry) -> None:
    assert nearest_office(registry, district_code="310106").office.id == "office-310106"


def test_given_street_of_another_district_when_nearest_then_own_district_centre(
    registry: OfficeRegistry,
) -> None:
    got = nearest_office(registry, district_code="310106", street_code="310101002")
    assert got.office.district_code == "310106"
    assert got.office.level is OfficeLevel.CENTRE


def test_given_coordinates_when_nearest_then_closest_in_own_district_even_if_other_is_closer() -> None:
    registry = OfficeRegistry(
        [
            _office("office-310106", OfficeLevel.CENTRE, "310106", None, 31.2290, 121.4480),
            _office(
                "office-310106021",
                OfficeLevel.STATION,
                "310106",
                "310106021",
                31.2900,
                121.4500,
                "office-310106",
            ),
            _office("office-310107", OfficeLevel.CENTRE, "310107", None, 31.2850, 121.4490),
        ]
    )
    got = nearest_office(registry, district_code="310106", point=GeoPoint(31.2860, 121.4490))
    assert got.office.id == "office-310106021"
    assert got.distance_m is not None and 400 < got.distance_m < 600
    assert "本区" in got.reason


def test_given_district_without_offices_when_nearest_then_other_district_allowed() -> None:
    registry = OfficeRegistry([_office("office-310107", OfficeLevel.CENTRE, "310107", None, 31.25, 121.40)])
    got = nearest_office(registry, district_code="310106", point=GeoPoint(31.25, 121.41))
    assert got.office.id == "office-310107"
    assert "本区无机构" in got.reason
    assert nearest_office(registry, district_code="310106").office.id == "office-310107"


def test_given_empty_registry_when_nearest_then_no_office_found() -> None:
    with pytest.raises(NoOfficeFound):
        nearest_office(OfficeRegistry([]), district_code="310106")


def test_given_two_points_when_haversine_then_known_distance() -> None:
    # People's Square to Lujiazui: about 2.8 km as the crow flies.
    d = haversine_m(GeoPoint(31.2304, 121.4737), GeoPoint(31.2397, 121.4998))
    assert 2_600 < d < 2_800
