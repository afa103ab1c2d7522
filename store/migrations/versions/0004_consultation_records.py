"""consultation records

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consultation_records',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('call_id', sa.String(length=64), nullable=False),
    sa.Column('seat_id', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('advice', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=True),
    sa.Column('office_id', sa.String(length=64), nullable=True),
    sa.Column('draft', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_records')),
    sa.UniqueConstraint('call_id', 'seat_id', name='uq_consultation_records_call_seat')
    )
    with op.batch_alter_table('consultation_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_records_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_records_seat_id'), ['seat_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_records_submitted_at'), ['submitted_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('consultation_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_records_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_consultation_records_seat_id'))
        batch_op.drop_index(batch_op.f('ix_consultation_records_call_id'))
    op.drop_table('consultation_records')
