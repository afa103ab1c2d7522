"""supervisor phones: a supervisor's own SIP phone, rung first when they listen to a seat's call

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import create_table, string


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('supervisor_phones',
    string('user_id', 64),
    string('endpoint', 40),
    string('password', 100),
    key=['user_id'],
    references=[('user_id', 'users.id')],
    )


def downgrade() -> None:
    op.drop_table('supervisor_phones')
