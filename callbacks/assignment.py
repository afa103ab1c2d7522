"""Who handles a work order. Pure: each function returns the new order and the fact to publish.

Orders start in their team's pool. A seat claims one (first come: the store's status check turns
a late claim into `OrderAlreadyClaimed`); an order still unclaimed `auto_assign_after` its
creation goes to the free seat of that team with the right skill and the fewest open orders;
supervisors reassign an order or release it back to the pool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from callbacks.errors import OrderAlreadyClaimed, OrderClosed, OrderNotAssigned, SeatNotEligible
from callbacks.events import WorkOrderAssigned, WorkOrderClaimed, WorkOrderReleased
from callbacks.models import WorkOrder, WorkOrderStatus
from callbacks.policy import CITYWIDE_TEAM
from callbacks.ports import CallbackSeat
from core.ids import SeatId, TeamId

AUTO = "auto"


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignmentConfig:
    auto_assign_after: timedelta = timedelta(minutes=10)
    # When no free seat has the order's skill, give it to a free seat without it rather than wait.
    skill_fallback: bool = True


def _require_open(order: WorkOrder) -> None:
    if not order.status.is_open:
        raise OrderClosed("工单已结案", order_id=order.id, status=order.status.value)


def seat_pools(seat_team: TeamId) -> tuple[TeamId, TeamId]:
    """The pools a seat of `seat_team` lists and claims from: its team's and the city-wide one
    (misses with no district, served by every seat)."""
    return seat_team, CITYWIDE_TEAM


def serves(seat_team: TeamId, order_team: TeamId | None) -> bool:
    """Whether a seat of `seat_team` may take an order of `order_team` (no team: anyone's)."""
    return order_team is None or order_team in seat_pools(seat_team)


def _require_team(order: WorkOrder, seat: CallbackSeat) -> None:
    if not serves(seat.team_id, order.team_id):
        raise SeatNotEligible("该坐席不属于工单所在团队", order_id=order.id, seat_id=seat.id)


def claim(order: WorkOrder, seat: CallbackSeat, at: datetime) -> tuple[WorkOrder, WorkOrderClaimed]:
    """A seat takes a pooled order of its own team."""
    _require_open(order)
    if order.status is not WorkOrderStatus.POOL:
        raise OrderAlreadyClaimed("工单已被其他坐席领取", order_id=order.id)
    _require_team(order, seat)
    taken = replace(order, status=WorkOrderStatus.ASSIGNED, owner_seat_id=seat.id)
    return taken, WorkOrderClaimed(at=at, order_id=order.id, team_id=order.team_id, seat_id=seat.id)


def assign(
    order: WorkOrder, seat: CallbackSeat, at: datetime, *, by: str, any_team: bool = False
) -> tuple[WorkOrder, WorkOrderAssigned]:
    """Give the order to `seat` (auto-assignment, or a supervisor's reassignment).

    `any_team`: a supervisor may move an order to another team's seat; the order follows the seat.
    """
    _require_open(order)
    if not any_team:
        _require_team(order, seat)
    moved = replace(order, status=WorkOrderStatus.ASSIGNED, owner_seat_id=seat.id, team_id=seat.team_id)
    return moved, WorkOrderAssigned(
        at=at,
        order_id=order.id,
        team_id=moved.team_id,
        seat_id=seat.id,
        by=by,
        previous_seat_id=order.owner_seat_id,
    )


def release(order: WorkOrder, at: datetime, *, by: str) -> tuple[WorkOrder, WorkOrderReleased]:
    """Back to the team pool."""
    _require_open(order)
    if order.status is not WorkOrderStatus.ASSIGNED:
        raise OrderNotAssigned("工单在待领取池中，无需退回", order_id=order.id)
    pooled = replace(order, status=WorkOrderStatus.POOL, owner_seat_id=None)
    return pooled, WorkOrderReleased(
        at=at, order_id=order.id, team_id=order.team_id, seat_id=order.owner_seat_id, by=by
    )


def due_for_auto_assign(order: WorkOrder, now: datetime, config: AssignmentConfig) -> bool:
    return order.status is WorkOrderStatus.POOL and now - order.created_at >= config.auto_assign_after


def open_counts(orders: Sequence[WorkOrder]) -> dict[SeatId, int]:
    counts: dict[SeatId, int] = {}
    for order in orders:
        if order.status.is_open and order.owner_seat_id is not None:
            counts[order.owner_seat_id] = counts.get(order.owner_seat_id, 0) + 1
    return counts


def pick_seat(
    candidates: Sequence[CallbackSeat],
    counts: Mapping[SeatId, int],
    skill: str | None,
    config: AssignmentConfig = AssignmentConfig(),
) -> CallbackSeat | None:
    """The free seat with the skill and the fewest open orders (ties: the lowest seat id)."""
    pool = list(candidates)
    if skill:
        skilled = [s for s in pool if skill in s.skills]
        pool = skilled if skilled or not config.skill_fallback else pool
    if not pool:
        return None
    return min(pool, key=lambda s: (counts.get(s.id, 0), s.id))
