"""`KnowledgeService` over in-memory ports: a record submitted after start is found once the refresh
interval has passed (masked); the review's rights and transitions; an edit of a published entry
sends it back to review and out of what seats are shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from core.access import Principal, Role
from core.errors import Conflict, PermissionDenied
from core.ids import UserId
from knowledge.base import article_terms
from knowledge.models import (
    Entry,
    EntryChange,
    EntryDraft,
    EntryKind,
    LawArticle,
    LawStatus,
    PastCase,
    ReviewState,
)
from knowledge.segment import join_terms
from knowledge.service import CASE_REFRESH, LAW_REFRESH, CallContext, KnowledgeService
from routing.queues import LegalCategory

pytest.importorskip("jieba")

T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


@dataclass
class Clock:
    at: datetime = T0

    def now(self) -> datetime:
        return self.at


@dataclass
class Store:
    entries: dict[str, Entry] = field(default_factory=dict)
    changes: list[EntryChange] = field(default_factory=list)
    cases: list[PastCase] = field(default_factory=list)

    articles: list[LawArticle] = field(default_factory=list)

    def all_articles(self) -> list[LawArticle]:
        return list(self.articles)

    def signature(self) -> tuple[int, ...]:
        return (len(self.articles), sum(len(a.text) for a in self.articles))

    def all(self) -> Sequence[Entry]:
        return list(self.entries.values())

    def get(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def save(self, entry: Entry, change: EntryChange, *, expected_version: int | None) -> None:
        held = self.entries.get(entry.id)
        if (held.version if held else None) != expected_version:
            raise Conflict("条目已被他人修改")
        self.entries[entry.id] = entry
        self.changes.append(change)

    def history(self, entry_id: str) -> Sequence[EntryChange]:
        return [c for c in self.changes if c.entry_id == entry_id]

    def past_cases(self, since: datetime | None, limit: int) -> Sequence[PastCase]:
        return [c for c in self.cases if since is None or (c.at and c.at >= since)][:limit]


def _who(role: Role, name: str) -> Principal:
    return Principal(username=name, display_name=name, role=role, user_id=UserId(f"u-{name}"))


SEAT, SUP = _who(Role.SEAT, "seat1001"), _who(Role.SUPERVISOR, "banzhang")
DRAFT = EntryDraft(kind=EntryKind.QA, title="试用期工资", question="试用期工资只发一半", answer="不得低于约定工资的百分之八十",
                   category=LegalCategory.LABOR)  # fmt: skip


def _service() -> tuple[KnowledgeService, Store, Clock]:
    store, clock = Store(), Clock()
    service = KnowledgeService(articles=store, entries=store, cases=store, clock=clock)
    service.load()
    return service, store, clock


def test_given_a_record_submitted_after_start_when_the_interval_passed_then_it_is_suggested_masked() -> None:
    service, store, clock = _service()
    store.cases.append(PastCase(id="record:c1", kind="record", at=T0 + timedelta(seconds=5), category=LegalCategory.LABOR,
                                question="饭店老板拖欠工资，电话13912345678", advice="申请劳动仲裁"))  # fmt: skip
    ask = CallContext(category=LegalCategory.LABOR, text="老板拖欠工资")
    assert service.suggest(ask).cases == []  # not looked for yet: within the interval
    clock.at += CASE_REFRESH + timedelta(seconds=1)
    [hit] = service.suggest(ask).cases
    assert hit.case.id == "record:c1" and "139****5678" in hit.case.question
    assert (
        service.suggest(CallContext(text="老板拖欠工资", call_id="c1")).cases == []
    )  # the call's own record


def test_given_the_review_then_rights_transitions_and_what_seats_are_shown_follow_it() -> None:
    service, _store, _ = _service()
    entry = service.propose(SEAT, DRAFT)
    with pytest.raises(PermissionDenied):
        service.propose(_who(Role.INSPECTOR, "zhijian"), DRAFT)
    with pytest.raises(PermissionDenied):
        service.move(SEAT, entry.id, ReviewState.REVIEWED, version=1)
    with pytest.raises(Conflict):
        service.move(SUP, entry.id, ReviewState.PUBLISHED, version=1)
    reviewed = service.move(SUP, entry.id, ReviewState.REVIEWED, version=1)
    published = service.move(SUP, entry.id, ReviewState.PUBLISHED, version=reviewed.version)
    ask = CallContext(text="试用期工资只发一半")
    assert [h.entry.id for h in service.suggest(ask).entries] == [entry.id]
    with pytest.raises(PermissionDenied):
        service.edit(SEAT, entry.id, DRAFT, version=published.version)  # no longer the author's draft
    edited = service.edit(SUP, entry.id, DRAFT, version=published.version)
    assert edited.state is ReviewState.DRAFT and edited.version == 4
    assert service.suggest(ask).entries == []
    assert [(c.action, c.by) for c in service.history(entry.id)] == [
        ("create", "seat1001"), ("review", "banzhang"), ("publish", "banzhang"), ("edit", "banzhang")
    ]  # fmt: skip


def test_given_laws_imported_while_the_app_runs_when_the_interval_passed_then_they_are_searched_without_a_restart() -> (
    None
):
    service, store, clock = _service()
    text = (
        "用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同的，应当向劳动者每月支付二倍的工资。"
    )
    article = LawArticle(id=1, law_id="l1", law="中华人民共和国劳动合同法", chapter="第七章 法律责任", number=82,
                         text=text, status=LawStatus.IN_FORCE)  # fmt: skip
    store.articles.append(replace(article, terms=join_terms(article_terms(article))))
    ask = CallContext(category=LegalCategory.LABOR, text="公司不签劳动合同 二倍工资")
    assert service.suggest(ask).articles == []
    assert service.refresh_laws() is None  # within the interval: not looked at
    clock.at += LAW_REFRESH + timedelta(seconds=1)
    reload = service.refresh_laws()
    assert reload is not None
    reload.join(30)
    assert service.reloads == 1
    assert [h.article.number for h in service.suggest(ask).articles] == [82]
    clock.at += LAW_REFRESH + timedelta(seconds=1)
    assert service.refresh_laws() is None  # nothing changed since: no second load
