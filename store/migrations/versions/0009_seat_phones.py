"""seat phones

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import create_table, string


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('seat_phones',
    string('seat_id', 64),
    string('password', 100),
    key=['seat_id'],
    references=[('seat_id', 'seats.id')],
    )


def downgrade() -> None:
    op.drop_table('seat_phones')
