"""work-order numbers people can read out (HB + China date + the day's sequence)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

from store.migrations.ddl import create_table, integer, string

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_CHINA = timezone(timedelta(hours=8))


def upgrade() -> None:
    create_table('work_order_days', string('day', 8), integer('last'), key=['day'])
    op.add_column('work_orders', string('order_no', 20, nullable=True))
    # The orders held already: numbered by their China date, in the order they were opened.
    conn = op.get_bind()
    orders = sa.table('work_orders', sa.column('id', sa.String), sa.column('created_at', sa.DateTime),
                      sa.column('order_no', sa.String))
    days = sa.table('work_order_days', sa.column('day', sa.String), sa.column('last', sa.Integer))
    last: dict[str, int] = {}
    rows = conn.execute(sa.select(orders.c.id, orders.c.created_at).order_by(orders.c.created_at, orders.c.id))
    for order_id, created_at in rows.all():
        if isinstance(created_at, str):  # SQLite without the model's type: its text
            created_at = datetime.fromisoformat(created_at)
        at = created_at if created_at.tzinfo is not None else created_at.replace(tzinfo=UTC)
        day = f"{at.astimezone(_CHINA):%Y%m%d}"
        last[day] = last.get(day, 0) + 1
        conn.execute(
            orders.update().where(orders.c.id == order_id).values(order_no=f"HB{day}-{last[day]:04d}")
        )
    if last:
        conn.execute(days.insert(), [{'day': d, 'last': n} for d, n in sorted(last.items())])
    op.create_index(op.f('ix_work_orders_order_no'), 'work_orders', ['order_no'], unique=True)


def downgrade() -> None:
    op.drop_index(op.f('ix_work_orders_order_no'), table_name='work_orders')
    op.drop_column('work_orders', 'order_no')
    op.drop_table('work_order_days')
