"""BM25 over words, in Python with numpy: one index per kind of text (articles, entries, past cases),
built at start from what the store holds, so that the ranking is the same on SQLite and PostgreSQL.

Each term's postings are two numpy arrays (documents, and each document's BM25 term weight
`tf·(k1+1) / (tf + k1·(1-b+b·dl/avgdl))`, computed once); a query adds `idf × weight` into one
score array per term, so that a search over 100,000 past records costs a few vector additions,
not a Python loop over every posting. Documents added after `freeze()` (records submitted since
start) are weighed with the average length of the frozen index (a negligible drift) and joined to
the arrays at the next search.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt

from knowledge.models import Scored

K1 = 1.2
B = 0.75

Floats = npt.NDArray[np.float32]


class Bm25Index:
    def __init__(self) -> None:
        self.keys: list[str] = []
        self._lengths: list[int] = []
        self._pending: dict[str, tuple[list[int], list[int]]] = {}  # term -> (docs, tfs) not in arrays yet
        self._docs: dict[str, npt.NDArray[np.int32]] = {}
        self._weights: dict[str, Floats] = {}
        self._df: dict[str, int] = {}
        self._avgdl = 0.0
        self._frozen = False

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, key: str, terms: Iterable[str]) -> int:
        """Index one document; its position (the order of `keys`)."""
        doc = len(self.keys)
        self.keys.append(key)
        counts = Counter(terms)
        self._lengths.append(sum(counts.values()))
        for term, tf in counts.items():
            docs, tfs = self._pending.setdefault(term, ([], []))
            docs.append(doc)
            tfs.append(tf)
            self._df[term] = self._df.get(term, 0) + 1
        return doc

    def freeze(self) -> None:
        """Compute the postings' weights; call once after the bulk load (later `add`s weigh at the next search)."""
        self._avgdl = (sum(self._lengths) / len(self._lengths)) if self._lengths else 0.0
        self._frozen = True
        self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        lengths = np.asarray(self._lengths, dtype=np.float32)
        norm = 1 - B + B * (lengths / self._avgdl if self._avgdl else np.ones_like(lengths))
        for term, (docs, tfs) in self._pending.items():
            d = np.asarray(docs, dtype=np.int32)
            tf = np.asarray(tfs, dtype=np.float32)
            w = (tf * (K1 + 1) / (tf + K1 * norm[d])).astype(np.float32)
            if term in self._docs:
                self._docs[term] = np.concatenate((self._docs[term], d))
                self._weights[term] = np.concatenate((self._weights[term], w))
            else:
                self._docs[term], self._weights[term] = d, w
        self._pending = {}

    def idf(self, term: str) -> float:
        n = self._df.get(term, 0)
        if not n:
            return 0.0
        return math.log(1 + (len(self.keys) - n + 0.5) / (n + 0.5))

    def search(
        self,
        query: Mapping[str, float],
        k: int = 5,
        *,
        factors: Floats | None = None,
        exclude: Iterable[int] = (),
    ) -> list[Scored]:
        """The `k` best documents for weighted query words; `factors` (one per document, in the
        order of `keys`) multiplies the scores (a category's laws first); `exclude`: positions left out."""
        scores = self.scores(query)
        n = len(scores)
        if n == 0:
            return []
        if factors is not None:
            scores *= factors[:n]
        for doc in exclude:
            scores[doc] = 0.0
        return self.top(scores, k)

    def scores(self, query: Mapping[str, float]) -> Floats:
        """Every document's BM25 score for the weighted query words (in the order of `keys`)."""
        if not self._frozen:
            self.freeze()
        self._flush()
        scores = np.zeros(len(self.keys), dtype=np.float32)
        for term, qw in query.items():
            docs = self._docs.get(term)
            if docs is None:
                continue
            w = self.idf(term) * qw
            if w > 0:
                scores[docs] += np.float32(w) * self._weights[term]
        return scores

    def top(self, scores: Floats, k: int) -> list[Scored]:
        """The `k` best of a score array (one per document), best first; zero scores left out."""
        n = len(scores)
        k = min(k, n)
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
        ranked = sorted(top.tolist(), key=lambda d: (-float(scores[d]), d))
        return [Scored(self.keys[d], float(scores[d])) for d in ranked if scores[d] > 0]
