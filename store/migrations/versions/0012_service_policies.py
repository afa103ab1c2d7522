"""service policies supervisors set (the wrap-up extension's step and cap)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import create_table, json, string, utc


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('service_policies',
    string('name', 40),
    json('value'),
    utc('updated_at'),
    string('updated_by', 64),
    key=['name'],
    )


def downgrade() -> None:
    op.drop_table('service_policies')
