"""shifts and seat log

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import create_indexes, create_table, drop_indexes, serial_id, string, utc


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('seat_status_log',
    serial_id(),
    string('seat_id', 64),
    string('team_id', 64),
    string('status', 20),
    utc('at'),
    )
    with op.batch_alter_table('seat_status_log', schema=None) as batch_op:
        batch_op.create_index('ix_seat_status_log_seat_at', ['seat_id', 'at'], unique=False)

    create_table('shifts',
    string('id', 64),
    string('team_id', 64),
    string('seat_id', 64),
    string('day', 10),
    string('start', 5),
    string('end', 5),
    )
    create_indexes('shifts', 'seat_id')
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.create_index('ix_shifts_team_day', ['team_id', 'day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_shifts_team_day')
    drop_indexes('shifts', 'seat_id')
    op.drop_table('shifts')
    with op.batch_alter_table('seat_status_log', schema=None) as batch_op:
        batch_op.drop_index('ix_seat_status_log_seat_at')
    op.drop_table('seat_status_log')
