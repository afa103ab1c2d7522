"""callback attempts and work order marks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa



revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('callback_attempts',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=30), nullable=True),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.Column('retry_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('call_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_callback_attempts_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_attempts')),
    sa.UniqueConstraint('order_id', 'number', name=op.f('uq_callback_attempts_order_id'))
    )
    with op.batch_alter_table('callback_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_attempts_finished_at'), ['finished_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_attempts_order_id'), ['order_id'], unique=False)

    op.create_table('work_order_marks',
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_work_order_marks_order_id_work_orders')),
    sa.PrimaryKeyConstraint('order_id', 'key', name=op.f('pk_work_order_marks'))
    )


def downgrade() -> None:
    op.drop_table('work_order_marks')
    with op.batch_alter_table('callback_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_attempts_order_id'))
        batch_op.drop_index(batch_op.f('ix_callback_attempts_finished_at'))
    op.drop_table('callback_attempts')
