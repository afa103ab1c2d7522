"""seat presence

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('seat_presence',
    sa.Column('seat_id', sa.String(length=64), nullable=False),
    sa.Column('logged_in', sa.Boolean(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seat_id', name=op.f('pk_seat_presence'))
    )


def downgrade() -> None:
    op.drop_table('seat_presence')
