"""Rows and domain dataclasses: the one mapping every repository uses, and its query helpers.

A domain dataclass and its table name their fields alike, so a dataclass is read field by field
from the columns of the same names (`RowMapper`) and written as the values of its fields
(`row_values`: enums by their value, tuples as JSON lists, mappings as plain dicts). What differs
from that (an enum to rebuild, an empty id that means none, a column under another name) is said
once, where the mapper is made.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import fields
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import NotFound
from store.db import Database
from store.models import Base

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")
D = TypeVar("D", bound="DataclassInstance")
R = TypeVar("R", bound=Base)


def optional(convert: Callable[[Any], T]) -> Callable[[Any], T | None]:
    """`convert(value)` for a value that is set; None for NULL or an empty string."""

    def read(value: Any) -> T | None:
        return convert(value) if value else None

    return read


def as_tuple(value: Any) -> tuple[Any, ...]:
    """A JSON list column as a tuple (NULL: empty)."""
    return tuple(value or ())


def or_default(default: Any) -> Callable[[Any], Any]:
    """The value, or `default` where the column is NULL or empty (rows older than the column)."""

    def read(value: Any) -> Any:
        return value or default

    return read


class RowMapper(Generic[D]):
    """Reads a `cls` dataclass from a row (or any object holding its fields): each field from the
    attribute of its name (or the column `columns` names for it), through `convert[field]` where
    one is given."""

    def __init__(
        self,
        cls: type[D],
        *,
        columns: Mapping[str, str] | None = None,
        **convert: Callable[[Any], Any],
    ) -> None:
        renamed = columns or {}
        self._cls = cls
        self._reads = tuple((f.name, renamed.get(f.name, f.name), convert.get(f.name)) for f in fields(cls))

    def __call__(self, row: object) -> D:
        values: dict[str, Any] = {}
        for name, column, convert in self._reads:
            value = getattr(row, column)
            values[name] = value if convert is None else convert(value)
        return self._cls(**values)


def column_value(value: Any) -> Any:
    """A field's value as its column stores it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [column_value(v) for v in value]
    if isinstance(value, Mapping):
        return dict(value)
    return value


def row_values(
    obj: DataclassInstance, *, skip: Collection[str] = (), columns: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The column values of dataclass `obj`: every field but those in `skip`, under its column's
    name (the field's own unless `columns` renames it)."""
    renamed = columns or {}
    return {
        renamed.get(f.name, f.name): column_value(getattr(obj, f.name))
        for f in fields(obj)
        if f.name not in skip
    }


def assign(row: Base, values: Mapping[str, Any]) -> None:
    """Write `values` onto a row already in the session."""
    for key, value in values.items():
        setattr(row, key, value)


def require(s: Session, row_type: type[R], key: Any, message: str, **context: Any) -> R:
    """The row of `row_type` with primary key `key`; NotFound(`message`, context) if none."""
    row = s.get(row_type, key)
    if row is None:
        raise NotFound(message, **context)
    return row


def chunks(items: Sequence[T], size: int = 500) -> list[Sequence[T]]:
    """`items` in pieces of `size`, for IN lists (SQLite allows a limited number of bound
    parameters)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


class Repo:
    """A repository over one database: one short transaction per call."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def unit_of_work(self) -> AbstractContextManager[object]:
        """One transaction for every call on this thread in the block (`Database.unit_of_work`)."""
        return self._db.unit_of_work()

    def _list(self, query: Select[R], mapper: Callable[[R], T]) -> list[T]:
        with self._db.session() as s:
            return [mapper(r) for r in s.scalars(query)]

    def _list_by(self, row_type: type[R], mapper: Callable[[R], T], *order_by: Any, **equal: Any) -> list[T]:
        """The rows whose columns equal `equal` (none: every row), in the order `order_by`."""
        return self._list(select(row_type).filter_by(**equal).order_by(*order_by), mapper)

    def _first(self, query: Select[R], mapper: Callable[[R], T]) -> T | None:
        with self._db.session() as s:
            row = s.scalar(query)
            return mapper(row) if row is not None else None

    def _find(self, row_type: type[R], key: Any, mapper: Callable[[R], T]) -> T | None:
        with self._db.session() as s:
            row = s.get(row_type, key)
            return mapper(row) if row is not None else None

    def _get(self, row_type: type[R], key: Any, mapper: Callable[[R], T], message: str, **context: Any) -> T:
        with self._db.session() as s:
            return mapper(require(s, row_type, key, message, **context))

    def _merge(self, row: Base) -> None:
        """Insert `row`, or overwrite the row with its primary key."""
        with self._db.session() as s:
            s.merge(row)

    def _insert_once(self, row: Base) -> bool:
        """Insert `row`; False (and nothing changed) when its primary key is taken already: the
        database decides, so two writers (two workers, a replay) cannot both win."""
        try:
            with self._db.session() as s:
                s.add(row)
        except IntegrityError:
            return False
        return True

    def _count(self, row_type: type[Base]) -> int:
        with self._db.session() as s:
            return int(s.scalar(select(func.count()).select_from(row_type)) or 0)
