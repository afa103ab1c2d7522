"""The knowledge base's values: law articles, Q&A entries and typical cases, their review states,
and the history of each change (who, when, what)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import InvalidInput
from core.labels import LabelledEnum
from knowledge.numerals import article_label
from routing.queues import LegalCategory


class LawStatus(LabelledEnum):
    """The status the law database gives a law (时效性). Only `IN_FORCE` may be cited without a
    warning; an amended law (已被修改) is still the text in force where no newer version is held."""

    IN_FORCE = "in_force", "现行有效"
    AMENDED = "amended", "已被修改"
    REPEALED = "repealed", "已废止"
    HISTORICAL = "historical", "历史版本"

    @classmethod
    def parse(cls, value: str) -> LawStatus:
        status = cls.of_text(value)
        if status is not None:
            return status
        raise InvalidInput(f"未知的法律时效：{value!r}", status=value)

    @property
    def citable(self) -> bool:
        return self in (LawStatus.IN_FORCE, LawStatus.AMENDED)


@dataclass(frozen=True, slots=True, kw_only=True)
class LawArticle:
    """One article of one version of a law. `number` 0: a law held as one text (全文: amendments,
    interpretations). `terms`: the article's words as the search indexes them (computed once, at
    import, by `knowledge.segment`)."""

    id: int
    law_id: str
    law: str  # 中华人民共和国劳动合同法
    chapter: str
    number: int
    text: str
    status: LawStatus
    terms: str = ""

    @property
    def label(self) -> str:
        return article_label(self.number) if self.number > 0 else "全文"

    @property
    def short_law(self) -> str:
        return short_law_name(self.law)

    @property
    def citation(self) -> str:
        """《劳动合同法》第八十二条: what a click puts into 解答意见."""
        return f"《{self.short_law}》{self.label if self.number > 0 else ''}"


def short_law_name(name: str) -> str:
    """中华人民共和国劳动合同法 -> 劳动合同法 (as lawyers cite it)."""
    return name.removeprefix("中华人民共和国")


class EntryKind(LabelledEnum):
    QA = "qa", "问答"
    CASE = "case", "典型案例"


class ReviewState(LabelledEnum):
    """草稿 -> 已审核 -> 已发布 -> 已停用. Only a published entry is shown to seats."""

    DRAFT = "draft", "草稿"
    REVIEWED = "reviewed", "已审核"
    PUBLISHED = "published", "已发布"
    RETIRED = "retired", "已停用"


# Which state may follow which (a retired entry may be taken back as a draft and reworked).
TRANSITIONS: dict[ReviewState, frozenset[ReviewState]] = {
    ReviewState.DRAFT: frozenset({ReviewState.REVIEWED, ReviewState.RETIRED}),
    ReviewState.REVIEWED: frozenset({ReviewState.PUBLISHED, ReviewState.DRAFT, ReviewState.RETIRED}),
    ReviewState.PUBLISHED: frozenset({ReviewState.RETIRED, ReviewState.DRAFT}),
    ReviewState.RETIRED: frozenset({ReviewState.DRAFT}),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryDraft:
    """What an author writes: a Q&A (question and answer) or a typical case (facts and holding)."""

    kind: EntryKind
    title: str
    question: str
    answer: str
    category: LegalCategory
    citations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    id: str
    kind: EntryKind
    title: str
    question: str
    answer: str
    category: LegalCategory
    citations: tuple[str, ...]
    state: ReviewState
    author: str  # the user who wrote the first draft
    version: int  # grows by one with every change
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryChange:
    """One change of an entry, kept for good: its new version, state and text, by whom, when."""

    entry_id: str
    version: int
    action: str  # create / edit / review / publish / retire / reopen
    state: ReviewState
    title: str
    answer: str
    by: str
    at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PastCase:
    """A past consultation record or closed work order, as the similar-case search reads it."""

    id: str
    kind: str  # record / order
    at: datetime | None
    category: LegalCategory | None
    question: str
    advice: str


@dataclass(frozen=True, slots=True)
class Scored:
    """A hit of a search: what was found (an article id, an entry id, a past case id) and its score."""

    key: str
    score: float
