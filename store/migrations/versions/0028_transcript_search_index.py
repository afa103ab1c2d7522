"""transcript search index (转写检索, PostgreSQL only): a GIN index over the one- and two-character
pieces of each transcript line, so the search's LIKE '%词%' is narrowed by the index first

A pg_trgm index would not do: trigrams serve only words of three characters or more, and most
Chinese words searched (工资, 仲裁, 离婚) have two. `hotline_transcript_grams(text)` is every
distinct single character and every distinct pair of adjacent characters of the line; a line
holding a word holds all of the word's pairs (a one-character word: the character), so
`grams @> pairs(word)` never drops a line that the LIKE keeps, and the LIKE after it keeps the
result exact. No extension is needed. SQLite (the embedded default) keeps the plain scan.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""
from __future__ import annotations

from alembic import op


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        "CREATE FUNCTION hotline_transcript_grams(line text) RETURNS text[] "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
        "SELECT coalesce(array_agg(DISTINCT g), '{}') FROM ("
        "SELECT substr(line, i, 1) AS g FROM generate_series(1, char_length(line)) AS i "
        "UNION ALL "
        "SELECT substr(line, i, 2) FROM generate_series(1, char_length(line) - 1) AS i"
        ") AS pieces $$"
    )
    op.execute(
        "CREATE INDEX ix_transcripts_text_grams ON transcripts USING gin (hotline_transcript_grams(text))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP INDEX ix_transcripts_text_grams")
    op.execute("DROP FUNCTION hotline_transcript_grams(text)")
