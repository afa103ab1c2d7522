"""Ports of the callback package: what `CallbackService` needs from the outside world.

`store.repositories.WorkOrderRepository` satisfies `WorkOrderStore`;
`store.callback_repo_extras.CallbackLedgerRepository` satisfies `CallbackLedger`;
`store.follow_ups.FollowUpRepository` satisfies `FollowUpStore`;
`routing.calendar.HolidayCalendar` satisfies `WorkingCalendar`; `seats.models.Seat` satisfies
`CallbackSeat` (the work-order pages read the teams and seats through `core.access.TeamList` and
`SeatList`). The app composes a `SeatDirectory` from the seat repository and the live seat
board (callbacks may not import `seats`: siblings talk through ports).
All methods but `SeatDirectory.available_seats` are synchronous: the repositories are, and each
call is one short transaction; `CallbackService` makes them through `core.blocking.offload`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from callbacks.followup import FollowUp, FollowUpResult
from callbacks.models import EVERY_ORDER, MissedCall, OrderFilter, WorkOrder, WorkOrderStatus
from callbacks.retry import CallbackAttempt
from core.access import SeatLike
from core.ids import SeatId, TeamId, WorkOrderId


class WorkingCalendar(Protocol):
    """Mainland China's working days (weekends, public holidays, make-up working days)."""

    def is_working_day(self, d: date, /) -> bool: ...


class WorkOrderStore(Protocol):
    def record_miss(self, miss: MissedCall, new_order: WorkOrder) -> tuple[WorkOrder, bool]: ...

    def get(self, order_id: WorkOrderId) -> WorkOrder: ...

    def update(self, order: WorkOrder, *, expected_status: WorkOrderStatus | None = None) -> WorkOrder: ...

    def open_for_number(self, caller_number: str) -> WorkOrder | None: ...

    def calls_of(self, order_id: WorkOrderId) -> list[MissedCall]: ...

    def search(self, wanted: OrderFilter = EVERY_ORDER) -> list[WorkOrder]: ...


class FollowUpStore(Protocol):
    """回访 orders and the rated calls they are about (`store.follow_ups.FollowUpRepository`).

    `open` opens `order` with `follow_up` once per rated call (False: it was there, and the stored
    order is given back); `close` writes the closed order and the result in one transaction
    (`Conflict` when the order's status is no longer `expected_status`)."""

    def open(self, order: WorkOrder, follow_up: FollowUp) -> tuple[WorkOrder, bool]: ...

    def of_orders(self, order_ids: Sequence[WorkOrderId]) -> Mapping[WorkOrderId, FollowUp]: ...

    def close(
        self, order: WorkOrder, *, expected_status: WorkOrderStatus, result: FollowUpResult
    ) -> WorkOrder: ...


class CallbackLedger(Protocol):
    """Callback attempts and per-order marks (SLA alerts sent, required skill), kept durably.

    `start_attempt` and `add_mark` insert once (False when the key exists); `finish_attempt`
    finishes an attempt once (None when it is unknown or already finished). Those three make the
    service idempotent across replays and restarts.
    """

    def start_attempt(self, attempt: CallbackAttempt) -> bool: ...

    def finish_attempt(self, finished: CallbackAttempt) -> CallbackAttempt | None:
        """Writes `finished`'s outcome, finish time, counted, retry time and call id onto the
        stored attempt of its id, if that one is not finished yet; the stored attempt then."""
        ...

    def get_attempt(self, attempt_id: str) -> CallbackAttempt | None: ...

    def attempts_of(
        self, order_ids: Sequence[WorkOrderId]
    ) -> Mapping[WorkOrderId, list[CallbackAttempt]]: ...

    def unfinished_attempts(self) -> list[CallbackAttempt]: ...

    def add_mark(self, order_id: WorkOrderId, key: str, value: str, at: datetime) -> bool: ...

    def marks_of(self, order_ids: Sequence[WorkOrderId]) -> Mapping[WorkOrderId, Mapping[str, str]]: ...


class CallbackSeat(SeatLike, Protocol):
    """What the callback service needs to know about a seat (besides its id and team)."""

    @property
    def interface(self) -> str: ...

    @property
    def skills(self) -> tuple[str, ...]: ...


class SeatDirectory(Protocol):
    def seat(self, seat_id: SeatId) -> CallbackSeat | None: ...

    async def available_seats(self, team_id: TeamId) -> Sequence[CallbackSeat]:
        """Seats of the team that are logged in and free right now (for auto-assignment and retries).

        The one asynchronous port method: it joins the seat table (read on a worker thread) with
        the live seat board, which belongs to the event loop and is read there."""
        ...
