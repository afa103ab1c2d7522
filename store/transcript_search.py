"""Transcript search (转写检索, issue 18): the calls whose transcripts hold every word searched.

Both kinds of transcript live in `transcripts`: the live lines of each leg (caller / seat) and the
post-call lines of the call recording (leg `mixed`, `store.post_call`); only final lines are
searched. A call matches when each word occurs in at least one of its final lines (several words:
all must match, not necessarily on one line). Plain `LIKE` with the wildcards escaped decides, on
SQLite and PostgreSQL alike, no full-text extension needed (Chinese has no spaces to index by).

On PostgreSQL the LIKE is narrowed by an index first (migration 0028): `ix_transcripts_text_grams`
holds, per line, its single characters and its pairs of adjacent characters
(`hotline_transcript_grams`); a line can hold a word only if it holds every pair of the word
(`word_grams`), so `grams @> word_grams(word) AND text LIKE '%word%'` finds exactly the lines the
LIKE alone finds, without reading the whole table. Unlike trigrams, pairs also serve the
two-character words most searches are made of. SQLite scans, as before.

Who sees which call is decided by the caller (`store.recordings.RecordingLibrary.search`, with the
same rule as for listening to the call's recordings); this module only finds and cuts snippets.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, Text, exists, func, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY

from core.errors import InvalidInput
from core.ids import CallId
from core.recordings import SnippetLine, SnippetPart
from store.db import Database
from store.models import CallRow, TranscriptRow

MAX_WORDS = 5
MAX_WORD_CHARS = 30
SNIPPET_CONTEXT = 24  # characters kept on each side of the first word found in a long line
SNIPPET_LINES = 3  # matching lines shown per call


def parse_words(query: str) -> tuple[str, ...]:
    """The words of a search box (split on spaces, the full-width one too; repeats dropped).
    A clear Chinese error for an empty or oversized query."""
    words: list[str] = []
    for word in query.replace("\u3000", " ").split():
        if word not in words:
            words.append(word)
    if not words:
        raise InvalidInput("请输入要检索的词语")
    if len(words) > MAX_WORDS:
        raise InvalidInput(f"最多同时检索 {MAX_WORDS} 个词语", words=len(words))
    if any(len(w) > MAX_WORD_CHARS for w in words):
        raise InvalidInput(f"每个词语不超过 {MAX_WORD_CHARS} 个字")
    return tuple(words)


def highlight(text: str, words: Sequence[str], *, context: int = SNIPPET_CONTEXT) -> tuple[SnippetPart, ...]:
    """`text` cut to a window around its first hit and split into plain and hit parts (the
    longest word wins where two overlap)."""
    first = min((i for w in words if (i := text.find(w)) >= 0), default=0)
    start = max(0, first - context)
    end = min(len(text), first + context * 3)
    window = text[start:end]
    marked = [False] * len(window)
    for word in sorted(words, key=len, reverse=True):
        at = window.find(word)
        while at >= 0:
            for i in range(at, at + len(word)):
                marked[i] = True
            at = window.find(word, at + len(word))
    parts: list[SnippetPart] = []
    if start > 0:
        parts.append(SnippetPart("…", False))
    i = 0
    while i < len(window):
        j = i
        while j < len(window) and marked[j] == marked[i]:
            j += 1
        parts.append(SnippetPart(window[i:j], marked[i]))
        i = j
    if end < len(text):
        parts.append(SnippetPart("…", False))
    return tuple(parts)


def word_grams(word: str) -> list[str]:
    """What `hotline_transcript_grams` of a line must contain for the line to hold `word`: its
    distinct pairs of adjacent characters (a one-character word: the character itself)."""
    if len(word) < 2:
        return [word]
    return sorted({word[i : i + 2] for i in range(len(word) - 1)})


def _holds(word: str, *, indexed: bool) -> ColumnElement[bool]:
    """A transcript line holds `word` (on PostgreSQL through the grams index first)."""
    like = TranscriptRow.text.contains(word, autoescape=True)
    if not indexed:
        return like
    grams = type_coerce(func.hotline_transcript_grams(TranscriptRow.text), ARRAY(Text))
    return grams.contains(type_coerce(word_grams(word), ARRAY(Text))) & like


class TranscriptIndex:
    """The queries behind the search (blocking: a worker thread's)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def matching_calls(self, words: Sequence[str], *, offset: int, limit: int) -> list[CallId]:
        """Ids of the calls whose final transcript lines hold every word, newest call first."""
        with self._db.session() as s:
            return [CallId(c) for c in s.scalars(self.matching_query(words, offset=offset, limit=limit))]

    def matching_query(self, words: Sequence[str], *, offset: int, limit: int) -> Select[str]:
        """The query of `matching_calls` (apart, for EXPLAIN in the tests and the bench)."""
        indexed = self._db.engine.dialect.name == "postgresql"
        q = select(CallRow.id)
        for word in words:
            q = q.where(
                exists().where(
                    TranscriptRow.call_id == CallRow.id,
                    TranscriptRow.final.is_(True),
                    _holds(word, indexed=indexed),
                )
            )
        return q.order_by(CallRow.offered_at.desc(), CallRow.id.desc()).offset(offset).limit(limit)

    def snippets(
        self, call_id: CallId, words: Sequence[str], *, lines: int = SNIPPET_LINES
    ) -> list[SnippetLine]:
        """The call's final lines holding any of the words, in the order spoken, highlighted."""
        q = (
            select(TranscriptRow.leg, TranscriptRow.start_s, TranscriptRow.text)
            .where(TranscriptRow.call_id == call_id, TranscriptRow.final.is_(True))
            .order_by(TranscriptRow.start_s, TranscriptRow.id)
        )
        found: list[SnippetLine] = []
        with self._db.session() as s:
            for leg, start_s, text in s.execute(q):
                if any(w in text for w in words):
                    found.append(SnippetLine(leg, float(start_s), highlight(text, words)))
                    if len(found) >= lines:
                        break
        return found
