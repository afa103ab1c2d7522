from __future__ import annotations

from routing.gazetteer import Gazetteer
from routing.grammar import ADDRESS_WORDS, address_grammar


def test_given_the_shanghai_gazetteer_when_building_the_grammar_then_names_with_and_without_suffix(
    gazetteer: Gazetteer,
) -> None:
    phrases = address_grammar(gazetteer)
    assert len(phrases) == len(set(phrases))
    for needle in ("静安区", "静安", "浦东新区", "浦东", "临汾路街道", "临汾路", "三林镇", "三林"):
        assert needle in phrases, needle
    assert set(ADDRESS_WORDS) <= set(phrases)
    without = address_grammar(gazetteer, committees=False)
    assert len(without) < len(phrases) and "临汾路" in without
