"""`SeatSteering`: a supervisor steers a seat (班长调度, issue 16): 示忙, 示闲, 签出, and moves it
between queues for the day.

Within the supervisor's scope (a district supervisor: their district's seats; admins and city-wide
supervisors: all), and with `Right.STEER` (a setting per role, as 监听 and 强插). Each action goes
to Asterisk through the seat's own commands (`seats.service.SeatService`: QueuePause with the
reason code, QueueRemove from every queue, QueueAdd): the board moves when Asterisk confirms, as
for the seat's own clicks. A forced pause takes one of the console's pause reasons (not those only
the system sets); 签出 and the queue moves take a written reason.

Every action is audited (who, which seat, what, the reason, when) and published as
`core.seat_events.SeatSteered`, whose audience is the seat and its team: the seat's console shows
its `notice` (who did it and why), the supervisors' board shows its `label` on the seat's row
while the seat stays in the state it was put in (`stats.live.LiveBoard`).

Queue moves are for today only. They are made in Asterisk alone (QueueAdd / QueueRemove), never in
the seat's skills or its team, and not in its presence record, so:

* the seat's next log-in serves its skills' queues again (`seats.membership.queues_for`), as does a
  restore after a PBX restart; a 签出 (the seat's or a supervisor's) takes it out of every queue it
  is in, moved ones included;
* a seat still logged in when the China day changes is moved back by `revert_past_days` (a ticker
  of this service, every minute): each added queue removed, each removed queue added back.

The moves are kept in memory: after an app restart they are not reverted at midnight, only at the
seat's next log-in. Owned by the event loop (it reads the board): construct inside it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from core.access import DEFAULT_RIGHTS, Principal, Right, Role, Scope
from core.audit import AuditEntry
from core.blocking import offload
from core.bus import EventBus
from core.clock import CHINA_TZ, Clock
from core.errors import Conflict, HotlineError, InvalidInput, NotFound, PbxUnavailable, PermissionDenied
from core.events import DomainEvent
from core.ids import SeatId
from core.seat_events import (
    SYSTEM_PAUSE_REASONS,
    PauseReason,
    SeatStateChanged,
    SeatStatus,
    SeatSteered,
    SteerAction,
)
from core.ticker import Ticker
from routing.queues import QueueRules
from seats.board import SeatBoard, seat_in_scope
from seats.monitor import AuditLog
from seats.service import SeatService
from seats.state import SeatState

log = logging.getLogger(__name__)

NOTE_MAX = 200
AUDIT_PREFIX = "steer."
"""The audit actions of this module: steer.pause / .ready / .logout / .add_queue / .remove_queue."""


@dataclass(slots=True)
class _Moves:
    """A seat's queue moves of one China day."""

    day: date
    added: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatQueues:
    """A seat's queues as the steering dialog shows them."""

    seat_id: SeatId
    status: SeatStatus
    current: list[str]  # what Asterisk says it serves now
    added_today: list[str]
    removed_today: list[str]
    choices: list[str]  # every queue of the rules


class SeatSteering:
    def __init__(
        self,
        *,
        board: SeatBoard,
        bus: EventBus,
        clock: Clock,
        commands: Callable[[], SeatService | None],
        rules: QueueRules,
        audit: AuditLog,
        scope_of: Callable[[Principal], Scope],
        rights: Mapping[Role, frozenset[Right]] = DEFAULT_RIGHTS,
        revert_every_s: float = 60.0,
    ) -> None:
        self._board = board
        self._bus = bus
        self._clock = clock
        self._commands = commands
        self._rules = rules
        self._audit = audit
        self._scope_of = scope_of
        self._rights = rights
        self._moves: dict[SeatId, _Moves] = {}
        self._ticker = Ticker("steer-revert", revert_every_s, self.revert_past_days)
        bus.subscribe("seat-steering", self._follow, types=(SeatStateChanged,))

    async def start(self) -> None:
        await self._ticker.start()

    async def stop(self) -> None:
        await self._ticker.stop()

    # --- reads ---------------------------------------------------------------------------------

    def may_steer(self, principal: Principal) -> bool:
        return Right.STEER in self._rights.get(principal.role, frozenset())

    async def queues(self, principal: Principal, seat_id: SeatId) -> SeatQueues:
        state = await self._seat(principal, seat_id)
        moves = self._today(seat_id)
        return SeatQueues(
            seat_id=seat_id,
            status=state.status,
            current=sorted(self._board.queues.get(seat_id, set())),
            added_today=sorted(moves.added) if moves else [],
            removed_today=sorted(moves.removed) if moves else [],
            choices=self._rules.all_queues(),
        )

    # --- commands ------------------------------------------------------------------------------

    async def pause(
        self, principal: Principal, seat_id: SeatId, reason: PauseReason, note: str = "", source_ip: str = ""
    ) -> SeatSteered:
        """班长示忙: the seat takes no queue call until it (or a supervisor) makes it ready."""
        state = await self._seat(principal, seat_id)
        if reason.value in SYSTEM_PAUSE_REASONS:
            raise InvalidInput(f"“{reason.label}”由系统自动设置，请选择其他示忙原因")
        note = _note(note, required=False)
        if state.status is SeatStatus.OFFLINE:
            raise Conflict("该坐席未签入，无法示忙", seat_id=seat_id)
        if state.status is SeatStatus.PAUSED:
            raise Conflict("该坐席已处于示忙状态", seat_id=seat_id)
        await self._pbx().pause(seat_id, reason)
        return await self._done(principal, state, SteerAction.PAUSE, note, source_ip, reason=reason)

    async def ready(
        self, principal: Principal, seat_id: SeatId, note: str = "", source_ip: str = ""
    ) -> SeatSteered:
        """班长示闲: a paused seat takes queue calls again."""
        state = await self._seat(principal, seat_id)
        note = _note(note, required=False)
        if state.status is not SeatStatus.PAUSED:
            raise Conflict(f"该坐席当前为“{state.status.label}”，不是示忙状态", seat_id=seat_id)
        await self._pbx().resume(seat_id)
        return await self._done(principal, state, SteerAction.READY, note, source_ip)

    async def logout(
        self, principal: Principal, seat_id: SeatId, note: str, source_ip: str = ""
    ) -> SeatSteered:
        """班长签出: the seat leaves every queue it is in (not in a call: finish it first)."""
        state = await self._seat(principal, seat_id)
        note = _note(note, required=True)
        if state.status is SeatStatus.OFFLINE:
            raise Conflict("该坐席已签出", seat_id=seat_id)
        await self._pbx().logout(seat_id)
        return await self._done(principal, state, SteerAction.LOGOUT, note, source_ip)

    async def add_queue(
        self, principal: Principal, seat_id: SeatId, queue: str, note: str, source_ip: str = ""
    ) -> SeatSteered:
        """The seat serves `queue` too, for the rest of today."""
        state = await self._seat(principal, seat_id)
        queue = self._known(queue)
        note = _note(note, required=True)
        if state.status is SeatStatus.OFFLINE:
            raise Conflict("该坐席未签入，无法调整队列", seat_id=seat_id)
        if queue in self._board.queues.get(seat_id, set()):
            raise Conflict(f"该坐席已在队列 {queue} 中", seat_id=seat_id)
        paused = (state.pause_reason or PauseReason.OTHER) if state.status is SeatStatus.PAUSED else None
        await self._pbx().join_queue(seat_id, queue, reason=paused)
        moves = self._moves_of(seat_id)
        if queue in moves.removed:
            moves.removed.discard(queue)  # back where its skills put it
        else:
            moves.added.add(queue)
        return await self._done(principal, state, SteerAction.ADD_QUEUE, note, source_ip, queue=queue)

    async def remove_queue(
        self, principal: Principal, seat_id: SeatId, queue: str, note: str, source_ip: str = ""
    ) -> SeatSteered:
        """The seat stops serving `queue`, for the rest of today (not its last one: 签出 for that)."""
        state = await self._seat(principal, seat_id)
        queue = self._known(queue)
        note = _note(note, required=True)
        current = self._board.queues.get(seat_id, set())
        if state.status is SeatStatus.OFFLINE or queue not in current:
            raise Conflict(f"该坐席不在队列 {queue} 中", seat_id=seat_id)
        if current == {queue}:
            raise Conflict("这是该坐席的最后一个队列：如需停止接听，请使用签出", seat_id=seat_id)
        await self._pbx().leave_queue(seat_id, queue)
        moves = self._moves_of(seat_id)
        if queue in moves.added:
            moves.added.discard(queue)
        else:
            moves.removed.add(queue)
        return await self._done(principal, state, SteerAction.REMOVE_QUEUE, note, source_ip, queue=queue)

    async def revert_past_days(self) -> None:
        """Moves of a past China day are undone for the seats still logged in (see the module)."""
        today = self._clock.now().astimezone(CHINA_TZ).date()
        for seat_id, moves in list(self._moves.items()):
            if moves.day >= today:
                continue
            del self._moves[seat_id]
            commands = self._commands()
            if commands is None or self._board.state(seat_id).status is SeatStatus.OFFLINE:
                continue  # its next log-in serves its skills' queues
            current = self._board.queues.get(seat_id, set())
            state = self._board.state(seat_id)
            paused = (state.pause_reason or PauseReason.OTHER) if state.status is SeatStatus.PAUSED else None
            try:
                for queue in sorted(moves.removed - current):
                    await commands.join_queue(seat_id, queue, reason=paused)
                for queue in sorted(moves.added & current):
                    await commands.leave_queue(seat_id, queue)
            except HotlineError as exc:
                log.warning("could not revert yesterday's queue moves of seat %s: %s", seat_id, exc.message)
                continue
            await offload(
                self._audit.append,
                AuditEntry(
                    at=self._clock.now(),
                    actor=None,
                    action=f"{AUDIT_PREFIX}revert",
                    target=seat_id,
                    detail={
                        "seat_id": seat_id,
                        "added": sorted(moves.added),
                        "removed": sorted(moves.removed),
                    },
                ),
            )

    # --- helpers -------------------------------------------------------------------------------

    async def _follow(self, event: DomainEvent) -> None:
        if isinstance(event, SeatStateChanged) and event.status is SeatStatus.OFFLINE:
            self._moves.pop(event.seat_id, None)  # its next log-in serves its skills' queues

    def _today(self, seat_id: SeatId) -> _Moves | None:
        moves = self._moves.get(seat_id)
        today = self._clock.now().astimezone(CHINA_TZ).date()
        return moves if moves is not None and moves.day == today else None

    def _moves_of(self, seat_id: SeatId) -> _Moves:
        moves = self._today(seat_id)
        if moves is None:
            moves = self._moves[seat_id] = _Moves(day=self._clock.now().astimezone(CHINA_TZ).date())
        return moves

    def _known(self, queue: str) -> str:
        queue = queue.strip()
        if not queue:
            raise InvalidInput("请选择队列")
        if queue not in self._rules.all_queues():
            raise NotFound(f"队列 {queue} 不存在", queue=queue)
        return queue

    async def _seat(self, principal: Principal, seat_id: SeatId) -> SeatState:
        """The seat's state, once the principal may steer it."""
        if not self.may_steer(principal):
            raise PermissionDenied("您没有调度坐席（示忙、示闲、签出、调整队列）的权限")
        return await seat_in_scope(self._board, self._scope_of, principal, seat_id)

    def _pbx(self) -> SeatService:
        commands = self._commands()
        if commands is None:
            raise PbxUnavailable("未连接交换机，暂时无法调度坐席")
        return commands

    async def _done(
        self,
        principal: Principal,
        state: SeatState,
        action: SteerAction,
        note: str,
        source_ip: str,
        *,
        reason: PauseReason | None = None,
        queue: str | None = None,
    ) -> SeatSteered:
        """Audited, then published: the seat's console and the board show it."""
        now = self._clock.now()
        who = principal.display_name or principal.username
        why = "；".join(x for x in (reason.label if reason else "", note) if x)
        what = {
            SteerAction.PAUSE: "将您示忙",
            SteerAction.READY: "将您示闲",
            SteerAction.LOGOUT: "将您签出",
            SteerAction.ADD_QUEUE: f"将您加入队列 {queue}（仅限今日）",
            SteerAction.REMOVE_QUEUE: f"将您移出队列 {queue}（仅限今日）",
        }[action]
        detail: dict[str, object] = {"seat_id": state.seat_id, "action": action.value, "note": note}
        if reason is not None:
            detail["reason"] = reason.value
        if queue is not None:
            detail["queue"] = queue
        detail["status_before"] = state.status.value
        await offload(
            self._audit.append,
            AuditEntry(
                at=now,
                actor=principal.user_id,
                action=f"{AUDIT_PREFIX}{action.value}",
                target=state.seat_id,
                detail=detail,
                source_ip=source_ip,
            ),
        )
        event = SeatSteered(
            at=now,
            seat_id=state.seat_id,
            team_id=state.team_id,
            action=action,
            forces=action.forces,
            reason=reason,
            note=note,
            target_queue=queue,
            by_user=principal.user_id,
            by_name=who,
            label=f"{action.label}{'：' + why if why else ''}（{who}）",
            notice=f"班长 {who} {what}{'：' + why if why else ''}",
        )
        await self._bus.publish(event)
        return event


def pause_reason(text: str) -> PauseReason:
    """A pause reason from the console's value (`rest`, `meeting`...) or its Chinese label."""
    text = text.strip()
    if not text:
        raise InvalidInput("请选择示忙原因")
    for reason in PauseReason:
        if text in (reason.value, reason.label):
            return reason
    choices = "、".join(r.label for r in PauseReason if r.value not in SYSTEM_PAUSE_REASONS)
    raise InvalidInput(f"示忙原因“{text}”无效，可选：{choices}")


def _note(note: str, *, required: bool) -> str:
    note = " ".join(note.split())
    if required and not note:
        raise InvalidInput("请填写原因")
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"原因不能超过 {NOTE_MAX} 个字")
    return note
