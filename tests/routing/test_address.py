from __future__ import annotations

from routing.address import AddressResolver, MatchLevel


def test_given_the_brief_example_when_resolved_then_jingan_linfen_road_street(
    resolver: AddressResolver,
) -> None:
    top = resolver.resolve("我住在静安区临汾路街道, 汾西路那边")[0]
    assert (top.district_code, top.street_code) == ("310106", "310106021")
    assert top.street_name == "临汾路街道"
    assert top.road == "汾西路"
    assert top.confidence >= 0.6


def test_given_homophone_district_when_resolved_then_pinyin_reason(resolver: AddressResolver) -> None:
    top = resolver.resolve("经安区临汾路")[0]
    assert top.district_code == "310106"
    assert "拼音匹配：经安区→静安区" in top.reason


def test_given_homophone_street_when_resolved_then_street_found(resolver: AddressResolver) -> None:
    top = resolver.resolve("林芬路街道")[0]
    assert top.street_code == "310106021"
    assert "拼音匹配：林芬路街道→临汾路街道" in top.reason
    assert "区由街镇推断" in top.reason


def test_given_dropped_suffixes_when_resolved_then_committee_found(resolver: AddressResolver) -> None:
    top = resolver.resolve("静安 彭浦 彭浦村")[0]
    assert top.level is MatchLevel.COMMITTEE
    assert top.committee_name == "彭浦村村委会"


def test_given_abbreviation_when_resolved_then_full_district(resolver: AddressResolver) -> None:
    top = resolver.resolve("浦东张江")[0]
    assert (top.district_name, top.street_name) == ("浦东新区", "张江镇")
    assert "简称：浦东→浦东新区" in top.reason


def test_given_historic_district_name_when_resolved_then_todays_district(resolver: AddressResolver) -> None:
    top = resolver.resolve("闸北彭浦新村")[0]
    assert top.district_name == "静安区"
    assert "旧区名：闸北→静安区" in top.reason


def test_given_house_number_in_words_when_resolved_then_road_and_number(resolver: AddressResolver) -> None:
    top = resolver.resolve("长宁区新华路街道番禺路一二三号")[0]
    assert (top.road, top.house_number) == ("番禺路", "123号")
    assert top.street_name == "新华路街道"


def test_given_accent_merger_when_resolved_then_fuzzy_match(resolver: AddressResolver) -> None:
    top = resolver.resolve("静安区石门二录街道")[0]  # 路 -> 录 (lu): same toneless syllable
    assert top.street_code == "310106011"
    top = resolver.resolve("曹家度")[0]  # du for du: 曹家渡, a homophone
    assert top.street_name == "曹家渡街道"
    top = resolver.resolve("静安区江林路街道")[0]  # ning -> lin: n/l and -ng/-n mergers
    assert top.street_name == "江宁路街道"
    assert "近音匹配" in top.reason


def test_given_unknown_address_when_resolved_then_empty(resolver: AddressResolver) -> None:
    assert resolver.resolve("我想咨询一下离婚的事情") == []
    assert resolver.resolve("") == []
    assert resolver.resolve("12345") == []


def test_given_ambiguous_committee_name_when_resolved_then_low_confidence_and_reason(
    resolver: AddressResolver,
) -> None:
    matches = resolver.resolve("新桥居委会")
    assert len(matches) >= 2
    assert matches[0].confidence < 0.5
    assert "请向来电人确认" in matches[0].reason


def test_given_candidates_when_resolved_then_ranked_by_confidence(resolver: AddressResolver) -> None:
    matches = resolver.resolve("静安区临汾路街道")
    confidences = [m.confidence for m in matches]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.0 <= c <= 1.0 for c in confidences)
