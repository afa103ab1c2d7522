"""The seat board fed from the bus: the one place where the board learns of calls and time.

`BoardFeed` applies every event to the board and publishes the resulting seat changes; it hands
them to after-call work off the bus (the board must not wait for an AMI round trip), ticks the
wrap-up every second, and after each AMI snapshot (`StateResynced`) puts back into the queues the
seats the PBX lost (a PBX restart forgets dynamic members), one restore at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from core.blocking import offload
from core.bus import EventBus
from core.clock import Clock
from core.errors import HotlineError
from core.events import DomainEvent, StateResynced
from core.ids import SeatId
from core.ports import CallControl
from core.ticker import Ticker, cancel_and_wait
from routing.queues import QueueRules
from seats.after_call import AfterCallWork
from seats.board import SeatBoard
from seats.ports import SeatDirectory, TeamDirectory
from seats.presence import SeatPresenceStore, SeatRestorer
from seats.service import SeatService

log = logging.getLogger(__name__)


class BoardFeed:
    def __init__(self, bus: EventBus, board: SeatBoard, clock: Clock) -> None:
        self._bus = bus
        self._board = board
        self._clock = clock
        # Set once the AMI link is built (seats can then be logged in and paused).
        self.seat_service: SeatService | None = None
        self.after_call: AfterCallWork | None = None
        self._side_tasks: set[asyncio.Task[None]] = set()
        self._restoring: asyncio.Task[None] | None = None
        self._ticker = Ticker("wrap-up", 1.0, self._tick)

    def command_through(
        self,
        control: CallControl,
        seats: SeatDirectory,
        teams: TeamDirectory,
        rules: QueueRules,
        *,
        presence: SeatPresenceStore,
        after_call_work_s: float,
    ) -> SeatService:
        """The AMI link is built: seats can now be logged in and paused through `control`, their
        lost queue memberships restored after a PBX restart, and (`after_call_work_s` > 0) paused
        for after-call work when they hang up."""
        self.seat_service = SeatService(
            control, seats, teams, rules, self._board, presence=presence, clock=self._clock
        )
        # Always there: with `after_call_work_s` 0 it pauses nobody by itself, but a seat may
        # still extend its wrap-up through it (seats.wrap_up).
        self.after_call = AfterCallWork(
            control, seats, self._board, seconds=after_call_work_s, clock=self._clock
        )
        return self.seat_service

    async def start(self) -> None:
        self._bus.subscribe("seat-board", self._follow)
        await self._ticker.start()

    async def stop(self) -> None:
        await self._ticker.stop()

    async def stop_restoring(self) -> None:
        if self._restoring is not None:
            await cancel_and_wait(self._restoring)

    async def _follow(self, event: DomainEvent) -> None:
        changes = self._board.apply(event)
        # Noted before any await: a seat entering after-call work is held in wrap-up at once.
        pauses = [c.seat_id for c in changes if self.after_call is not None and self.after_call.note(c)]
        await self._bus.publish_all(list(changes))
        for seat_id in pauses:
            assert self.after_call is not None
            task = asyncio.create_task(self.after_call.pause(seat_id))
            self._side_tasks.add(task)
            task.add_done_callback(self._side_tasks.discard)
        if isinstance(event, StateResynced):
            # The board now holds the new snapshot's members: put back the seats the PBX lost.
            self._restore_seats()

    async def _tick(self) -> None:
        now = self._clock.now()
        if self.after_call is not None:
            await self.after_call.tick(now)
        await self._bus.publish_all(list(self._board.tick(now)))

    def _restore_seats(self) -> None:
        if self.seat_service is None:
            return
        if self._restoring is not None and not self._restoring.done():
            return
        restorer = SeatRestorer(self.seat_service.presence, self.seat_service)
        queues = {sid: set(qs) for sid, qs in self._board.queues.items()}

        async def run() -> None:
            outcome = await restorer.restore(queues)
            if outcome.restored or outcome.failed:
                log.warning(
                    "PBX lacked logged-in seats: %d put back, %d failed %s",
                    len(outcome.restored),
                    len(outcome.failed),
                    outcome.failed or "",
                )

        self._restoring = asyncio.create_task(run(), name="seat-restore")

    def log_in_on_first_link(self, seat_ids: Iterable[str]) -> None:
        """Demo only: log these seats in once the AMI link is up, so simulated calls get answered."""
        ids = [SeatId(s) for s in seat_ids]
        done = asyncio.Event()

        async def on_resync(event: DomainEvent) -> None:
            # The bridge publishes StateResynced after each login's snapshot: the link is up and
            # the board knows who is already in which queue.
            service = self.seat_service
            if done.is_set() or not isinstance(event, StateResynced) or service is None:
                return
            done.set()
            for sid in ids:
                recorded = await offload(service.presence.get, sid)
                if recorded is not None and recorded.logged_in:
                    continue  # logged in before this start: the seat restorer puts it back
                try:
                    await service.login(sid)
                except HotlineError as exc:
                    log.warning("demo seat %s could not log in: %s", sid, exc.message)

        self._bus.subscribe("demo-seats", on_resync, types=(StateResynced,))
