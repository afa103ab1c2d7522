"""Errors of the callback work orders; each says what went wrong, in Chinese for people."""

from __future__ import annotations

from core.errors import Conflict, PermissionDenied


class OrderAlreadyClaimed(Conflict):
    """Someone claimed (or was assigned) the order first."""

    error_id = "work_order.already_claimed"


class OrderClosed(Conflict):
    """The order is already closed: nothing more can be done with it."""

    error_id = "work_order.closed"


class OrderNotAssigned(Conflict):
    """The order is in the pool; it must be claimed or assigned first."""

    error_id = "work_order.not_assigned"


class CallbackInProgress(Conflict):
    """A callback attempt for this order is still ringing or talking."""

    error_id = "work_order.callback_in_progress"


class NotOrderOwner(PermissionDenied):
    """A seat tried to act on an order that belongs to another seat."""

    error_id = "work_order.not_owner"


class SeatNotEligible(PermissionDenied):
    """The seat may not take this order (another team, or the seat is unknown)."""

    error_id = "work_order.seat_not_eligible"


class RatedSeatExcluded(SeatNotEligible):
    """回访: the seat the caller rated 不满意 may not handle the follow-up of that call."""

    error_id = "work_order.rated_seat"
