"""call legs, callbacks and transfers in the call record

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import boolean, create_indexes, create_table, drop_indexes, floating, integer, json, serial_id, string, unique, utc


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('call_legs',
    serial_id(),
    string('call_id', 64),
    string('leg_id', 140),
    string('kind', 20),
    string('party', 80),
    string('seat_id', 64, nullable=True),
    string('channel', 200),
    string('queue', 80, nullable=True),
    integer('transfer_seq'),
    utc('answered_at'),
    utc('ended_at', nullable=True),
    floating('talk_seconds', nullable=True),
    boolean('inferred'),
    uniques=[unique('leg_id')],
    )
    create_indexes('call_legs', 'call_id', 'seat_id')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(string('direction', 20, server_default='inbound'))
        batch_op.add_column(string('work_order_id', 64, nullable=True))
        batch_op.add_column(string('final_seat_id', 64, nullable=True))
        batch_op.add_column(string('transfer_status', 20, nullable=True))
        batch_op.add_column(json('transfers', server_default='[]'))
        batch_op.add_column(string('customer_outcome', 20, nullable=True))
        batch_op.create_index(batch_op.f('ix_calls_work_order_id'), ['work_order_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_work_order_id'))
        batch_op.drop_column('customer_outcome')
        batch_op.drop_column('transfers')
        batch_op.drop_column('transfer_status')
        batch_op.drop_column('final_seat_id')
        batch_op.drop_column('work_order_id')
        batch_op.drop_column('direction')

    drop_indexes('call_legs', 'seat_id', 'call_id')
    op.drop_table('call_legs')
