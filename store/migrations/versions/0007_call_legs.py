"""call legs, callbacks and transfers in the call record

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_legs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_id', sa.String(length=64), nullable=False),
    sa.Column('leg_id', sa.String(length=140), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('party', sa.String(length=80), nullable=False),
    sa.Column('seat_id', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=200), nullable=False),
    sa.Column('queue', sa.String(length=80), nullable=True),
    sa.Column('transfer_seq', sa.Integer(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('talk_seconds', sa.Float(), nullable=True),
    sa.Column('inferred', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_legs')),
    sa.UniqueConstraint('leg_id', name=op.f('uq_call_legs_leg_id'))
    )
    with op.batch_alter_table('call_legs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_legs_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_legs_seat_id'), ['seat_id'], unique=False)

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('direction', sa.String(length=20), server_default='inbound', nullable=False))
        batch_op.add_column(sa.Column('work_order_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('final_seat_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('transfer_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('transfers', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('customer_outcome', sa.String(length=20), nullable=True))
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

    with op.batch_alter_table('call_legs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_legs_seat_id'))
        batch_op.drop_index(batch_op.f('ix_call_legs_call_id'))

    op.drop_table('call_legs')
