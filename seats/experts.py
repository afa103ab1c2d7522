"""Expert seats (专家坐席): which one "任一空闲专家" (any free expert) reaches.

An expert seat is any seat flagged `Seat.expert`, of whatever kind (a lawyer, a notary ...). The
seat console lists the experts apart among its transfer, 咨询转接 and 三方通话 targets and offers
"任一空闲专家": the server then picks the expert seat that has been free longest, as app_queue's
`leastrecent` strategy would ring it, and dials it as it dials any seat chosen by its id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from core.ids import SeatId
from core.seat_events import SeatStatus
from seats.models import Seat
from seats.state import SeatState

_NEVER = datetime.min.replace(tzinfo=UTC)


def free_expert(seats: Iterable[Seat], states: Mapping[SeatId, SeatState], *, besides: SeatId) -> Seat | None:
    """Of the active expert seats other than `besides` that are available now (signed in, and
    neither ringing, talking, wrapping up nor paused), the one available longest (by seat id
    between equals); None when there is none. A seat missing from `states` is not signed in."""
    free = [
        (st.since or _NEVER, seat.id, seat)
        for seat in seats
        if seat.expert and seat.active and seat.id != besides
        for st in (states.get(seat.id),)
        if st is not None and st.status is SeatStatus.AVAILABLE
    ]
    return min(free, key=lambda f: f[:2])[2] if free else None
