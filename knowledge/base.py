"""`KnowledgeBase`: the law articles, the published entries and the past cases, in memory, indexed
for search (`knowledge.search.Bm25Index`) and for the citation check (`knowledge.cite.LawBook`).

Built at start from what the store holds (`KnowledgeService.load`, off the event loop): the
articles' words were segmented at import (`LawArticle.terms`), so loading 26,000 articles is a
split per article, not a segmentation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.models import Entry, LawArticle, LawStatus, PastCase, ReviewState, short_law_name
from knowledge.search import Bm25Index, Floats
from knowledge.segment import bigrams, case_terms, words
from routing.queues import LegalCategory

# The laws a category's calls are mostly about: their articles are ranked first (× CATEGORY_BOOST)
# for a call of that category.
CATEGORY_LAWS: dict[LegalCategory, tuple[str, ...]] = {
    LegalCategory.LABOR: (
        "中华人民共和国劳动合同法",
        "中华人民共和国劳动法",
        "中华人民共和国劳动争议调解仲裁法",
        "中华人民共和国社会保险法",
    ),
    LegalCategory.FAMILY: (
        "中华人民共和国民法典",
        "中华人民共和国反家庭暴力法",
        "中华人民共和国妇女权益保障法",
    ),
    LegalCategory.CONTRACT: ("中华人民共和国民法典", "中华人民共和国消费者权益保护法"),
    LegalCategory.PROPERTY: ("中华人民共和国民法典", "中华人民共和国城市房地产管理法"),
    LegalCategory.TRAFFIC: ("中华人民共和国道路交通安全法", "中华人民共和国民法典"),
    LegalCategory.LEGAL_AID: ("中华人民共和国法律援助法",),
    LegalCategory.NOTARY: ("中华人民共和国公证法",),
    LegalCategory.MEDIATION: ("中华人民共和国人民调解法",),
}
CATEGORY_BOOST = 1.6
# Articles are ranked by word BM25 fused with character-bigram BM25 (`KnowledgeBase._fused`): the
# weight of the bigrams' normalised score beside the words' (measured: 0 / 0.5 / 1.0 / 1.5 on the
# tuning set and heldout.csv; 1.0 best on both).
BIGRAM_WEIGHT = 1.0

# The laws a 12348 caller's matter is mostly under (民生法律): ranked before, say, 商业银行法 or
# 现役军官法 when both match the words (× LIVELIHOOD_BOOST), whatever the call's category.
LIVELIHOOD_LAWS = frozenset(
    "中华人民共和国" + name
    for name in [
        "民法典",
        "劳动合同法",
        "劳动法",
        "劳动争议调解仲裁法",
        "社会保险法",
        "消费者权益保护法",
        "道路交通安全法",
        "食品安全法",
        "法律援助法",
        "反家庭暴力法",
        "人民调解法",
        "民事诉讼法",
        "妇女权益保障法",
        "未成年人保护法",
        "老年人权益保障法",
        "治安管理处罚法",
        "城市房地产管理法",
        "残疾人保障法",
        "行政复议法",
        "行政诉讼法",
        "电子商务法",
    ]
)
LIVELIHOOD_BOOST = 1.5

# What a call of a category is about when nothing has been typed yet: the words the suggestions
# start from (the IVR path and the record add theirs as they come).
CATEGORY_WORDS: dict[LegalCategory, str] = {
    LegalCategory.LABOR: "劳动合同 用人单位 劳动者 工资 经济补偿 解除劳动合同 书面劳动合同 二倍工资",
    LegalCategory.FAMILY: "离婚 夫妻共同财产 子女抚养 抚养费 探望",
    LegalCategory.CONTRACT: "合同 违约责任 借款 返还 利息",
    LegalCategory.PROPERTY: "物业服务 业主 相邻 租赁 房屋",
    LegalCategory.TRAFFIC: "交通事故 机动车 赔偿 保险",
    LegalCategory.LEGAL_AID: "法律援助 经济困难 申请",
    LegalCategory.NOTARY: "公证 申请 公证机构",
    LegalCategory.FORENSIC: "鉴定 鉴定意见",
    LegalCategory.MEDIATION: "人民调解 调解协议",
}


@dataclass(frozen=True, slots=True)
class ArticleHit:
    article: LawArticle
    score: float


@dataclass(frozen=True, slots=True)
class EntryHit:
    entry: Entry
    score: float


@dataclass(frozen=True, slots=True)
class CaseHit:
    case: PastCase
    score: float


def article_terms(article: LawArticle) -> list[str]:
    """What an article is indexed under: its law's short name and chapter, then its text."""
    return words(f"{short_law_name(article.law)} {article.chapter} {article.text}")


def article_bigrams(article: LawArticle) -> list[str]:
    """What an article is indexed under by characters: the bigrams of its law, chapter and text."""
    return bigrams(f"{short_law_name(article.law)} {article.chapter} {article.text}")


_CATEGORY_CODE = {c: i + 1 for i, c in enumerate(LegalCategory)}  # 0: no category


def _normalised(scores: Floats) -> Floats:
    """Scores divided by the best (all zero stays zero)."""
    top = float(scores.max()) if len(scores) else 0.0
    return scores / np.float32(top) if top > 0 else scores


def _factors_by(codes: Sequence[int], wanted: int, boost: float) -> Floats:
    """`boost` where a document's code is `wanted`, 1 elsewhere."""
    arr = np.asarray(codes, dtype=np.int16)
    return np.where(arr == wanted, np.float32(boost), np.float32(1.0)).astype(np.float32)


class KnowledgeBase:
    def __init__(self) -> None:
        self._articles: dict[str, LawArticle] = {}
        self._versions: dict[tuple[str, int], list[LawArticle]] = defaultdict(list)
        self._short: dict[str, set[str]] = defaultdict(set)
        self._article_index = Bm25Index()
        self._article_bigrams = Bm25Index()
        self._article_factors: dict[LegalCategory | None, Floats] = {}
        self._entries: dict[str, Entry] = {}
        self._entry_index = Bm25Index()
        self._entry_codes: list[int] = []
        self._cases: dict[str, PastCase] = {}
        self._case_index = Bm25Index()
        self._case_codes: list[int] = []
        self._case_pos: dict[str, int] = {}

    # --- loading --------------------------------------------------------------------------------

    def load_articles(self, articles: Iterable[LawArticle], *, search: bool = True) -> int:
        """Every held version goes to the citation check; those in force (or amended, where
        nothing newer is held) go to the search (unless `search` is false: no segmentation at hand)."""
        index, chars = Bm25Index(), Bm25Index()
        n = 0
        for a in articles:
            self._articles[str(a.id)] = a
            self._versions[(a.law, a.number)].append(a)
            self._short[short_law_name(a.law)].add(a.law)
            self._short[a.law].add(a.law)
            if search and a.status.citable and a.number > 0:
                index.add(str(a.id), a.terms.split() if a.terms else article_terms(a))
                chars.add(str(a.id), article_bigrams(a))
            n += 1
        index.freeze()
        chars.freeze()
        self._article_index = index
        self._article_bigrams = chars
        self._article_factors = {}
        return n

    def _factors_for(self, category: LegalCategory | None) -> Floats:
        """Per indexed article: × LIVELIHOOD_BOOST for the 民生 laws, × CATEGORY_BOOST for the call's
        category's laws (computed once per category)."""
        cached = self._article_factors.get(category)
        if cached is None:
            preferred = set(CATEGORY_LAWS.get(category, ())) if category else set()
            laws = [self._articles[key].law for key in self._article_index.keys]
            cached = np.asarray(
                [
                    (CATEGORY_BOOST if law in preferred else 1.0)
                    * (LIVELIHOOD_BOOST if law in LIVELIHOOD_LAWS else 1.0)
                    for law in laws
                ],
                dtype=np.float32,
            )
            self._article_factors[category] = cached
        return cached

    def load_entries(self, entries: Iterable[Entry]) -> None:
        """The published entries (the others are not shown to seats)."""
        index, kept, codes = Bm25Index(), {}, []
        for e in entries:
            if e.state is ReviewState.PUBLISHED:
                kept[e.id] = e
                codes.append(_CATEGORY_CODE[e.category])
                index.add(e.id, words(f"{e.title} {e.question} {e.answer} {' '.join(e.citations)}"))
        index.freeze()
        self._entries, self._entry_index, self._entry_codes = kept, index, codes

    def load_cases(self, cases: Iterable[PastCase], *, freeze: bool = True) -> None:
        for c in cases:
            self.add_case(c)
        if freeze:
            self._case_index.freeze()

    def add_case(self, case: PastCase) -> None:
        if case.id in self._cases:
            return
        self._cases[case.id] = case
        self._case_codes.append(_CATEGORY_CODE[case.category] if case.category else 0)
        self._case_pos[case.id] = self._case_index.add(case.id, bigrams(f"{case.question} {case.advice}"))

    # --- LawBook (knowledge.cite) -------------------------------------------------------------

    def laws_named(self, name: str) -> Sequence[str]:
        name = name.strip()
        return sorted(self._short.get(name) or self._short.get(short_law_name(name)) or ())

    def article_versions(self, law: str, number: int) -> Sequence[LawArticle]:
        return self._versions.get((law, number), [])

    def article(self, article_id: str) -> LawArticle | None:
        return self._articles.get(article_id)

    def in_force(self, law: str, number: int) -> LawArticle | None:
        versions = self._versions.get((law, number), [])
        return next((a for a in versions if a.status is LawStatus.IN_FORCE), None) or next(
            (a for a in versions if a.status.citable), None
        )

    @property
    def article_count(self) -> int:
        return len(self._articles)

    @property
    def case_count(self) -> int:
        return len(self._cases)

    # --- search --------------------------------------------------------------------------------

    def search_articles(
        self, query: Mapping[str, float], *, category: LegalCategory | None = None, k: int = 5
    ) -> list[ArticleHit]:
        hits = self._article_index.top(self._fused(query, category), k)
        return [ArticleHit(self._articles[h.key], h.score) for h in hits]

    def _fused(self, query: Mapping[str, float], category: LegalCategory | None) -> Floats:
        """Per indexed article: its word BM25 score plus `BIGRAM_WEIGHT` × its character-bigram BM25
        score (each divided by its best, so that neither scale dominates), times the laws' factors.
        The bigrams find what the words miss where jieba cut the question and the article differently
        (a compound in one, its parts in the other), and do not depend on the dictionary the articles
        were cut with at import."""
        by_words = self._article_index.scores(query)
        n = len(by_words)
        if n == 0:
            return by_words
        scores = _normalised(by_words)
        if BIGRAM_WEIGHT and len(self._article_bigrams) == n:
            by_chars = self._article_bigrams.scores(case_terms(dict(query)))
            scores += np.float32(BIGRAM_WEIGHT) * _normalised(by_chars)
        return scores * self._factors_for(category)[:n]

    def search_entries(
        self, query: Mapping[str, float], *, category: LegalCategory | None = None, k: int = 3
    ) -> list[EntryHit]:
        factors = (
            _factors_by(self._entry_codes, _CATEGORY_CODE[category], CATEGORY_BOOST) if category else None
        )
        hits = self._entry_index.search(query, k, factors=factors)
        return [EntryHit(self._entries[h.key], h.score) for h in hits]

    def search_cases(
        self,
        query: Mapping[str, float],
        *,
        category: LegalCategory | None = None,
        k: int = 3,
        exclude: frozenset[str] = frozenset(),
    ) -> list[CaseHit]:
        factors = (
            _factors_by(self._case_codes, _CATEGORY_CODE[category], CATEGORY_BOOST) if category else None
        )
        skip = [self._case_pos[key] for key in exclude if key in self._case_pos]
        hits = self._case_index.search(case_terms(dict(query)), k, factors=factors, exclude=skip)
        return [CaseHit(self._cases[h.key], h.score) for h in hits]
