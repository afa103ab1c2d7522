"""record checkpoints (reconciliation with Asterisk's queue log and CDR)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('record_checkpoints',
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('inode', sa.BigInteger(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_record_checkpoints'))
    )


def downgrade() -> None:
    op.drop_table('record_checkpoints')
