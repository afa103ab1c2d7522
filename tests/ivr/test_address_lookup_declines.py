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
