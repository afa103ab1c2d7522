"""Response and request models of the knowledge API (`console_web.knowledge_api`): each read from
the typed values of `knowledge` (`ArticleOut.of(article)`), enums as their codes beside their labels."""

from __future__ import annotations

from pydantic import BaseModel, Field

from console_web.deps import enum_of
from console_web.views import FromFields, from_fields
from knowledge.base import ArticleHit, CaseHit
from knowledge.cite import CitationCheck
from knowledge.models import EntryDraft, EntryKind, LawArticle
from knowledge.service import Suggestions
from routing.queues import LegalCategory


class ArticleOut(BaseModel):
    id: str
    law: str  # 中华人民共和国劳动合同法
    short_law: str  # 劳动合同法
    chapter: str
    number: int
    label: str  # 第八十二条
    text: str
    status: str
    status_label: str  # 现行有效 / 已被修改 / 已废止 / 历史版本
    citation: str  # 《劳动合同法》第八十二条: what 引用 puts into 解答意见
    score: float = 0.0

    @classmethod
    def of(cls, a: LawArticle, score: float = 0.0) -> ArticleOut:
        return from_fields(
            cls,
            a,
            id=str(a.id),
            short_law=a.short_law,
            label=a.label,
            citation=a.citation,
            score=round(score, 3),
        )

    @classmethod
    def hit(cls, h: ArticleHit) -> ArticleOut:
        return cls.of(h.article, h.score)


class EntryOut(FromFields):
    """A knowledge entry (`knowledge.models.Entry`)."""

    id: str
    kind: str
    kind_label: str
    title: str
    question: str
    answer: str
    category: str
    category_label: str
    citations: list[str]
    state: str
    state_label: str
    author: str
    version: int
    updated_at: str
    updated_by: str


class CaseOut(BaseModel):
    """A similar past case: a submitted record or a closed work order, personal details masked."""

    kind: str
    kind_label: str  # 咨询记录 / 已办结工单
    at: str | None
    category_label: str
    question: str
    advice: str

    @classmethod
    def hit(cls, h: CaseHit) -> CaseOut:
        c = h.case
        return from_fields(
            cls,
            c,
            kind_label="咨询记录" if c.kind == "record" else "已办结工单",
            category_label=c.category.label if c.category else "",
        )


class SuggestionsOut(BaseModel):
    ready: bool
    words: list[str]
    articles: list[ArticleOut]
    entries: list[EntryOut]
    cases: list[CaseOut]
    note: str  # why nothing can be suggested (the search is not installed), else ""

    @classmethod
    def of(cls, s: Suggestions) -> SuggestionsOut:
        return cls(
            ready=s.ready,
            words=list(s.words),
            articles=[ArticleOut.hit(h) for h in s.articles],
            entries=[EntryOut.of(h.entry) for h in s.entries],
            cases=[CaseOut.hit(h) for h in s.cases],
            note=s.note,
        )


class TextIn(BaseModel):
    text: str = Field(default="", max_length=20_000)


class CheckOut(BaseModel):
    citation: str  # as the console shows it: 《劳动合同法》第八十二条
    law: str  # as written
    number: int
    ok: bool
    problem: str | None
    problem_label: str  # 该法没有这一条 / 该法已废止 / 引用的是历史版本 / ...
    note: str  # e.g. 已于 2021 年 1 月 1 日被《民法典》取代……
    article: ArticleOut | None

    @classmethod
    def of(cls, c: CitationCheck) -> CheckOut:
        return cls(
            citation=c.citation.text,
            law=c.citation.law,
            number=c.citation.number,
            ok=c.ok,
            problem=c.problem.value if c.problem else None,
            problem_label=c.problem.label if c.problem else "",
            note=c.note,
            article=ArticleOut.of(c.article) if c.article else None,
        )


class ChecksOut(BaseModel):
    checks: list[CheckOut]
    problems: int


class EntryIn(BaseModel):
    kind: str = Field(max_length=10)
    title: str = Field(max_length=200)
    question: str = Field(default="", max_length=20_000)
    answer: str = Field(max_length=20_000)
    category: str = Field(max_length=40)
    citations: list[str] = Field(default_factory=list, max_length=50)

    def draft(self) -> EntryDraft:
        kind = enum_of(EntryKind, self.kind, "条目类型无效（问答 qa / 典型案例 case）", kind=self.kind)
        return EntryDraft(
            kind=kind,
            title=self.title,
            question=self.question,
            answer=self.answer,
            category=LegalCategory.parse(self.category),
            citations=tuple(self.citations),
        )


class EntryEditIn(EntryIn):
    version: int


class StateIn(BaseModel):
    state: str = Field(max_length=20)
    version: int
    note: str = Field(default="", max_length=500)


class EntriesOut(BaseModel):
    entries: list[EntryOut]


class ChangeOut(FromFields):
    """One change of an entry (`knowledge.models.EntryChange`)."""

    version: int
    action: str
    state: str
    state_label: str
    title: str
    answer: str
    by: str
    at: str
    note: str


class HistoryOut(BaseModel):
    changes: list[ChangeOut]
