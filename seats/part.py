"""The seats as one part of the runtime: the board, read from the seat table at start and fed from
the bus (`BoardFeed`); once the AMI link is up, the seats' commands through it (log in, pause,
after-call work, the queues a PBX restart lost put back); in the demo, the seats' standing plan."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import KW_ONLY, dataclass, field
from typing import NamedTuple

from core.blocking import offload
from core.bus import EventBus
from core.clock import Clock
from core.events import DomainEvent
from core.ports import CallControl
from routing.queues import QueueRules
from seats.after_call import AfterCallWork
from seats.board import SeatBoard
from seats.feed import BoardFeed
from seats.ports import SeatRoster, TeamDirectory
from seats.presence import SeatPresenceStore
from seats.rota import ShiftStore, StandingRota
from seats.service import SeatService


class SeatStores(NamedTuple):
    """Where the seats' commands read the seats and teams and keep each seat's presence; the plans."""

    seats: SeatRoster
    teams: TeamDirectory
    presence: SeatPresenceStore
    shifts: ShiftStore


@dataclass(eq=False)
class SeatsPart:
    """`stores`: the database's (open by the time the part starts)."""

    bus: EventBus
    clock: Clock
    rules: QueueRules
    _: KW_ONLY
    stores: Callable[[], SeatStores]
    wrap_up_s: float
    after_call_work_s: float
    mirror: bool = False
    """A web process's board (app role `web`): it copies the telephony process's published moves
    (`SeatBoard.mirror`) instead of deciding them; no commands, no wrap-up clock, no restores."""
    board: SeatBoard | None = field(default=None, init=False)
    feed: BoardFeed | None = field(default=None, init=False)
    rota: StandingRota | None = field(default=None, init=False)

    async def start(self) -> None:
        self.board = SeatBoard(await offload(self.stores().seats.all), wrap_up_seconds=self.wrap_up_s)
        if self.mirror:
            board = self.board

            async def mirror(event: DomainEvent) -> None:
                board.mirror(event)

            self.bus.subscribe("seat-board-mirror", mirror)
            return
        self.feed = BoardFeed(self.bus, self.board, self.clock)
        await self.feed.start()

    async def stop(self) -> None:
        if self.rota is not None:
            await self.rota.stop()
        if self.feed is not None:
            await self.feed.stop()

    def command_through(self, control: CallControl) -> SeatService:
        """The AMI link is built: `BoardFeed.command_through`, with after-call work as set."""
        stores = self.stores()
        return self._started().command_through(
            control,
            stores.seats,
            stores.teams,
            self.rules,
            presence=stores.presence,
            after_call_work_s=self.after_call_work_s,
        )

    async def unlink(self) -> None:
        """The AMI link stops: no seat is put back into its queues any more."""
        if self.feed is not None:
            await self.feed.stop_restoring()

    async def staff_demo(self, seat_ids: Iterable[str]) -> None:
        """Demo only: the seats signed in on the first AMI link (`BoardFeed.log_in_on_first_link`)
        and planned on shift at any hour (`StandingRota`), so that the board's 排班 is its 在线."""
        ids = list(seat_ids)
        self._started().log_in_on_first_link(ids)
        stores = self.stores()
        self.rota = StandingRota(stores.shifts, stores.seats, ids, self.clock)
        await self.rota.start()

    @property
    def service(self) -> SeatService | None:
        """The seats' commands (None until the AMI link is built)."""
        return self.feed.seat_service if self.feed is not None else None

    @property
    def after_call(self) -> AfterCallWork | None:
        return self.feed.after_call if self.feed is not None else None

    def _started(self) -> BoardFeed:
        if self.feed is None:
            raise RuntimeError("seats not started")
        return self.feed
