"""`FollowUpRepository`: 回访 orders and the rated calls they are about (`callbacks.ports.FollowUpStore`),
and the follow-ups of a period for the reports (`stats.ports.FollowUpHistory`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from callbacks.followup import FollowUp, FollowUpResult, Rating
from callbacks.models import WorkOrder, WorkOrderStatus
from core.errors import Conflict, NotFound
from core.ids import CallId, SeatId, TeamId, WorkOrderId
from stats.models import FollowUpFigure, Satisfaction
from store.models import FollowUpRow, WorkOrderRow
from store.rows import Repo, chunks
from store.work_order_rows import apply_order, draw_number, order_from_row


def _from_row(row: FollowUpRow) -> FollowUp:
    result = None
    if row.reached is not None:
        result = FollowUpResult(
            reached=row.reached,
            resolved=row.resolved,
            satisfaction=Rating(row.satisfaction) if row.satisfaction else None,
            note=row.note or "",
            by=row.done_by or "",
            at=row.done_at,
        )
    return FollowUp(
        order_id=WorkOrderId(row.order_id),
        call_id=CallId(row.call_id),
        rated_seat_id=SeatId(row.rated_seat_id) if row.rated_seat_id else None,
        rating=Rating(row.rating),
        rated_at=row.rated_at,
        team_id=TeamId(row.team_id) if row.team_id else None,
        category=row.category,
        district_code=row.district_code,
        result=result,
    )


_SCORES = {r: Satisfaction[r.name.replace("BASICALLY", "FAIRLY")] for r in Rating}


class FollowUpRepository(Repo):
    def open(self, order: WorkOrder, follow_up: FollowUp) -> tuple[WorkOrder, bool]:
        """Open `order` for the rated call, once: a call with a follow-up gives its order back."""
        try:
            return self._open(order, follow_up)
        except IntegrityError:
            return self._open(order, follow_up)  # another worker opened it between read and insert

    def _open(self, order: WorkOrder, follow_up: FollowUp) -> tuple[WorkOrder, bool]:
        with self._db.session() as s:
            known = s.scalar(select(FollowUpRow).where(FollowUpRow.call_id == follow_up.call_id))
            if known is not None:
                return order_from_row(s.get_one(WorkOrderRow, known.order_id)), False
            row = WorkOrderRow(id=order.id, order_no=draw_number(s, order.created_at, order.reason))
            apply_order(row, order)
            s.add(row)
            s.flush()
            s.add(
                FollowUpRow(
                    order_id=order.id,
                    call_id=follow_up.call_id,
                    rated_seat_id=follow_up.rated_seat_id,
                    rating=follow_up.rating.value,
                    rated_at=follow_up.rated_at,
                    team_id=follow_up.team_id,
                    category=follow_up.category,
                    district_code=follow_up.district_code,
                    note="",
                    done_by="",
                )
            )
            return order_from_row(row), True

    def of_orders(self, order_ids: Sequence[WorkOrderId]) -> Mapping[WorkOrderId, FollowUp]:
        found: dict[WorkOrderId, FollowUp] = {}
        for part in chunks(order_ids):
            for f in self._list(select(FollowUpRow).where(FollowUpRow.order_id.in_(list(part))), _from_row):
                found[f.order_id] = f
        return found

    def close(
        self, order: WorkOrder, *, expected_status: WorkOrderStatus, result: FollowUpResult
    ) -> WorkOrder:
        with self._db.session() as s:
            row = s.get(WorkOrderRow, order.id, with_for_update=True)
            follow = s.get(FollowUpRow, order.id)
            if row is None or follow is None:
                raise NotFound("回访工单不存在", order_id=order.id)
            if row.status != expected_status.value:
                raise Conflict("工单状态已变化", order_id=order.id, status=row.status)
            apply_order(row, order)
            follow.reached = result.reached
            follow.resolved = result.resolved
            follow.satisfaction = result.satisfaction.value if result.satisfaction else None
            follow.note = result.note
            follow.done_by = result.by[:64]
            follow.done_at = result.at or order.closed_at
            return replace(order)

    def between(self, start: datetime, end: datetime) -> list[FollowUpFigure]:
        """The follow-ups of the ratings given in [start, end), as the reports count them."""
        q = select(FollowUpRow).where(FollowUpRow.rated_at >= start, FollowUpRow.rated_at < end)
        return [
            FollowUpFigure(
                call_id=f.call_id,
                seat_id=f.rated_seat_id,
                team_id=f.team_id,
                done=f.done,
                reached=f.result is not None and f.result.reached,
                after=_SCORES[f.result.satisfaction] if f.result and f.result.satisfaction else None,
            )
            for f in self._list(q, _from_row)
        ]
