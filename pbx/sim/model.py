"""The simulated Asterisk: channels, app_queue queues and members, device states, the dialplan.

Emits AMI events (as ordered header lists) through a sink; the AMI server broadcasts them. The
sequences, header names and header order are copied from the traces recorded on Asterisk 22.10.1
(`shared/asterisk-traces/*.ami`), scenario by scenario; paths that no trace shows (a caller hanging
up while a seat rings, a caller ending a bridged call) follow the same building blocks and are
marked "not trace-backed" below.

What is deliberately NOT emitted (noise for every consumer of this system): RTCPSent/RTCPReceived,
security events (ChallengeSent, SuccessfulAuth), BRIDGEPEER/BRIDGEPVTCALLID, RTPAUDIOQOS*, SIPDOMAIN,
DIALEDPEERNUMBER/NAME, the *TIME/*TIME_MS and QUEUEWAIT* VarSets. The VarSets that ARE emitted are
listed in `SIMULATED_VARSETS` plus every variable set by an AGI `SET VARIABLE` or an Originate
`Variable:` header.

Dialplan reproduced (shared/asterisk-traces/extensions.conf):
  incoming,12348: Answer, AGI(agi://...), Queue(${HOTLINE_QUEUE or q-general},t,,,${QTIMEOUT or 60}), Hangup
With `SimulatorConfig.survey_script` set and an AGI target, the hotline's own dialplan instead
(asterisk_conf/templates/extensions.conf): Queue(...,tc,...) and, when the SEAT hangs up with the
caller still on the line, GotoIf(MEMBERINTERFACE) then AGI(agi://.../survey), Hangup (not
trace-backed; priorities continue the model's numbering after Queue).
  incoming,12349: Answer, Set(ASUUID=uuid), AudioSocket(uuid,host:port), Hangup
  transfer,12345: Answer, Wait(3), Hangup
  callback,<x>:   Dial(PJSIP/<x>,20), Hangup   (the `h` extension matches too: Dial(PJSIP/h,20))
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any

from core import dialplan
from pbx.sim.config import AgiTarget, PhoneConfig, QueueConfig, SimClock, SimulatorConfig, Strategy
from pbx.sim.voice import Voice, VoiceLibrary

Headers = list[tuple[str, str]]
EventSink = Callable[[Headers], None]

SIMULATED_VARSETS = frozenset(
    {"AGISTATUS", "ABANDONED", "QUEUEPOSITION", "QUEUESTATUS", "DIALSTATUS", "ASUUID"}
)
"""Dialplan/app variables whose VarSet events the simulator reproduces (besides AGI/Originate ones)."""

DOWN, RING, RINGING, UP = 0, 4, 5, 6
STATE_DESC = {DOWN: "Down", RING: "Ring", RINGING: "Ringing", UP: "Up"}

# enum ast_device_state, as QueueMember*'s `Status:` shows it.
DEVICE_CODES = {
    "UNKNOWN": 0,
    "NOT_INUSE": 1,
    "INUSE": 2,
    "BUSY": 3,
    "INVALID": 4,
    "UNAVAILABLE": 5,
    "RINGING": 6,
}

CAUSE_TEXT = {
    0: "Unknown",
    3: "No route to destination",
    16: "Normal Clearing",
    17: "User busy",
    19: "No user responding",
    21: "Call Rejected",
}
UNKNOWN = "<unknown>"


def _fmt_ts(epoch: float) -> str:
    return f"{epoch:.6f}"


@dataclass
class Bridge:
    id: str
    members: list[Channel] = field(default_factory=list)
    technology: str = "simple_bridge"


@dataclass
class Channel:
    name: str
    endpoint: str
    uniqueid: str
    linkedid: str
    state: int
    cid_num: str
    cid_name: str
    conn_num: str
    conn_name: str
    context: str
    exten: str
    priority: int
    created: float
    app: str = ""
    appdata: str = ""
    vars: dict[str, str] = field(default_factory=dict)
    bridge: Bridge | None = None
    # Interrupts: a hangup (phone BYE, AMI Hangup) or an async goto (AMI Redirect).
    interrupt: asyncio.Event = field(default_factory=asyncio.Event)
    hangup_cause: int | None = None
    soft_hangup: bool = False
    redirect_to: tuple[str, str, int] | None = None
    gone: bool = False
    # Set once the channel is hung up (Hangup emitted). Unlike `interrupt`, never replaced by a
    # Redirect: a ChanSpy tap follows the channel through a transfer and stops only here.
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    voice: Voice | None = None  # what this caller says (inbound callers only)

    def block(self, prefix: str = "", **override: str) -> Headers:
        """The channel snapshot every channel event carries (`Dest` prefix for the peer)."""
        values = {
            "Channel": self.name,
            "ChannelState": str(self.state),
            "ChannelStateDesc": STATE_DESC[self.state],
            "CallerIDNum": self.cid_num,
            "CallerIDName": self.cid_name,
            "ConnectedLineNum": self.conn_num,
            "ConnectedLineName": self.conn_name,
            "Language": "en",
            "AccountCode": "",
            "Context": self.context,
            "Exten": self.exten,
            "Priority": str(self.priority),
            "Uniqueid": self.uniqueid,
            "Linkedid": self.linkedid,
        }
        values.update(override)
        return [(prefix + k, v) for k, v in values.items()]

    def request_hangup(self, cause: int = 16, *, soft: bool = False) -> None:
        if self.gone or self.hangup_cause is not None:
            return
        self.hangup_cause = cause
        self.soft_hangup = soft
        self.interrupt.set()


@dataclass
class Member:
    queue: str
    name: str
    interface: str
    state_interface: str
    penalty: int
    login_time: int
    paused: bool = False
    paused_reason: str = ""
    calls_taken: int = 0
    last_call: int = 0
    last_call_end: float = -math.inf
    last_pause: int = 0
    in_call: bool = False
    ringing: bool = False
    status: int = 1

    def fields(self, *, status_list: bool = False) -> Headers:
        head: Headers = (
            [("Queue", self.queue), ("Name", self.name), ("Location", self.interface)]
            if status_list
            else [("Queue", self.queue), ("MemberName", self.name), ("Interface", self.interface)]
        )
        body = [
            ("StateInterface", self.state_interface),
            ("Membership", "dynamic"),
            ("Penalty", str(self.penalty)),
            ("CallsTaken", str(self.calls_taken)),
            ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)),
            ("LoginTime", str(self.login_time)),
            ("InCall", "1" if self.in_call else "0"),
            ("Status", str(self.status)),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.paused_reason),
        ]
        # The QueueStatus list item has no Ringinuse (checked on trace 01).
        tail = [("Wrapuptime", "0")] if status_list else [("Ringinuse", "1"), ("Wrapuptime", "0")]
        return head + body + tail


@dataclass
class QueueEntry:
    channel: Channel
    joined: float
    original_position: int
    ringing: bool = False


@dataclass
class Queue:
    config: QueueConfig
    members: list[Member] = field(default_factory=list)
    entries: list[QueueEntry] = field(default_factory=list)
    rr_next: int = 0
    completed: int = 0
    abandoned: int = 0
    holdtime: float = 0.0
    talktime: float = 0.0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def member(self, interface: str) -> Member | None:
        return next((m for m in self.members if m.interface == interface), None)

    def poke(self) -> None:
        """Wake waiting callers: a member became free, was added or unpaused."""
        self.changed.set()
        self.changed = asyncio.Event()


@dataclass(frozen=True, slots=True)
class CallerSpec:
    """One inbound call: who calls, what they dial, how patient they are, how long they talk."""

    endpoint: str = "caller1"
    number: str = "caller1"
    exten: str = "12348"
    patience: float = math.inf
    talk_time: float = math.inf
    district: str = ""
    dtmf: str = ""
    # Voice files (names in `SimulatorConfig.audio_dir`); "" draws one with the seeded RNG.
    speech: str = ""
    address: str = ""


class SimPbx:
    """The PBX state machine. All mutation happens on the event loop; events are emitted in order."""

    def __init__(self, config: SimulatorConfig, clock: SimClock, rng: random.Random, sink: EventSink) -> None:
        self.config = config
        self.clock = clock
        self.rng = rng
        self._sink = sink
        self.queues: dict[str, Queue] = {q.name: Queue(q) for q in config.queues}
        self.phones: dict[str, PhoneConfig] = {p.endpoint: p for p in config.seats}
        self.channels: list[Channel] = []
        self.devices: dict[str, str] = {}
        self._seq = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self.agi_target: AgiTarget | None = config.agi
        self.audiosocket = config.audiosocket
        self.muted = False
        self.voices = VoiceLibrary(config.audio_dir)
        self._local_seq = 0

    # ----------------------------------------------------------------- plumbing
    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def now(self) -> float:
        return self.clock.now()

    def emit(self, name: str, privilege: str, *parts: Headers) -> None:
        if self.muted:
            return
        headers: Headers = [("Event", name), ("Privilege", privilege), ("Timestamp", _fmt_ts(self.now()))]
        for part in parts:
            headers.extend(part)
        self._sink(headers)

    def chan_event(self, name: str, ch: Channel, *extra: Headers, privilege: str = "call,all") -> None:
        self.emit(name, privilege, ch.block(), *extra)

    def varset(self, ch: Channel, variable: str, value: str, *, always: bool = False) -> None:
        ch.vars[variable] = value
        if always or variable in SIMULATED_VARSETS:
            self.chan_event(
                "VarSet", ch, [("Variable", variable), ("Value", value)], privilege="dialplan,all"
            )

    def newexten(
        self, ch: Channel, priority: int, app: str, data: str, *, extension: str | None = None
    ) -> None:
        ch.priority, ch.app, ch.appdata = priority, app, data
        ext = ch.exten if extension is None else extension
        self.chan_event(
            "Newexten",
            ch,
            [("Extension", ext), ("Application", app), ("AppData", data)],
            privilege="dialplan,all",
        )

    def newstate(self, ch: Channel, state: int) -> None:
        ch.state = state
        self.chan_event("Newstate", ch)

    def set_device(self, device: str, state: str) -> None:
        """DeviceStateChange is only published when the aggregate state really changes."""
        if self.devices.get(device) == state:
            return
        self.devices[device] = state
        self.emit("DeviceStateChange", "call,all", [("Device", device), ("State", state)])

    def new_channel(
        self,
        endpoint: str,
        *,
        state: int,
        cid: str,
        context: str,
        exten: str,
        linkedid: str | None = None,
        name: str | None = None,
    ) -> Channel:
        # Uniqueid is "<epoch seconds>.<sequence>"; the channel name suffix is the same sequence in
        # 8 hex digits (PJSIP/caller1-00000002 <-> 1795299105.2), both counting every channel.
        seq = self._seq
        self._seq += 1
        uid = f"{int(self.now())}.{seq}"
        ch = Channel(
            name=name or f"PJSIP/{endpoint}-{seq:08x}",
            endpoint=endpoint,
            uniqueid=uid,
            linkedid=linkedid or uid,
            state=state,
            cid_num=cid,
            cid_name=UNKNOWN,
            conn_num=UNKNOWN,
            conn_name=UNKNOWN,
            context=context,
            exten=exten,
            priority=1,
            created=self.now(),
        )
        self.channels.append(ch)
        return ch

    def hangup(self, ch: Channel, cause: int, *, tech_cause: str | None = None) -> None:
        extra: Headers = [("Cause", str(cause)), ("Cause-txt", CAUSE_TEXT.get(cause, "Unknown"))]
        if tech_cause is not None:
            extra.append(("TechCause", tech_cause))
        self.chan_event("Hangup", ch, extra)
        ch.gone = True
        ch.ended.set()
        if ch in self.channels:
            self.channels.remove(ch)

    def next_local_seq(self) -> int:
        """chan_local numbers its pairs with a counter of its own (`Local/x@ctx-0000000a;1`)."""
        seq = self._local_seq
        self._local_seq += 1
        return seq

    # ----------------------------------------------------------------- voices
    def give_voice(self, ch: Channel, spec: CallerSpec) -> None:
        """The caller's conversation recording and address utterance: the spec's, or drawn."""
        if self.config.audio_dir is None:
            return
        drawn = self.voices.draw(self.rng)
        ch.voice = Voice(spec.speech or drawn.speech, spec.address or drawn.address)

    def speech_pcm(self, ch: Channel) -> bytes:
        """What `ch` says in conversation (b"": silence)."""
        if ch.voice is None or not self.config.callers_speak:
            return b""
        return self.voices.pcm(ch.voice.speech)

    def address_pcm(self, ch: Channel) -> bytes:
        """What `ch` says when the IVR asks for the address (b"": silence)."""
        if ch.voice is None or not self.config.callers_say_address:
            return b""
        return self.voices.pcm(ch.voice.address)

    @property
    def survey_target(self) -> AgiTarget | None:
        """The survey's FastAGI target when the hotline's own dialplan runs (None: traces' dialplan)."""
        script = self.config.survey_script
        if self.agi_target is None or not script:
            return None
        return replace(self.agi_target, script=script)

    def endpoint_idle(self, endpoint: str) -> None:
        if not any(c.endpoint == endpoint for c in self.channels):
            self.set_device(f"PJSIP/{endpoint}", "NOT_INUSE")

    async def wait(self, seconds: float, *events: asyncio.Event) -> int | None:
        """Wait virtual `seconds` or until one of `events`; the index of the event, None on timeout."""
        for i, ev in enumerate(events):
            if ev.is_set():
                return i
        waiters = [asyncio.ensure_future(ev.wait()) for ev in events]
        try:
            timeout = None if math.isinf(seconds) else self.clock.real(max(0.0, seconds))
            _done, _ = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
        for i, ev in enumerate(events):
            if ev.is_set():
                return i
        return None

    # ----------------------------------------------------------------- members and device states
    def member_device_changed(self, device: str, state: str, *, after_call: Queue | None = None) -> None:
        """A member's phone changed state: app_queue republishes QueueMemberStatus for every queue
        it is in, then (after a completed call) its `Queue:<q>_avail` hint, and the device state
        itself goes out on the AMI (the relative order of the two is a race in Asterisk)."""
        code = DEVICE_CODES.get(state, 0)
        for q in self.queues.values():
            for m in q.members:
                if m.state_interface == device:
                    m.status = code
                    self.emit("QueueMemberStatus", "agent,all", m.fields())
        if after_call is not None and not self.available_members(after_call):
            self.set_device(f"Queue:{after_call.config.name}_avail", "INUSE")
        self.set_device(device, state)
        if state == "NOT_INUSE":
            for q in self.queues.values():
                q.poke()

    def device_of(self, interface: str) -> str:
        endpoint = interface.partition("/")[2]
        if endpoint not in self.phones:
            return "UNAVAILABLE"
        return self.devices.get(interface, "NOT_INUSE")

    def available_members(self, q: Queue) -> list[Member]:
        now = self.now()
        return [
            m
            for m in q.members
            if not m.paused
            and not m.ringing
            and not m.in_call
            and self.device_of(m.state_interface) == "NOT_INUSE"
            and now - m.last_call_end >= q.config.wrapuptime
        ]

    def update_avail(self, q: Queue) -> None:
        # app_queue sets the `Queue:<q>_avail` hint when members are added, removed, (un)paused.
        members = [
            m for m in q.members if not m.paused and self.device_of(m.state_interface) != "UNAVAILABLE"
        ]
        self.set_device(f"Queue:{q.config.name}_avail", "NOT_INUSE" if members else "INUSE")

    def add_member(self, queue: str, interface: str, name: str, state_interface: str, penalty: int) -> Member:
        q = self.queues[queue]
        m = Member(queue, name, interface, state_interface, penalty, login_time=int(self.now()))
        m.status = DEVICE_CODES[self.device_of(state_interface)]
        q.members.append(m)
        # Order from trace 01: pause hint, QueueMemberAdded, avail hint.
        self.set_device(f"Queue:{queue}_pause_{interface}", "NOT_INUSE")
        self.emit("QueueMemberAdded", "agent,all", m.fields())
        self.update_avail(q)
        q.poke()
        return m

    def remove_member(self, queue: str, interface: str) -> None:
        q = self.queues[queue]
        m = q.member(interface)
        if m is None:
            return
        q.members.remove(m)
        self.emit("QueueMemberRemoved", "agent,all", m.fields())  # not trace-backed
        self.update_avail(q)

    def pause_member(self, q: Queue, m: Member, paused: bool, reason: str) -> None:
        m.paused = paused
        m.paused_reason = reason if paused else ""
        if paused:
            m.last_pause = int(self.now())
        # Order from traces 01 and 03: pause hint, avail hint (only on change), QueueMemberPause.
        self.set_device(f"Queue:{q.config.name}_pause_{m.interface}", "INUSE" if paused else "NOT_INUSE")
        self.update_avail(q)
        self.emit("QueueMemberPause", "agent,all", m.fields())
        q.poke()

    def pick_member(self, q: Queue) -> Member | None:
        free = self.available_members(q)
        if not free:
            return None
        if q.config.strategy is Strategy.LEASTRECENT:
            return min(free, key=lambda m: (m.last_call_end, q.members.index(m)))
        # rrmemory: continue after the member rung last time, in member order.
        n = len(q.members)
        for step in range(n):
            cand = q.members[(q.rr_next + step) % n]
            if cand in free:
                q.rr_next = (q.members.index(cand) + 1) % n
                return cand
        return None

    # ----------------------------------------------------------------- inbound calls
    def place_call(self, spec: CallerSpec) -> asyncio.Task[Any]:
        return self.spawn(self._inbound(spec))

    async def _inbound(self, spec: CallerSpec) -> None:
        ch = self.new_channel(
            spec.endpoint, state=RING, cid=spec.number, context="incoming", exten=spec.exten
        )
        if spec.district:
            ch.vars["SIM_DISTRICT"] = spec.district
        if spec.dtmf:
            ch.vars["SIM_DTMF"] = spec.dtmf
        self.give_voice(ch, spec)
        self.chan_event("Newchannel", ch)
        self.newexten(ch, 1, "Answer", "")
        self.newstate(ch, UP)
        self.set_device(f"PJSIP/{spec.endpoint}", "INUSE")
        await self.run_dialplan(ch, spec)

    async def run_dialplan(self, ch: Channel, spec: CallerSpec) -> None:
        """Run the channel from its current context/exten until it hangs up."""
        while not ch.gone:
            if ch.hangup_cause is not None:
                self._hangup_idle(ch)
                return
            if ch.context == "incoming" and ch.exten == "12348":
                await self._hotline(ch, spec)
            elif ch.context == "incoming" and ch.exten == "12349":
                await self._audiosocket(ch, spec)
            elif ch.context == "transfer" and ch.exten == "12345":
                await self._transfer_12345(ch)
            else:
                self.newexten(ch, ch.priority, "Hangup", "")
                self._end_by_dialplan(ch)
            if ch.redirect_to is not None and not ch.gone:
                self._apply_redirect(ch)

    def _apply_redirect(self, ch: Channel) -> None:
        assert ch.redirect_to is not None
        ch.context, ch.exten, ch.priority = ch.redirect_to
        ch.redirect_to = None
        ch.interrupt = asyncio.Event()
        # The async goto publishes a Newexten that still names the application it interrupted
        # (trace 06: `transfer,12345,1` with Application Queue).
        self.newexten(ch, ch.priority, ch.app, ch.appdata)

    def _hangup_idle(self, ch: Channel) -> None:
        """The caller hangs up outside any application state we model specially."""
        if not ch.soft_hangup:
            self.chan_event("HangupRequest", ch)
        self.chan_event("SoftHangupRequest", ch, [("Cause", "16")])
        self.hangup(ch, ch.hangup_cause or 16)
        self.endpoint_idle(ch.endpoint)

    def _end_by_dialplan(self, ch: Channel, *, cause: int = 16) -> None:
        """`Hangup()` in the dialplan: SoftHangupRequest then Hangup, cause 16 (traces 04, 07)."""
        self.chan_event("SoftHangupRequest", ch, [("Cause", "16")])
        self.hangup(ch, cause)
        self.endpoint_idle(ch.endpoint)

    async def _hotline(self, ch: Channel, spec: CallerSpec) -> None:
        from pbx.sim.agi_client import run_agi

        target = self.agi_target
        if target is not None:
            self.newexten(ch, 2, "AGI", target.url)
            status = await run_agi(self, ch, target)
            if ch.gone:
                return
            self.varset(ch, "AGISTATUS", status)
            if status == "HANGUP" or ch.hangup_cause is not None:
                self._hangup_idle(ch)
                return
            if ch.redirect_to is not None:
                return
        # Without an IVR the dialplan's defaults apply: q-general (configurable) and 60 s.
        qname = ch.vars.get("HOTLINE_QUEUE") or self.config.default_queue
        qtimeout = ch.vars.get("QTIMEOUT") or f"{self.config.queue_timeout:g}"
        survey = self.survey_target is not None
        if survey:
            # Set(MEMBERINTERFACE=) before Queue(): a transferred caller keeps no stale member.
            ch.vars.pop("MEMBERINTERFACE", None)
            ch.vars.pop("MEMBERNAME", None)
        self.newexten(ch, 3, "Queue", f"{qname},{'tc' if survey else 't'},,,{qtimeout}")
        if qname not in self.queues:
            # app_queue: "Unable to join queue": QUEUESTATUS=UNKNOWN and the dialplan goes on.
            self.varset(ch, "QUEUESTATUS", "UNKNOWN")
        else:
            outcome = await self._queue_call(ch, self.queues[qname], float(qtimeout), spec)
            if outcome == "survey":
                await self._survey(ch)
                return
            if outcome != "continue":
                return
        if ch.redirect_to is None and not ch.gone:
            self.newexten(ch, 4, "Hangup", "")
            self._end_by_dialplan(ch)

    async def _survey(self, ch: Channel) -> None:
        """Queue option c: the seat hung up, the caller's channel goes on to the survey.

        GotoIf($["${MEMBERINTERFACE}"=""]?overflow), AGI(agi://host:port/survey), Hangup(). The
        simulated caller keys one answer drawn from `survey_mix` (not trace-backed)."""
        from pbx.sim.agi_client import run_agi

        target = self.survey_target
        assert target is not None
        self.newexten(ch, 4, "GotoIf", f'$["{ch.vars.get("MEMBERINTERFACE", "")}"=""]?overflow')
        if ch.hangup_cause is not None:
            self._hangup_idle(ch)
            return
        self.newexten(ch, 5, "AGI", target.url)
        mix = self.config.survey_mix
        key = self.rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0] if mix else ""
        status = await run_agi(self, ch, target, dtmf=key)
        if ch.gone:
            return
        self.varset(ch, "AGISTATUS", status)
        if status == "HANGUP" or ch.hangup_cause is not None:
            self._hangup_idle(ch)
            return
        self.newexten(ch, 6, "Hangup", "")
        self._end_by_dialplan(ch)

    async def _transfer_12345(self, ch: Channel) -> None:
        # Trace 06: the async goto shows the Newexten with the old application (Queue) still set,
        # then Wait(3), then Hangup.
        self.newexten(ch, 2, "Wait", "3")
        if await self.wait(3.0, ch.interrupt) is not None and ch.hangup_cause is not None:
            self._hangup_idle(ch)
            return
        if ch.redirect_to is not None:
            return
        self.newexten(ch, 3, "Hangup", "")
        self._end_by_dialplan(ch)

    async def _audiosocket(self, ch: Channel, spec: CallerSpec) -> None:
        from pbx.sim.audiosocket_client import stream_call

        as_uuid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        self.newexten(ch, 2, "Set", f"ASUUID={as_uuid}")
        self.varset(ch, "ASUUID", as_uuid)
        host, port = self.audiosocket or ("127.0.0.1", 9092)
        self.newexten(ch, 3, "AudioSocket", f"{as_uuid},{host}:{port}")
        talk = spec.talk_time if not math.isinf(spec.talk_time) else 5.0
        if self.audiosocket is not None:
            await stream_call(self, ch, as_uuid, host, port, talk)
        else:
            await self.wait(talk, ch.interrupt)
        if ch.hangup_cause is not None:
            self._hangup_idle(ch)
            return
        self.newexten(ch, 4, "Hangup", "")
        self._end_by_dialplan(ch)

    # ----------------------------------------------------------------- app_queue
    async def _queue_call(self, ch: Channel, q: Queue, qtimeout: float, spec: CallerSpec) -> str:
        qn = q.config.name
        if not q.config.joinempty and not q.members:
            self.varset(ch, "QUEUESTATUS", "JOINEMPTY")
            return "continue"
        entry = QueueEntry(ch, self.now(), len(q.entries) + 1)
        q.entries.append(entry)
        self.set_device(f"Queue:{qn}", "RINGING")
        self.chan_event(
            "QueueCallerJoin",
            ch,
            [("Queue", qn), ("Position", str(len(q.entries))), ("Count", str(len(q.entries)))],
            privilege="agent,all",
        )
        timeout_at = entry.joined + qtimeout
        if not math.isinf(spec.patience):
            self.spawn(self._hang_up_at(ch, spec.patience))
        while True:
            if ch.hangup_cause is not None:
                self._abandon(ch, q, entry, by_timeout=False)
                return "gone"
            if ch.redirect_to is not None:
                self._leave(q, entry)
                return "redirect"
            if self.now() >= timeout_at:
                self._abandon(ch, q, entry, by_timeout=True)
                return "continue"
            member = None
            waiting = [e for e in q.entries if not e.ringing]
            if entry in waiting and waiting.index(entry) < len(self.available_members(q)):
                member = self.pick_member(q)
            if member is None:
                await self.wait(min(1.0, max(0.0, timeout_at - self.now())), ch.interrupt, q.changed)
                continue
            outcome, seat = await self._ring(
                ch, q, entry, member, min(q.config.timeout, timeout_at - self.now())
            )
            if outcome == "answered":
                return await self._connected(ch, seat, q, entry, member, spec)
            if outcome == "gone":
                return "gone"
            # No answer: app_queue waits `retry` seconds before trying the members again.
            await self.wait(min(q.config.retry, max(0.0, timeout_at - self.now())), ch.interrupt)

    async def _hang_up_at(self, ch: Channel, after: float) -> None:
        await self.clock.sleep(after)
        if not ch.gone and ch.bridge is None and ch.app == "Queue":
            ch.request_hangup(16)

    def _leave(self, q: Queue, entry: QueueEntry) -> None:
        position = q.entries.index(entry) + 1
        q.entries.remove(entry)
        if not q.entries:
            self.set_device(f"Queue:{q.config.name}", "NOT_INUSE")
        self.chan_event(
            "QueueCallerLeave",
            entry.channel,
            [("Queue", q.config.name), ("Position", str(position)), ("Count", str(len(q.entries)))],
            privilege="agent,all",
        )
        self.varset(entry.channel, "QUEUEPOSITION", str(position))
        q.poke()

    def _abandon(self, ch: Channel, q: Queue, entry: QueueEntry, *, by_timeout: bool) -> None:
        # Trace 03 (caller hangs up) and 04 (QTIMEOUT reached): Asterisk 22 reports BOTH as
        # QueueCallerAbandon; only QUEUESTATUS=TIMEOUT and the hangup cause tell them apart.
        if not by_timeout and not ch.soft_hangup:
            self.chan_event("HangupRequest", ch)
        position = q.entries.index(entry) + 1
        hold = int(self.now() - entry.joined)
        self.varset(ch, "ABANDONED", "TRUE")
        self.chan_event(
            "QueueCallerAbandon",
            ch,
            [
                ("Queue", q.config.name),
                ("Position", str(position)),
                ("OriginalPosition", str(entry.original_position)),
                ("HoldTime", str(hold)),
            ],
            privilege="agent,all",
        )
        q.abandoned += 1
        self._leave(q, entry)
        if by_timeout:
            self.varset(ch, "QUEUESTATUS", "TIMEOUT")
            return
        self.chan_event("SoftHangupRequest", ch, [("Cause", "16")])
        # The caller's own BYE while in the queue ends with cause 0 (trace 03).
        self.hangup(ch, 0)
        self.endpoint_idle(ch.endpoint)

    async def _ring(
        self, ch: Channel, q: Queue, entry: QueueEntry, m: Member, ring_for: float
    ) -> tuple[str, Channel]:
        endpoint = m.interface.partition("/")[2]
        phone = self.phones.get(endpoint)
        seat = self.new_channel(
            endpoint,
            state=DOWN,
            cid=UNKNOWN,
            context=phone.context if phone else dialplan.SEATS_OUT,
            exten="s",
            linkedid=ch.linkedid,
        )
        m.ringing = True
        entry.ringing = True
        ring_started = self.now()
        self.chan_event("Newchannel", seat)
        seat.cid_num = ch.exten
        self.newexten(seat, 1, "AppQueue", "(Outgoing Line)")
        self.chan_event("NewCallerid", seat, [("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")])
        seat.vars["DIALEDPEERNUMBER"] = endpoint
        self.chan_event(
            "AgentCalled",
            ch,
            seat.block("Dest", ConnectedLineNum=ch.cid_num, Exten=ch.exten),
            [("Queue", q.config.name), ("Interface", m.interface), ("MemberName", m.name)],
            privilege="agent,all",
        )
        self.chan_event("DialBegin", ch, seat.block("Dest"), [("DialString", m.interface)])
        ch.conn_num = seat.cid_num
        self.chan_event("NewConnectedLine", ch)
        seat.conn_num = ch.cid_num
        seat.exten = ch.exten
        self.newstate(seat, RINGING)
        self.newexten(seat, 1, "AppQueue", "(Outgoing Line)")
        self.chan_event("NewConnectedLine", seat)
        self.member_device_changed(m.state_interface, "RINGING")
        self.chan_event("DialState", ch, seat.block("Dest"), [("DialStatus", "RINGING")])

        answers = phone is not None and self.rng.random() < phone.answer_probability
        delay = phone.answer_delay.draw(self.rng) if phone is not None else math.inf
        answered = answers and delay < ring_for
        hit = await self.wait(delay if answered else ring_for, ch.interrupt, seat.interrupt)
        m.ringing = False
        entry.ringing = False
        if hit is None and answered:
            self.newstate(seat, UP)
            self.chan_event("DialEnd", ch, seat.block("Dest"), [("DialStatus", "ANSWER")])
            seat.vars["_ring_time"] = str(self.now() - ring_started)
            return "answered", seat
        if hit is None or hit == 1:
            # Trace 04: member timeout (or the seat rejecting): AgentRingNoAnswer, two DialEnds.
            ring_ms = round((self.now() - ring_started) * 1000)
            self.chan_event(
                "AgentRingNoAnswer",
                ch,
                seat.block("Dest"),
                [
                    ("Queue", q.config.name),
                    ("Interface", m.interface),
                    ("MemberName", m.name),
                    ("RingTime", str(ring_ms)),
                ],
                privilege="agent,all",
            )
            self.chan_event("DialEnd", ch, seat.block("Dest"), [("DialStatus", "NOANSWER")])
            self.chan_event("DialEnd", ch, seat.block("Dest"), [("DialStatus", "CANCEL")])
            self.hangup(seat, 0)
            self.member_device_changed(m.state_interface, "NOT_INUSE")
            return "noanswer", seat
        # The caller went away while the seat rang (not trace-backed): cancel the ring, then abandon.
        if ch.redirect_to is not None:
            self.chan_event("DialEnd", ch, seat.block("Dest"), [("DialStatus", "CANCEL")])
            self.hangup(seat, 0)
            self.member_device_changed(m.state_interface, "NOT_INUSE")
            self._leave(q, entry)
            return "gone", seat
        if not ch.soft_hangup:
            self.chan_event("HangupRequest", ch)
            ch.soft_hangup = True
        self.chan_event("DialEnd", ch, seat.block("Dest"), [("DialStatus", "CANCEL")])
        self.hangup(seat, 0)
        self.member_device_changed(m.state_interface, "NOT_INUSE")
        self._abandon(ch, q, entry, by_timeout=False)
        return "gone", seat

    async def _connected(
        self, ch: Channel, seat: Channel, q: Queue, entry: QueueEntry, m: Member, spec: CallerSpec
    ) -> str:
        hold = int(self.now() - entry.joined)
        ring_time = max(1, round(float(seat.vars.pop("_ring_time", "0"))))
        q.holdtime = (q.holdtime * q.completed + hold) / (q.completed + 1)
        self._leave(q, entry)
        self.chan_event(
            "AgentConnect",
            ch,
            seat.block("Dest"),
            [
                ("Queue", q.config.name),
                ("Interface", m.interface),
                ("MemberName", m.name),
                ("HoldTime", str(hold)),
                ("RingTime", str(ring_time)),
            ],
            privilege="agent,all",
        )
        bridge = Bridge(str(uuid.UUID(int=self.rng.getrandbits(128), version=4)))
        self.emit("BridgeCreate", "call,all", self._bridge_block(bridge))
        m.in_call = True
        self.member_device_changed(m.state_interface, "INUSE")
        for leg in (seat, ch):
            bridge.members.append(leg)
            leg.bridge = bridge
            self.emit("BridgeEnter", "call,all", self._bridge_block(bridge), leg.block())
        answered_at = self.now()
        survey = self.survey_target is not None
        if survey:
            # queues.conf `setinterfacevar = yes`: the member's variables on the caller's channel.
            ch.vars["MEMBERINTERFACE"] = m.interface
            ch.vars["MEMBERNAME"] = m.name
        phone = self.phones.get(seat.endpoint)
        seat_talk = phone.hangup_after.draw(self.rng) if phone is not None else math.inf
        hit = await self.wait(min(seat_talk, spec.talk_time), ch.interrupt, seat.interrupt)
        talk = int(self.now() - answered_at)
        q.completed += 1
        q.talktime = (q.talktime * (q.completed - 1) + talk) / q.completed
        m.calls_taken += 1
        m.last_call = int(self.now())
        m.last_call_end = self.now()
        m.in_call = False
        complete = [
            ("Queue", q.config.name),
            ("Interface", m.interface),
            ("MemberName", m.name),
            ("HoldTime", str(hold)),
            ("TalkTime", str(talk)),
        ]
        seat_ends = hit == 1 or (hit is None and seat_talk <= spec.talk_time)
        if ch.redirect_to is not None and hit == 0:
            # Trace 06: Redirect of the caller out of the bridge. The seat leg is hung up at once;
            # AgentComplete comes when the caller's Queue() finally ends (below, in _after_redirect).
            ctx, ext, pri = ch.redirect_to
            ch.context, ch.exten, ch.priority = ctx, ext, pri
            self.newexten(ch, pri, ch.app, ch.appdata)
            ch.redirect_to = None
            ch.interrupt = asyncio.Event()
            self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 1), ch.block())
            self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 0), seat.block())
            self.emit("BridgeDestroy", "call,all", self._bridge_block(bridge, 0))
            ch.bridge = seat.bridge = None
            await self._after_redirect(ch, seat, m, q, complete)
            return "gone"
        if seat_ends:
            # Trace 02: the seat hangs up.
            if not seat.soft_hangup:
                self.chan_event("HangupRequest", seat)
            self.chan_event(
                "AgentComplete",
                ch,
                seat.block("Dest"),
                complete,
                [("Reason", "agent")],
                privilege="agent,all",
            )
            first, second = seat, ch
            if survey:
                # Option c (the hotline's dialplan): the caller stays up and goes on in the dialplan.
                self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 1), seat.block())
                self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 0), ch.block())
                self.emit("BridgeDestroy", "call,all", self._bridge_block(bridge, 0))
                ch.bridge = seat.bridge = None
                self.hangup(seat, 16)
                self.member_device_changed(m.state_interface, "NOT_INUSE", after_call=q)
                return "survey"
        else:
            # The caller hangs up (not trace-backed: the mirror of trace 02).
            if not ch.soft_hangup:
                self.chan_event("HangupRequest", ch)
            self.chan_event(
                "AgentComplete",
                ch,
                seat.block("Dest"),
                complete,
                [("Reason", "caller")],
                privilege="agent,all",
            )
            first, second = ch, seat
        self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 1), first.block())
        self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 0), second.block())
        self.chan_event("SoftHangupRequest", second, [("Cause", "16")])
        self.emit("BridgeDestroy", "call,all", self._bridge_block(bridge, 0))
        ch.bridge = seat.bridge = None
        self.hangup(ch, 16)
        self.endpoint_idle(ch.endpoint)
        self.hangup(seat, 16)
        self.member_device_changed(m.state_interface, "NOT_INUSE", after_call=q)
        return "gone"

    async def _after_redirect(
        self, ch: Channel, seat: Channel, m: Member, q: Queue, complete: Headers
    ) -> None:
        # The seat leg is hung up as soon as it is left alone in the bridge.
        if ch.context == "transfer" and ch.exten == "12345":
            self.newexten(ch, 2, "Wait", "3")
        self.hangup(seat, 16)
        self.member_device_changed(m.state_interface, "NOT_INUSE", after_call=q)
        if ch.context == "transfer" and ch.exten == "12345":
            hit = await self.wait(3.0, ch.interrupt)
            if hit is None:
                self.newexten(ch, 3, "Hangup", "")
        if not ch.soft_hangup and ch.hangup_cause is not None:
            self.chan_event("HangupRequest", ch)
        self.chan_event("SoftHangupRequest", ch, [("Cause", "16")])
        self.chan_event("AgentComplete", ch, complete, [("Reason", "caller")], privilege="agent,all")
        self.hangup(ch, 16)
        self.endpoint_idle(ch.endpoint)

    def _bridge_block(self, bridge: Bridge, count: int | None = None) -> Headers:
        return [
            ("BridgeUniqueid", bridge.id),
            ("BridgeType", "basic"),
            ("BridgeTechnology", bridge.technology),
            ("BridgeCreator", UNKNOWN),
            ("BridgeName", UNKNOWN),
            ("BridgeNumChannels", str(len(bridge.members) if count is None else count)),
            ("BridgeVideoSourceMode", "none"),
        ]

    # ----------------------------------------------------------------- Originate (callbacks)
    def originate(
        self,
        action_id: str,
        endpoint: str,
        context: str,
        exten: str,
        priority: int,
        cid_num: str,
        cid_name: str,
        timeout: float,
        variables: dict[str, str],
    ) -> None:
        self.spawn(
            self._originate(
                action_id, endpoint, context, exten, priority, cid_num, cid_name, timeout, variables
            )
        )

    def originate_failure(
        self, action_id: str, channel: str, context: str, exten: str, reason: int, cid_num: str, cid_name: str
    ) -> None:
        self.emit(
            "OriginateResponse",
            "call,all",
            [("ActionID", action_id)] if action_id else [],
            [
                ("Response", "Failure"),
                ("Channel", channel),
                ("Context", context),
                ("Exten", exten),
                ("Reason", str(reason)),
                ("Uniqueid", "<null>"),
                ("CallerIDNum", cid_num),
                ("CallerIDName", cid_name),
            ],
        )

    async def _originate(
        self,
        action_id: str,
        endpoint: str,
        context: str,
        exten: str,
        priority: int,
        cid_num: str,
        cid_name: str,
        ring_timeout: float,
        variables: dict[str, str],
    ) -> None:
        phone = self.phones.get(endpoint)
        if phone is None:
            # Endpoint without a contact: the channel cannot be created (not trace-backed).
            self.originate_failure(action_id, f"PJSIP/{endpoint}", context, exten, 0, cid_num, cid_name)
            return
        leg = self.new_channel(endpoint, state=DOWN, cid=UNKNOWN, context=phone.context, exten="s")
        self.chan_event("Newchannel", leg)
        self.newexten(leg, 1, "AppDial2", "(Outgoing Line)")
        for k, v in variables.items():
            self.varset(leg, k, v, always=True)
        leg.cid_num, leg.cid_name = cid_num, cid_name
        self.chan_event("NewCallerid", leg, [("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")])
        leg.conn_num, leg.conn_name = cid_num, cid_name
        self.chan_event("NewConnectedLine", leg)
        self.emit("DialBegin", "call,all", leg.block("Dest"), [("DialString", endpoint)])
        self.newstate(leg, RINGING)
        self.member_device_changed(f"PJSIP/{endpoint}", "RINGING")
        self.emit("DialState", "call,all", leg.block("Dest"), [("DialStatus", "RINGING")])
        answers = self.rng.random() < phone.answer_probability
        delay = phone.answer_delay.draw(self.rng)
        answered = answers and delay < ring_timeout
        hit = await self.wait(delay if answered else ring_timeout, leg.interrupt)
        if hit is not None or not answered:
            # Not trace-backed: no answer within Timeout (reason 3) or rejected (reason 8 busy).
            self.emit(
                "DialEnd",
                "call,all",
                leg.block("Dest"),
                [("DialStatus", "NOANSWER" if hit is None else "BUSY")],
            )
            self.hangup(leg, 19 if hit is None else 17)
            self.member_device_changed(f"PJSIP/{endpoint}", "NOT_INUSE")
            self.originate_failure(
                action_id, f"PJSIP/{endpoint}", context, exten, 3 if hit is None else 8, cid_num, cid_name
            )
            return
        self.newstate(leg, UP)
        self.emit("DialEnd", "call,all", leg.block("Dest"), [("DialStatus", "ANSWER")])
        self.emit(
            "OriginateResponse",
            "call,all",
            [("ActionID", action_id)] if action_id else [],
            [
                ("Response", "Success"),
                ("Channel", leg.name),
                ("Context", context),
                ("Exten", exten),
                ("Reason", "4"),
                ("Uniqueid", leg.uniqueid),
                ("CallerIDNum", cid_num),
                ("CallerIDName", cid_name),
            ],
        )
        self.member_device_changed(f"PJSIP/{endpoint}", "INUSE")
        leg.context, leg.exten = context, exten
        seat_talk = phone.hangup_after.draw(self.rng)
        self.spawn(self._hang_up_after(leg, seat_talk))
        if context in (dialplan.CALLBACK, dialplan.LEGACY_CALLBACK_CONTEXT):
            await self._callback_dial(leg, priority)
        else:
            self.newexten(leg, priority, "Hangup", "")
            self._end_by_dialplan(leg)
            self.member_device_changed(f"PJSIP/{endpoint}", "NOT_INUSE")

    async def _hang_up_after(self, ch: Channel, seconds: float) -> None:
        if math.isinf(seconds):
            return
        await self.clock.sleep(seconds)
        ch.request_hangup(16)

    def _dial_reset(self, leg: Channel) -> None:
        # Dial() clears DIALSTATUS (and the other Dial variables we do not emit) when it starts.
        self.varset(leg, "DIALSTATUS", "")

    async def _callback_dial(self, leg: Channel, priority: int) -> None:
        target = leg.exten
        seat_endpoint = leg.endpoint
        self.newexten(leg, priority, "Dial", f"PJSIP/{target},20")
        self._dial_reset(leg)
        phone = self.phones.get(target)
        if phone is None:
            # Trace 08: the caller's phone has no contact: no channel at all, CHANUNAVAIL.
            self.varset(leg, "DIALSTATUS", "CHANUNAVAIL")
            self.newexten(leg, priority + 1, "Hangup", "")
            self.chan_event("SoftHangupRequest", leg, [("Cause", "16")])
            self._h_exten(leg)
            self.hangup(leg, 3, tech_cause="404")
            self.member_device_changed(f"PJSIP/{seat_endpoint}", "NOT_INUSE")
            return
        out = self.new_channel(
            target, state=DOWN, cid=UNKNOWN, context=phone.context, exten="s", linkedid=leg.linkedid
        )
        self.chan_event("Newchannel", out)
        out.cid_num, out.conn_num, out.cid_name, out.conn_name = (
            target,
            leg.cid_num,
            leg.cid_name,
            leg.cid_name,
        )
        out.exten = target
        self.newexten(out, 1, "AppDial", "(Outgoing Line)")
        self.chan_event("NewCallerid", out, [("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")])
        self.chan_event("NewConnectedLine", out)
        self.chan_event("DialBegin", leg, out.block("Dest"), [("DialString", target)])
        leg.conn_num = target
        self.chan_event("NewConnectedLine", leg)
        self.newstate(out, RINGING)
        self.set_device(f"PJSIP/{target}", "RINGING")
        self.chan_event("DialState", leg, out.block("Dest"), [("DialStatus", "RINGING")])
        answers = self.rng.random() < phone.answer_probability
        delay = phone.answer_delay.draw(self.rng)
        answered = answers and delay < 20.0
        hit = await self.wait(delay if answered else 20.0, leg.interrupt)
        if hit is not None or not answered:
            # Not trace-backed: the caller does not answer within 20 s, or the seat gives up.
            status = "NOANSWER" if hit is None else "CANCEL"
            self.chan_event("DialEnd", leg, out.block("Dest"), [("DialStatus", status)])
            self.hangup(out, 0)
            self.endpoint_idle(target)
            self.varset(leg, "DIALSTATUS", status)
            if hit is None:
                self.newexten(leg, priority + 1, "Hangup", "")
            self.chan_event("SoftHangupRequest", leg, [("Cause", "16")])
            self._h_exten(leg)
            self.hangup(leg, 16)
            self.member_device_changed(f"PJSIP/{seat_endpoint}", "NOT_INUSE")
            return
        self.newstate(out, UP)
        self.varset(leg, "DIALSTATUS", "ANSWER")
        self.set_device(f"PJSIP/{target}", "INUSE")
        out.exten = ""  # trace 05: the answered outbound leg shows an empty Exten from here on
        self.chan_event("DialEnd", leg, out.block("Dest"), [("DialStatus", "ANSWER")])
        bridge = Bridge(str(uuid.UUID(int=self.rng.getrandbits(128), version=4)))
        self.emit("BridgeCreate", "call,all", self._bridge_block(bridge))
        self.newexten(out, 1, "AppDial", "(Outgoing Line)")
        for one in (out, leg):
            bridge.members.append(one)
            one.bridge = bridge
            self.emit("BridgeEnter", "call,all", self._bridge_block(bridge), one.block())
        # Two PJSIP legs of a Dial(): the bridge moves to native RTP once both are in (trace 05).
        bridge.technology = "native_rtp"
        self.spawn(self._hang_up_after(out, phone.hangup_after.draw(self.rng)))
        hit = await self.wait(math.inf, out.interrupt, leg.interrupt)
        first, second = (out, leg) if hit == 0 else (leg, out)
        cause_hdr: Headers = [("Cause", "16")]
        if not first.soft_hangup:
            # The dialled leg's HangupRequest carries the cause (trace 05).
            self.chan_event("HangupRequest", first, cause_hdr if first is out else [])
        self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 1), first.block())
        self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 0), second.block())
        self.emit("BridgeDestroy", "call,all", self._bridge_block(bridge, 0))
        out.bridge = leg.bridge = None
        self.varset(leg, "DIALSTATUS", "ANSWER")
        self.chan_event("SoftHangupRequest", second, cause_hdr)
        self._h_exten(leg)
        self.hangup(out, 16)
        self.hangup(leg, 16)
        self.endpoint_idle(target)
        self.member_device_changed(f"PJSIP/{seat_endpoint}", "NOT_INUSE")

    def _h_exten(self, leg: Channel) -> None:
        # `exten => _[a-z0-9]!` also matches the `h` extension: Dial(PJSIP/h,20) runs on hangup
        # and ends at once with CANCEL (traces 05, 08).
        leg.exten = "h"
        self.newexten(leg, 1, "Dial", "PJSIP/h,20")
        self._dial_reset(leg)
        self.varset(leg, "DIALSTATUS", "CANCEL")

    # ----------------------------------------------------------------- phones
    def register_phone(self, phone: PhoneConfig) -> None:
        self.phones[phone.endpoint] = phone

    def unregister_phone(self, endpoint: str) -> None:
        self.phones.pop(endpoint, None)

    def hangup_endpoint(self, endpoint: str) -> bool:
        """The person at `endpoint` puts the phone down (all its channels)."""
        hit = False
        for ch in list(self.channels):
            if ch.endpoint == endpoint:
                ch.request_hangup(16)
                hit = True
        return hit

    def set_channel_sequence(self, start: int) -> None:
        """Continue channel numbering at `start` (as if that many channels had existed)."""
        self._seq = start

    def find_channel(self, name: str) -> Channel | None:
        return next((c for c in self.channels if c.name == name), None)
