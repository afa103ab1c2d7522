"""appointments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import create_indexes, create_table, drop_indexes, string, text, utc


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('appointments',
    string('id', 64),
    string('office_id', 64),
    string('office_name', 200),
    string('caller_number', 40),
    string('call_id', 64, nullable=True),
    utc('when'),
    utc('booked_at'),
    string('sms_to', 40, nullable=True),
    text('sms_text'),
    string('status', 20),
    )
    create_indexes('appointments', 'caller_number', 'office_id', 'when')


def downgrade() -> None:
    drop_indexes('appointments', 'when', 'office_id', 'caller_number')
    op.drop_table('appointments')
