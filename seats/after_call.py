"""After-call work longer than app_queue's wrap-up, the only way Asterisk honours it.

app_queue stops offering calls to a member for the queue's `wrapuptime` after the member's leg
ends, and not a second longer. If the service wants a longer after-call period (notes, a
consultation record), showing the seat "busy" on our console alone would be a lie: Asterisk would
still ring it. So the member is paused in Asterisk with reason `after_call` (话后处理) as soon as
the seat enters wrap-up, and resumed when `seconds` have passed or the seat says it is done.
The board keeps such a seat in wrap-up until Asterisk confirms the resume.

Off by default (`HOTLINE_SEATS__AFTER_CALL_WORK_S = 0`): the wrap-up is then exactly the queues'
`wrapuptime`. The pause is not the seat's own: it is not written to the presence record, and a
pause the seat chooses meanwhile (meal, ...) is never undone by the timer.

Whatever that setting, a seat may `extend` its wrap-up (a record still being typed), step by step
up to the cap supervisors set (`seats.wrap_up`): the member is then paused the same way.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from core.blocking import offload
from core.clock import Clock
from core.errors import Conflict, HotlineError
from core.ids import SeatId
from core.ports import CallControl
from seats.board import SeatBoard
from seats.ports import SeatDirectory
from seats.state import PauseReason, SeatStateChanged, SeatStatus
from seats.wrap_up import WrapUpExtended, WrapUpPolicy

log = logging.getLogger(__name__)


class AfterCallWork:
    def __init__(
        self,
        control: CallControl,
        seats: SeatDirectory,
        board: SeatBoard,
        *,
        seconds: float,
        clock: Clock,
    ) -> None:
        self._clock = clock
        self._control = control
        self._seats = seats
        self._board = board
        self._length = timedelta(seconds=seconds)
        self.until: dict[SeatId, datetime] = {}  # seats in after-call work, paused until then
        self.began: dict[SeatId, datetime] = {}  # seats in wrap-up, since when (our clock)

    @property
    def enabled(self) -> bool:
        return self._length > timedelta(0)

    def note(self, change: SeatStateChanged) -> bool:
        """Follow the board, in the same step as its change (no await between): a seat entering
        wrap-up is held in it from this moment (else the board's tick, running before a task
        could, would free it after app_queue's wrapuptime). True when the member must now be
        paused in Asterisk (`pause`)."""
        if change.status is not SeatStatus.WRAP_UP:
            self.began.pop(change.seat_id, None)
            return False
        # Our clock, not the event's PBX timestamp: `tick` compares with our clock.
        self.began[change.seat_id] = self._clock.now()
        if not self.enabled:
            return False
        self.until[change.seat_id] = self._clock.now() + self._length
        self._board.after_call_pending.add(change.seat_id)  # the wrap-up holds until it is over
        return True

    async def on_change(self, change: SeatStateChanged) -> None:
        """`note` the change, then pause the member when it says so."""
        if self.note(change):
            await self.pause(change.seat_id)

    async def pause(self, seat_id: SeatId) -> None:
        """Pause the member of a seat `note` put in after-call work."""
        # The board knows the seat's phone: no database round trip before the pause, which must
        # reach the PBX within app_queue's wrapuptime.
        interface = self._board.interface_of(seat_id) or await self._interface(seat_id)
        if seat_id not in self.until:
            return  # finished while we looked the seat up: nothing to pause
        try:
            await self._control.queue_pause(interface, paused=True, reason=PauseReason.AFTER_CALL.value)
        except HotlineError as exc:
            # No pause: the seat is free again after the queue's wrap-up, as without this option.
            self.until.pop(seat_id, None)
            self._board.after_call_pending.discard(seat_id)
            log.warning("after-call pause of seat %s failed: %s", seat_id, exc.message)

    def ends_at(self, seat_id: SeatId) -> datetime | None:
        """When the seat's wrap-up ends as things stand (None: not in wrap-up)."""
        began = self.began.get(seat_id)
        if began is None:
            return None
        return self.until.get(seat_id) or began + self._board.wrap_up

    async def extend(self, seat_id: SeatId, policy: WrapUpPolicy) -> WrapUpExtended:
        """One more `policy.step_s` of wrap-up, up to `policy.max_s` from the call's end; the seat
        is paused in Asterisk (话后处理) for it when it was not already. `Conflict` when the seat
        is not in wrap-up or the cap is reached."""
        began, current = self.began.get(seat_id), self.ends_at(seat_id)
        if began is None or current is None or self._board.state(seat_id).status is not SeatStatus.WRAP_UP:
            raise Conflict("当前不在话后整理中", seat_id=seat_id)
        cap = began + timedelta(seconds=policy.max_s)
        now = self._clock.now()
        until = min(max(current, now) + timedelta(seconds=policy.step_s), cap)
        if until <= current:
            raise Conflict(f"话后整理已达班长设定的最长时长 {policy.max_s} 秒，无法再延长", seat_id=seat_id)
        first = seat_id not in self.until
        self.until[seat_id] = until
        self._board.after_call_pending.add(seat_id)  # the board holds the wrap-up until then
        if first:  # not paused for after-call work yet: Asterisk must not offer a call meanwhile
            interface = self._board.interface_of(seat_id) or await self._interface(seat_id)
            try:
                await self._control.queue_pause(interface, paused=True, reason=PauseReason.AFTER_CALL.value)
            except HotlineError:
                self.until.pop(seat_id, None)
                self._board.after_call_pending.discard(seat_id)
                raise
        return WrapUpExtended(
            until=until,
            extended_s=(until - current).total_seconds(),
            left_s=(cap - until).total_seconds(),
            max_s=policy.max_s,
        )

    async def _interface(self, seat_id: SeatId) -> str:
        return (await offload(self._seats.get, seat_id)).interface

    async def tick(self, now: datetime) -> None:
        for seat_id, until in list(self.until.items()):
            if now >= until:
                await self.done(seat_id)

    async def done(self, seat_id: SeatId) -> bool:
        """End the seat's after-call work (time is up, or the seat finished early); False if it
        had none. Resumes the member unless the seat has since paused itself for another reason."""
        if self.until.pop(seat_id, None) is None:
            return False
        self._board.after_call_pending.discard(seat_id)
        if self._board.member_paused.get(seat_id) not in (None, PauseReason.AFTER_CALL):
            return True  # the seat chose a pause of its own meanwhile: leave it
        # Paused for after-call work, or the pause not confirmed yet: an unpause is harmless.
        interface = self._board.interface_of(seat_id) or await self._interface(seat_id)
        try:
            await self._control.queue_pause(interface, paused=False)
        except HotlineError as exc:
            log.warning("after-call resume of seat %s failed: %s", seat_id, exc.message)
        return True
