"""Every official name in the gazetteer, and the short forms callers use, resolves to its own unit.

Exhaustive over the whole Shanghai gazetteer (16 districts, 234 streets / towns, 6,509 committees):
the official district + street + committee name; the short form (浦东 / 彭浦新村 / 三泉路424弄, no
区 / 街道 / 镇 / 居委会 / 村委会); lane numbers read as digits or as Chinese numerals; and a committee
name said on its own where no other committee in the city has it.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from routing.address import AddressResolver, MatchLevel
from routing.gazetteer import Gazetteer

pytestmark = pytest.mark.slow

_DIGIT = {"零": "0", "〇": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6"}
_DIGIT |= {"七": "7", "八": "8", "九": "9"}
_LANE = re.compile(r"([零〇一二三四五六七八九十百千]+)弄")


def _lane_value(numeral: str) -> str:
    """四二四 -> 424 (digit by digit), 一千一百 -> 1100, 八十 -> 80 (written here, not the resolver's)."""
    if not any(u in numeral for u in "十百千"):
        return "".join(_DIGIT[ch] for ch in numeral)
    total, digit = 0, None
    for ch in numeral:
        if ch in _DIGIT:
            digit = int(_DIGIT[ch])
        else:
            total += (1 if digit is None else digit) * {"十": 10, "百": 100, "千": 1000}[ch]
            digit = None
    return str(total + (digit or 0))


def _short(name: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


_COMMITTEE_SUFFIXES = ("社区居委会", "居委会", "村委会")
_STREET_SUFFIXES = ("街道", "镇")
_DISTRICT_SUFFIXES = ("新区", "区")


def _digits(name: str) -> str:
    return _LANE.sub(lambda m: _lane_value(m.group(1)) + "弄", name)


def _committee_forms(gazetteer: Gazetteer, code: str, ambiguous: set[tuple[str, str]]) -> list[str]:
    """The official name, and the short forms where they name this committee alone (顾村 is both
    顾村居委会 and 顾村村委会 of 顾村镇; 合庆镇 is the town, not 合庆镇居委会: those keep the full name)."""
    c = gazetteer.committees[code]
    district = gazetteer.districts[c.district_code].name
    street = gazetteer.streets[c.street_code].name
    short = _short(c.name, _COMMITTEE_SUFFIXES)
    forms = [district + street + c.name]
    if (c.street_code, short) not in ambiguous:
        forms += [
            _short(district, _DISTRICT_SUFFIXES) + " " + _short(street, _STREET_SUFFIXES) + " " + short,
            district + street + short,
        ]
    if _LANE.search(c.name):
        forms += [district + street + _digits(c.name), district + _digits(short)]
    return forms


def _ambiguous_short_forms(gazetteer: Gazetteer) -> set[tuple[str, str]]:
    counts = Counter(
        (c.street_code, _short(c.name, _COMMITTEE_SUFFIXES)) for c in gazetteer.committees.values()
    )
    streets = {s.name for s in gazetteer.streets.values()}
    return {key for key, n in counts.items() if n > 1 or key[1] in streets}


def test_every_committee_official_and_short_name_resolves_to_itself(
    resolver: AddressResolver, gazetteer: Gazetteer
) -> None:
    ambiguous = _ambiguous_short_forms(gazetteer)
    assert len(ambiguous) < 20  # the short forms this test leaves out are few (and listed by this set)
    misses = []
    for code in gazetteer.committees:
        for text in _committee_forms(gazetteer, code, ambiguous):
            matches = resolver.resolve(text, limit=1)
            if not matches or matches[0].committee_code != code:
                misses.append((text, matches[0].label if matches else None))
    assert misses == [], f"{len(misses)} misses, e.g. {misses[:10]}"


def test_a_committee_name_unique_in_the_city_resolves_alone(
    resolver: AddressResolver, gazetteer: Gazetteer
) -> None:
    counts = Counter(c.name for c in gazetteer.committees.values())
    misses = []
    checked = 0
    for c in gazetteer.committees.values():
        if counts[c.name] > 1:
            continue
        checked += 1
        matches = resolver.resolve(c.name, limit=1)
        if not matches or matches[0].committee_code != c.code:
            misses.append((c.name, matches[0].label if matches else None))
    assert checked > 5000
    assert misses == [], f"{len(misses)} misses, e.g. {misses[:10]}"


def test_every_street_and_district_resolves_to_itself(
    resolver: AddressResolver, gazetteer: Gazetteer
) -> None:
    misses = []
    for s in gazetteer.streets.values():
        district = gazetteer.districts[s.district_code].name
        for text in (
            district + s.name,
            _short(district, _DISTRICT_SUFFIXES) + _short(s.name, _STREET_SUFFIXES),
            s.name,  # street names are unique in the city: the name alone is enough
        ):
            matches = resolver.resolve(text, limit=1)
            top = matches[0] if matches else None
            if top is None or top.street_code != s.code or top.level is not MatchLevel.STREET:
                misses.append((text, top.label if top else None))
    for d in gazetteer.districts.values():
        for text in (d.name, _short(d.name, _DISTRICT_SUFFIXES)):
            matches = resolver.resolve(text, limit=1)
            top = matches[0] if matches else None
            if top is None or top.district_code != d.code or top.level is not MatchLevel.DISTRICT:
                misses.append((text, top.label if top else None))
    assert misses == [], f"{len(misses)} misses, e.g. {misses[:10]}"
