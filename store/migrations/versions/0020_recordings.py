"""call recordings (录音): one row per recorded segment of a call

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import (
    big_integer,
    boolean,
    create_indexes,
    create_table,
    drop_indexes,
    integer,
    string,
    utc,
)


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('recordings',
    string('call_id', 64),
    integer('segment'),
    string('path', 500),
    string('channel', 200),
    utc('started_at'),
    utc('ended_at'),
    big_integer('size', nullable=True),
    string('sha256', 64),
    string('status', 20),
    boolean('answered'),
    utc('deleted_at', nullable=True),
    key=['call_id', 'segment'],
    )
    create_indexes('recordings', 'started_at', 'status')


def downgrade() -> None:
    drop_indexes('recordings', 'started_at', 'status')
    op.drop_table('recordings')
