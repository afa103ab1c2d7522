"""after-hours messages (来电留言) and the work orders they fed

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import create_indexes, create_table, drop_indexes, string, utc


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('voicemails',
    string('call_id', 64),
    string('order_id', 64, nullable=True),
    string('caller_number', 40),
    string('recording', 500),
    string('status', 20),
    utc('at'),
    key=['call_id'],
    references=[('order_id', 'work_orders.id')],
    )
    create_indexes('voicemails', 'order_id')


def downgrade() -> None:
    drop_indexes('voicemails', 'order_id')
    op.drop_table('voicemails')
