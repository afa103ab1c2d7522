"""quality inspection (质检): the QC queue with scores and appeals, and the scoring form's versions

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import (
    create_indexes,
    create_table,
    drop_indexes,
    floating,
    integer,
    json,
    string,
    text,
    utc,
)


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('qc_forms',
    integer('version'),
    json('items'),
    utc('created_at'),
    string('created_by', 64),
    key=['version'],
    )
    create_table('qc_items',
    string('call_id', 64),
    string('seat_id', 64),
    string('team_id', 64, nullable=True),
    string('queue', 80, nullable=True),
    string('district_code', 12, nullable=True),
    utc('call_at'),
    floating('talk_seconds', nullable=True),
    json('reasons'),
    text('flag_note'),
    json('marks'),
    utc('created_at'),
    string('status', 20),
    integer('form_version', nullable=True),
    json('scores'),
    integer('total', nullable=True),
    integer('max_total', nullable=True),
    text('comment'),
    string('inspector', 64, nullable=True),
    utc('scored_at', nullable=True),
    integer('original_total', nullable=True),
    text('appeal_reason'),
    utc('appealed_at', nullable=True),
    text('decision_note'),
    string('decided_by', 64, nullable=True),
    utc('decided_at', nullable=True),
    key=['call_id'],
    )
    create_indexes('qc_items', 'call_at', 'seat_id', 'status', 'team_id')


def downgrade() -> None:
    drop_indexes('qc_items', 'call_at', 'seat_id', 'status', 'team_id')
    op.drop_table('qc_items')
    op.drop_table('qc_forms')
