"""recording transcripts: where the post-call transcript of each recorded segment stands (done /
failed); its lines are in `transcripts` with leg `mixed`

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""
from __future__ import annotations

from alembic import op

from store.migrations.ddl import create_table, integer, string, utc


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('recording_transcripts',
    string('call_id', 64),
    integer('segment'),
    string('status', 20),
    integer('lines'),
    string('detail', 500),
    utc('at'),
    key=['call_id', 'segment'],
    )


def downgrade() -> None:
    op.drop_table('recording_transcripts')
