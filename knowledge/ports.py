"""What the knowledge base reads and writes through (the store implements each)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from knowledge.models import Entry, EntryChange, LawArticle, PastCase


class ArticleStore(Protocol):
    def all_articles(self) -> Iterable[LawArticle]: ...

    def signature(self) -> tuple[int, ...]:
        """A cheap summary of the stored articles that changes when an import adds, changes or
        marks articles (the service reloads when it does)."""
        ...


class EntryStore(Protocol):
    def all(self) -> Sequence[Entry]: ...

    def get(self, entry_id: str) -> Entry | None: ...

    def save(self, entry: Entry, change: EntryChange, *, expected_version: int | None) -> None:
        """Write the entry and its change in one transaction; `Conflict` when the stored version
        is not `expected_version` (None: a new entry)."""
        ...

    def history(self, entry_id: str) -> Sequence[EntryChange]: ...


class PastCases(Protocol):
    """Submitted consultation records and closed work orders with a note, oldest first, those
    after `since` only where it is given."""

    def past_cases(self, since: datetime | None, limit: int) -> Sequence[PastCase]: ...
