"""Alembic environment: migrations run against the URL or connection handed in by store.migrate."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from store.db import create_db_engine
from store.models import Base

config = context.config
target_metadata = Base.metadata

# Indexes a migration makes by hand on PostgreSQL only, which the models do not spell (SQLite has
# none): autogenerate must not take them for indexes to remove.
HAND_MADE_INDEXES = frozenset({"ix_transcripts_text_grams"})  # 0028, store.transcript_search


def _include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (type_ == "index" and reflected and name in HAND_MADE_INDEXES)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
