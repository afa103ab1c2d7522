"""Shorthands for the version files: the columns, keys and indexes they all spell the same way.

Alembic's autogenerate wrote each of these out in full in every file. The helpers build the very
same operations, with the names `store.models.NAMING` gives (`pk_<table>`, `ix_<table>_<column>`,
`fk_<table>_<column>_<referred table>`), in the order autogenerate put them: a database migrated
with them gets byte for byte the schema the spelled-out files made, on SQLite and on PostgreSQL.
A version file, once released, must keep making that schema; these helpers may therefore only
grow, never change what an existing call renders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op


def string(name: str, length: int, *, nullable: bool = False, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length=length), nullable=nullable, **kw)


def text(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def integer(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def big_integer(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def floating(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Float(), nullable=nullable)


def boolean(name: str, *, nullable: bool = False, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.Boolean(), nullable=nullable, **kw)


def json(name: str, *, nullable: bool = False, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.JSON(), nullable=nullable, **kw)


def utc(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """A timestamp column (`store.models.UtcDateTime`: a zone-aware DateTime)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def serial_id() -> sa.Column[Any]:
    """The `id` of a table numbered by the database."""
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


class Unique(NamedTuple):
    """A unique constraint of `create_table`: its columns, and its name where it is not
    `uq_<table>_<first column>`."""

    columns: tuple[str, ...]
    name: str | None


def unique(*columns: str, name: str | None = None) -> Unique:
    return Unique(columns, name)


def create_table(
    table: str,
    *columns: sa.Column[Any],
    key: Sequence[str] = ("id",),
    references: Sequence[tuple[str, str]] = (),
    uniques: Sequence[Unique] = (),
) -> None:
    """`op.create_table` with the primary key `key` (`pk_<table>`), a foreign key per
    (column, "table.column") of `references`, and the `uniques` constraints, made in that order
    (the order of the constraints in CREATE TABLE is the order they were made in)."""
    foreign_keys = [
        sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{target.split('.')[0]}"))
        for column, target in references
    ]
    primary_key = sa.PrimaryKeyConstraint(*key, name=op.f(f"pk_{table}"))
    unique_keys = [
        sa.UniqueConstraint(*u.columns, name=u.name or op.f(f"uq_{table}_{u.columns[0]}")) for u in uniques
    ]
    op.create_table(table, *columns, *foreign_keys, primary_key, *unique_keys)


def create_indexes(table: str, *columns: str) -> None:
    """One plain index per column, `ix_<table>_<column>`, in the order given."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def drop_indexes(table: str, *columns: str) -> None:
    """Drop the indexes `create_indexes` made, in the order given."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
