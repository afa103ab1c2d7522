"""Declining and explicit outcomes: found / ambiguous / no address / outside Shanghai."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from routing.address import AddressOutcome, AddressResolver, calibrate
from routing.elsewhere import ElsewhereIndex
from routing.gazetteer import Gazetteer
from routing.roads import RoadSegment, parse_road_table

DECLINES = Path(__file__).resolve().parents[1] / "data" / "address_declines.tsv"


def test_given_the_decline_set_when_understood_then_at_least_95_percent_declined_rightly(
    resolver: AddressResolver,
) -> None:
    with DECLINES.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert len(rows) >= 100
    expect = {"no_address": AddressOutcome.NO_ADDRESS, "outside": AddressOutcome.OUTSIDE}
    assert {r["expect"] for r in rows} == set(expect)
    right = [r["text"] for r in rows if resolver.understand(r["text"]).outcome is expect[r["expect"]]]
    assert len(right) / len(rows) >= 0.95


def test_given_another_city_when_understood_then_outside_and_no_candidates(resolver: AddressResolver) -> None:
    reading = resolver.understand("杭州市西湖区")
    assert reading.outcome is AddressOutcome.OUTSIDE
    assert reading.declined
    assert reading.elsewhere == "杭州市西湖区"
    assert "外省市地址：浙江省杭州市西湖区" in reading.reason
    assert reading.candidates == ()
    assert reading.confidence == 0.0
    assert resolver.resolve("杭州市西湖区") == []


def test_given_a_legal_question_when_understood_then_no_address(resolver: AddressResolver) -> None:
    for text in ("房东不退押金怎么办", "我老公家暴我该怎么办", "交通事故对方全责不赔钱"):
        reading = resolver.understand(text)
        assert reading.outcome is AddressOutcome.NO_ADDRESS, (text, reading)
        assert resolver.resolve(text) == []


def test_given_shanghai_roads_named_after_cities_when_understood_then_found(
    resolver: AddressResolver,
) -> None:
    top = resolver.understand("黄浦区南京东路街道").candidates[0]
    assert top.street_name == "南京东路街道"
    reading = resolver.understand("我住浦东新区张江镇，老家是安徽合肥的")
    assert reading.outcome is AddressOutcome.FOUND
    assert reading.candidates[0].street_name == "张江镇"
    assert resolver.understand("长宁区江苏路街道").outcome is AddressOutcome.FOUND


def test_given_a_name_several_committees_share_when_understood_then_ambiguous_with_named_candidates(
    resolver: AddressResolver,
) -> None:
    reading = resolver.understand("向阳居委会")
    assert reading.outcome is AddressOutcome.AMBIGUOUS
    names = {c.committee_name for c in reading.candidates}
    assert "向阳居委会" in names
    tied = [c for c in reading.candidates if "请向来电人确认" in c.reason]
    assert len(tied) >= 2
    assert len({c.district_code + (c.street_code or "") for c in tied}) == len(tied)
    assert tied[0].label in reading.reason
    assert reading.confidence == tied[0].confidence < 0.5


def test_given_a_plain_address_when_understood_then_found_with_high_confidence(
    resolver: AddressResolver,
) -> None:
    reading = resolver.understand("静安区临汾路街道")
    assert reading.outcome is AddressOutcome.FOUND
    assert reading.candidates[0].street_code == "310106021"
    assert 0.9 <= reading.confidence <= 1.0
    assert reading.confidence == reading.candidates[0].confidence


@pytest.mark.parametrize(
    "garbage",
    [
        "x" * 10_000,
        "啊" * 5_000,
        "我想问一下" * 2_000,
        "".join(chr(random.Random(7).randrange(0x4E00, 0x9FA5)) for _ in range(10_000)),
    ],
)
def test_given_garbage_when_understood_then_declined_reading_only_the_capped_start(
    resolver: AddressResolver, garbage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # How fast is the bench's business (bench/routing_accuracy.py times the 10 kB inputs); here:
    # whatever its length, only a bounded start of the text is ever normalised and scored.
    import routing.address as address

    seen: list[int] = []
    real = address.normalize

    def counting(text: str, **kw: bool) -> str:
        seen.append(len(text))
        return real(text, **kw)

    monkeypatch.setattr(address, "normalize", counting)
    reading = resolver.understand(garbage)
    assert reading.outcome is AddressOutcome.NO_ADDRESS
    assert seen and max(seen) <= 4 * address.MAX_INPUT_CHARS


def test_given_a_long_text_when_understood_then_only_its_start_is_read(resolver: AddressResolver) -> None:
    reading = resolver.understand("静安区临汾路街道" + "啊" * 10_000)
    assert reading.candidates[0].street_code == "310106021"
    reading = resolver.understand("啊" * 200 + "静安区临汾路街道")  # the fillers go first, then the cap
    assert reading.candidates[0].street_code == "310106021"
    assert (
        resolver.understand("嗯" * 70 + "，我想问" * 20 + "静安区临汾路街道").outcome
        is AddressOutcome.NO_ADDRESS
    )


def test_given_village_or_neighbourhood_said_when_resolved_then_that_kind(resolver: AddressResolver) -> None:
    assert resolver.resolve("宝山区顾村镇顾村村委会")[0].committee_name == "顾村村委会"
    assert resolver.resolve("宝山区顾村镇顾村居委会")[0].committee_name == "顾村居委会"
    assert resolver.resolve("胡桥村")[0].committee_name == "胡桥村村委会"


def test_given_lane_numbers_as_digits_or_numerals_when_resolved_then_the_lane_committee(
    resolver: AddressResolver,
) -> None:
    for text in ("静安区彭浦新村街道三泉路四二四弄居委会", "三泉路424弄居委会", "静安区三泉路四百二十四弄"):
        top = resolver.resolve(text)[0]
        assert top.committee_name == "三泉路四二四弄居委会", text


def test_given_a_committee_named_like_its_street_when_only_the_street_is_said_then_the_street(
    resolver: AddressResolver,
) -> None:
    top = resolver.resolve("浦东新区合庆镇")[0]
    assert (top.street_name, top.committee_name) == ("合庆镇", None)
    assert resolver.resolve("浦东新区合庆镇合庆镇居委会")[0].committee_name == "合庆镇居委会"
    top = resolver.resolve("静安")[0]
    assert (top.district_name, top.street_name) == ("静安区", None)


def test_given_the_district_said_when_a_homophone_fits_there_then_it_beats_an_exact_name_elsewhere(
    resolver: AddressResolver,
) -> None:
    top = resolver.resolve("静安区永泰居委会")[0]  # 静安 has 永太居委会; 永泰社区居委会 is in 嘉定
    assert top.district_name == "静安区"
    assert top.committee_name == "永太居委会"


def test_calibration_is_monotone_and_bounded() -> None:
    values = [calibrate(i / 100) for i in range(101)]
    assert values == sorted(values)
    assert values[0] == 0.0
    assert 0.9 < values[-1] < 1.0


def test_given_shanghai_names_when_elsewhere_index_built_then_they_are_not_elsewhere() -> None:
    index = ElsewhereIndex.load({"普陀区", "江苏"})
    found = index.find("浙江省杭州市西湖区")
    assert [e.name for e in found] == ["浙江省", "杭州市", "西湖区"]
    assert index.find("普陀区") == []  # 舟山 has one too; Shanghai's wins
    assert index.find("南京东路") == []  # a road
    assert [e.name for e in index.find("江苏苏州")] == ["苏州市"]


def test_given_a_road_in_one_street_when_only_road_and_number_said_then_that_street(
    resolver: AddressResolver,
) -> None:
    reading = resolver.understand("汾西路123号")  # 汾西路二六一弄居委会 is in 临汾路街道
    assert reading.outcome is AddressOutcome.FOUND
    top = reading.candidates[0]
    assert (top.street_name, top.committee_code) == ("临汾路街道", None)
    assert (top.road, top.house_number) == ("汾西路", "123号")
    assert "道路索引：汾西路123号→临汾路街道" in top.reason
    assert reading.confidence <= 0.6  # the road may run on beyond the streets that name it


def test_given_a_road_across_streets_when_only_road_and_number_said_then_ambiguous_asking_for_street(
    resolver: AddressResolver,
) -> None:
    reading = resolver.understand("静安区闻喜路768号")
    assert reading.outcome is AddressOutcome.AMBIGUOUS
    assert {c.street_name for c in reading.candidates} == {"彭浦新村街道", "临汾路街道"}
    assert "请问街道或附近路口" in reading.reason


def test_given_an_unknown_road_when_said_with_the_district_then_the_district_not_a_sound_alike(
    resolver: AddressResolver,
) -> None:
    reading = resolver.understand("徐汇区漕溪北路88号")  # was 西木北居委会, a near-homophone of 漕溪北
    top = reading.candidates[0]
    assert (top.district_name, top.street_code, top.road) == ("徐汇区", None, "漕溪北路")
    assert resolver.understand("漕溪北路88号").outcome is AddressOutcome.NO_ADDRESS


def test_given_a_road_table_when_parsed_then_good_rows_kept_and_each_bad_row_reported(
    gazetteer: Gazetteer,
) -> None:
    text = (
        "road,street_code,from,to\n"
        "共和新路,310106020,3000,4999\n"
        "共和新路,310106018,1,2999\n"
        ",310106020,,\n"
        "彭浦新村,310106020,,\n"
        "汾西路,999999999,,\n"
        "汾西路,310106021,十,20\n"
        "汾西路,310106021,20,\n"
        "汾西路,310106021,30,20\n"
        "汾西路,310106021,,\n"
    )
    rows, errors = parse_road_table(text, gazetteer)
    assert rows == [
        RoadSegment("共和新路", "310106020", 3000, 4999),
        RoadSegment("共和新路", "310106018", 1, 2999),
        RoadSegment("汾西路", "310106021"),
    ]
    assert [e.line for e in errors] == [4, 5, 6, 7, 8, 9]
    assert errors[0].message == "道路名为空"
    assert "不像道路名" in errors[1].message
    assert "不在行政区划中" in errors[2].message
    assert "应为正整数" in errors[3].message
    assert "同时填写" in errors[4].message
    assert "大于结束" in errors[5].message
    assert parse_road_table("name,code\n", gazetteer)[1][0].message.startswith("缺少列")


def test_given_house_number_ranges_when_a_road_crosses_streets_then_the_number_picks_the_street(
    gazetteer: Gazetteer,
) -> None:
    rows, _ = parse_road_table(
        "road,street_code,from,to\n共和新路,310106020,3000,4999\n共和新路,310106018,1,2999\n", gazetteer
    )
    with_table = AddressResolver.build(gazetteer, roads=rows)
    reading = with_table.understand("静安区共和新路3500号")
    assert reading.outcome is AddressOutcome.FOUND
    assert reading.candidates[0].street_name == "彭浦新村街道"
    assert with_table.understand("静安区共和新路702号").candidates[0].street_name == "共和新路街道"
    # Without the table the road crosses several streets: the caller is asked which.
    assert (
        AddressResolver.build(gazetteer).understand("静安区共和新路3500号").outcome
        is AddressOutcome.AMBIGUOUS
    )


@pytest.mark.parametrize(
    ("said", "committee"),
    [
        ("静安阳曲路470弄", "阳曲路四七零弄居委会"),  # was 河南省安阳市: 安阳 inside 静安阳曲路
        ("那个，我住静安阳曲路470弄居委会", "阳曲路四七零弄居委会"),
        ("阳曲路470弄", "阳曲路四七零弄居委会"),
    ],
)
def test_given_a_road_holding_a_city_short_name_when_understood_then_shanghai(
    resolver: AddressResolver, said: str, committee: str
) -> None:
    reading = resolver.understand(said)
    assert reading.outcome is AddressOutcome.FOUND, reading.reason
    assert reading.candidates[0].committee_name == committee


@pytest.mark.parametrize("said", ["静安区阳曲路四十号", "静安阳曲路四十号", "静安区阳曲路40号"])
def test_given_road_and_number_after_the_district_when_a_sound_alike_straddles_them_then_the_road(
    resolver: AddressResolver, said: str
) -> None:
    # 区阳 sounds like 巨杨居委会 (浦东) and 静安 names 静安居委会: neither is said besides the road.
    reading = resolver.understand(said)
    assert reading.outcome is AddressOutcome.FOUND, reading.reason
    top = reading.candidates[0]
    assert (top.district_name, top.street_name, top.road) == ("静安区", "临汾路街道", "阳曲路")


def test_given_a_city_short_name_starting_a_road_when_found_elsewhere_then_not_a_city() -> None:
    index = ElsewhereIndex.load(set())
    assert index.find("静安阳曲路470弄") == []
    assert index.find("安阳曲路40号") == []
    assert [e.name for e in index.find("河南安阳")] == ["河南省", "安阳市"]
    assert [e.name for e in index.find("我住安阳")] == ["安阳市"]
    assert [e.name for e in index.find("杭州西湖街道")][:1] == ["杭州市"]  # a 街道 is no road


def test_given_a_known_road_without_a_number_when_understood_then_its_streets(
    resolver: AddressResolver,
) -> None:
    # A road that crosses streets, no house number: ambiguous with the streets named (the IVR reads
    # them as a keypad choice); a road in one street: that street; a street named like a road: it.
    for said in ("闻喜路", "静安区闻喜路"):
        reading = resolver.understand(said)
        assert reading.outcome is AddressOutcome.AMBIGUOUS, said
        assert reading.tied == 2
        assert {c.street_name for c in reading.candidates[:2]} == {"彭浦新村街道", "临汾路街道"}
        assert all(c.house_number is None and c.road == "闻喜路" for c in reading.candidates)
    assert resolver.understand("汾西路").candidates[0].street_name == "临汾路街道"
    assert resolver.understand("共和新路").candidates[0].street_name == "共和新路街道"
    assert resolver.understand("我在南京路上被车撞了").outcome is AddressOutcome.NO_ADDRESS


def test_given_names_several_committees_share_when_ambiguous_then_tied_counts_them(
    resolver: AddressResolver,
) -> None:
    reading = resolver.understand("浦东果园村", limit=8)
    assert reading.outcome is AddressOutcome.AMBIGUOUS
    assert reading.tied == 5
    assert len({c.committee_code for c in reading.candidates[:5]}) == 5


def test_given_shanghai_said_when_a_district_sounds_like_another_city_then_the_shanghai_district(
    resolver: AddressResolver,
) -> None:
    # Whisper wrote 保山区 for 宝山区 (same toneless pinyin). 保山 is a city in 云南; the caller said
    # 上海市, which the normalised text no longer holds, so the place stays in Shanghai.
    reading = resolver.understand("我住上海市保山区、罗金正")
    assert reading.outcome is AddressOutcome.FOUND
    assert reading.candidates[0].district_code == "310113"
    assert reading.candidates[0].street_code == "310113106"  # 罗泾镇
    # Without 上海 it is still the city in 云南 that was named.
    assert resolver.understand("我住保山区").outcome is AddressOutcome.OUTSIDE


def test_given_a_plain_district_and_chance_sounds_when_the_best_is_unsupported_then_the_district(
    resolver: AddressResolver,
) -> None:
    # 草家都 (曹家渡 misheard, no 街道 after it): 家都 sounds like a committee in 青浦, which the
    # words do not support. The district said plainly still stands instead of no address at all.
    reading = resolver.understand("我就在静安区，草家都")
    assert reading.outcome is AddressOutcome.FOUND
    assert reading.candidates[0].district_code == "310106"
    assert resolver.understand("我的房东不退押金").outcome is AddressOutcome.NO_ADDRESS
