"""`SeatService`: a seat's own commands (log in, log out, pause, resume) as AMI actions.

Log in adds the seat's phone to every queue of its skills and team (`seats.membership`); pause and
resume act on all of its queues at once, with the reason code Asterisk keeps in `PausedReason`.
The service never changes seat state itself: the board moves when Asterisk confirms (the
QueueMember* events). A log-in that fails half-way removes the queues already added, so a seat is
never left in some queues and not others.

Each command Asterisk accepted is also written to the seat's durable presence record
(`seats.presence`), so that `SeatRestorer` can put the seat back after a PBX restart (`rejoin`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from core.blocking import offload
from core.clock import Clock, SystemClock
from core.errors import HotlineError, PbxActionFailed
from core.ids import SeatId
from core.ports import CallControl
from routing.queues import QueueRules
from seats.board import SeatBoard
from seats.membership import member_name, queues_for
from seats.models import Seat
from seats.ports import SeatDirectory, TeamDirectory
from seats.presence import InMemoryPresence, SeatPresence, SeatPresenceStore
from seats.state import ALLOWED, InvalidSeatTransition, PauseReason, SeatStatus

log = logging.getLogger(__name__)


class SeatService:
    def __init__(
        self,
        control: CallControl,
        seats: SeatDirectory,
        teams: TeamDirectory,
        rules: QueueRules,
        board: SeatBoard,
        *,
        presence: SeatPresenceStore | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._control = control
        self._seats = seats
        self._teams = teams
        self._rules = rules
        self._board = board
        self.presence: SeatPresenceStore = presence if presence is not None else InMemoryPresence()
        self._clock: Clock = clock or SystemClock()

    def _record(self, seat_id: SeatId, *, logged_in: bool, reason: PauseReason | None = None) -> None:
        try:
            self.presence.record(
                SeatPresence(
                    seat_id=seat_id,
                    logged_in=logged_in,
                    paused=reason is not None,
                    reason=reason,
                    at=self._clock.now(),
                )
            )
        except Exception:
            # The command took effect in Asterisk; a lost record only weakens a later restore.
            log.exception("could not record the presence of seat %s", seat_id)

    def queues_of(self, seat_id: SeatId) -> list[str]:
        """Blocking (the seat and team tables): from async code, call it through `offload`."""
        seat = self._seats.get(seat_id)
        return queues_for(seat, self._teams.get(seat.team_id), self._rules)

    def _check(self, seat_id: SeatId, to: SeatStatus) -> None:
        state = self._board.state(seat_id)
        if to not in ALLOWED[state.status]:
            raise InvalidSeatTransition(seat_id, state.status, to)

    async def _add_member(self, queue: str, seat: Seat, *, paused: bool) -> None:
        """Add the seat's phone to `queue` under the seat's name; the queue follows the phone's device
        state (`state_interface`), so a phone already in a call is not rung."""
        await self._control.queue_add(
            queue,
            seat.interface,
            member_name=member_name(seat),
            state_interface=seat.interface,
            paused=paused,
        )

    async def login(self, seat_id: SeatId, *, paused: bool = False) -> list[str]:
        self._check(seat_id, SeatStatus.PAUSED if paused else SeatStatus.AVAILABLE)
        seat = await offload(self._seats.get, seat_id)
        queues = await offload(self.queues_of, seat_id)
        added: list[str] = []
        try:
            for queue in queues:
                await self._add_member(queue, seat, paused=paused)
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
        await offload(self._record, seat_id, logged_in=True, reason=PauseReason.OTHER if paused else None)
        return queues

    async def logout(self, seat_id: SeatId) -> None:
        self._check(seat_id, SeatStatus.OFFLINE)
        seat = await offload(self._seats.get, seat_id)
        queues = sorted(self._board.queues.get(seat_id, set())) or await offload(self.queues_of, seat_id)
        # Recorded first: a logout that fails half-way must not be undone by a later restore.
        await offload(self._record, seat_id, logged_in=False)
        for queue in queues:
            await self._control.queue_remove(queue, seat.interface)

    async def pause(self, seat_id: SeatId, reason: PauseReason) -> None:
        self._check(seat_id, SeatStatus.PAUSED)
        seat = await offload(self._seats.get, seat_id)
        await self._control.queue_pause(seat.interface, paused=True, reason=reason.value)
        await offload(self._record, seat_id, logged_in=True, reason=reason)

    async def resume(self, seat_id: SeatId) -> None:
        self._check(seat_id, SeatStatus.AVAILABLE)
        seat = await offload(self._seats.get, seat_id)
        await self._control.queue_pause(seat.interface, paused=False)
        await offload(self._record, seat_id, logged_in=True)

    async def join_queue(self, seat_id: SeatId, queue: str, *, reason: PauseReason | None = None) -> None:
        """A logged-in seat into one more queue (a supervisor's move for the day, `seats.steer`):
        paused with `reason` when the seat is paused, so it is not rung there either. Not recorded
        in the presence record: the seat's next log-in (or a restore) serves its skills' queues."""
        seat = await offload(self._seats.get, seat_id)
        await self._add_member(queue, seat, paused=reason is not None)
        if reason is not None:
            await self._control.queue_pause(seat.interface, paused=True, queue=queue, reason=reason.value)

    async def leave_queue(self, seat_id: SeatId, queue: str) -> None:
        """A logged-in seat out of one of its queues (a supervisor's move for the day)."""
        seat = await offload(self._seats.get, seat_id)
        await self._control.queue_remove(queue, seat.interface)

    async def rejoin(self, seat_id: SeatId, queues: Sequence[str], presence: SeatPresence) -> None:
        """Put a logged-in seat back into `queues` the PBX lost (see `seats.presence`), paused
        with its recorded reason if it was paused. No state check: the seat may be mid-call or in
        wrap-up; Asterisk will not ring a busy device (`ringinuse = no`)."""
        seat = await offload(self._seats.get, seat_id)
        for queue in queues:
            try:
                await self._add_member(queue, seat, paused=presence.paused)
            except PbxActionFailed as exc:
                # "Unable to add interface: Already there": someone was quicker; that is the goal.
                if "already there" not in exc.message.lower():
                    raise
            if presence.paused and presence.reason is not None:
                # QueueAdd carries no reason; set it so the board and reports show why.
                await self._control.queue_pause(
                    seat.interface, paused=True, queue=queue, reason=presence.reason.value
                )
