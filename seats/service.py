"""`SeatService`: a seat's own commands (log in, log out, pause, resume) as AMI actions.

Log in adds the seat's phone to every queue of its skills and team (`seats.membership`); pause and
resume act on all of its queues at once, with the reason code Asterisk keeps in `PausedReason`.
The service never changes seat state itself: the board moves when Asterisk confirms (the
QueueMember* events). A log-in that fails half-way removes the queues already added, so a seat is
never left in some queues and not others.
"""

from __future__ import annotations

import logging
from typing import Protocol

from core.errors import HotlineError
from core.ids import SeatId, TeamId
from core.ports import CallControl
from routing.queues import QueueRules
from seats.board import SeatBoard
from seats.membership import member_name, queues_for
from seats.models import Seat, Team
from seats.state import ALLOWED, InvalidSeatTransition, PauseReason, SeatStatus

log = logging.getLogger(__name__)


class SeatDirectory(Protocol):
    def get(self, seat_id: SeatId) -> Seat: ...


class TeamDirectory(Protocol):
    def get(self, team_id: TeamId) -> Team: ...


class SeatService:
    def __init__(
        self,
        control: CallControl,
        seats: SeatDirectory,
        teams: TeamDirectory,
        rules: QueueRules,
        board: SeatBoard,
    ) -> None:
        self._control = control
        self._seats = seats
        self._teams = teams
        self._rules = rules
        self._board = board

    def queues_of(self, seat_id: SeatId) -> list[str]:
        seat = self._seats.get(seat_id)
        return queues_for(seat, self._teams.get(seat.team_id), self._rules)

    def _check(self, seat_id: SeatId, to: SeatStatus) -> None:
        state = self._board.state(seat_id)
        if to not in ALLOWED[state.status]:
            raise InvalidSeatTransition(seat_id, state.status, to)

    async def login(self, seat_id: SeatId, *, paused: bool = False) -> list[str]:
        self._check(seat_id, SeatStatus.PAUSED if paused else SeatStatus.AVAILABLE)
        seat = self._seats.get(seat_id)
        queues = self.queues_of(seat_id)
        added: list[str] = []
        try:
            for queue in queues:
                await self._control.queue_add(
                    queue,
                    seat.interface,
                    member_name=member_name(seat),
                    state_interface=seat.interface,
                    paused=paused,
                )
                added.append(queue)
        except HotlineError:
            log.warning(
                "login of seat %s failed after %d of %d queues; rolling back",
                seat_id,
                len(added),
                len(queues),
            )
            for queue in added:
                try:
                    await self._control.queue_remove(queue, seat.interface)
                except HotlineError:
                    log.exception("rollback: could not remove %s from %s", seat.interface, queue)
            raise
        return queues

    async def logout(self, seat_id: SeatId) -> None:
        self._check(seat_id, SeatStatus.OFFLINE)
        seat = self._seats.get(seat_id)
        queues = sorted(self._board.queues.get(seat_id, set())) or self.queues_of(seat_id)
        for queue in queues:
            await self._control.queue_remove(queue, seat.interface)

    async def pause(self, seat_id: SeatId, reason: PauseReason) -> None:
        self._check(seat_id, SeatStatus.PAUSED)
        seat = self._seats.get(seat_id)
        await self._control.queue_pause(seat.interface, paused=True, reason=reason.value)

    async def resume(self, seat_id: SeatId) -> None:
        self._check(seat_id, SeatStatus.AVAILABLE)
        seat = self._seats.get(seat_id)
        await self._control.queue_pause(seat.interface, paused=False)
