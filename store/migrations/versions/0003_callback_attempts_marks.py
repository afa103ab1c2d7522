"""callback attempts and work order marks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import boolean, create_indexes, create_table, drop_indexes, integer, string, unique, utc


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('callback_attempts',
    string('id', 120),
    string('order_id', 64),
    integer('number'),
    string('seat_id', 64),
    utc('started_at'),
    utc('finished_at', nullable=True),
    string('outcome', 30, nullable=True),
    boolean('counted'),
    utc('retry_at', nullable=True),
    string('call_id', 64),
    references=[('order_id', 'work_orders.id')],
    uniques=[unique('order_id', 'number')],
    )
    create_indexes('callback_attempts', 'finished_at', 'order_id')

    create_table('work_order_marks',
    string('order_id', 64),
    string('key', 40),
    string('value', 200),
    utc('at'),
    key=['order_id', 'key'],
    references=[('order_id', 'work_orders.id')],
    )


def downgrade() -> None:
    op.drop_table('work_order_marks')
    drop_indexes('callback_attempts', 'order_id', 'finished_at')
    op.drop_table('callback_attempts')
