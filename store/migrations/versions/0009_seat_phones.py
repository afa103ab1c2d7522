"""seat phones

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('seat_phones',
    sa.Column('seat_id', sa.String(length=64), nullable=False),
    sa.Column('password', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['seat_id'], ['seats.id'], name=op.f('fk_seat_phones_seat_id_seats')),
    sa.PrimaryKeyConstraint('seat_id', name=op.f('pk_seat_phones'))
    )


def downgrade() -> None:
    op.drop_table('seat_phones')
