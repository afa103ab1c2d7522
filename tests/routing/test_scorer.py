"""The resolver's scorer is switchable (issue 20, item 4): the builtin fixed quality per kind of match,
the default, or rapidfuzz's graded similarity; the bench compares them."""

from __future__ import annotations

import pytest

from routing.address import (
    _GRADE_FLOOR,
    DEFAULT_SCORER,
    SCORERS,
    AddressResolver,
    MatchLevel,
    _rapidfuzz_grade,
    _Readings,
)
from routing.gazetteer import Gazetteer

pytest.importorskip("rapidfuzz")  # in the test extra; the builtin scorer needs nothing


@pytest.fixture(scope="module")
def graded(gazetteer: Gazetteer) -> AddressResolver:
    return AddressResolver.build(gazetteer, scorer="rapidfuzz", elsewhere=False)


def test_given_unknown_scorer_when_built_then_chinese_error(gazetteer: Gazetteer) -> None:
    with pytest.raises(ValueError, match="未知的地址评分方式"):
        AddressResolver.build(gazetteer, scorer="levenshtein", elsewhere=False)


def test_default_scorer_is_one_of_the_scorers() -> None:
    assert DEFAULT_SCORER in SCORERS
    assert set(SCORERS) == {"builtin", "rapidfuzz"}


def test_given_exact_name_when_either_scorer_then_same_unit(
    resolver: AddressResolver, graded: AddressResolver
) -> None:
    for r in (resolver, graded):
        top = r.resolve("静安区临汾路街道")[0]
        assert top.street_name == "临汾路街道"


def test_given_grader_when_closer_sound_then_higher_quality_within_bounds() -> None:
    name = _Readings().name(MatchLevel.COMMITTEE, "x", "上钢一村", "上钢一村居委会", "")
    grade = _rapidfuzz_grade()
    same = grade(("shang", "gang", "yi", "cun"), "上钢一村", name)
    near = grade(("sang", "gang", "yi", "cun"), "桑钢一村", name)  # zh/z, ch/c, sh/s: one letter
    far = grade(("sang", "gan", "yi", "cen"), "桑干一参", name)
    assert same == pytest.approx(1.0)  # the share of the kind's quality kept: never above it
    assert _GRADE_FLOOR <= far < near < same


def test_given_sound_alike_when_scorers_switched_then_confidence_differs(
    resolver: AddressResolver, graded: AddressResolver
) -> None:
    # 桑钢一村 for 上钢一村: a near-homophone, a little less sure when graded than at the fixed quality.
    said = "桑钢一村"
    by_grade, fixed = graded.understand(said), resolver.understand(said)
    assert by_grade.candidates[0].committee_name == fixed.candidates[0].committee_name == "上钢一村居委会"
    assert by_grade.candidates[0].confidence < fixed.candidates[0].confidence
