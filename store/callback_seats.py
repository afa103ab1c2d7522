"""`CallbackSeats`: callbacks.ports.SeatDirectory over the seat table and the live seat board."""

from __future__ import annotations

from collections.abc import Sequence

from callbacks.policy import CITYWIDE_TEAM
from callbacks.ports import CallbackSeat
from core.blocking import offload
from core.ids import SeatId, TeamId
from core.seat_events import SeatStatus
from seats.board import SeatBoard
from store.repositories import Repositories


class CallbackSeats:
    """callbacks.ports.SeatDirectory over the seat table and the live board."""

    def __init__(self, repos: Repositories, board: SeatBoard) -> None:
        self._repos = repos
        self._board = board

    def seat(self, seat_id: SeatId) -> CallbackSeat | None:
        try:
            return self._repos.seats.get(seat_id)
        except Exception:
            return None

    async def available_seats(self, team_id: TeamId) -> Sequence[CallbackSeat]:
        # Orders of the city-wide pool may go to any available seat. The seat table is read on a
        # worker thread; the board (the event loop's) is read here, on the loop.
        seats = self._repos.seats
        candidates = await (
            offload(seats.all) if team_id == CITYWIDE_TEAM else offload(seats.by_team, team_id)
        )
        return [
            s
            for s in candidates
            if s.id in self._board.states and self._board.state(s.id).status is SeatStatus.AVAILABLE
        ]
