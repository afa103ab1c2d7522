"""login sessions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import boolean, create_indexes, create_table, drop_indexes, string, utc


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('login_sessions',
    string('token_hash', 64),
    string('user_id', 64),
    string('csrf_token', 64),
    utc('created_at'),
    utc('expires_at'),
    string('source_ip', 64),
    boolean('revoked'),
    key=['token_hash'],
    references=[('user_id', 'users.id')],
    )
    create_indexes('login_sessions', 'expires_at', 'user_id')


def downgrade() -> None:
    drop_indexes('login_sessions', 'user_id', 'expires_at')
    op.drop_table('login_sessions')
