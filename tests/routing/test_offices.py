from __future__ import annotations

from dataclasses import replace

import pytest

from core.ids import OfficeId
from routing.gazetteer import Gazetteer
from routing.offices import (
    DEMO_MARK,
    OfficeCsvError,
    OfficeLevel,
    OfficeRegistry,
    build_offices,
    edit_problems,
    read_offices_csv,
    write_offices_csv,
)

HEADER = "id,name,level,parent_id,admin_code,district_code,street_code,address,phone,opening_hours,lat,lon,team_id\n"


def test_given_gazetteer_when_built_then_one_office_per_unit(
    gazetteer: Gazetteer, registry: OfficeRegistry
) -> None:
    levels = [o.level for o in registry]
    assert levels.count(OfficeLevel.CENTRE) == len(gazetteer.districts) == 16
    assert levels.count(OfficeLevel.STATION) == len(gazetteer.streets) == 234
    assert levels.count(OfficeLevel.ROOM) == len(gazetteer.committees) == 6509


def test_given_jingan_when_built_then_fourteen_stations_and_district_team(registry: OfficeRegistry) -> None:
    jingan = registry.in_district("310106")
    assert sum(o.level is OfficeLevel.STATION for o in jingan) == 14
    assert {o.team_id for o in jingan} == {"team-310106"}
    station = registry.get(OfficeId("office-310106021"))
    assert station.name == "静安区临汾路街道公共法律服务工作站"
    assert station.parent_id == "office-310106"


def test_given_registry_when_written_and_read_then_same_offices(registry: OfficeRegistry) -> None:
    offices = list(registry)
    assert read_offices_csv(write_offices_csv(offices)) == offices


def test_given_coordinates_when_round_tripped_then_kept() -> None:
    text = (
        HEADER
        + "c1,某区公共法律服务中心,centre,,310106,310106,,某路1号,021-12345678,,31.23,121.45,team-310106\n"
    )
    [office] = read_offices_csv(text)
    assert (office.lat, office.lon) == (31.23, 121.45)
    assert read_offices_csv(write_offices_csv([office])) == [office]


def test_given_bad_rows_when_read_then_error_names_each_row() -> None:
    text = HEADER + (
        "c1,中心,centre,,310106,310106,,,,,,,team-310106\n"
        "s1,工作站,station,c1,310106021,310106,310106021,,,,91,121,team-310106\n"
        "s2,工作站,kiosk,c1,310106022,310106,310106022,,,,,,team-310106\n"
        "c1,重复,centre,,310107,310107,,,,,,,team-310107\n"
        "r1,工作室,room,nowhere,310106021001,310106,310106021,,,,,,team-310106\n"
        ",缺编号,centre,,310108,310108,,,,,,,team-310108\n"
    )
    with pytest.raises(OfficeCsvError) as info:
        read_offices_csv(text)
    errors = info.value.errors
    assert [e.split("行")[0] for e in errors] == ["第3", "第4", "第5", "第6", "第7"]
    assert "纬度（lat）超出范围" in errors[0]
    assert "层级（level）无效" in errors[1]
    assert "与第2行重复" in errors[2]
    assert "上级机构 nowhere 不在表中" in errors[3]
    assert "缺少编号（id）" in errors[4]
    assert info.value.error_id == "routing.offices_csv_invalid"


def test_given_missing_column_when_read_then_header_error() -> None:
    with pytest.raises(OfficeCsvError, match="第1行") as info:
        read_offices_csv("id,name\nx,y\n")
    assert "层级（level）" in info.value.errors[0] and "团队编号（team_id）" in info.value.errors[0]


def test_given_chinese_level_names_when_read_then_accepted() -> None:
    text = HEADER + "c1,中心,区公共法律服务中心,,310106,310106,,,,,,,team-310106\n"
    assert read_offices_csv(text)[0].level is OfficeLevel.CENTRE


def test_given_an_office_edited_in_the_console_when_checked_then_the_csv_rules_apply_directly(
    registry: OfficeRegistry,
) -> None:
    station = registry.get(OfficeId("office-310106021"))
    assert edit_problems(replace(station, phone="021-62000000", lat=31.2, lon=121.4)) == []
    assert edit_problems(replace(station, phone="电话abc", lat=95.0, lon=121.4)) == [
        "电话（phone）格式无效：'电话abc'",
        "纬度（lat）超出范围 [-90.0, 90.0]：95.0",
    ]
    assert edit_problems(replace(station, lat=31.2, lon=None)) == [
        "纬度（lat）与经度（lon）须同时填写或同时留空"
    ]
    assert edit_problems(replace(station, name=" ", lon=float("nan"), lat=1.0)) == [
        "缺少名称（name）",
        "经度（lon）超出范围 [-180.0, 180.0]：nan",
    ]


def test_given_the_demo_when_built_then_every_office_has_a_marked_address_and_a_fictional_phone(
    gazetteer: Gazetteer, registry: OfficeRegistry
) -> None:
    demo = build_offices(gazetteer, demo_contacts=True)

    offices = list(demo)
    assert [o.id for o in offices] == [o.id for o in registry]
    assert all(o.address.endswith(DEMO_MARK) and o.phone.startswith("021-12348-") for o in offices)
    assert len({o.phone for o in offices}) == len(offices)
    assert all(edit_problems(o) == [] for o in offices)
    station = demo.get(OfficeId("office-310106021"))
    assert station.address == "上海市静安区临汾路街道社区事务受理服务中心内" + DEMO_MARK
    assert all(not o.address and not o.phone for o in registry)  # production: no made-up contacts
