"""The road index from the offices' addresses (routing.roads.office_roads): a station's or a room's
address puts its road and number in that office's street; bad addresses are noted and skipped."""

from __future__ import annotations

from dataclasses import replace

from core.ids import OfficeId
from routing.address import AddressOutcome, AddressResolver
from routing.gazetteer import Gazetteer
from routing.offices import DEMO_MARK, OfficeRegistry
from routing.roads import RoadSegment, office_roads, parse_road_table

XUJIAHUI = "310104014"  # 徐家汇街道, 徐汇区


def with_address(registry: OfficeRegistry, office_id: str, address: str) -> OfficeRegistry:
    edited = replace(registry.get(OfficeId(office_id)), address=address)
    return OfficeRegistry([edited if o.id == office_id else o for o in registry])


def test_given_a_station_address_with_road_and_number_then_one_segment_in_its_street(
    registry: OfficeRegistry, gazetteer: Gazetteer
) -> None:
    offices = with_address(registry, f"office-{XUJIAHUI}", "上海市徐汇区漕溪北路88号")
    segments, notes = office_roads(offices, gazetteer)
    assert segments == [RoadSegment("漕溪北路", XUJIAHUI, 88, 88)]
    assert notes == []


def test_given_bad_office_addresses_then_each_noted_and_skipped_and_the_good_one_kept(
    registry: OfficeRegistry, gazetteer: Gazetteer
) -> None:
    offices = with_address(registry, f"office-{XUJIAHUI}", "徐汇区漕溪北路88号")
    offices = with_address(offices, "office-310104003", "徐汇区天平路街道社区服务中心")  # no road + number
    offices = with_address(offices, "office-310104004", "静安区常德路1000号")  # another district
    offices = with_address(offices, "office-310104", "徐汇区南丹东路80号")  # a centre: no street
    offices = with_address(offices, "office-310104007", f"上海市徐汇区斜土路街道办事处内{DEMO_MARK}")
    segments, notes = office_roads(offices, gazetteer)
    assert segments == [RoadSegment("漕溪北路", XUJIAHUI, 88, 88)]
    by_office = {n.office_id: n.message for n in notes}
    assert set(by_office) == {"office-310104003", "office-310104004", "office-310104"}
    assert "没有“道路+门牌号”" in by_office["office-310104003"]
    assert "与机构所在区不符" in by_office["office-310104004"]
    assert "区中心" in by_office["office-310104"]


def test_given_office_roads_when_a_road_and_number_said_then_that_street(
    resolver: AddressResolver, registry: OfficeRegistry, gazetteer: Gazetteer
) -> None:
    assert resolver.understand("漕溪北路88号").outcome is AddressOutcome.NO_ADDRESS  # no source knows it
    segments, _ = office_roads(with_address(registry, f"office-{XUJIAHUI}", "徐汇区漕溪北路88号"), gazetteer)
    with_offices = resolver.with_office_roads(segments)
    for said in ("漕溪北路88号", "徐汇区漕溪北路八十八号", "我住在漕溪北路100号"):
        reading = with_offices.understand(said)
        assert reading.outcome is AddressOutcome.FOUND, said
        top = reading.candidates[0]
        assert (top.street_code, top.road) == (XUJIAHUI, "漕溪北路"), said
    # The shared resolver is not changed: another registry's roads are its own copy's.
    assert resolver.understand("漕溪北路88号").outcome is AddressOutcome.NO_ADDRESS
    assert with_offices.with_office_roads([]).understand("漕溪北路88号").outcome is AddressOutcome.NO_ADDRESS


def test_given_an_office_on_a_road_across_streets_then_its_own_number_picks_its_street(
    resolver: AddressResolver,
) -> None:
    # 闻喜路 runs through 彭浦新村街道 and 临汾路街道 (committee names): an office's address at 768号
    # in 临汾路街道 settles that very number; another number stays a question.
    with_offices = resolver.with_office_roads([RoadSegment("闻喜路", "310106021", 768, 768)])
    assert resolver.understand("静安区闻喜路768号").outcome is AddressOutcome.AMBIGUOUS
    reading = with_offices.understand("静安区闻喜路768号")
    assert reading.outcome is AddressOutcome.FOUND
    assert reading.candidates[0].street_name == "临汾路街道"
    assert with_offices.understand("静安区闻喜路20号").outcome is AddressOutcome.AMBIGUOUS


def test_given_an_imported_table_lists_the_road_then_it_outranks_an_office_address(
    gazetteer: Gazetteer,
) -> None:
    rows, _ = parse_road_table(
        "road,street_code,from,to\n共和新路,310106020,3000,4999\n共和新路,310106018,1,2999\n", gazetteer
    )
    with_table = AddressResolver.build(gazetteer, roads=rows, elsewhere=False)
    # An operator's address puts 共和新路3500号 in 临汾路街道; the table says 彭浦新村街道.
    both = with_table.with_office_roads([RoadSegment("共和新路", "310106021", 3500, 3500)])
    assert both.understand("静安区共和新路3500号").candidates[0].street_name == "彭浦新村街道"
