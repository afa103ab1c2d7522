"""role rights and steering's queue moves: the admin's per-role rights (监听/强插/调度), and a
seat's queue moves of the day, kept over an app restart

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import create_table, json, string, utc


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('role_rights',
    string('role', 20),
    json('rights'),
    utc('updated_at'),
    string('updated_by', 64, nullable=True),
    key=['role'],
    )
    create_table('steer_queue_moves',
    string('seat_id', 64),
    string('day', 10),
    json('added'),
    json('removed'),
    key=['seat_id'],
    )


def downgrade() -> None:
    op.drop_table('steer_queue_moves')
    op.drop_table('role_rights')
