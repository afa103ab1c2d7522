"""monitor sessions: a supervisor's monitor under way (监听 / 耳语 / 强插 / 接管), kept over an app
restart

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import create_table, json, string, utc


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('monitor_sessions',
    string('user_id', 64),
    json('state'),
    utc('updated_at'),
    key=['user_id'],
    )


def downgrade() -> None:
    op.drop_table('monitor_sessions')
