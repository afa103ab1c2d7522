"""The search's general methods (issue 19), on a handful of articles: word BM25 fused with
character-bigram BM25 (`KnowledgeBase._fused`), and the general thesaurus of how callers speak
(`knowledge.thesaurus`). Fast; the whole-database figures are test_search_quality's."""

from __future__ import annotations

import pytest

import knowledge.base as base_module
from knowledge.base import KnowledgeBase
from knowledge.models import LawArticle, LawStatus
from knowledge.segment import query_terms
from knowledge.synonyms import EXPANSION_WEIGHT

pytest.importorskip("jieba")

LAW = "中华人民共和国民法典"


def _article(i: int, text: str, terms: str) -> LawArticle:
    return LawArticle(
        id=i, law_id="x", law=LAW, chapter="", number=i, text=text, status=LawStatus.IN_FORCE, terms=terms
    )


def _base() -> KnowledgeBase:
    kb = KnowledgeBase()
    kb.load_articles(
        [
            # stored words that miss 宅基地 (as if cut with another dictionary at import): only the
            # characters can find it
            _article(1, "农村村民一户只能拥有一处宅基地。", "农村 村民 一户 拥有 一处"),
            _article(2, "出租人应当履行租赁物的维修义务。", "出租人 履行 租赁物 维修 义务"),
            _article(3, "当事人应当按照约定全面履行自己的义务。", "当事人 约定 全面 履行 义务"),
        ]
    )
    return kb


def _numbers(kb: KnowledgeBase, query: dict[str, float]) -> list[int]:
    return [h.article.number for h in kb.search_articles(query, k=3)]


def test_given_words_that_miss_an_article_then_its_character_bigrams_still_find_it() -> None:
    kb = _base()
    assert _numbers(kb, {"宅基地": 1.0}) == [1]


def test_given_no_bigram_weight_then_the_words_alone_miss_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base_module, "BIGRAM_WEIGHT", 0.0)
    assert _numbers(_base(), {"宅基地": 1.0}) == []


def test_given_words_and_bigrams_agree_then_the_article_matching_more_ranks_first() -> None:
    ranked = _numbers(_base(), {"维修": 1.0, "履行": 1.0})
    assert ranked[0] == 2
    assert set(ranked) == {2, 3}


@pytest.mark.parametrize(
    ("question", "legal"),
    [
        ("工地上的包工头跑了", "个人承包经营"),
        ("村里要收回我家的责任田", "土地承包经营权"),
        ("有人在群里骂我", "侮辱"),  # a single character the words leave out
        ("传票寄到家里了", "拒不到庭"),
    ],
)
def test_given_a_caller_s_word_then_the_thesaurus_adds_the_statute_s_word(question: str, legal: str) -> None:
    terms = query_terms(question)
    assert terms.get(legal) == pytest.approx(EXPANSION_WEIGHT), terms


def test_given_a_question_without_thesaurus_words_then_nothing_of_it_is_added() -> None:
    terms = query_terms("合同")
    assert "个人承包经营" not in terms and "侮辱" not in terms and "拒不到庭" not in terms
