"""`SeatBoard`: the live state of every seat, driven only by facts from the PBX.

The board is the single writer of seat state. Commands (login, pause...) go to Asterisk through
`SeatService`; the resulting AMI events come back through the tracker as `SeatJoinedQueue`,
`SeatPaused`, `SeatRinging`, `CallAnswered`, `CallEnded`... and only then does the board move the
seat. When a fact contradicts the state machine (say a ring while paused, from a callback, or a
state missed during an AMI outage), the fact wins: the board follows Asterisk and still emits the
`SeatStateChanged`, flagged in the log. Wrap-up ends after `wrap_up_seconds` on `tick(now)`.

What the PBX says about the member is kept beside the seat's state: the queues it is in and
whether it is paused (Asterisk pauses a member in the middle of a call too). When a call or a
wrap-up ends, the seat goes to what Asterisk would do with it: available only if it is in at least
one queue and not paused, paused with the member's reason, or offline when Asterisk has it in no
queue (after a PBX restart, until `seats.presence.SeatRestorer` puts it back).

Talking ends when the seat's own leg ends, which app_queue reports as the member's device going
back to "not in use" (QueueMemberStatus Status 1, just after AgentComplete), not when the
caller's channel hangs up: after the seat hangs up the caller may still be in the satisfaction
survey, and app_queue's `wrapuptime` has already started. The wrap-up then lasts
`wrap_up_seconds`, which the runtime sets to the queues' `wrapuptime` (one setting), so the
console never shows busy a seat Asterisk may offer a call to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from core.access import Principal, Scope
from core.blocking import offload
from core.call_events import (
    CallAnswered,
    CallbackLeg,
    CallbackLegOutcome,
    CallbackOriginated,
    CallbackOutcome,
    CallEnded,
    CallTransferred,
    SeatDeviceStatus,
    SeatDeviceStatusChanged,
    SeatJoinedQueue,
    SeatLeftQueue,
    SeatPaused,
    SeatResumed,
    SeatRinging,
    SeatRingNoAnswer,
    TransferStatus,
)
from core.errors import NotFound, PermissionDenied
from core.events import DomainEvent
from core.ids import SeatId
from seats.models import Seat
from seats.state import (
    InvalidSeatTransition,
    PauseReason,
    SeatState,
    SeatStateChanged,
    SeatStatus,
    transition,
)

log = logging.getLogger(__name__)
S = SeatStatus
# Member device states after which the seat's leg of a call is over.
_LEG_ENDED = frozenset({SeatDeviceStatus.NOT_IN_USE, SeatDeviceStatus.UNAVAILABLE, SeatDeviceStatus.INVALID})
# The PBX facts about a seat's queue membership and its pause there.
_MEMBERSHIP = (SeatJoinedQueue, SeatLeftQueue, SeatPaused, SeatResumed)
# The PBX facts that move a seat (each carries `seat_id`; on some it may be None).
_SEAT_FACTS = (
    SeatJoinedQueue,
    SeatLeftQueue,
    SeatPaused,
    SeatResumed,
    SeatRinging,
    CallbackOriginated,
    SeatRingNoAnswer,
    CallAnswered,
    CallbackLegOutcome,
    CallTransferred,
    CallEnded,
    SeatDeviceStatusChanged,
)


def pause_reason_of(text: str) -> PauseReason:
    """AMI's PausedReason back to ours: we send the code, people may type the Chinese label."""
    for reason in PauseReason:
        if text in (reason.value, reason.label):
            return reason
    return PauseReason.OTHER


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatSnapshot:
    """One seat as a board holds it, for another process's board to start from
    (`SeatBoard.snapshot` / `restore`): its state, and what the PBX says of its membership."""

    seat_id: SeatId
    status: SeatStatus
    since: datetime | None
    pause_reason: PauseReason | None
    call_id: str | None
    queues: tuple[str, ...]  # sorted
    member_paused: PauseReason | None


class SeatBoard:
    def __init__(self, seats: Iterable[Seat], *, wrap_up_seconds: float = 30.0) -> None:
        self._seats = {s.id: s for s in seats}
        self.states: dict[SeatId, SeatState] = {
            s.id: SeatState(seat_id=s.id, team_id=s.team_id) for s in self._seats.values()
        }
        self.queues: dict[SeatId, set[str]] = {s.id: set() for s in self._seats.values()}
        self._members: dict[str, set[SeatId]] = {}  # queue -> its members (the index of `queues`)
        # The member's pause in Asterisk (None: not paused), kept even while the seat talks.
        self.member_paused: dict[SeatId, PauseReason | None] = {s.id: None for s in self._seats.values()}
        # Seats whose after-call pause is asked of the PBX but not confirmed yet (seats.after_call):
        # their wrap-up must not end meanwhile, however long the AMI round trip takes.
        self.after_call_pending: set[SeatId] = set()
        self.wrap_up = timedelta(seconds=wrap_up_seconds)

    def state(self, seat_id: SeatId) -> SeatState:
        return self.states[seat_id]

    def serving(self, queue: str) -> int:
        """The queue's members not offline now: O(the queue's members), not O(every seat)."""
        return sum(1 for s in self._members.get(queue, ()) if self.states[s].status is not S.OFFLINE)

    def add_seat(self, seat: Seat) -> None:
        if seat.id not in self._seats:
            self._seats[seat.id] = seat
            self.states[seat.id] = SeatState(seat_id=seat.id, team_id=seat.team_id)
            self.queues[seat.id] = set()
            self.member_paused[seat.id] = None

    def apply(self, event: DomainEvent) -> list[SeatStateChanged]:
        seat_id = event.seat_id if isinstance(event, _SEAT_FACTS) else None
        if seat_id is None or seat_id not in self.states:
            return []
        at = event.at
        cur = self.states[seat_id]
        self._keep_membership(seat_id, event)
        if isinstance(event, SeatJoinedQueue):
            if cur.status is S.OFFLINE:
                return self._idle(seat_id, at)
            return []
        if isinstance(event, SeatLeftQueue):
            # A seat busy with a call keeps it (a PBX restart mid-call removes every member); it
            # goes offline when the call and its wrap-up are over (see `_idle`).
            if not self.queues[seat_id] and cur.status in (S.AVAILABLE, S.PAUSED):
                return self._move(seat_id, S.OFFLINE, at)
            return []
        if isinstance(event, SeatPaused):
            reason = pause_reason_of(event.reason)
            if cur.status is S.PAUSED and cur.pause_reason is reason:
                return []  # one event per queue: the first one moved the seat already
            if cur.status in (S.RINGING, S.TALKING, S.OFFLINE):
                # Still ringing or talking: app_queue does not take back a call it is offering
                # when the member is paused (an after-call pause can land just after the next
                # offer); the pause shows when that call is over or rings out.
                return []
            if cur.status is S.WRAP_UP and reason is PauseReason.AFTER_CALL:
                return []  # after-call work (seats.after_call): still wrap-up, kept until resumed
            return self._move(seat_id, S.PAUSED, at, reason=reason)
        if isinstance(event, SeatResumed):
            if cur.status is S.PAUSED:
                return self._idle(seat_id, at)
            if cur.status is S.WRAP_UP and cur.since is not None and at - cur.since >= self.wrap_up:
                return self._idle(seat_id, at)  # after-call work over, and so is the wrap-up
            return []
        if isinstance(event, SeatDeviceStatusChanged):
            if cur.status is S.TALKING and event.status in _LEG_ENDED and not event.in_call:
                # The seat's leg is over (it or the caller hung up); the caller may stay on for the
                # survey, but app_queue's wrap-up has started.
                return self._move(seat_id, S.WRAP_UP, at)
            return []
        if isinstance(event, SeatRinging | CallbackOriginated):
            return self._move(seat_id, S.RINGING, at, call_id=str(event.call_id))
        if isinstance(event, SeatRingNoAnswer):
            return self._idle(seat_id, at) if cur.status is S.RINGING else []
        if isinstance(event, CallAnswered):
            return self._move(seat_id, S.TALKING, at, call_id=str(event.call_id))
        if isinstance(event, CallbackLegOutcome) and event.leg is CallbackLeg.SEAT:
            if event.outcome is CallbackOutcome.ANSWERED:
                return self._move(seat_id, S.TALKING, at, call_id=str(event.call_id))
            return self._idle(seat_id, at) if cur.status is S.RINGING else []
        if isinstance(event, CallTransferred) and event.status is TransferStatus.FAILED:
            return []  # the phone's transfer failed: the seat still has the caller
        if isinstance(event, CallEnded | CallTransferred):
            if cur.status is S.TALKING and cur.call_id == str(event.call_id):
                return self._move(seat_id, S.WRAP_UP, at)
            if cur.status is S.RINGING and cur.call_id == str(event.call_id):
                return self._idle(seat_id, at)
        return []

    def _keep_membership(self, seat_id: SeatId, event: DomainEvent) -> None:
        """The member's queues and pause as Asterisk holds them; no seat moves here (`apply`
        decides those, `mirror` takes them as published)."""
        if isinstance(event, SeatJoinedQueue):
            self.queues[seat_id].add(event.queue)
            self._members.setdefault(event.queue, set()).add(seat_id)
            if event.paused:
                self.member_paused[seat_id] = pause_reason_of(event.paused_reason)
            elif len(self.queues[seat_id]) == 1:
                self.member_paused[seat_id] = None  # its first queue again: a fresh membership
        elif isinstance(event, SeatLeftQueue):
            self.queues[seat_id].discard(event.queue)
            self._members.get(event.queue, set()).discard(seat_id)
            if not self.queues[seat_id]:
                self.member_paused[seat_id] = None
        elif isinstance(event, SeatPaused):
            self.member_paused[seat_id] = pause_reason_of(event.reason)
        elif isinstance(event, SeatResumed):
            self.member_paused[seat_id] = None

    # --- a web process's copy (app role `web`: no PBX of its own) -----------------------------

    def mirror(self, event: DomainEvent) -> None:
        """Follow the telephony process's board instead of deciding: its published moves
        (`SeatStateChanged`) are taken as they are, and its queue memberships are kept from the
        same PBX facts, without moving anyone (the move, if any, comes as its own event). A move
        older than the seat's present state (one that crossed a snapshot) is ignored."""
        if isinstance(event, SeatStateChanged):
            cur = self.states.get(event.seat_id)
            if cur is None or (cur.since is not None and event.at < cur.since):
                return
            self.states[event.seat_id] = SeatState(
                seat_id=event.seat_id,
                team_id=event.team_id,
                status=event.status,
                since=event.at,
                pause_reason=event.pause_reason,
                call_id=event.call_id,
            )
            return
        if isinstance(event, _MEMBERSHIP) and event.seat_id is not None and event.seat_id in self.states:
            self._keep_membership(event.seat_id, event)

    def snapshot(self) -> list[SeatSnapshot]:
        """What a web process starting up needs to mirror this board."""
        return [
            SeatSnapshot(
                seat_id=seat_id,
                status=st.status,
                since=st.since,
                pause_reason=st.pause_reason,
                call_id=st.call_id,
                queues=tuple(sorted(self.queues[seat_id])),
                member_paused=self.member_paused[seat_id],
            )
            for seat_id, st in self.states.items()
        ]

    def restore(self, snapshot: Iterable[SeatSnapshot]) -> int:
        """`snapshot()` of the telephony process's board, taken in; a seat unknown here (added
        since this process read the seat table) is skipped. Returns the seats taken."""
        taken = 0
        for row in snapshot:
            cur = self.states.get(row.seat_id)
            if cur is None:
                continue
            self.states[row.seat_id] = replace(
                cur, status=row.status, since=row.since, pause_reason=row.pause_reason, call_id=row.call_id
            )
            for queue in self.queues[row.seat_id]:
                self._members.get(queue, set()).discard(row.seat_id)
            self.queues[row.seat_id] = set(row.queues)
            for queue in row.queues:
                self._members.setdefault(queue, set()).add(row.seat_id)
            self.member_paused[row.seat_id] = row.member_paused
            taken += 1
        return taken

    def _idle(self, seat_id: SeatId, at: datetime) -> list[SeatStateChanged]:
        """Where a seat goes when nothing holds it: what Asterisk would do with the member."""
        if not self.queues[seat_id]:
            return self._move(seat_id, S.OFFLINE, at)
        reason = self.member_paused[seat_id]
        if reason is not None:
            return self._move(seat_id, S.PAUSED, at, reason=reason)
        return self._move(seat_id, S.AVAILABLE, at)

    def interface_of(self, seat_id: SeatId) -> str | None:
        """The seat's phone as the board was built with it (None: a seat it does not know)."""
        seat = self._seats.get(seat_id)
        return seat.interface if seat is not None else None

    def tick(self, now: datetime) -> list[SeatStateChanged]:
        """End wrap-up for seats whose wrap-up time has passed."""
        out: list[SeatStateChanged] = []
        for seat_id, st in list(self.states.items()):
            if st.status is S.WRAP_UP and st.since is not None and now - st.since >= self.wrap_up:
                if (
                    self.member_paused[seat_id] is PauseReason.AFTER_CALL
                    or seat_id in self.after_call_pending
                ):
                    continue  # paused for after-call work: wrap-up lasts until it is resumed
                out += self._idle(seat_id, now)
        return out

    def end_wrap_up(self, seat_id: SeatId, now: datetime) -> list[SeatStateChanged]:
        """The seat finished its notes early."""
        return self._idle(seat_id, now) if self.states[seat_id].status is S.WRAP_UP else []

    def _move(
        self,
        seat_id: SeatId,
        to: SeatStatus,
        at: datetime,
        *,
        reason: PauseReason | None = None,
        call_id: str | None = None,
    ) -> list[SeatStateChanged]:
        cur = self.states[seat_id]
        if cur.status is to and to is not S.PAUSED:
            return []
        try:
            new, fact = transition(cur, to, at, reason=reason, call_id=call_id)
        except InvalidSeatTransition:
            log.warning("seat %s: PBX reports %s while in %s; following the PBX", seat_id, to, cur.status)
            new, fact = transition(replace(cur, status=S.AVAILABLE), to, at, reason=reason, call_id=call_id)
            fact = replace(fact, previous=cur.status)
        self.states[seat_id] = new
        return [fact]


async def seat_in_scope(
    board: SeatBoard, scope_of: Callable[[Principal], Scope], principal: Principal, seat_id: SeatId
) -> SeatState:
    """The seat's state, once `principal` may act on it: NotFound for a seat the board does not
    know, PermissionDenied for one outside the principal's scope (a supervisor's monitor and
    steering both ask)."""
    try:
        state = board.state(seat_id)
    except KeyError:
        raise NotFound("坐席不存在", seat_id=seat_id) from None
    scope = await offload(scope_of, principal)
    if not scope.citywide and seat_id not in scope.seat_ids:
        raise PermissionDenied("该坐席不在您的管辖范围内", seat_id=seat_id)
    return state
