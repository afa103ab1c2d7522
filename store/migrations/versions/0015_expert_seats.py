"""expert seats (专家坐席): a flag on the seat, off for every seat held already

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.migrations.ddl import boolean


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('seats', boolean('expert', server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('seats') as batch_op:
        batch_op.drop_column('expert')
