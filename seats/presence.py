"""Who is logged in, in our own durable record, and putting seats back into Asterisk's queues.

Asterisk keeps dynamic queue members in memory (`persistentmembers = no` in our queues.conf), so
a PBX restart forgets every seat: they come back in no queue, and calls wait with nobody to ring.
The board follows the PBX and shows those seats offline once their call is over; what the seats
*meant* (logged in, paused with a reason) is kept here, written by `SeatService` on each command
the PBX accepted, and `SeatRestorer` re-establishes it.

When. The restorer runs after every AMI snapshot (`StateResynced`): that is how a PBX restart
shows (the AMI connection drops with it, and the new session's `QueueStatus` lacks the members we
believe logged in). A plain reconnect to a PBX that kept its members finds nothing missing and
sends nothing. Only the queues that are missing are added, each paused with the recorded reason
when the seat was paused, so a restore never touches a membership that survived.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.blocking import offload
from core.errors import HotlineError
from core.ids import SeatId
from seats.state import PauseReason

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatPresence:
    """A seat's intent as last commanded: logged in or not, paused (with reason) or not."""

    seat_id: SeatId
    logged_in: bool
    paused: bool = False
    reason: PauseReason | None = None
    at: datetime


class SeatPresenceStore(Protocol):
    """Durable record of `SeatPresence` (store.presence.SeatPresenceRepository)."""

    def record(self, presence: SeatPresence) -> None: ...

    def get(self, seat_id: SeatId) -> SeatPresence | None: ...

    def logged_in(self) -> list[SeatPresence]: ...


class InMemoryPresence:
    """`SeatPresenceStore` without a database (tests, and a runtime without the store)."""

    def __init__(self) -> None:
        self._by_seat: dict[SeatId, SeatPresence] = {}

    def record(self, presence: SeatPresence) -> None:
        self._by_seat[presence.seat_id] = presence

    def get(self, seat_id: SeatId) -> SeatPresence | None:
        return self._by_seat.get(seat_id)

    def logged_in(self) -> list[SeatPresence]:
        return [p for p in self._by_seat.values() if p.logged_in]


class Rejoiner(Protocol):
    """The part of `seats.service.SeatService` the restorer uses."""

    def queues_of(self, seat_id: SeatId) -> list[str]: ...

    async def rejoin(self, seat_id: SeatId, queues: Sequence[str], presence: SeatPresence) -> None: ...


@dataclass(frozen=True, slots=True)
class RestoreOutcome:
    restored: dict[SeatId, list[str]]  # seat -> queues added back
    failed: dict[SeatId, str]  # seat -> why it could not be restored


class SeatRestorer:
    def __init__(self, store: SeatPresenceStore, seats: Rejoiner) -> None:
        self._store = store
        self._seats = seats

    async def restore(self, pbx_queues: Mapping[SeatId, set[str]]) -> RestoreOutcome:
        """Add back, for every seat we believe logged in, the queues the PBX does not have it in.

        `pbx_queues`: the queues the PBX has each seat in now (the board's view after the
        snapshot). A seat that fails (unknown seat, PBX refusing) is reported and the others go on.
        """
        restored: dict[SeatId, list[str]] = {}
        failed: dict[SeatId, str] = {}
        for presence in sorted(await offload(self._store.logged_in), key=lambda p: p.seat_id):
            seat_id = presence.seat_id
            try:
                have = pbx_queues.get(seat_id, set())
                missing = [q for q in await offload(self._seats.queues_of, seat_id) if q not in have]
                if not missing:
                    continue
                await self._seats.rejoin(seat_id, missing, presence)
            except HotlineError as exc:
                failed[seat_id] = exc.message
                log.warning("seat %s could not be put back into its queues: %s", seat_id, exc.message)
                continue
            restored[seat_id] = missing
            log.info("seat %s put back into %d queues after the PBX lost them", seat_id, len(missing))
        return RestoreOutcome(restored, failed)
