"""回访: follow-up orders of 不满意 ratings, one per rated call, with their result

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.migrations.ddl import boolean, create_indexes, create_table, drop_indexes, string, text, unique, utc

revision = '0018'
down_revision = '0015'
branch_labels = None
depends_on = None

_OPEN = "status IN ('pool', 'assigned')"
_OPEN_CALLBACK = "status IN ('pool', 'assigned') AND reason <> 'follow_up'"


def _open_number_index(where: str) -> None:
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_index('uq_work_orders_open_number')
        batch_op.create_index(
            'uq_work_orders_open_number', ['caller_number'], unique=True,
            sqlite_where=sa.text(where), postgresql_where=sa.text(where),
        )


def upgrade() -> None:
    create_table('follow_ups',
    string('order_id', 64),
    string('call_id', 64),
    string('rated_seat_id', 64, nullable=True),
    string('rating', 30),
    utc('rated_at'),
    string('team_id', 64, nullable=True),
    string('category', 40, nullable=True),
    string('district_code', 20, nullable=True),
    boolean('reached', nullable=True),
    boolean('resolved', nullable=True),
    string('satisfaction', 30, nullable=True),
    text('note'),
    string('done_by', 64),
    utc('done_at', nullable=True),
    key=['order_id'],
    references=[('order_id', 'work_orders.id')],
    uniques=[unique('call_id')],
    )
    create_indexes('follow_ups', 'rated_at', 'rated_seat_id')
    # A follow-up stands beside the caller's open callback order.
    _open_number_index(_OPEN_CALLBACK)


def downgrade() -> None:
    op.execute("DELETE FROM work_order_marks WHERE order_id IN (SELECT order_id FROM follow_ups)")
    op.execute("DELETE FROM callback_attempts WHERE order_id IN (SELECT order_id FROM follow_ups)")
    drop_indexes('follow_ups', 'rated_at', 'rated_seat_id')
    op.drop_table('follow_ups')
    op.execute("DELETE FROM work_orders WHERE reason = 'follow_up'")
    _open_number_index(_OPEN)
