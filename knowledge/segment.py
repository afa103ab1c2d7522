"""Words of a Chinese text for the search: jieba's search-mode segmentation (MIT), the stop words
dropped, and a caller's question expanded with the legal words it stands for (`knowledge.synonyms`,
and the general thesaurus `knowledge.thesaurus`).

jieba loads its dictionary on first use (about a second); `warm_up()` does that at start, off the
event loop. Texts are segmented the same way on SQLite and PostgreSQL: the search never asks the
database to segment.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from types import ModuleType
from typing import cast

from core.chinese_text import FUNCTION_WORDS
from knowledge.synonyms import COLLOQUIAL, COLLOQUIAL_OWN_WEIGHT, EXPANSION_WEIGHT
from knowledge.thesaurus import GENERAL

# Both vocabularies: a word in both stands for the legal words of each.
VOCABULARY: dict[str, tuple[str, ...]] = {
    w: tuple(dict.fromkeys((*COLLOQUIAL.get(w, ()), *GENERAL.get(w, ())))) for w in {*COLLOQUIAL, *GENERAL}
}

_lock = threading.Lock()
_ready = False
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")

# Words that say nothing about the matter (and the law's own boilerplate, found in thousands of articles).
STOP_WORDS = FUNCTION_WORDS | frozenset(
    [
        "应当",
        "依法",
        "依照",
        "规定",
        "本法",
        "条",
        "款",
        "项",
        "以及",
        "为",
        "将",
        "其",
        "人",
        "于",
        "之",
        "以",
        "所",
        "者",
        "并",
        "时",
    ]
)
# Single characters that are words a caller's question turns on.
KEEP_SINGLE = frozenset("撞骗告狗车房钱")


def _jieba() -> ModuleType:
    """jieba, its dictionary loaded and the colloquial words added (once, on first use)."""
    global _ready
    import jieba

    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                for word in COLLOQUIAL:
                    jieba.add_word(word)
                _ready = True
    return cast(ModuleType, jieba)


def _jieba_cut(text: str) -> list[str]:
    return [w for w in _jieba().lcut_for_search(text) if w.strip()]


def plain_words(text: str) -> list[str]:
    """jieba's precise mode: each character of `text` in one word only, so counting the words
    counts what was written (the reports' frequent words, `stats.hot_topics`); nothing dropped."""
    return [str(w) for w in _jieba().lcut(text) if w.strip()]


def available() -> bool:
    """Whether jieba (the `knowledge` extra) is installed: without it the base only checks citations."""
    try:
        import jieba  # noqa: F401
    except ImportError:
        return False
    return True


def warm_up() -> None:
    """Load jieba's dictionary now (a second or so), not at the first search."""
    _jieba_cut("劳动合同")


def words(text: str) -> list[str]:
    """The indexable words of `text`, in order, repeats kept (BM25 counts them)."""
    out: list[str] = []
    for w in _jieba_cut(text):
        if w in STOP_WORDS or not _WORD.search(w):
            continue
        if len(w) == 1 and w not in KEEP_SINGLE:
            continue
        out.append(w)
    return out


def query_terms(text: str) -> dict[str, float]:
    """A question's words with their weights: its own words 1.0, the legal words they stand for
    `EXPANSION_WEIGHT` (never lowering a word the caller said)."""
    weights: dict[str, float] = {}
    own = words(text)
    for w in own:
        # A colloquial word the law does not use itself (公司 for 用人单位) counts less than its legal words.
        weights[w] = COLLOQUIAL_OWN_WEIGHT if w in COLLOQUIAL and w not in COLLOQUIAL[w] else 1.0
    for w in [*own, *_colloquial_in(text)]:
        for legal in VOCABULARY.get(w, ()):
            # segmented as the articles are (延长工作时间 -> 延长, 工作时间, ...): the words must meet
            for piece in {legal, *words(legal)}:
                weights[piece] = max(weights.get(piece, 0.0), EXPANSION_WEIGHT)
    return weights


def _colloquial_in(text: str) -> Iterable[str]:
    """Colloquial words found inside the text even where jieba cut them otherwise (不还, 撞了); the
    thesaurus's single characters too (骂, 挡), which the words leave out."""
    return (w for w in VOCABULARY if (len(w) > 1 or w in GENERAL) and w in text)


def join_terms(terms: Iterable[str]) -> str:
    """The stored form of an article's words (`LawArticle.terms`): space-separated."""
    return " ".join(terms)


_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z0-9]+")


def bigrams(text: str) -> list[str]:
    """Character bigrams of each run of Chinese characters (a lone character as itself), and latin or
    digit runs whole: how past records are indexed. No dictionary: 100,000 records index in seconds,
    and a record's own wording (人名、地名、口语) is matched as it was written."""
    out: list[str] = []
    for run in _HAN_RUN.findall(text):
        if run.isascii():
            if len(run) < 8:  # long digit runs are numbers (phones, amounts): not a topic
                out.append(run.lower())
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return [b for b in out if b not in STOP_WORDS]


def case_terms(query: dict[str, float]) -> dict[str, float]:
    """A word query (`query_terms`) as bigrams, for the past records' index: each word's bigrams at
    the word's weight (the highest where two words share one)."""
    out: dict[str, float] = {}
    for word, weight in query.items():
        for b in bigrams(word):
            out[b] = max(out.get(b, 0.0), weight)
    return out
