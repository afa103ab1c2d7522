"""`SupervisorMonitor`: a supervisor in a seat's live call (issue 16): 监听, 耳语, 强插, 强拆.

A supervisor (or an inspector, an admin: each role's rights are `core.access.Right`s, a setting
the admin decides) picks a seat of their scope that is talking. Through Asterisk, as the hold and
the three-way call (seats/workspace.py): an AMI Originate of
`Local/m-<id>.<call>@hotline-monitor` (`core.dialplan.MONITOR`) with Application ChanSpy on the
seat's own leg; ;2 rings the supervisor's own phone (`SupervisorPhones`) first, and once it answers
ChanSpy runs on ;1 in the chosen mode (`MonitorMode`):

* 监听 `qE`: the supervisor hears both the seat and the caller (ChanSpy hears what goes in and out
  of the spied channel) and is heard by nobody;
* 耳语 `qwE`: as 监听, and the seat's leg hears the supervisor (w whispers to the spied channel
  only): the caller does not;
* 强插 `qBE`: all three hear each other (B barges into both channels of the bridge);
* 接管 (take-over, a barge right): an AMI `Bridge` of the caller's channel with the supervisor's
  phone channel (the one ;2 dialled, `MonitorConnected.phone_channel`). Both move into a new bridge
  at once, without ringing again: the seat's leg, left alone in the queue's bridge, is hung up by
  Asterisk (app_queue logs the seat's end), and so is ;2 with the monitor's ChanSpy. The caller
  talks on with the supervisor; the tracker sees both in one bridge (`CallTakenOver`, a leg of
  kind `supervisor`). The session stays, shown as 已接管, until the call ends or the supervisor
  hangs up (or 结束接管: the phone's channel is hung up, the caller goes on to the survey).

`q` plays no beep, `E` ends the spy when the seat's leg ends (the call ended, or went elsewhere).

Switching mode hangs up the monitor's Local channel and originates a new one in the new mode
(the supervisor's phone rings again). ChanSpy's own switching (option `d`, DTMF 4/5/6) would keep
the line but can only be driven by the supervisor's keypad or by AMI `PlayDTMF` into ;2, which
neither the console nor the recorded traces can confirm took effect; an Originate and a Hangup of
our own ChannelId are what the hold and the three-way call already do, and every mode the console
shows is then the mode Asterisk runs.

The outcome comes back as events (`pbx.monitors`): `MonitorConnected` (ChanSpyStart: the phone
answered), `MonitorEnded` (the Local channel is gone: not answered, the supervisor hung up, the
seat's leg ended) and `CallEnded`. A monitor whose phone never answered ends with a clear message
for the console (`MonitorView.message`) and leaves nothing behind: the Local channel is gone with
the Originate. 强拆 hangs up the caller's channel (AMI Hangup).

Every action is audited (`core.audit.AuditEntry`): who, which seat, which call, the mode, when,
and at the end how long. Owned by the event loop (the board, the tracker): construct inside it.

A restart of the app does not lose a monitor under way: each session is kept in the store
(`SessionStore`, table `monitor_sessions`) while it lasts, and `restore()` takes them back. A session
is then checked against what Asterisk has (`live_monitors`: the monitors the tracker found in its
snapshot after logging in, None until it has one): one still there goes on, and its end is
audited as any; one gone meanwhile is ended and audited (reason `lost`, 系统重启期间监听已结束), its
Local channel hung up in case it is still ringing. The check runs at `restore()` when the tracker has
a snapshot, else at the next `StateResynced`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core import dialplan
from core.access import DEFAULT_RIGHTS, Principal, Right, Role, Scope
from core.audit import AuditEntry
from core.blocking import offload
from core.bus import EventBus
from core.call_events import (
    CallEnded,
    CallLegEnded,
    CallTakenOver,
    MonitorConnected,
    MonitorEnded,
    SeatRinging,
)
from core.clock import Clock
from core.errors import Conflict, PbxActionFailed, PbxUnavailable, PermissionDenied
from core.events import DomainEvent, StateResynced
from core.ids import CallId, SeatId, UserId
from core.labels import LabelledEnum
from core.ports import CallControl, LiveCalls
from seats.board import SeatBoard, seat_in_scope
from seats.local_spy import end_local, spy_from_local
from seats.state import SeatStatus

log = logging.getLogger(__name__)

_RING_MS = (
    35_000  # the supervisor's phone rings 30 s (the dialplan's Dial), the Originate waits a little longer
)
_SEAT_LEGS = 500  # seat legs kept (from SeatRinging), most recent first


class MonitorMode(LabelledEnum):
    LISTEN = "listen", "监听"
    WHISPER = "whisper", "耳语"
    BARGE = "barge", "强插"

    @property
    def options(self) -> str:
        """ChanSpy's options for this mode (see the module's docstring)."""
        return {"listen": "qE", "whisper": "qwE", "barge": "qBE"}[self.value]

    @property
    def right(self) -> Right:
        return Right.BARGE if self is MonitorMode.BARGE else Right.MONITOR


class SupervisorPhones(Protocol):
    """Each console user's own phone endpoint (`store.supervisor_phones`). Blocking."""

    def endpoint(self, user_id: UserId) -> str | None: ...

    def save(self, user_id: UserId, endpoint: str, password: str) -> None:
        """`InvalidInput` for a malformed or taken endpoint, an unknown user, a bad password."""
        ...


class SessionStore(Protocol):
    """The monitors under way, kept over an app restart (`store.oversight.MonitorSessionRepository`).
    Blocking."""

    def save(self, user_id: UserId, state: Mapping[str, str | None]) -> None: ...

    def drop(self, user_id: UserId) -> None: ...

    def load(self) -> dict[UserId, dict[str, str | None]]: ...


class _NoSessions:
    def save(self, user_id: UserId, state: Mapping[str, str | None]) -> None:
        pass

    def drop(self, user_id: UserId) -> None:
        pass

    def load(self) -> dict[UserId, dict[str, str | None]]:
        return {}


class AuditLog(Protocol):
    """Where actions are written and read back (`store.repositories.AuditRepository`). Blocking."""

    def append(self, entry: AuditEntry) -> int: ...

    def recent(
        self, *, limit: int = 100, actor: UserId | None = None, prefixes: tuple[str, ...] = ()
    ) -> list[AuditEntry]: ...


AUDIT_ACTIONS = ("monitor.", "call.force_hangup", "steer.")
"""The audit actions of this module: monitor.start / .switch / .end, call.force_hangup; and the
supervisors' steering of seats (`seats.steer`: steer.pause / .ready / .logout / ...), read back
with them by the admins' audit list."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorView:
    """A supervisor's monitor as their console shows it; `active` False: none, with `message`
    saying how the last one ended (the phone did not answer, the call ended...)."""

    active: bool
    seat_id: SeatId | None = None
    call_id: CallId | None = None
    mode: MonitorMode | None = None
    connected: bool = False
    requested_at: datetime | None = None
    connected_at: datetime | None = None
    taken_over_at: datetime | None = None
    message: str = ""

    @property
    def taken_over(self) -> bool:
        return self.taken_over_at is not None

    @property
    def state_label(self) -> str:
        if not self.active or self.mode is None:
            return "未在监听"
        if self.taken_over:
            return "已接管通话（坐席已退出）"
        if not self.connected:
            return f"正在呼叫您的话机（{self.mode.label}）"
        return f"{self.mode.label}中"


@dataclass(slots=True, kw_only=True)
class _Session:
    supervisor: UserId
    seat_id: SeatId
    call_id: CallId
    leg: str  # the seat's own leg: what ChanSpy spies on
    phone: str
    mode: MonitorMode
    monitor_id: str  # the current Local channel's ChannelId
    requested_at: datetime
    source_ip: str
    connected_at: datetime | None = None  # of the current Local channel
    first_connected_at: datetime | None = None  # how long: from here
    phone_channel: str = ""  # the supervisor's phone's channel in the current Local's Dial
    taking_over: bool = False  # the Bridge was sent; its outcome not seen yet
    local_gone: bool = False  # the monitor's Local channel ended while taking over
    taken_over_at: datetime | None = None
    leg_id: str = ""  # the supervisor's leg once taken over
    restored: bool = False  # taken back from the store after a restart, not yet seen in Asterisk

    _TIMES = ("requested_at", "connected_at", "first_connected_at", "taken_over_at")
    _TEXTS = (
        "supervisor",
        "seat_id",
        "call_id",
        "leg",
        "phone",
        "monitor_id",
        "source_ip",
        "phone_channel",
        "leg_id",
    )

    def state(self) -> dict[str, str | None]:
        """What the store keeps of it (`from_state` reads it back)."""
        out: dict[str, str | None] = {name: getattr(self, name) for name in self._TEXTS}
        out["mode"] = self.mode.value
        for name in self._TIMES:
            at = getattr(self, name)
            out[name] = at.isoformat() if at is not None else None
        return out

    @classmethod
    def from_state(cls, state: Mapping[str, str | None]) -> _Session:
        def at(name: str) -> datetime | None:
            value = state.get(name)
            return datetime.fromisoformat(value) if value else None

        requested = at("requested_at")
        assert requested is not None
        return cls(
            supervisor=UserId(state.get("supervisor") or ""),
            seat_id=SeatId(state.get("seat_id") or ""),
            call_id=CallId(state.get("call_id") or ""),
            leg=state.get("leg") or "",
            phone=state.get("phone") or "",
            mode=MonitorMode(state.get("mode") or ""),
            monitor_id=state.get("monitor_id") or "",
            requested_at=requested,
            source_ip=state.get("source_ip") or "",
            connected_at=at("connected_at"),
            first_connected_at=at("first_connected_at"),
            phone_channel=state.get("phone_channel") or "",
            taken_over_at=at("taken_over_at"),
            leg_id=state.get("leg_id") or "",
            restored=True,
        )

    def view(self) -> MonitorView:
        return MonitorView(
            active=True,
            seat_id=self.seat_id,
            call_id=self.call_id,
            mode=self.mode,
            connected=self.connected_at is not None or self.taken_over_at is not None,
            requested_at=self.requested_at,
            connected_at=self.connected_at,
            taken_over_at=self.taken_over_at,
        )


class SupervisorMonitor:
    def __init__(
        self,
        *,
        board: SeatBoard,
        live: LiveCalls,
        bus: EventBus,
        clock: Clock,
        control: Callable[[], CallControl | None],
        phones: SupervisorPhones,
        audit: AuditLog,
        scope_of: Callable[[Principal], Scope],
        rights: Mapping[Role, frozenset[Right]] = DEFAULT_RIGHTS,
        sessions: SessionStore | None = None,
        live_monitors: Callable[[], frozenset[str] | None] = lambda: None,
    ) -> None:
        self._board = board
        self._live = live
        self._clock = clock
        self._control = control
        self._phones = phones
        self._audit = audit
        self._scope_of = scope_of
        self._rights = rights
        self._store: SessionStore = sessions or _NoSessions()
        self._live_monitors = live_monitors
        self._sessions: dict[UserId, _Session] = {}
        self._last: dict[UserId, str] = {}  # how each supervisor's last monitor ended
        self._seat_legs: dict[tuple[CallId, SeatId], str] = {}
        bus.subscribe(
            "supervisor-monitor",
            self._follow,
            types=(
                SeatRinging,
                MonitorConnected,
                MonitorEnded,
                CallTakenOver,
                CallLegEnded,
                CallEnded,
                StateResynced,
            ),
        )

    async def restore(self) -> None:
        """Take back the monitors under way when the app stopped (see the module's docstring)."""
        for user_id, state in (await offload(self._store.load)).items():
            try:
                s = _Session.from_state(state)
            except (ValueError, AssertionError):
                log.warning("monitor session of %s unreadable, dropped: %s", user_id, state)
                await offload(self._store.drop, user_id)
                continue
            self._sessions.setdefault(s.supervisor, s)
        await self._check_restored()

    async def _check_restored(self) -> None:
        """The sessions taken back, against the monitors Asterisk has (once the tracker knows)."""
        present = self._live_monitors()
        if present is None:
            return
        for s in [s for s in self._sessions.values() if s.restored]:
            if s.monitor_id in present:
                s.restored = False
                continue
            await self._finish(s, "lost", "系统重启期间监听已结束", s.source_ip, self._clock.now())
            try:
                await self._end_local(s.monitor_id)
            except PbxUnavailable:
                log.warning("monitor %s left to the PBX", s.monitor_id)

    # --- reads ---------------------------------------------------------------------------------

    def rights_of(self, principal: Principal) -> frozenset[Right]:
        return self._rights.get(principal.role, frozenset())

    def _under_way(self, principal: Principal, none: str, *, taken_over: str | None = None) -> _Session:
        """The principal's monitor under way, else a Conflict saying `none`; with `taken_over`, one
        taken over (or being taken over) is a Conflict saying that too."""
        s = self._sessions.get(principal.user_id)
        if s is None:
            raise Conflict(none)
        if taken_over is not None and (s.taken_over_at is not None or s.taking_over):
            raise Conflict(taken_over)
        return s

    def session(self, principal: Principal) -> MonitorView:
        s = self._sessions.get(principal.user_id)
        if s is not None:
            return s.view()
        return MonitorView(active=False, message=self._last.get(principal.user_id, ""))

    async def audit_log(self, principal: Principal, limit: int = 200) -> list[AuditEntry]:
        """The monitors and force hang-ups, newest first: for admins only."""
        if principal.role is not Role.ADMIN:
            raise PermissionDenied("仅管理员可以查看监听审计记录")
        return await offload(lambda: self._audit.recent(limit=limit, prefixes=AUDIT_ACTIONS))

    async def set_phone(
        self, principal: Principal, user_id: UserId, endpoint: str, password: str, source_ip: str = ""
    ) -> str:
        """An admin gives a console user (a supervisor) their own phone: rendered into pjsip.conf by
        `hotline asterisk-conf reload`, rung first when they listen. Audited (not the password)."""
        if principal.role is not Role.ADMIN:
            raise PermissionDenied("仅管理员可以为账号分配话机")
        endpoint = endpoint.strip()
        await offload(self._phones.save, user_id, endpoint, password)
        entry = AuditEntry(
            at=self._clock.now(),
            actor=principal.user_id,
            action="monitor.phone",
            target=user_id,
            detail={"endpoint": endpoint},
            source_ip=source_ip,
        )
        await offload(self._audit.append, entry)
        return endpoint

    # --- commands ------------------------------------------------------------------------------

    async def start(
        self, principal: Principal, seat_id: SeatId, mode: MonitorMode, source_ip: str = ""
    ) -> MonitorView:
        """Ring the supervisor's phone, then spy on the seat's leg in `mode`."""
        self._require(principal, mode.right)
        if principal.user_id in self._sessions:
            raise Conflict("您正在监听另一通话，请先结束监听")
        call_id, leg = await self._seat_call(principal, seat_id)
        phone = await offload(self._phones.endpoint, principal.user_id)
        if not phone:
            raise Conflict("您的账号没有配置话机，无法监听：请管理员为您分配话机")
        if principal.user_id in self._sessions:  # started meanwhile (a second click)
            raise Conflict("您正在监听另一通话，请先结束监听")
        s = _Session(
            supervisor=principal.user_id,
            seat_id=seat_id,
            call_id=call_id,
            leg=leg,
            phone=phone,
            mode=mode,
            monitor_id="",
            requested_at=self._clock.now(),
            source_ip=source_ip,
        )
        self._sessions[principal.user_id] = s
        self._last.pop(principal.user_id, None)
        try:
            await self._originate(s)
        except (PbxUnavailable, PbxActionFailed):
            self._sessions.pop(principal.user_id, None)  # nothing left half-open
            raise
        await self._write(principal.user_id, "monitor.start", s, source_ip)
        await self._keep(s)
        return s.view()

    async def switch(self, principal: Principal, mode: MonitorMode, source_ip: str = "") -> MonitorView:
        """Another mode for the monitor under way: its Local channel is replaced by one in `mode`
        (the supervisor's phone rings again)."""
        self._require(principal, mode.right)
        s = self._under_way(
            principal, "当前没有进行中的监听", taken_over="您已接管该通话，不能再切换监听方式"
        )
        if mode is s.mode:
            raise Conflict(f"已处于{mode.label}状态")
        before, old = s.mode, s.monitor_id
        # The old channel's end is not this session's any more (its MonitorEnded is ignored), and
        # it goes before the phone is rung again: a phone busy in it could refuse the new ring.
        s.mode, s.monitor_id, s.connected_at = mode, "", None
        try:
            await self._end_local(old)
            await self._originate(s)
        except (PbxUnavailable, PbxActionFailed) as exc:
            log.warning("monitor switch of %s failed: %s", s.call_id, exc.message)
            await self._finish(
                s, "failed", "切换失败，监听已结束，请重新开始监听", source_ip, self._clock.now()
            )
            raise
        await self._write(principal.user_id, "monitor.switch", s, source_ip, {"from": before.value})
        await self._keep(s)
        return s.view()

    async def stop(self, principal: Principal, source_ip: str = "") -> MonitorView:
        """结束监听: the monitor's Local channel is hung up; the call goes on."""
        if not self.rights_of(principal) & {Right.MONITOR, Right.BARGE}:
            raise PermissionDenied("您没有监听、耳语的权限")
        s = self._under_way(principal, "当前没有进行中的监听")
        if s.taken_over_at is not None:
            # 结束接管: the supervisor's phone leaves; the caller goes on to the survey.
            await self._finish(s, "takeover_stopped", "接管的通话已结束", source_ip, self._clock.now())
            await self._end_local(s.phone_channel)
            return self.session(principal)
        await self._finish(s, "stopped", "监听已结束", source_ip, self._clock.now())
        await self._end_local(s.monitor_id)
        return self.session(principal)

    async def take_over(self, principal: Principal, source_ip: str = "") -> MonitorView:
        """接管: the caller is bridged with the supervisor's phone, already in the call (any mode);
        the seat is dropped by Asterisk. Needs the barge right."""
        self._require(principal, Right.BARGE)
        s = self._under_way(principal, "当前没有进行中的监听，请先监听或强插", taken_over="您已接管该通话")
        if s.connected_at is None or not s.phone_channel:
            raise Conflict("您的话机尚未接通，暂时无法接管")
        call = self._live.call(s.call_id)
        if call is None or not call.channel:
            raise Conflict("该通话已结束", call_id=s.call_id)
        s.taking_over = True
        try:
            await self._pbx().bridge(call.channel, s.phone_channel)
        except (PbxUnavailable, PbxActionFailed) as exc:
            s.taking_over = False
            log.warning("take-over of %s failed: %s", s.call_id, exc.message)
            if s.local_gone:  # the monitor ended meanwhile: nothing is left open
                await self._finish(s, "failed", "接管失败，监听已结束", source_ip, self._clock.now())
            raise
        await self._write(principal.user_id, "monitor.takeover", s, source_ip)
        return s.view()

    async def force_hangup(self, principal: Principal, seat_id: SeatId, source_ip: str = "") -> CallId:
        """强拆: the caller's channel is hung up (AMI Hangup); the call ends as any call does."""
        self._require(principal, Right.BARGE)
        call_id, _leg = await self._seat_call(principal, seat_id)
        call = self._live.call(call_id)
        if call is None or not call.channel:
            raise Conflict("该通话已结束", call_id=call_id)
        await self._pbx().hangup(call.channel)
        await offload(
            self._audit.append,
            AuditEntry(
                at=self._clock.now(),
                actor=principal.user_id,
                action="call.force_hangup",
                target=call_id,
                detail={"seat_id": seat_id, "call_id": call_id},
                source_ip=source_ip,
            ),
        )
        return call_id

    # --- the events ----------------------------------------------------------------------------

    async def _follow(self, event: DomainEvent) -> None:
        if isinstance(event, SeatRinging) and event.channel:
            self._seat_legs[(event.call_id, event.seat_id)] = event.channel
            while len(self._seat_legs) > _SEAT_LEGS:
                del self._seat_legs[next(iter(self._seat_legs))]
        elif isinstance(event, MonitorConnected):
            s = self._seen_in_asterisk(event.monitor_id)
            if s is not None and s.connected_at is None:
                s.connected_at = event.at
                s.phone_channel = event.phone_channel or s.phone_channel
                if s.first_connected_at is None:
                    s.first_connected_at = event.at
                await self._keep(s)
        elif isinstance(event, CallTakenOver):
            s = self._seen_in_asterisk(event.monitor_id)
            if s is not None and s.taken_over_at is None:
                s.taken_over_at, s.leg_id, s.taking_over = event.at, event.leg_id, False
                s.phone_channel = event.channel or s.phone_channel
                await self._keep(s)
        elif isinstance(event, CallLegEnded):
            s = next((s for s in self._sessions.values() if s.leg_id and s.leg_id == event.leg_id), None)
            if s is not None:
                await self._finish(s, "takeover_ended", "接管的通话已结束", s.source_ip, event.at)
        elif isinstance(event, MonitorEnded):
            s = self._by_monitor(event.monitor_id)
            if s is None:
                return  # one we replaced (a switch) or ended already
            if s.taken_over_at is not None or s.taking_over:
                s.local_gone = True  # the take-over moved the phone out of it: the session goes on
                return
            if event.connected:
                message = "监听已结束（话机已挂断或坐席话路已结束）"
                await self._finish(s, "phone_hung_up", message, s.source_ip, event.at)
            else:
                await self._finish(
                    s, "no_answer", "您的话机未接听或未登录，未能进入通话", s.source_ip, event.at
                )
        elif isinstance(event, StateResynced):
            await self._check_restored()
        elif isinstance(event, CallEnded):
            for s in [s for s in self._sessions.values() if s.call_id == event.call_id]:
                if s.taken_over_at is not None:
                    await self._finish(s, "takeover_ended", "接管的通话已结束", s.source_ip, event.at)
                    continue
                await self._finish(s, "call_ended", "通话已结束，监听随之结束", s.source_ip, event.at)
                # ChanSpy E ends a connected one by itself; one still ringing the supervisor's phone
                # would otherwise go on ringing, and once answered wait for a channel that is gone.
                try:
                    await self._end_local(s.monitor_id)
                except PbxUnavailable:
                    log.warning("monitor %s of ended call %s left to the PBX", s.monitor_id, s.call_id)
            self._seat_legs = {k: v for k, v in self._seat_legs.items() if k[0] != event.call_id}

    # --- helpers -------------------------------------------------------------------------------

    def _require(self, principal: Principal, right: Right) -> None:
        if right not in self.rights_of(principal):
            if right is Right.BARGE:
                raise PermissionDenied("您没有强插、强拆的权限")
            raise PermissionDenied("您没有监听、耳语的权限")

    def _pbx(self) -> CallControl:
        control = self._control()
        if control is None:
            raise PbxUnavailable("未连接交换机，暂时无法监听")
        return control

    async def _seat_call(self, principal: Principal, seat_id: SeatId) -> tuple[CallId, str]:
        """(the call, the seat's own leg) of a seat of the principal's scope that is talking."""
        state = await seat_in_scope(self._board, self._scope_of, principal, seat_id)
        if state.status is not SeatStatus.TALKING or not state.call_id:
            raise Conflict("该坐席当前没有通话", seat_id=seat_id)
        call_id = CallId(state.call_id)
        call = self._live.call(call_id)
        leg = self._seat_legs.get((call_id, seat_id))
        if call is None or leg is None or leg == call.channel:
            raise Conflict("未找到该坐席的话路，暂时无法操作", call_id=call_id)
        return call_id, leg

    async def _originate(self, s: _Session) -> None:
        s.monitor_id = f"{dialplan.MONITOR_PREFIX}{uuid.uuid4().hex[:12]}.{s.call_id}"
        await spy_from_local(
            self._pbx(),
            dialplan.MONITOR,
            s.monitor_id,
            f"{s.leg},{s.mode.options}",
            variables={dialplan.VAR_MONITOR_PHONE: s.phone},
            timeout_ms=_RING_MS,
        )

    async def _end_local(self, monitor_id: str) -> None:
        if monitor_id:
            await end_local(self._pbx(), monitor_id)

    async def _keep(self, s: _Session) -> None:
        if self._sessions.get(s.supervisor) is s:
            await offload(self._store.save, s.supervisor, s.state())

    def _by_monitor(self, monitor_id: str) -> _Session | None:
        return next((s for s in self._sessions.values() if s.monitor_id == monitor_id), None)

    def _seen_in_asterisk(self, monitor_id: str) -> _Session | None:
        """The session of `monitor_id`, which an event of Asterisk has just shown (a restored one
        is restored no longer)."""
        s = self._by_monitor(monitor_id)
        if s is not None:
            s.restored = False
        return s

    async def _finish(self, s: _Session, reason: str, message: str, source_ip: str, at: datetime) -> None:
        """The session is over `at` (the PBX's time when an event ended it: the connect time is the
        PBX's too): audited with how long the supervisor was in the call."""
        if self._sessions.get(s.supervisor) is not s:
            return
        del self._sessions[s.supervisor]
        self._last[s.supervisor] = message
        await offload(self._store.drop, s.supervisor)
        seconds = None
        if s.first_connected_at is not None:
            seconds = round((at - s.first_connected_at).total_seconds(), 1)
        await self._write(s.supervisor, "monitor.end", s, source_ip, {"reason": reason, "seconds": seconds})

    async def _write(
        self,
        actor: UserId,
        action: str,
        s: _Session,
        source_ip: str,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        detail = {
            "seat_id": s.seat_id,
            "call_id": s.call_id,
            "mode": s.mode.value,
            "monitor_id": s.monitor_id,
        }
        entry = AuditEntry(
            at=self._clock.now(),
            actor=actor,
            action=action,
            target=s.call_id,
            detail=detail | dict(extra or {}),
            source_ip=source_ip,
        )
        await offload(self._audit.append, entry)
