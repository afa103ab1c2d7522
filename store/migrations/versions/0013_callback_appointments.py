"""callback appointments (预约回拨): the time agreed with the caller on a work order

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import utc


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('work_orders', utc('scheduled_for', nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('work_orders') as batch:
        batch.drop_column('scheduled_for')
