from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from callbacks.events import AttemptOutcome
from store.rows import RowMapper, as_tuple, chunks, optional, or_default, row_values

AT = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class _Thing:
    id: str
    outcome: AttemptOutcome | None
    tags: tuple[str, ...]
    extra: tuple[dict[str, Any], ...]
    note: str
    at: datetime


def test_given_a_row_when_mapped_then_each_field_comes_from_its_column_through_its_converter() -> None:
    read = RowMapper(
        _Thing, columns={"id": "key"}, outcome=optional(AttemptOutcome), tags=as_tuple, note=or_default("-")
    )
    row = SimpleNamespace(key="t1", outcome="reached", tags=["a", "b"], extra=[{"x": 1}], note=None, at=AT)

    thing = read(row)

    assert thing == _Thing(
        id="t1", outcome=AttemptOutcome.REACHED, tags=("a", "b"), extra=[{"x": 1}], note="-", at=AT
    )  # a field without a converter comes as the column holds it (here a list)
    empty = read(SimpleNamespace(key="t2", outcome="", tags=None, extra=[], note="n", at=AT))
    assert (empty.outcome, empty.tags, empty.note) == (None, (), "n")


def test_given_a_dataclass_when_written_then_enums_are_values_and_tuples_are_lists_of_plain_dicts() -> None:
    thing = _Thing(id="t1", outcome=AttemptOutcome.REACHED, tags=("a",), extra=({"x": 1},), note="n", at=AT)

    values = row_values(thing, skip=("note",), columns={"id": "key"})

    assert values == {"key": "t1", "outcome": "reached", "tags": ["a"], "extra": [{"x": 1}], "at": AT}
    assert type(values["outcome"]) is str


def test_given_more_ids_than_a_chunk_when_split_then_every_id_comes_once_in_order() -> None:
    ids = [str(i) for i in range(1203)]

    parts = chunks(ids)

    assert [len(p) for p in parts] == [500, 500, 203]
    assert [i for p in parts for i in p] == ids
    assert chunks([]) == []
