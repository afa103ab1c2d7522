"""consultation records

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import boolean, create_indexes, create_table, drop_indexes, string, text, unique, utc


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('consultation_records',
    string('id', 64),
    string('call_id', 64),
    string('seat_id', 64),
    string('category', 40, nullable=True),
    text('question'),
    text('advice'),
    string('outcome', 30, nullable=True),
    string('office_id', 64, nullable=True),
    boolean('draft'),
    utc('created_at'),
    utc('updated_at'),
    utc('submitted_at', nullable=True),
    uniques=[unique('call_id', 'seat_id', name='uq_consultation_records_call_seat')],
    )
    create_indexes('consultation_records', 'call_id', 'seat_id', 'submitted_at')


def downgrade() -> None:
    drop_indexes('consultation_records', 'submitted_at', 'seat_id', 'call_id')
    op.drop_table('consultation_records')
