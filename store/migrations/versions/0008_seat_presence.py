"""seat presence

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import boolean, create_table, string, utc


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('seat_presence',
    string('seat_id', 64),
    boolean('logged_in'),
    boolean('paused'),
    string('reason', 20, nullable=True),
    utc('at'),
    key=['seat_id'],
    )


def downgrade() -> None:
    op.drop_table('seat_presence')
