"""How a work order is read from and written to its row, and how its readable number is drawn:
shared by the callback orders' repository and the follow-ups' (`store/follow_ups.py`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from callbacks.models import MissedCall, MissReason, WorkOrder, WorkOrderStatus, order_number
from core.clock import CHINA_TZ
from core.ids import SeatId, TeamId
from store.models import WorkOrderDayRow, WorkOrderRow
from store.rows import RowMapper, assign, optional, or_default, row_values

order_from_row = RowMapper(
    WorkOrder,
    reason=MissReason,
    status=WorkOrderStatus,
    team_id=optional(TeamId),
    owner_seat_id=optional(SeatId),
    order_no=or_default(""),
)
missed_call_from_row = RowMapper(MissedCall, reason=MissReason)


def apply_order(row: WorkOrderRow, order: WorkOrder) -> None:
    """Everything but the id and the readable number, which are the row's for good."""
    assign(row, row_values(order, skip=("id", "order_no")))


def draw_number(s: Session, created_at: datetime, reason: MissReason | None = None) -> str:
    """The next number of `created_at`'s China date, drawn in the caller's transaction: the
    row's update holds its lock until the order is committed, so two processes never draw the
    same number (a rolled-back order leaves a gap, never a repeat)."""
    day = created_at.astimezone(CHINA_TZ).date()
    key = f"{day:%Y%m%d}"
    upsert = sqlite_insert if s.get_bind().dialect.name == "sqlite" else pg_insert
    s.execute(upsert(WorkOrderDayRow).values(day=key, last=0).on_conflict_do_nothing())
    seq = s.execute(
        update(WorkOrderDayRow)
        .where(WorkOrderDayRow.day == key)
        .values(last=WorkOrderDayRow.last + 1)
        .returning(WorkOrderDayRow.last)
    ).scalar_one()
    return order_number(day, seq, reason)
