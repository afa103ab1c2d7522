"""record checkpoints (reconciliation with Asterisk's queue log and CDR)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import big_integer, create_table, string, utc


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('record_checkpoints',
    string('source', 40),
    big_integer('inode'),
    big_integer('offset'),
    utc('last_at', nullable=True),
    utc('updated_at'),
    key=['source'],
    )


def downgrade() -> None:
    op.drop_table('record_checkpoints')
