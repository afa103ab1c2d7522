"""How well the search finds what a lawyer would cite: recall@5 and MRR over a labelled set of
colloquial questions (tests/data/knowledge/questions.csv: question, law, article numbers `a;b`; an
article of another law is written `劳动合同法:31` among the numbers).

A question counts as found at rank r when the r-th article returned is one of its labelled articles
(of its law); recall@5: the share found in the first five; MRR: the mean of 1/r (0 when not found).
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass

from knowledge.base import KnowledgeBase
from knowledge.segment import query_terms

FULL_NAME_PREFIX = "中华人民共和国"


@dataclass(frozen=True, slots=True)
class Labelled:
    question: str
    law: str  # the full name: 中华人民共和国劳动合同法
    articles: frozenset[tuple[str, int]]  # (full law name, article number)


@dataclass(frozen=True, slots=True)
class Evaluation:
    questions: int
    recall_at_5: float
    mrr: float
    p95_ms: float
    misses: tuple[str, ...]


def parse_questions(text: str) -> list[Labelled]:
    out: list[Labelled] = []
    for r in csv.DictReader(io.StringIO(text)):
        law = _full(r["law"])
        cited: set[tuple[str, int]] = set()
        for item in (n.strip() for n in r["articles"].split(";")):
            if ":" in item:
                other, number = item.split(":", 1)
                cited.add((_full(other), int(number)))
            elif item:
                cited.add((law, int(item)))
        out.append(Labelled(question=r["question"].strip(), law=law, articles=frozenset(cited)))
    return out


def _full(name: str) -> str:
    name = name.strip()
    return name if name.startswith(FULL_NAME_PREFIX) else FULL_NAME_PREFIX + name


def evaluate(base: KnowledgeBase, labelled: list[Labelled], k: int = 5) -> Evaluation:
    found = 0
    reciprocal = 0.0
    times: list[float] = []
    misses: list[str] = []
    for q in labelled:
        start = time.perf_counter()
        hits = base.search_articles(query_terms(q.question), k=k)
        times.append(time.perf_counter() - start)
        rank = next(
            (i for i, h in enumerate(hits, 1) if (h.article.law, h.article.number) in q.articles), None
        )
        if rank is None:
            misses.append(q.question)
        else:
            found += 1
            reciprocal += 1 / rank
    times.sort()
    n = len(labelled) or 1
    return Evaluation(
        questions=len(labelled),
        recall_at_5=found / n,
        mrr=reciprocal / n,
        p95_ms=times[int(len(times) * 0.95)] * 1000 if times else 0.0,
        misses=tuple(misses),
    )
