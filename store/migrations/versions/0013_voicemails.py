"""after-hours messages (来电留言) and the work orders they fed

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('voicemails',
    sa.Column('call_id', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=True),
    sa.Column('caller_number', sa.String(length=40), nullable=False),
    sa.Column('recording', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_voicemails_order_id_work_orders')),
    sa.PrimaryKeyConstraint('call_id', name=op.f('pk_voicemails'))
    )
    op.create_index(op.f('ix_voicemails_order_id'), 'voicemails', ['order_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_voicemails_order_id'), table_name='voicemails')
    op.drop_table('voicemails')
