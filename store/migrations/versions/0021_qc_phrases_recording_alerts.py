"""the transcript check's phrase lists an admin edits (seeded with the defaults), and recording
alerts (录音告警) that can be acknowledged

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from store.migrations.ddl import (
    create_indexes,
    create_table,
    drop_indexes,
    integer,
    string,
    utc,
)


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

# The lists `stats.quality` checked transcripts with before they could be edited (DB32/T 3837-2020).
DEFAULT_PHRASES = {
    'forbidden': ['不知道', '不归我们管', '我也没办法', '你自己看着办', '听不懂吗', '有完没完', '不清楚'],
    'greetings': ['您好', '你好'],
    'closings': ['再见', '感谢您的来电', '感谢来电', '还有其他问题', '还有什么问题'],
}

_policies = sa.table(
    'service_policies',
    sa.column('name', sa.String),
    sa.column('value', sa.JSON),
    sa.column('updated_at', sa.DateTime(timezone=True)),
    sa.column('updated_by', sa.String),
)


def upgrade() -> None:
    create_table('recording_alerts',
    string('call_id', 64),
    integer('segment'),
    string('kind', 20),
    string('district_code', 12, nullable=True),
    utc('raised_at'),
    string('detail', 500),
    string('acknowledged_by', 64, nullable=True),
    string('acknowledged_by_name', 64),
    utc('acknowledged_at', nullable=True),
    key=['call_id', 'segment'],
    )
    create_indexes('recording_alerts', 'acknowledged_at', 'raised_at')
    op.bulk_insert(_policies, [{
        'name': 'qc_phrases',
        'value': DEFAULT_PHRASES,
        'updated_at': datetime(2026, 12, 6, tzinfo=UTC),
        'updated_by': 'system',
    }])


def downgrade() -> None:
    op.execute("DELETE FROM service_policies WHERE name = 'qc_phrases'")
    drop_indexes('recording_alerts', 'acknowledged_at', 'raised_at')
    op.drop_table('recording_alerts')
