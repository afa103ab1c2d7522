"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

from store.migrations.ddl import (
    boolean, create_indexes, create_table, drop_indexes, floating, integer, json, serial_id, string,
    text, unique, utc,
)


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

_OPEN_NUMBER = dict(
    sqlite_where=sa.text("status IN ('pool', 'assigned')"),
    postgresql_where=sa.text("status IN ('pool', 'assigned')"),
)


def upgrade() -> None:
    create_table('audit_log',
    serial_id(),
    utc('at'),
    string('actor', 64, nullable=True),
    string('action', 80),
    string('target', 200),
    json('detail'),
    string('source_ip', 64),
    )
    create_indexes('audit_log', 'actor', 'at')

    create_table('call_events',
    serial_id(),
    string('call_id', 64),
    string('event_id', 120),
    string('event_type', 60),
    utc('at'),
    json('data'),
    uniques=[unique('event_id')],
    )
    create_indexes('call_events', 'call_id')

    create_table('calls',
    string('id', 64),
    string('caller_number', 40),
    string('dialed', 40),
    string('channel', 200),
    string('status', 20),
    string('district_code', 12, nullable=True),
    string('category', 40, nullable=True),
    string('queue', 80, nullable=True),
    string('office_id', 64, nullable=True),
    string('seat_id', 64, nullable=True),
    json('ivr_path'),
    utc('offered_at'),
    utc('answered_at', nullable=True),
    utc('ended_at', nullable=True),
    floating('wait_seconds', nullable=True),
    floating('talk_seconds', nullable=True),
    string('hung_up_by', 20, nullable=True),
    )
    create_indexes('calls', 'caller_number', 'offered_at', 'seat_id')

    create_table('offices',
    string('id', 64),
    string('name', 200),
    string('level', 20),
    string('parent_id', 64, nullable=True),
    string('admin_code', 20, nullable=True),
    string('district_code', 12),
    string('street_code', 20, nullable=True),
    string('address', 300),
    string('phone', 40),
    string('opening_hours', 200),
    floating('lat', nullable=True),
    floating('lon', nullable=True),
    string('team_id', 64, nullable=True),
    )
    create_indexes('offices', 'admin_code', 'district_code', 'parent_id')

    create_table('survey_answers',
    string('call_id', 64),
    string('seat_id', 64, nullable=True),
    integer('score'),
    utc('at'),
    key=['call_id'],
    )
    create_indexes('survey_answers', 'at', 'seat_id')

    create_table('teams',
    string('id', 64),
    string('name', 200),
    string('kind', 20),
    string('district_code', 12, nullable=True),
    )
    create_table('transcripts',
    serial_id(),
    string('call_id', 64),
    string('leg', 20),
    integer('seq'),
    text('text'),
    floating('start_s'),
    floating('end_s'),
    boolean('final'),
    utc('at'),
    uniques=[unique('call_id', 'leg', 'seq', name='uq_transcripts_segment')],
    )
    create_indexes('transcripts', 'call_id')

    create_table('work_orders',
    string('id', 64),
    string('caller_number', 40),
    string('reason', 20),
    string('status', 30),
    string('team_id', 64, nullable=True),
    string('owner_seat_id', 64, nullable=True),
    utc('created_at'),
    utc('deadline'),
    integer('attempts'),
    integer('misses'),
    utc('closed_at', nullable=True),
    text('outcome_note'),
    )
    create_indexes('work_orders', 'caller_number', 'owner_seat_id', 'status', 'team_id')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.create_index('uq_work_orders_open_number', ['caller_number'], unique=True, **_OPEN_NUMBER)

    create_table('seats',
    string('id', 64),
    string('name', 200),
    string('kind', 20),
    string('team_id', 64),
    string('interface', 100),
    json('skills'),
    boolean('active'),
    references=[('team_id', 'teams.id')],
    uniques=[unique('interface')],
    )
    create_indexes('seats', 'team_id')

    create_table('work_order_calls',
    string('call_id', 64),
    string('order_id', 64),
    string('reason', 20),
    utc('at'),
    key=['call_id'],
    references=[('order_id', 'work_orders.id')],
    )
    create_indexes('work_order_calls', 'order_id')

    create_table('users',
    string('id', 64),
    string('username', 100),
    string('display_name', 200),
    string('role', 20),
    string('password_hash', 300),
    string('seat_id', 64, nullable=True),
    string('scope_team_id', 64, nullable=True),
    string('scope_district_code', 12, nullable=True),
    boolean('active'),
    references=[('scope_team_id', 'teams.id'), ('seat_id', 'seats.id')],
    uniques=[unique('username')],
    )


def downgrade() -> None:
    op.drop_table('users')
    drop_indexes('work_order_calls', 'order_id')
    op.drop_table('work_order_calls')
    drop_indexes('seats', 'team_id')
    op.drop_table('seats')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_index('uq_work_orders_open_number', **_OPEN_NUMBER)
    drop_indexes('work_orders', 'team_id', 'status', 'owner_seat_id', 'caller_number')
    op.drop_table('work_orders')
    drop_indexes('transcripts', 'call_id')
    op.drop_table('transcripts')
    op.drop_table('teams')
    drop_indexes('survey_answers', 'seat_id', 'at')
    op.drop_table('survey_answers')
    drop_indexes('offices', 'parent_id', 'district_code', 'admin_code')
    op.drop_table('offices')
    drop_indexes('calls', 'seat_id', 'offered_at', 'caller_number')
    op.drop_table('calls')
    drop_indexes('call_events', 'call_id')
    op.drop_table('call_events')
    drop_indexes('audit_log', 'at', 'actor')
    op.drop_table('audit_log')
