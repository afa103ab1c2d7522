"""knowledge base (知识库): law articles, Q&A entries and typical cases, and every change of an entry

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.migrations.ddl import create_indexes, create_table, drop_indexes, integer, json, serial_id, string, text, utc


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('knowledge_changes',
    serial_id(),
    string('entry_id', 64),
    integer('version'),
    string('action', 20),
    string('state', 20),
    string('title', 200),
    text('answer'),
    string('by', 64),
    utc('at'),
    text('note'),
    )
    create_indexes('knowledge_changes', 'entry_id')
    create_table('knowledge_entries',
    string('id', 64),
    string('kind', 10),
    string('title', 200),
    text('question'),
    text('answer'),
    string('category', 40),
    json('citations'),
    string('state', 20),
    string('author', 64),
    integer('version'),
    utc('updated_at'),
    string('updated_by', 64),
    )
    create_indexes('knowledge_entries', 'category', 'state')
    create_table('law_articles',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    string('law_id', 40),
    string('law', 200),
    string('chapter', 200),
    integer('number'),
    text('text'),
    string('status', 20),
    text('terms'),
    )
    with op.batch_alter_table('law_articles', schema=None) as batch_op:
        batch_op.create_index('ix_law_articles_law_number', ['law', 'number'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('law_articles', schema=None) as batch_op:
        batch_op.drop_index('ix_law_articles_law_number')
    op.drop_table('law_articles')
    drop_indexes('knowledge_entries', 'category', 'state')
    op.drop_table('knowledge_entries')
    drop_indexes('knowledge_changes', 'entry_id')
    op.drop_table('knowledge_changes')
