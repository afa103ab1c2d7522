"""`SeatSteering`: a supervisor steers a seat (班长调度, issue 16): 示忙, 示闲, 签出, and moves it
between queues for the day.

Within the supervisor's scope (a district supervisor: their district's seats; admins and city-wide
supervisors: all), and with `Right.STEER` (per role, as 监听 and 强插: `seats.rights.RoleRights`,
read at each check). Each action goes to Asterisk through the seat's own commands
(`seats.service.SeatService`: QueuePause with the reason code, QueueRemove from every queue,
QueueAdd): the board moves when Asterisk confirms, as
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

The moves are kept in the database (`QueueMovesStore`, table `steer_queue_moves`) as well as in
memory: after an app restart `start` reads them back, so yesterday's moves are still undone when
the day changes.

A seat in a call cannot be paused in Asterisk's sense of our board (talking -> paused is no
transition), so 示忙 of a talking seat is *queued* (`steer.pause_queued`): the seat sees
“班长已安排：本通话结束后示忙（原因）”, the board shows it pending, and it is applied when the call
ends. Then:

* the seat goes straight to 空闲, or into the queue's plain wrap-up (Asterisk's `wrapuptime`, no
  after-call work): paused at once, while app_queue still holds the member, so no call is offered
  in between; the board shows 示忙 from then on (the seat may still finish its record);
* the seat goes into after-call work (话后处理, `seats.after_call`: the member paused with reason
  `after_call`, resumed by its timer): that work belongs to the call, and a pause sent now would be
  overwritten by, or end with, the after-call pause. The pause waits until the seat is free again
  (空闲) and is sent then: a queue call offered in that instant still rings, and the seat is paused
  once it is over, as Asterisk does with any pause during an offer.

示闲 by a supervisor cancels a queued pause (`steer.pause_cancelled`); a seat that logs out drops
it (`steer.pause_dropped`). Queued pauses are kept in memory only: an app restart forgets them
(the seat is then not paused, the audit still says who asked for it).

Owned by the event loop (it reads the board): construct inside it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Protocol

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


@dataclass(slots=True, kw_only=True)
class QueueMoves:
    """A seat's queue moves of one China day."""

    seat_id: SeatId
    day: date
    added: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)


class QueueMovesStore(Protocol):
    """Where the moves outlive the process (`store.oversight.QueueMovesRepository`). Blocking."""

    def all(self) -> list[QueueMoves]: ...

    def save(self, moves: QueueMoves) -> None: ...

    def drop(self, seat_id: SeatId) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class _QueuedPause:
    """示忙 asked for a talking seat: applied when its call ends (see the module)."""

    reason: PauseReason
    note: str
    by: Principal  # who asked: named as the one who paused the seat when it is applied
    source_ip: str


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
        moves_store: QueueMovesStore | None = None,
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
        self._moves: dict[SeatId, QueueMoves] = {}
        self._store = moves_store
        self._queued: dict[SeatId, _QueuedPause] = {}
        self._ticker = Ticker("steer-revert", revert_every_s, self.revert_past_days)
        bus.subscribe("seat-steering", self._follow, types=(SeatStateChanged,))

    async def start(self) -> None:
        """Reads back the moves kept over a restart (yesterday's are undone at the first tick)."""
        if self._store is not None:
            for moves in await offload(self._store.all):
                self._moves.setdefault(moves.seat_id, moves)
        await self._ticker.start()

    async def stop(self) -> None:
        await self._ticker.stop()

    # --- reads ---------------------------------------------------------------------------------

    def queued_pause(self, seat_id: SeatId) -> PauseReason | None:
        """The reason of a 示忙 waiting for the seat's call to end (None: none)."""
        queued = self._queued.get(seat_id)
        return queued.reason if queued else None

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
        """班长示忙: the seat takes no queue call until it (or a supervisor) makes it ready. A
        talking seat is paused when its call ends (`SteerAction.PAUSE_QUEUED`, see the module)."""
        state = await self._seat(principal, seat_id)
        if reason.value in SYSTEM_PAUSE_REASONS:
            raise InvalidInput(f"“{reason.label}”由系统自动设置，请选择其他示忙原因")
        note = _note(note, required=False)
        if state.status is SeatStatus.OFFLINE:
            raise Conflict("该坐席未签入，无法示忙", seat_id=seat_id)
        if state.status is SeatStatus.PAUSED:
            raise Conflict("该坐席已处于示忙状态", seat_id=seat_id)
        if seat_id in self._queued:
            raise Conflict("已安排该坐席本通话结束后示忙：如需更改，请先示闲取消", seat_id=seat_id)
        if state.status is SeatStatus.TALKING:
            self._queued[seat_id] = _QueuedPause(
                reason=reason,
                note=note,
                by=principal,
                source_ip=source_ip,
            )
            return await self._done(
                principal, state, SteerAction.PAUSE_QUEUED, note, source_ip, reason=reason
            )
        await self._pbx().pause(seat_id, reason)
        return await self._done(principal, state, SteerAction.PAUSE, note, source_ip, reason=reason)

    async def ready(
        self, principal: Principal, seat_id: SeatId, note: str = "", source_ip: str = ""
    ) -> SeatSteered:
        """班长示闲: a paused seat takes queue calls again; a 示忙 queued for a talking seat is
        cancelled."""
        state = await self._seat(principal, seat_id)
        note = _note(note, required=False)
        queued = self._queued.pop(seat_id, None)
        if queued is not None and state.status is not SeatStatus.PAUSED:
            return await self._done(
                principal, state, SteerAction.PAUSE_CANCELLED, note, source_ip, reason=queued.reason
            )
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
        state, queue, note = await self._queue_move(principal, seat_id, queue, note)
        if state.status is SeatStatus.OFFLINE:
            raise Conflict("该坐席未签入，无法调整队列", seat_id=seat_id)
        if queue in self._board.queues.get(seat_id, set()):
            raise Conflict(f"该坐席已在队列 {queue} 中", seat_id=seat_id)
        paused = (state.pause_reason or PauseReason.OTHER) if state.status is SeatStatus.PAUSED else None
        await self._pbx().join_queue(seat_id, queue, reason=paused)
        await self._moved(seat_id, queue, joined=True)
        return await self._done(principal, state, SteerAction.ADD_QUEUE, note, source_ip, queue=queue)

    async def remove_queue(
        self, principal: Principal, seat_id: SeatId, queue: str, note: str, source_ip: str = ""
    ) -> SeatSteered:
        """The seat stops serving `queue`, for the rest of today (not its last one: 签出 for that)."""
        state, queue, note = await self._queue_move(principal, seat_id, queue, note)
        current = self._board.queues.get(seat_id, set())
        if state.status is SeatStatus.OFFLINE or queue not in current:
            raise Conflict(f"该坐席不在队列 {queue} 中", seat_id=seat_id)
        if current == {queue}:
            raise Conflict("这是该坐席的最后一个队列：如需停止接听，请使用签出", seat_id=seat_id)
        await self._pbx().leave_queue(seat_id, queue)
        await self._moved(seat_id, queue, joined=False)
        return await self._done(principal, state, SteerAction.REMOVE_QUEUE, note, source_ip, queue=queue)

    async def _queue_move(
        self, principal: Principal, seat_id: SeatId, queue: str, note: str
    ) -> tuple[SeatState, str, str]:
        """What a queue move checks first: the seat (in the principal's scope), the queue (one of
        the rules', as they spell it) and the note (required)."""
        return await self._seat(principal, seat_id), self._known(queue), _note(note, required=True)

    async def _moved(self, seat_id: SeatId, queue: str, *, joined: bool) -> None:
        """Keep today's move of the seat into (`joined`) or out of `queue`; one that undoes an
        earlier move cancels it (the seat is back where its skills put it)."""
        moves = self._moves_of(seat_id)
        undone, done = (moves.removed, moves.added) if joined else (moves.added, moves.removed)
        if queue in undone:
            undone.discard(queue)
        else:
            done.add(queue)
        await self._keep(moves)

    async def revert_past_days(self) -> None:
        """Moves of a past China day are undone for the seats still logged in (see the module)."""
        today = self._clock.now().astimezone(CHINA_TZ).date()
        for seat_id, moves in list(self._moves.items()):
            if moves.day >= today:
                continue
            del self._moves[seat_id]
            await self._forget(seat_id)
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
        if not isinstance(event, SeatStateChanged):
            return
        # Logged out: its next log-in serves its skills' queues.
        if event.status is SeatStatus.OFFLINE and self._moves.pop(event.seat_id, None) is not None:
            await self._forget(event.seat_id)
        if event.seat_id in self._queued:
            await self._queued_pause(event)

    async def _queued_pause(self, event: SeatStateChanged) -> None:
        """A talking seat's queued 示忙, once its call is over (see the module for when)."""
        seat_id = event.seat_id
        if event.status is SeatStatus.OFFLINE:
            queued = self._queued.pop(seat_id)
            await self._audit_queued(queued, seat_id, "pause_dropped", {"status": event.status.value})
            return
        if event.status is SeatStatus.TALKING or event.status is SeatStatus.PAUSED:
            return  # still (or again) in a call; or paused meanwhile: sent when it is free
        if event.status is SeatStatus.WRAP_UP and seat_id in self._board.after_call_pending:
            return  # after-call work first: sent when the seat is free (空闲)
        state = self._board.state(seat_id)
        if state.status is not event.status:
            return  # moved on meanwhile: the later change decides
        queued = self._queued.pop(seat_id)
        commands = self._commands()
        try:
            if commands is None:
                raise PbxUnavailable("未连接交换机，暂时无法调度坐席")
            await commands.pause(seat_id, queued.reason)
        except HotlineError as exc:
            log.warning("queued pause of seat %s failed: %s", seat_id, exc.message)
            await self._audit_queued(queued, seat_id, "pause_failed", {"error": exc.message})
            return
        await self._done(
            queued.by,
            state,
            SteerAction.PAUSE,
            queued.note,
            queued.source_ip,
            reason=queued.reason,
            queued=True,
        )

    async def _audit_queued(
        self, queued: _QueuedPause, seat_id: SeatId, what: str, extra: Mapping[str, object]
    ) -> None:
        detail: dict[str, object] = {"seat_id": seat_id, "reason": queued.reason.value, "note": queued.note}
        entry = AuditEntry(
            at=self._clock.now(),
            actor=queued.by.user_id,
            action=f"{AUDIT_PREFIX}{what}",
            target=seat_id,
            detail=detail | dict(extra),
            source_ip=queued.source_ip,
        )
        await offload(self._audit.append, entry)

    async def _keep(self, moves: QueueMoves) -> None:
        if self._store is not None:
            await offload(self._store.save, moves)

    async def _forget(self, seat_id: SeatId) -> None:
        if self._store is not None:
            await offload(self._store.drop, seat_id)

    def _today(self, seat_id: SeatId) -> QueueMoves | None:
        moves = self._moves.get(seat_id)
        today = self._clock.now().astimezone(CHINA_TZ).date()
        return moves if moves is not None and moves.day == today else None

    def _moves_of(self, seat_id: SeatId) -> QueueMoves:
        moves = self._today(seat_id)
        if moves is None:
            day = self._clock.now().astimezone(CHINA_TZ).date()
            moves = self._moves[seat_id] = QueueMoves(seat_id=seat_id, day=day)
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
        queued: bool = False,
    ) -> SeatSteered:
        """Audited, then published: the seat's console and the board show it. `queued`: a 示忙
        asked for during the call, applied now that it ended."""
        now = self._clock.now()
        who = principal.display_name or principal.username
        why = "；".join(x for x in (reason.label if reason else "", note) if x)
        what = {
            SteerAction.PAUSE: "将您示忙",
            SteerAction.READY: "将您示闲",
            SteerAction.LOGOUT: "将您签出",
            SteerAction.ADD_QUEUE: f"将您加入队列 {queue}（仅限今日）",
            SteerAction.REMOVE_QUEUE: f"将您移出队列 {queue}（仅限今日）",
            SteerAction.PAUSE_QUEUED: "",
            SteerAction.PAUSE_CANCELLED: "已取消本通话结束后的示忙安排",
        }[action]
        if queued:
            what = "在通话结束后将您示忙"
        detail: dict[str, object] = {"seat_id": state.seat_id, "action": action.value, "note": note}
        if reason is not None:
            detail["reason"] = reason.value
        if queue is not None:
            detail["queue"] = queue
        detail["status_before"] = state.status.value
        if queued:
            detail["queued"] = True
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
        if action is SteerAction.PAUSE_QUEUED:
            event = replace(
                event,
                label=f"待示忙：本通话结束后（{why}）（{who}）",
                notice=f"班长已安排：本通话结束后示忙（{why}）（{who}）",
            )
        await self._bus.publish(event)
        return event


def pause_reason(text: str) -> PauseReason:
    """A pause reason from the console's value (`rest`, `meeting`...) or its Chinese label."""
    text = text.strip()
    if not text:
        raise InvalidInput("请选择示忙原因")
    reason = PauseReason.of_text(text)
    if reason is not None:
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
