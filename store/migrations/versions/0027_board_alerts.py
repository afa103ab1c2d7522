"""board alerts (告警): one row per alert episode, its recipients and its acknowledgement

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import create_indexes, create_table, drop_indexes, json, serial_id, string, utc


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('board_alerts',
    serial_id(),
    string('kind', 20),
    string('district_code', 12),
    utc('raised_at'),
    utc('cleared_at', nullable=True),
    string('detail', 500),
    json('recipients'),
    string('channel', 20),
    string('acknowledged_by', 200, nullable=True),
    utc('acknowledged_at', nullable=True),
    )
    create_indexes('board_alerts', 'raised_at', 'cleared_at')


def downgrade() -> None:
    drop_indexes('board_alerts', 'raised_at', 'cleared_at')
    op.drop_table('board_alerts')
