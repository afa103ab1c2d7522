"""The IVR's address lookup over the real resolver: a declined address gives no candidate, so the
IVR plays address_unknown and asks again (then hands over to a seat), as for any unknown address."""

from __future__ import annotations

import pytest

from ivr.adapters import RoutingAddressLookup
from routing.address import AddressResolver
from routing.gazetteer import SHANGHAI_DIR, load_gazetteer
from routing.offices import build_offices


@pytest.fixture(scope="module")
def lookup() -> RoutingAddressLookup:
    gazetteer = load_gazetteer(SHANGHAI_DIR)
    return RoutingAddressLookup(AddressResolver.build(gazetteer), build_offices(gazetteer))


@pytest.mark.parametrize("text", ["杭州市西湖区", "我想咨询一下离婚财产怎么分", "x" * 10_000])
def test_given_declined_text_when_looked_up_then_no_candidate(
    lookup: RoutingAddressLookup, text: str
) -> None:
    assert lookup.lookup(text) == []


def test_given_a_shanghai_address_when_looked_up_then_an_office_of_that_district(
    lookup: RoutingAddressLookup,
) -> None:
    candidates = lookup.lookup("静安区临汾路街道")
    assert candidates
    assert candidates[0].district_code == "310106"
    assert candidates[0].confidence >= 0.9


def test_given_another_city_when_verdict_then_outside_with_the_city_for_the_seat(
    lookup: RoutingAddressLookup,
) -> None:
    verdict = lookup.verdict("我住在杭州市西湖区")
    assert verdict.outcome == "outside"
    assert verdict.note.startswith("来电者说的不是上海地址")
    assert "杭州" in verdict.note


def test_given_a_name_two_streets_share_when_verdict_then_ambiguous_naming_both(
    lookup: RoutingAddressLookup,
) -> None:
    verdict = lookup.verdict("浦东新区果园村")
    assert verdict.outcome == "ambiguous"
    assert verdict.note.startswith("可能是：") and " 或 " in verdict.note
    assert verdict.note.count("果园村") >= 2


def test_given_no_address_when_verdict_then_no_address_note(lookup: RoutingAddressLookup) -> None:
    verdict = lookup.verdict("我想咨询一下离婚财产怎么分")
    assert verdict.outcome == "no_address"
    assert verdict.note.startswith("未听到可识别的地址")


def test_given_found_when_verdict_then_the_place_and_the_lookup_agree(lookup: RoutingAddressLookup) -> None:
    verdict = lookup.verdict("静安区临汾路街道")
    assert verdict.outcome == "found"
    assert verdict.note.startswith("识别为：静安区临汾路街道")
    assert lookup.lookup("静安区临汾路街道")[0].district_code == "310106"
