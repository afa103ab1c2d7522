"""BM25 over words, in Python: one index per kind of text (articles, entries, past cases), built
at start from what the store holds, so that the ranking is the same on SQLite and PostgreSQL.

Each posting keeps its document's BM25 term weight precomputed (`tf·(k1+1) / (tf + k1·(1-b+b·dl/avgdl))`),
so that a query only adds `idf × weight` per posting. Documents added after `freeze()` (records
submitted since start) are weighed with the average length of the frozen index: a negligible drift.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from knowledge.models import Scored

K1 = 1.2
B = 0.75


class Bm25Index:
    def __init__(self) -> None:
        self.keys: list[str] = []
        self._lengths: list[int] = []
        self._docs: dict[str, array[int]] = {}
        self._tfs: dict[str, array[int]] = {}
        self._weights: dict[str, array[float]] = {}
        self._avgdl = 0.0
        self._frozen = False

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, key: str, terms: Iterable[str]) -> None:
        doc = len(self.keys)
        self.keys.append(key)
        counts = Counter(terms)
        length = sum(counts.values())
        self._lengths.append(length)
        for term, tf in counts.items():
            self._docs.setdefault(term, array("i")).append(doc)
            self._tfs.setdefault(term, array("i")).append(tf)
            if self._frozen:
                self._weights.setdefault(term, array("d")).append(self._weight(tf, length))

    def _weight(self, tf: int, length: int) -> float:
        norm = 1 - B + B * (length / self._avgdl if self._avgdl else 1.0)
        return tf * (K1 + 1) / (tf + K1 * norm)

    def freeze(self) -> None:
        """Compute the postings' weights; call once after the bulk load (later `add`s weigh at once)."""
        self._avgdl = (sum(self._lengths) / len(self._lengths)) if self._lengths else 0.0
        self._weights = {
            term: array(
                "d", (self._weight(tf, self._lengths[d]) for d, tf in zip(docs, self._tfs[term], strict=True))
            )
            for term, docs in self._docs.items()
        }
        self._frozen = True

    def idf(self, term: str) -> float:
        n = len(self._docs.get(term, ()))
        if not n:
            return 0.0
        total = len(self.keys)
        return math.log(1 + (total - n + 0.5) / (n + 0.5))

    def search(
        self,
        query: Mapping[str, float],
        k: int = 5,
        *,
        boost: Callable[[str], float] | None = None,
        keep: Callable[[str], bool] | None = None,
    ) -> list[Scored]:
        """The `k` best documents for weighted query words; `boost(key)` multiplies a score (a
        category's laws first), `keep(key)` filters (a category's past cases only)."""
        if not self._frozen:
            self.freeze()
        acc: dict[int, float] = {}
        matched: dict[int, list[str]] = {}
        for term, qw in query.items():
            docs = self._docs.get(term)
            if docs is None:
                continue
            w = self.idf(term) * qw
            if w <= 0:
                continue
            get = acc.get
            for doc, tw in zip(docs, self._weights[term], strict=True):
                acc[doc] = get(doc, 0.0) + w * tw
            if len(docs) < 2000:  # which words matched, for the few documents that will be shown
                for doc in docs:
                    matched.setdefault(doc, []).append(term)
        keys = self.keys
        if boost is not None or keep is not None:
            scored: Iterable[tuple[float, int]] = (
                (s * (boost(keys[d]) if boost else 1.0), d)
                for d, s in acc.items()
                if keep is None or keep(keys[d])
            )
        else:
            scored = ((s, d) for d, s in acc.items())
        best = heapq.nlargest(k, scored)
        return [Scored(keys[d], s, tuple(matched.get(d, ()))) for s, d in best if s > 0]


def ranks(results: Sequence[Scored], relevant: set[str]) -> int | None:
    """The 1-based rank of the first relevant result (None when none is found)."""
    for i, hit in enumerate(results, 1):
        if hit.key in relevant:
            return i
    return None
