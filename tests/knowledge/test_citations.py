"""The citation check (引用核对, issue 19): article numbers in Chinese and Arabic numerals, lists after one
law, and each citation checked against a small hand-made base (in force, wrong number, historical
version, repealed, a law the 民法典 replaced, a law not held)."""

from __future__ import annotations

import pytest

from knowledge.base import KnowledgeBase
from knowledge.cite import CIVIL_CODE_NOTE, Problem, check_text, find_citations
from knowledge.models import LawArticle, LawStatus
from knowledge.numerals import article_label, chinese_to_int, int_to_chinese


@pytest.mark.parametrize(
    ("text", "number"),
    [("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("八十二", 82), ("一百", 100), ("一百零五", 105),
     ("一百一十", 110), ("三百四十二", 342), ("一千零七十九", 1079), ("一千二百六十", 1260), ("两百", 200), ("82", 82)],
)  # fmt: skip
def test_given_a_chinese_number_then_both_ways_agree(text: str, number: int) -> None:
    assert chinese_to_int(text) == number
    if not text.isdigit() and "两" not in text:
        assert int_to_chinese(number) == text


def test_given_every_number_up_to_1300_then_reading_its_label_gives_it_back() -> None:
    for n in range(1, 1301):
        assert chinese_to_int(article_label(n)[1:-1]) == n


def test_given_a_record_with_citations_in_both_numerals_and_a_list_then_each_article_is_found() -> None:
    text = (
        "依据《劳动合同法》第82条、第八十七条，以及《中华人民共和国民法典》第一千零八十四条。另见《劳动法》"
    )
    found = [(c.law, c.number) for c in find_citations(text)]
    assert found == [("劳动合同法", 82), ("劳动合同法", 87), ("中华人民共和国民法典", 1084)]
    assert find_citations(text)[0].text == "《劳动合同法》第八十二条"


def _article(i: int, law: str, number: int, status: LawStatus) -> LawArticle:
    return LawArticle(
        id=i, law_id=law, law=law, chapter="", number=number, text="条文", status=status, terms="条文"
    )


@pytest.fixture
def book() -> KnowledgeBase:
    base = KnowledgeBase()
    base.load_articles(
        [
            _article(1, "中华人民共和国劳动合同法", 82, LawStatus.IN_FORCE),
            _article(2, "中华人民共和国仲裁法", 96, LawStatus.IN_FORCE),
            _article(3, "中华人民共和国仲裁法", 80, LawStatus.IN_FORCE),
            _article(4, "中华人民共和国仲裁法", 80, LawStatus.HISTORICAL),
            _article(5, "中华人民共和国商标法", 73, LawStatus.HISTORICAL),
            _article(6, "中华人民共和国环境保护法", 70, LawStatus.REPEALED),
        ]
    )
    return base


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("《劳动合同法》第八十二条", None),
        ("《中华人民共和国劳动合同法》第82条", None),
        ("《劳动合同法》第九百条", Problem.NO_ARTICLE),
        ("《仲裁法》第八十条", None),  # in force and historical versions: the one in force counts
        ("《商标法》第七十三条", Problem.HISTORICAL),
        ("《环境保护法》第七十条", Problem.REPEALED),
        ("《不存在法》第一条", Problem.UNKNOWN_LAW),
    ],
)
def test_given_a_citation_then_the_check_says_what_is_wrong(
    book: KnowledgeBase, text: str, problem: Problem | None
) -> None:
    [check] = check_text(text, book)
    assert check.problem is problem
    assert check.ok is (problem is None)
    if problem is None:
        assert check.article is not None and check.article.status is LawStatus.IN_FORCE


def test_given_a_law_the_civil_code_replaced_then_it_is_repealed_with_what_replaced_it(
    book: KnowledgeBase,
) -> None:
    [check] = check_text("根据《婚姻法》第三十二条", book)
    assert check.problem is Problem.REPEALED and check.note == CIVIL_CODE_NOTE
