"""Hot topics (热点) of a period, for the monthly review (研判): pure, no I/O.

Two parts, both over what a scope sees (`core.access.Scope.sees_call`):

- the legal categories trending: the calls of each category in the period against the previous
  period of the same length (the days just before it), their change, sorted by the rise (the
  largest first). The category is the call's own (`CallRecord.category`), as in the report's
  按法律类别 table, so this period's counts are that table's 进线量.
- the frequent words of the consultation records (咨询记录) of the period's calls: the citizens'
  questions as the seats wrote them down (the advice is the seats' own wording), segmented by the
  `Segmenter` handed in (jieba stays in `knowledge`: `knowledge.segment.plain_words`), stop
  words, single characters and numbers dropped; the top `TOP_WORDS` with their counts. Only
  submitted records count, and only those whose call the scope sees (a district supervisor: their
  district's). Without a segmenter (jieba, the `knowledge` extra, not installed) there are no
  words, and `words_available` says so.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from core.access import Scope
from core.calls import CallRecord
from core.chinese_text import FUNCTION_WORDS
from routing.queues import LegalCategory
from stats.reports import china_day

TOP_WORDS = 20
UNKNOWN = "未知"

# Words that say nothing about the matter a citizen asked about.
STOP_WORDS = FUNCTION_WORDS | frozenset(
    [
        "她们",
        "这样",
        "那样",
        "为什么",
        "可不可以",
        "或",
        "一些",
        "还是",
        "需要",
        "是否",
        "来电",
        "来电人",
        "市民",
        "当事人",
        "对方",
        "之前",
        "以后",
        "时候",
        "相关",
        "这种",
        "那种",
        "有关",
        "关于",
        "进行",
        "这边",
        "那边",
        "然后",
        "从",
        "向",
        "很",
        "更",
        "最",
        "说",
        "做",
        "去",
        "来",
        "到",
        "上",
        "下",
        "里",
        "中",
        "多少",
        "多久",
        "几",
        "次",
        "年",
        "月",
        "日",
        "天",
    ]
)
_NUMBER = re.compile(
    r"^[\d.\-%/:：，,]+$"  # 2000, 3.5, 10%
    r"|^[\d零一二三四五六七八九十百千万两几]+[个次年月日天元块岁号周]?$"  # 三个, 十年, 两万
)
_WORDLIKE = re.compile(r"[\u4e00-\u9fffA-Za-z]")

Segmenter = Callable[[str], Sequence[str]]
"""A text's words in order, each character in one word (jieba's precise mode: `knowledge.segment`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordText:
    """A submitted consultation record's words and the call it belongs to."""

    call_id: str
    question: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryTrend:
    key: str  # the category code ("" when none)
    label: str
    count: int  # calls of the period
    previous: int  # calls of the previous period of the same length

    @property
    def change(self) -> int:
        return self.count - self.previous

    @property
    def change_rate(self) -> float | None:
        """The change as a fraction of the previous count; None when there was none before."""
        return self.change / self.previous if self.previous else None


@dataclass(frozen=True, slots=True, kw_only=True)
class WordCount:
    word: str
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HotTopics:
    first: date
    last: date
    previous_first: date
    previous_last: date
    categories: list[CategoryTrend]
    words: list[WordCount]
    records: int  # the submitted records the words come from
    words_available: bool = True


def previous_span(first: date, last: date) -> tuple[date, date]:
    """The days just before [first, last], as many as it has."""
    length = (last - first).days + 1
    return first - timedelta(days=length), first - timedelta(days=1)


def _label(code: str) -> str:
    return LegalCategory.label_of(code) if code else UNKNOWN


def category_trends(
    scope: Scope, first: date, last: date, calls: Sequence[CallRecord]
) -> list[CategoryTrend]:
    """The calls of each category seen by `scope` in [first, last] against the period before."""
    prev_first, prev_last = previous_span(first, last)
    now: Counter[str] = Counter()
    before: Counter[str] = Counter()
    for c in calls:
        if not scope.sees_call(c):
            continue
        day = china_day(c.offered_at)
        if first <= day <= last:
            now[c.category or ""] += 1
        elif prev_first <= day <= prev_last:
            before[c.category or ""] += 1
    rows = [
        CategoryTrend(key=k, label=_label(k), count=now[k], previous=before[k])
        for k in set(now) | set(before)
    ]
    return sorted(rows, key=lambda r: (-r.change, -r.count, r.key))


def frequent_words(texts: Iterable[str], segment: Segmenter, top: int = TOP_WORDS) -> list[WordCount]:
    """The `top` most frequent words of `texts` (stop words, single characters, numbers dropped)."""
    counts: Counter[str] = Counter()
    for text in texts:
        for word in segment(text):
            w = word.strip()
            if len(w) < 2 or w in STOP_WORDS or _NUMBER.match(w) or not _WORDLIKE.search(w):
                continue
            counts[w] += 1
    return [
        WordCount(word=w, count=n) for w, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    ]


def build_hot_topics(
    scope: Scope,
    first: date,
    last: date,
    calls: Sequence[CallRecord],
    records: Sequence[RecordText],
    segment: Segmenter | None,
) -> HotTopics:
    """`calls`: those offered in the period and the previous one; `records`: the submitted records
    of the period's calls (any scope: only those of calls `scope` sees in the period count)."""
    prev_first, prev_last = previous_span(first, last)
    mine = {c.id for c in calls if scope.sees_call(c) and first <= china_day(c.offered_at) <= last}
    texts = [r.question for r in records if r.call_id in mine and r.question.strip()]
    available = segment is not None
    return HotTopics(
        first=first,
        last=last,
        previous_first=prev_first,
        previous_last=prev_last,
        categories=category_trends(scope, first, last, calls),
        words=frequent_words(texts, segment) if segment is not None else [],
        records=len(texts),
        words_available=available,
    )
