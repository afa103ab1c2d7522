"""The simulated Asterisk: channels, app_queue queues and members, device states, the dialplan.

Emits AMI events (as ordered header lists) through a sink; the AMI server broadcasts them. The
sequences, header names and header order are copied from the traces recorded on Asterisk 22.10.1
(`shared/asterisk-traces/*.ami`), scenario by scenario; paths that no trace shows (a caller hanging
up while a seat rings, a caller ending a bridged call) follow the same building blocks and are
marked "not trace-backed" below.

Every VarSet Asterisk publishes is emitted (Set(), AGI SET VARIABLE, Originate variables, and the
ones applications set implicitly: app_queue's QUEUE*/MEMBER*/*TIME, Dial's DIAL*/*TIME, the
bridge's BRIDGEPEER/BRIDGEPVTCALLID, chan_pjsip's SIPDOMAIN), checked against the recorded traces
(tests/sim/test_sim_contract.py compares all of them). Not emitted, because the simulator has no
RTP or SIP security layer: RTCPSent/RTCPReceived, ChallengeSent/SuccessfulAuth, RTPAUDIOQOS*.

The dialplan is not coded here: `run_dialplan` interprets the extensions.conf the simulator was
given (pbx/sim/dialplan.py parses it; pbx/sim/asterisk_files.py loads or renders it) step by
step, and the applications the project's dialplans use are methods `_app_<name>` (Answer, AGI,
Queue, Dial, Goto, GotoIf, Set, NoOp, Playback, Wait, AudioSocket, ChanSpy, MixMonitor, Hangup).
An application it does not know is logged as an error and the channel is hung up, as Asterisk's
"No application" does; the `h` extension runs on hangup where one matches.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import re
import tempfile
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core import dialplan as names
from pbx.sim import atxfer
from pbx.sim.asterisk_files import load_asterisk_conf, pjsip_language
from pbx.sim.config import AgiTarget, PhoneConfig, QueueConfig, SimClock, SimulatorConfig, Strategy
from pbx.sim.dialplan import expand, split_args, split_if, truthy
from pbx.sim.records import Records
from pbx.sim.voice import Voice, VoiceLibrary

log = logging.getLogger(__name__)

# What a dialplan application tells the interpreter (pbx.c: 0 = go on, -1 = hang up).
NEXT, JUMPED, END = "next", "jumped", "end"
QUEUE_RESET_VARS = (
    "ANSWEREDTIME",
    "ANSWEREDTIME_MS",
    "DIALEDTIME",
    "DIALEDTIME_MS",
    "QUEUEWAIT",
    "QUEUEWAIT_MS",
)
"""Queue() clears these when it starts (observer trace)."""
DIAL_RESET_VARS = (
    "DIALSTATUS",
    "DIALEDPEERNUMBER",
    "DIALEDPEERNAME",
    "ANSWEREDTIME",
    "ANSWEREDTIME_MS",
    "DIALEDTIME",
    "DIALEDTIME_MS",
    "RINGTIME",
    "RINGTIME_MS",
    "PROGRESSTIME",
    "PROGRESSTIME_MS",
)
"""Dial() clears these when it starts, DIALSTATUS first (observer trace, callback and h)."""
PLAYBACK_S = 2.0
"""How long a simulated Playback() prompt lasts (virtual seconds)."""

Headers = list[tuple[str, str]]
EventSink = Callable[[Headers], None]

SIMULATED_VARSETS = frozenset(
    {"AGISTATUS", "ABANDONED", "QUEUEPOSITION", "QUEUESTATUS", "DIALSTATUS", "ASUUID"}
)
"""Status variables of the applications (every VarSet is emitted now; kept for importers)."""

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
    # res_mutestream's suppressed directions ("in": what the phone sends, "out": what it hears),
    # set by AMI MuteAudio; the simulated audio does not change (no voice of a seat is simulated).
    muted: frozenset[str] = frozenset()
    # func_volume's VOLUME(RX) / VOLUME(TX) gains set by AMI Setvar ("" or "0": unchanged audio;
    # the hold sets RX to -32768, silence); no simulated audio changes.
    volume: dict[str, str] = field(default_factory=dict)
    # Set once the channel is hung up (Hangup emitted). Unlike `interrupt`, never replaced by a
    # Redirect: a ChanSpy tap follows the channel through a transfer and stops only here.
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    voice: Voice | None = None  # what this caller says (inbound callers only)
    spec: CallerSpec | None = None  # the simulated caller behind an inbound channel
    sip_call_id: str = ""  # the SIP dialog's Call-ID (BRIDGEPVTCALLID on the bridged peer)
    language: str = "en"  # the endpoint's pjsip.conf `language`
    cause: int | None = None  # hangup cause an application set (Dial: 3 when no channel)
    tech_cause: str | None = None
    in_h: bool = False  # running the `h` extension
    last_cep: tuple[str, str, int] | None = None  # the location the last Newexten published
    # AgentComplete owed to a queue the caller was redirected out of: (queue, interface, member
    # name, hold, answered at); app_queue publishes it when the caller's channel hangs up.
    pending_complete: list[tuple[str, str, str, int, float]] = field(default_factory=list)
    # Work another thread of Asterisk publishes just after the channel's next Newexten.
    after_newexten: list[Callable[[], None]] = field(default_factory=list)
    # The bridge an AMI Bridge moved the channel into (`SimPbx.bridge_channels`), until the
    # coroutine that owned its old bridge (the caller's Queue(), a Dial()) has seen it.
    moved: Bridge | None = None

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
            "Language": self.language,
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
    context: str = ""  # "" : SimulatorConfig.incoming_context
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
        self.run_dir = config.run_dir or Path(tempfile.mkdtemp(prefix="hotline-sim-"))
        self.dialplan, queue_configs, self.conf_dir = load_asterisk_conf(config, self.run_dir)
        self.records = Records(
            config.queue_log_path or self.run_dir / "queue_log",
            config.cdr_path or self.run_dir / "cdr-csv" / "Master.csv",
        )
        self.language = pjsip_language(self.conf_dir)
        self.queues: dict[str, Queue] = {q.name: Queue(q) for q in queue_configs}
        self.unknown_applications: list[str] = []
        self.phones: dict[str, PhoneConfig] = {p.endpoint: p for p in config.seats}
        self.channels: list[Channel] = []
        self.devices: dict[str, str] = {}
        self._seq = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self.agi_target: AgiTarget | None = config.agi
        self.audiosocket = config.audiosocket
        self.muted = False
        self.voices = VoiceLibrary(config.audio_dir)
        self._address_texts = self.voices.address_texts()
        self._address_districts = self.voices.address_districts()
        # Told (stream uuid, the script's text) whenever a caller says their address on an
        # AudioSocket: the demo's stand-in for a recogniser when none runs (pbx/sim/demo.py).
        self.address_listeners: list[Callable[[str, str], None]] = []
        self._local_seq = 0
        self.consults: dict[str, atxfer.Consultation] = {}  # seat channel -> its consultation

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
        if ch.pending_complete and (
            name == "SoftHangupRequest" or (name == "HangupRequest" and ch.app != "Queue")
        ):
            # A queue call the caller was redirected out of completes when the caller's channel
            # is being hung up: after the SoftHangupRequest, or at once on the caller's BYE from
            # a Dial() (observer trace: 12345, queue and seat transfers).
            self.flush_pending_complete(ch)

    def varset(self, ch: Channel, variable: str, value: str, *, always: bool = True) -> None:
        """Set a channel variable; pbx.c publishes a VarSet for every one."""
        ch.vars[variable] = value
        self.chan_event("VarSet", ch, [("Variable", variable), ("Value", value)], privilege="dialplan,all")

    def newexten(
        self, ch: Channel, priority: int, app: str, data: str, *, extension: str | None = None
    ) -> None:
        ch.priority, ch.app, ch.appdata = priority, app, data
        ext = ch.exten if extension is None else extension
        cep = (ch.context, ch.exten, priority)
        if cep == ch.last_cep:
            # Newexten is published when a snapshot's context/exten/priority changed, not per
            # application (trace 06: Answer at the redirect's priority 1 shows no Newexten).
            return
        ch.last_cep = cep
        self.chan_event(
            "Newexten",
            ch,
            [("Extension", ext), ("Application", app), ("AppData", data)],
            privilege="dialplan,all",
        )
        while ch.after_newexten:
            ch.after_newexten.pop(0)()

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
        uniqueid: str | None = None,
    ) -> Channel:
        # Uniqueid is "<epoch seconds>.<sequence>"; the channel name suffix is the same sequence in
        # 8 hex digits (PJSIP/caller1-00000002 <-> 1795299105.2), both counting every channel.
        seq = self._seq
        self._seq += 1
        uid = uniqueid or f"{int(self.now())}.{seq}"  # Originate's ChannelId, when given
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
        ch.language = self.language
        # A stable Call-ID per channel, without touching the seeded RNG's sequence.
        ch.sip_call_id = str(uuid.uuid5(uuid.NAMESPACE_OID, f"{self.config.seed}:{uid}:{ch.name}"))
        self.channels.append(ch)
        return ch

    def hangup(self, ch: Channel, cause: int, *, tech_cause: str | None = None) -> None:
        while ch.after_newexten:
            ch.after_newexten.pop(0)()
        self.flush_pending_complete(ch)
        tech_cause = tech_cause if tech_cause is not None else ch.tech_cause
        extra: Headers = [("Cause", str(cause)), ("Cause-txt", CAUSE_TEXT.get(cause, "Unknown"))]
        if tech_cause is not None:
            extra.append(("TechCause", tech_cause))
        self.chan_event("Hangup", ch, extra)
        ch.gone = True
        ch.ended.set()
        if ch in self.channels:
            self.channels.remove(ch)

    def flush_pending_complete(self, ch: Channel) -> None:
        now = self.now()
        pending, ch.pending_complete = ch.pending_complete, []
        for queue, interface, member, hold, answered_at in pending:
            self.chan_event(
                "AgentComplete",
                ch,
                [
                    ("Queue", queue),
                    ("Interface", interface),
                    ("MemberName", member),
                    ("HoldTime", str(hold)),
                    ("TalkTime", str(int(now - answered_at))),
                    ("Reason", "caller"),
                ],
                privilege="agent,all",
            )

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

    def home_district(self, ch: Channel) -> str | None:
        """The district code of the address `ch`'s caller says (None: no address, or not known)."""
        if ch.voice is None or not self.config.callers_say_address:
            return None
        return self._address_districts.get(ch.voice.address)

    def says_address(self, ch: Channel, stream_id: str) -> None:
        """`ch` starts saying its address on AudioSocket `stream_id`: the listeners hear the
        script's text of that utterance (pbx/sim/audio/addresses.tsv), when it has one."""
        if ch.voice is None or not self.config.callers_say_address:
            return
        text = self._address_texts.get(ch.voice.address, "")
        if text:
            for listener in self.address_listeners:
                listener(stream_id, text)

    def device_idle(self, endpoint: str) -> None:
        """The endpoint's last channel is gone: its device (and any queue member on it) is idle."""
        if not any(c.endpoint == endpoint for c in self.channels):
            self.member_device_changed(f"PJSIP/{endpoint}", "NOT_INUSE")

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
            spec.endpoint,
            state=RING,
            cid=spec.number,
            context=spec.context or self.config.incoming_context,
            exten=spec.exten,
        )
        if spec.district:
            ch.vars["SIM_DISTRICT"] = spec.district
        if spec.dtmf:
            ch.vars["SIM_DTMF"] = spec.dtmf
        ch.spec = spec
        self.give_voice(ch, spec)
        self.chan_event("Newchannel", ch)
        # chan_pjsip: the domain of the INVITE's request URI, on every inbound channel.
        self.varset(ch, "SIPDOMAIN", self.config.ami_host, always=True)
        await self.run_dialplan(ch)

    # ----------------------------------------------------------------- the dialplan interpreter
    def expand(self, ch: Channel, text: str) -> str:
        """`${...}` and `$[...]` in `text` with `ch`'s variables and functions."""

        def lookup(name: str) -> str | None:
            builtin = {
                "EXTEN": ch.exten,
                "CONTEXT": ch.context,
                "PRIORITY": str(ch.priority),
                "UNIQUEID": ch.uniqueid,
                "CHANNEL": ch.name,
                "LINKEDID": ch.linkedid,
            }
            return builtin[name] if name in builtin else ch.vars.get(name)

        def function(name: str, arg: str) -> str:
            if name == "IF":
                cond, yes, no = split_if(arg)
                return yes if truthy(cond) else no
            if name == "CALLERID":
                part = arg.strip().lower()
                return {"num": ch.cid_num, "name": ch.cid_name, "all": f'"{ch.cid_name}" <{ch.cid_num}>'}.get(
                    part, ""
                )
            if name == "CONNECTEDLINE":
                return {"num": ch.conn_num, "name": ch.conn_name}.get(arg.strip().lower(), "")
            if name == "LEN":
                return str(len(arg))
            if name == "CHANNEL" and arg.strip() == "name":
                return ch.name
            if name == "SHELL" and "random/uuid" in arg:
                # The traces' dialplan draws an AudioSocket uuid from the kernel: a seeded one here.
                return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            log.error("Function %s not registered (simulated dialplan, %s)", name, ch.name)
            return ""

        return expand(text, lookup, function)

    def _goto(self, ch: Channel, target: str) -> bool:
        """Goto's `[[context,]exten,]priority|label`; False when the target does not exist."""
        parts = [p.strip() for p in split_args(target)]
        context, exten = ch.context, ch.exten
        if len(parts) == 3:
            context, exten, prio = parts
        elif len(parts) == 2:
            exten, prio = parts
        else:
            prio = parts[0]
        if prio.isdigit():
            priority: int | None = int(prio)
        else:
            priority = self.dialplan.label(context, exten, prio)
        if priority is None or not self.dialplan.exists(context, exten, priority):
            log.warning(
                "Goto (%s,%s,%s) of %s: no such extension/priority: the channel is hung up",
                context,
                exten,
                prio,
                ch.name,
            )
            ch.context, ch.exten, ch.priority = context, exten, priority or 1
            return False
        ch.context, ch.exten, ch.priority = context, exten, priority
        return True

    async def run_dialplan(self, ch: Channel) -> None:
        """Run `ch` from its current context/exten/priority, step by step, until it is hung up.

        Each step: expand the data, publish Newexten (only when the location changed, as
        Asterisk's channel snapshots do), run the application. An application returns NEXT (go
        on with the next priority), JUMPED (it moved the channel), or END (the channel is gone or
        must be hung up)."""
        while not ch.gone:
            if ch.redirect_to is not None:
                self._apply_redirect(ch)
            if ch.hangup_cause is not None:
                self._hangup_idle(ch)
                return
            step = self.dialplan.step(ch.context, ch.exten, ch.priority)
            if step is None:
                # pbx.c: "Auto fallthrough" / "sent to invalid extension": the channel is hung up.
                log.warning(
                    "no dialplan step %s,%s,%s for %s: hung up", ch.context, ch.exten, ch.priority, ch.name
                )
                self._end_by_dialplan(ch)
                return
            app = step.app.lower()
            handler = self._apps.get(app)
            if handler is None:
                # pbx.c: "No application 'X' for extension (ctx, exten, prio)": the PBX loop ends.
                log.error(
                    "No application '%s' for extension (%s, %s, %d): %s hung up",
                    step.app,
                    ch.context,
                    ch.exten,
                    step.priority,
                    ch.name,
                )
                self.unknown_applications.append(step.app)
                self._end_by_dialplan(ch, soft=False)
                return
            data = self.expand(ch, step.data)
            self.newexten(ch, step.priority, step.app, data)
            if not self.muted:
                # The channel snapshot names the application even when no Newexten is published
                # (same priority after a redirect): the CDR's lastapp follows the snapshot.
                self.records.application(ch.name, ch.context, ch.exten, step.app, data)
            outcome = await handler(ch, data)
            if ch.gone:
                return
            if outcome == END:
                if ch.redirect_to is None and ch.hangup_cause is None:
                    self._end_by_dialplan(ch, cause=ch.cause or 16)
                    return
            elif outcome == NEXT:
                ch.priority += 1

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
        self.run_h_exten(ch)
        self.hangup(ch, ch.hangup_cause or 16)
        self.device_idle(ch.endpoint)

    def _end_by_dialplan(self, ch: Channel, *, cause: int = 16, soft: bool = True) -> None:
        """`Hangup()` in the dialplan: SoftHangupRequest then Hangup (traces 04, 07)."""
        if soft:
            self.chan_event("SoftHangupRequest", ch, [("Cause", "16")])
        self.run_h_exten(ch)
        self.hangup(ch, cause)
        self.device_idle(ch.endpoint)

    def run_h_exten(self, ch: Channel) -> None:
        """The `h` extension of the channel's context, if one matches (`_[a-z0-9]!` does): its
        steps run on the hung-up channel until one fails; Dial() fails at once with CANCEL
        (traces 05, 08)."""
        if ch.in_h or self.dialplan.find(ch.context, "h") is None:
            return
        ch.in_h = True
        ch.exten, priority = "h", 1
        while (step := self.dialplan.step(ch.context, "h", priority)) is not None:
            data = self.expand(ch, step.data)
            self.newexten(ch, priority, step.app, data)
            app = step.app.lower()
            if app == "dial":
                self._dial_reset(ch)
                self.varset(ch, "DIALSTATUS", "CANCEL")
                return
            if app == "set":
                name, _, value = data.partition("=")
                self.varset(ch, name.strip(), value, always=True)
            elif app in ("hangup", "agi") or app not in self._apps:
                return
            priority += 1

    # ----------------------------------------------------------------- dialplan applications
    @property
    def _apps(self) -> dict[str, Callable[[Channel, str], Coroutine[Any, Any, str]]]:
        return {
            "answer": self._app_answer,
            "noop": self._app_noop,
            "verbose": self._app_noop,
            "log": self._app_noop,
            "ringing": self._app_noop,
            "progress": self._app_noop,
            "set": self._app_set,
            "goto": self._app_goto,
            "gotoif": self._app_gotoif,
            "hangup": self._app_hangup,
            "wait": self._app_wait,
            "playback": self._app_playback,
            "agi": self._app_agi,
            "queue": self._app_queue,
            "dial": self._app_dial,
            "audiosocket": self._app_audiosocket,
            "chanspy": self._app_chanspy,
            "musiconhold": self._app_musiconhold,
            "mixmonitor": self._app_mixmonitor,
        }

    async def _app_noop(self, ch: Channel, data: str) -> str:
        return NEXT

    async def _app_answer(self, ch: Channel, data: str) -> str:
        if ch.state != UP:
            self.newstate(ch, UP)
            if not ch.name.startswith("Local/"):
                self.set_device(f"PJSIP/{ch.endpoint}", "INUSE")
        return NEXT

    async def _app_set(self, ch: Channel, data: str) -> str:
        name, sep, value = data.partition("=")
        name = name.strip()
        if not sep or not name:
            log.warning("Set(%s) on %s: expected NAME=value", data, ch.name)
            return NEXT
        upper = name.upper()
        if upper in ("CALLERID(NUM)", "CALLERID(NAME)"):
            if upper.endswith("(NUM)"):
                ch.cid_num = value
            else:
                ch.cid_name = value
            self.chan_event(
                "NewCallerid", ch, [("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")]
            )
            return NEXT
        self.varset(ch, name, value, always=True)
        return NEXT

    async def _app_goto(self, ch: Channel, data: str) -> str:
        return JUMPED if self._goto(ch, data) else END

    async def _app_gotoif(self, ch: Channel, data: str) -> str:
        cond, yes, no = split_if(data)
        target = yes if truthy(cond) else no
        if not target.strip():
            return NEXT
        return JUMPED if self._goto(ch, target) else END

    async def _app_hangup(self, ch: Channel, data: str) -> str:
        if data.strip().isdigit():
            ch.cause = int(data.strip())
        return END

    async def _app_wait(self, ch: Channel, data: str) -> str:
        try:
            seconds = float(data.strip() or 0)
        except ValueError:
            seconds = 0.0
        await self.wait(seconds, ch.interrupt)
        return END if ch.hangup_cause is not None else NEXT

    async def _app_playback(self, ch: Channel, data: str) -> str:
        # The simulated prompt lasts PLAYBACK_S; PLAYBACKSTATUS as app_playback sets it.
        await self.wait(PLAYBACK_S, ch.interrupt)
        if ch.hangup_cause is not None:
            return END
        self.varset(ch, "PLAYBACKSTATUS", "SUCCESS", always=True)
        return NEXT

    async def _app_mixmonitor(self, ch: Channel, data: str) -> str:
        from pbx.sim.mixmonitor import start_mixmonitor

        start_mixmonitor(self, ch, data)
        return NEXT

    async def _app_musiconhold(self, ch: Channel, data: str) -> str:
        # res_musiconhold's MusicOnHold(class): plays until the channel is hung up (no duration);
        # MusicOnHoldStart / Stop as a real Asterisk publishes them (the consultation hold of
        # tests/data/asterisk-traces/atxfer_seat_cancelled).
        self.chan_event("MusicOnHoldStart", ch, [("Class", split_args(data)[0] or "default")])
        await self.wait(math.inf, ch.interrupt)
        self.chan_event("MusicOnHoldStop", ch)
        return END if ch.hangup_cause is not None else NEXT

    async def _app_chanspy(self, ch: Channel, data: str) -> str:
        # A dialplan ChanSpy outside the tap Originate: listen until the spied channel ends.
        spied = next(
            (c for c in self.channels if c.name.startswith(split_args(data)[0]) and c is not ch), None
        )
        if spied is not None:
            await self.wait(math.inf, ch.interrupt, spied.ended)
        return END if ch.hangup_cause is not None else NEXT

    async def _app_agi(self, ch: Channel, data: str) -> str:
        from pbx.sim.agi_client import run_agi

        url = split_args(data)[0].strip()
        match = re.fullmatch(r"agi://([^:/]+)(?::(\d+))?/(.*)", url)
        if match is None or self.agi_target is None:
            # No FastAGI server configured (or not a FastAGI URL): res_agi's connect failure.
            status = "FAILURE"
        else:
            # The configured server stands in for the URL's host:port (tests bind a free port).
            target = AgiTarget(self.agi_target.host, self.agi_target.port, match.group(3))
            dtmf = None
            if self.config.survey_script and target.script == self.config.survey_script:
                mix = self.config.survey_mix
                dtmf = self.rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0] if mix else ""
            status = await run_agi(self, ch, target, dtmf=dtmf)
            if ch.gone:
                return END
        self.varset(ch, "AGISTATUS", status)
        if status == "HANGUP" or ch.hangup_cause is not None:
            if ch.hangup_cause is None:
                ch.request_hangup(16)
            return END
        return NEXT

    async def _app_queue(self, ch: Channel, data: str) -> str:
        args = split_args(data) + [""] * 5
        qname, options, timeout_text = args[0].strip(), args[1], args[4].strip()
        qtimeout = float(timeout_text) if timeout_text else math.inf
        q = self.queues.get(qname)
        if q is None:
            # app_queue: "Unable to join queue": QUEUESTATUS=UNKNOWN and the dialplan goes on.
            log.warning("Queue(%s) on %s: no such queue in queues.conf", qname, ch.name)
            self.varset(ch, "QUEUESTATUS", "UNKNOWN")
            return NEXT
        spec = ch.spec or CallerSpec(endpoint=ch.endpoint, number=ch.cid_num)
        outcome = await self._queue_call(ch, q, qtimeout, spec, continue_after=("c" in options))
        if outcome == "gone":
            return END
        if outcome == "redirect":
            return JUMPED
        if outcome == "survey":
            self.varset(ch, "QUEUESTATUS", "CONTINUE")
        return NEXT

    async def _app_audiosocket(self, ch: Channel, data: str) -> str:
        from pbx.sim.audiosocket_client import stream_call

        args = split_args(data)
        as_uuid = args[0].strip()
        host, _, port = (args[1] if len(args) > 1 else "").rpartition(":")
        spec = ch.spec or CallerSpec()
        talk = spec.talk_time if not math.isinf(spec.talk_time) else 5.0
        if self.audiosocket is not None:
            # The configured server stands in for the dialplan's host:port (tests bind a free port).
            await stream_call(self, ch, as_uuid, self.audiosocket[0], self.audiosocket[1], talk)
        else:
            del host, port
            await self.wait(talk, ch.interrupt)
        return END if ch.hangup_cause is not None else NEXT

    # ----------------------------------------------------------------- app_queue
    async def _queue_call(
        self, ch: Channel, q: Queue, qtimeout: float, spec: CallerSpec, *, continue_after: bool = False
    ) -> str:
        qn = q.config.name
        if not q.config.joinempty and not q.members:
            self.varset(ch, "QUEUESTATUS", "JOINEMPTY")
            return "continue"
        for var in QUEUE_RESET_VARS:
            self.varset(ch, var, "", always=True)
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
                return await self._connected(ch, seat, q, entry, member, spec, continue_after)
            if outcome == "gone":
                return "gone"
            # No answer: app_queue waits `retry` seconds before trying the members again, and only
            # then looks at the queue timeout (trace 04: QTIMEOUT 14, left after 10 + 5 s).
            await self.wait(q.config.retry, ch.interrupt)

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
        waited = self.now() - entry.joined
        hold = int(waited)

        def waited_vars() -> None:
            self.varset(ch, "QUEUEWAIT", str(round(waited)), always=True)
            self.varset(ch, "QUEUEWAIT_MS", str(int(waited * 1000)), always=True)
            self.queue_end_vars(ch, None)

        # The caller's hangup: the wait figures, then the abandon (trace 03); the queue
        # timeout: the abandon, then the figures (trace 04).
        if not by_timeout:
            waited_vars()
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
        if by_timeout:
            waited_vars()
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
            context=phone.context if phone else names.SEATS_OUT,
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
        self.varset(seat, "DIALEDPEERNUMBER", endpoint, always=True)
        self._agent_event(
            "AgentCalled", ch, seat.block("Dest", ConnectedLineNum=ch.cid_num, Exten=ch.exten), q, m
        )
        self.chan_event("DialBegin", ch, seat.block("Dest"), [("DialString", m.interface)])
        if ch.conn_num != seat.cid_num:
            # Published only when the connected line really changes (observer: a second queue).
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
            self._agent_event("AgentRingNoAnswer", ch, seat.block("Dest"), q, m, [("RingTime", str(ring_ms))])
            self.chan_event("DialEnd", ch, seat.block("Dest"), [("DialStatus", "NOANSWER")])
            self._cancel_ring(ch, seat, m)
            return "noanswer", seat
        # The caller went away while the seat rang (not trace-backed): cancel the ring, then abandon.
        if ch.redirect_to is not None:
            self._cancel_ring(ch, seat, m)
            self._leave(q, entry)
            return "gone", seat
        if not ch.soft_hangup:
            self.chan_event("HangupRequest", ch)
            ch.soft_hangup = True
        self._cancel_ring(ch, seat, m)
        self._abandon(ch, q, entry, by_timeout=False)
        return "gone", seat

    def _agent_event(
        self, name: str, ch: Channel, dest: Headers, q: Queue, m: Member, *extra: Headers
    ) -> None:
        """An app_queue member event (AgentCalled, AgentConnect...) on the caller's channel: the
        seat's leg as Dest, then the queue and the member, then `extra`."""
        members = [("Queue", q.config.name), ("Interface", m.interface), ("MemberName", m.name)]
        self.chan_event(name, ch, dest, members, *extra, privilege="agent,all")

    def _cancel_ring(self, ch: Channel, seat: Channel, m: Member) -> None:
        """app_queue gives up ringing `seat` for the caller: the Dial ends CANCEL, the seat's leg
        hangs up and the member's device is free again."""
        self.chan_event("DialEnd", ch, seat.block("Dest"), [("DialStatus", "CANCEL")])
        self.hangup(seat, 0)
        self.member_device_changed(m.state_interface, "NOT_INUSE")

    async def _connected(
        self,
        ch: Channel,
        seat: Channel,
        q: Queue,
        entry: QueueEntry,
        m: Member,
        spec: CallerSpec,
        continue_after: bool,
    ) -> str:
        waited = self.now() - entry.joined
        hold = int(waited)
        ring_time = max(1, round(float(seat.vars.pop("_ring_time", "0"))))
        q.holdtime = (q.holdtime * q.completed + hold) / (q.completed + 1)
        if q.config.setinterfacevar:
            # queues.conf `setinterfacevar = yes`: the member's variables on both channels.
            for leg in (ch, seat):
                for var, value in (
                    ("MEMBERINTERFACE", m.interface),
                    ("MEMBERNAME", m.name),
                    ("MEMBERCALLS", str(m.calls_taken)),
                    ("MEMBERLASTCALL", str(m.last_call)),
                    ("MEMBERPENALTY", str(m.penalty)),
                    ("MEMBERDYNAMIC", "1"),
                    ("MEMBERREALTIME", "0"),
                ):
                    self.varset(leg, var, value, always=True)
        self._leave(q, entry)
        self.varset(ch, "QUEUEWAIT", str(hold), always=True)
        self.varset(ch, "QUEUEWAIT_MS", str(int(waited * 1000)), always=True)
        self._agent_event(
            "AgentConnect",
            ch,
            seat.block("Dest"),
            q,
            m,
            [("HoldTime", str(hold)), ("RingTime", str(ring_time))],
        )
        bridge = Bridge(str(uuid.UUID(int=self.rng.getrandbits(128), version=4)))
        self.emit("BridgeCreate", "call,all", self._bridge_block(bridge))
        m.in_call = True
        self.member_device_changed(m.state_interface, "INUSE")
        for leg in (seat, ch):
            bridge.members.append(leg)
            leg.bridge = bridge
            self.emit("BridgeEnter", "call,all", self._bridge_block(bridge), leg.block())
        self.bridge_peers(seat, ch)
        answered_at = self.now()
        survey = continue_after
        phone = self.phones.get(seat.endpoint)
        seat_talk = phone.hangup_after.draw(self.rng) if phone is not None else math.inf
        hit = await self.wait(min(seat_talk, spec.talk_time), ch.interrupt, seat.interrupt)
        if hit == 0 and ch.moved is not None:
            # An AMI Bridge took the caller out of the queue's bridge (班长接管).
            return await self._bridged_away(ch, seat, q, m, hold, answered_at, spec)
        consult = self.consults.get(seat.name)
        if consult is not None:
            # The seat was consulting (AMI Atxfer): a completed transfer ends Queue() there.
            settled = await atxfer.settle(self, consult, hit, q, m, hold, answered_at)
            if settled is not None:
                return settled
        talk = int(self.now() - answered_at)
        q.completed += 1
        q.talktime = (q.talktime * (q.completed - 1) + talk) / q.completed
        m.calls_taken += 1
        m.last_call = int(self.now())
        m.last_call_end = self.now()
        m.in_call = False
        complete = [("HoldTime", str(hold)), ("TalkTime", str(talk))]
        seat_ends = hit == 1 or (hit is None and seat_talk <= spec.talk_time)
        if ch.redirect_to is not None and hit == 0:
            # Trace 06: Redirect of the caller out of the bridge. The seat leg, alone in the
            # bridge, is hung up by the bridge's thread (published after the caller's next step);
            # AgentComplete (Reason caller, talk time up to then) comes when the caller hangs up.

            def seat_gone() -> None:
                self.hangup(seat, 16)
                self.member_device_changed(m.state_interface, "NOT_INUSE", after_call=q)

            self._redirect_out_of_bridge(ch, seat, bridge, None, then=seat_gone)
            ch.pending_complete.append((q.config.name, m.interface, m.name, hold, answered_at))
            return "redirect"
        if seat_ends:
            # Trace 02: the seat hangs up.
            if not seat.soft_hangup:
                self.chan_event("HangupRequest", seat)
            self._agent_event("AgentComplete", ch, seat.block("Dest"), q, m, complete, [("Reason", "agent")])
            first, second = seat, ch
            if survey:
                # Option c (the hotline's dialplan): the caller stays up and goes on in the dialplan.
                self.bridge_peers(seat, ch, clear=True)
                self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 1), seat.block())
                self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 0), ch.block())
                self.emit("BridgeDestroy", "call,all", self._bridge_block(bridge, 0))
                self.queue_end_vars(ch, answered_at)
                ch.bridge = seat.bridge = None
                self.hangup(seat, 16)
                self.member_device_changed(m.state_interface, "NOT_INUSE", after_call=q)
                return "survey"
        else:
            # The caller hangs up (observer trace, the queue transfer's second queue): the
            # caller leaves the bridge, Queue() returns CONTINUE on a channel being hung up.
            if not ch.soft_hangup:
                self.chan_event("HangupRequest", ch)
            self.bridge_peers(ch, clear=True)
            self._agent_event("AgentComplete", ch, seat.block("Dest"), q, m, complete, [("Reason", "caller")])
            self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 1), ch.block())
            self.queue_end_vars(ch, answered_at)
            self.varset(ch, "QUEUESTATUS", "CONTINUE")
            self.chan_event("SoftHangupRequest", ch, [("Cause", "16")])
            self.bridge_peers(seat, clear=True)
            self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 0), seat.block())
            self.emit("BridgeDestroy", "call,all", self._bridge_block(bridge, 0))
            ch.bridge = seat.bridge = None
            self.hangup(seat, 16)
            self.member_device_changed(m.state_interface, "NOT_INUSE", after_call=q)
            self.hangup(ch, 16)
            self.device_idle(ch.endpoint)
            return "gone"
        self.bridge_peers(first, second, clear=True)
        self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 1), first.block())
        self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 0), second.block())
        self.queue_end_vars(ch, answered_at)
        self.chan_event("SoftHangupRequest", second, [("Cause", "16")])
        self.emit("BridgeDestroy", "call,all", self._bridge_block(bridge, 0))
        ch.bridge = seat.bridge = None
        self.hangup(ch, 16)
        self.endpoint_idle(ch.endpoint)
        self.hangup(seat, 16)
        self.member_device_changed(m.state_interface, "NOT_INUSE", after_call=q)
        return "gone"

    def bridge_channels(self, a: Channel, b: Channel) -> None:
        """AMI `Bridge` (main/features.c action_bridge): `a` then `b` leave the two-party bridge
        each is in for a new one; each old bridge, left with one party, dissolves (its party is
        kicked). Recorded on Asterisk 22.10.1 (tests/data/asterisk-traces/takeover): the caller
        answered from a queue and the supervisor's phone bridged with a monitor's ;2. The
        coroutines owning the old bridges (`_connected`, `_app_dial`) then play what follows."""
        new = Bridge(str(uuid.UUID(int=self.rng.getrandbits(128), version=4)))
        self.emit("BridgeCreate", "call,all", self._bridge_block(new, 0))
        old_a, alone_a = self._move(a, new)
        old_b = b.bridge
        if old_b is not None:
            old_b.members.remove(b)
            self.emit("BridgeLeave", "call,all", self._bridge_block(old_b), b.block())
        if old_a is not None and alone_a is not None:
            self._kick(old_a, alone_a)  # a's old bridge dissolves once b is out of its own
        new.members.append(b)
        b.bridge = new
        self.emit("BridgeEnter", "call,all", self._bridge_block(new), b.block())
        self.bridge_peers(a, b)
        alone_b = old_b.members[0] if old_b is not None and old_b.members else None
        if alone_b is not None:
            self.bridge_peers(alone_b, clear=True)
        for ch in (a, b):
            self.chan_event("NewConnectedLine", ch)
        if old_b is not None and alone_b is not None:
            self._kick(old_b, alone_b)
        for ch in (a, b):
            # Wake the owner of the old bridge (it waits on this very Event), and give the
            # channel a fresh one for what comes next in the new bridge.
            ch.moved, woken, ch.interrupt = new, ch.interrupt, asyncio.Event()
            woken.set()

    def _move(self, ch: Channel, new: Bridge) -> tuple[Bridge | None, Channel | None]:
        """`ch` leaves its bridge for `new`: (its old bridge, the party left alone in it)."""
        old = ch.bridge
        if old is not None:
            old.members.remove(ch)
            self.emit("BridgeLeave", "call,all", self._bridge_block(old), ch.block())
        new.members.append(ch)
        ch.bridge = new
        self.emit("BridgeEnter", "call,all", self._bridge_block(new), ch.block())
        alone = old.members[0] if old is not None and old.members else None
        if alone is not None:
            self.bridge_peers(alone, clear=True)
        return old, alone

    def _kick(self, bridge: Bridge, alone: Channel) -> None:
        """The last party of a dissolving two-party bridge leaves it (hung up by its owner)."""
        bridge.members.remove(alone)
        alone.bridge = None
        self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 0), alone.block())
        self.emit("BridgeDestroy", "call,all", self._bridge_block(bridge, 0))

    async def _bridged_away(
        self, ch: Channel, seat: Channel, q: Queue, m: Member, hold: int, answered_at: float, spec: CallerSpec
    ) -> str:
        """The caller, moved by an AMI Bridge into a bridge with `peer` (a supervisor's phone, 接管),
        as recorded on Asterisk 22.10.1 (tests/data/asterisk-traces/takeover, takeover_supervisor_
        hangs_up): the seat's leg, kicked out of the dissolved queue bridge, is hung up (no
        AgentComplete: app_queue still counts the call the member's until the caller hangs up);
        Queue() goes on in the new bridge until the caller hangs up (AgentComplete caller, with the
        whole talk) or the peer does (the caller goes on in the dialplan, the AgentComplete waits
        for the caller's hangup)."""
        bridge, ch.moved = ch.moved, None
        assert bridge is not None
        self.hangup(seat, 16)
        m.calls_taken += 1
        m.last_call = int(self.now())
        m.last_call_end = self.now()
        m.in_call = False
        self.member_device_changed(m.state_interface, "NOT_INUSE", after_call=q)
        peer = next((c for c in bridge.members if c is not ch), None)
        while peer is not None and not peer.gone and peer.hangup_cause is None and ch.hangup_cause is None:
            left = spec.talk_time - (self.now() - answered_at)
            if left <= 0:
                ch.request_hangup(16)
                break
            await self.wait(left, ch.interrupt, peer.interrupt)
        if peer is not None and not peer.gone and ch.hangup_cause is None:
            # The supervisor put the phone down: the caller leaves Queue() for the next priority.
            if not peer.soft_hangup:
                self.chan_event("HangupRequest", peer, [("Cause", "16")])
            self.bridge_peers(peer, ch, clear=True)
            self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 1), peer.block())
            self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 0), ch.block())
            self.emit("BridgeDestroy", "call,all", self._bridge_block(bridge, 0))
            bridge.members.clear()
            ch.bridge = peer.bridge = None
            self.queue_end_vars(ch, None)
            ch.pending_complete.append((q.config.name, m.interface, m.name, hold, answered_at))
            self.hangup(peer, 16)
            self.device_idle(peer.endpoint)
            return "continue"
        # The caller hangs up: app_queue completes the call (Reason caller, talk since the answer).
        if not ch.soft_hangup:
            self.chan_event("HangupRequest", ch)
        self.bridge_peers(ch, clear=True)
        complete = [("HoldTime", str(hold)), ("TalkTime", str(int(self.now() - answered_at)))]
        self._agent_event("AgentComplete", ch, seat.block("Dest"), q, m, complete, [("Reason", "caller")])
        self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 1), ch.block())
        if peer is not None and not peer.gone:
            self.bridge_peers(peer, clear=True)
            self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 0), peer.block())
            self.chan_event("SoftHangupRequest", peer, [("Cause", "16")])
            self.newexten(peer, 1, "AppDial", "(Outgoing Line)")
            self.hangup(peer, 16)
            self.device_idle(peer.endpoint)
        self.emit("BridgeDestroy", "call,all", self._bridge_block(bridge, 0))
        bridge.members.clear()
        ch.bridge = None
        self.queue_end_vars(ch, answered_at)
        self.varset(ch, "QUEUESTATUS", "CONTINUE")
        self.chan_event("SoftHangupRequest", ch, [("Cause", "16")])
        self.hangup(ch, 16)
        self.device_idle(ch.endpoint)
        return "gone"

    def bridge_peers(self, *legs: Channel, clear: bool = False) -> None:
        """BRIDGEPEER / BRIDGEPVTCALLID as the bridge sets them on entering (on each leg: the
        other one and its SIP Call-ID) and clears them on leaving."""
        for leg in legs:
            peer = None
            if not clear and leg.bridge is not None:
                peer = next((o for o in leg.bridge.members if o is not leg), None)
            self.varset(leg, "BRIDGEPEER", peer.name if peer else "", always=True)
            self.varset(leg, "BRIDGEPVTCALLID", peer.sip_call_id if peer else "", always=True)

    def queue_end_vars(self, ch: Channel, answered_at: float | None) -> None:
        """Queue()/Dial() leave the talk and total times on the caller (ANSWEREDTIME 0 when the
        call left by a redirect; DIALEDTIME counts from the channel's creation)."""
        answered = 0.0 if answered_at is None else self.now() - answered_at
        dialed = self.now() - ch.created
        if answered_at is None:
            pairs = (("DIALEDTIME", dialed), ("ANSWEREDTIME", answered))
        else:
            pairs = (("ANSWEREDTIME", answered), ("DIALEDTIME", dialed))
        for var, seconds in pairs:
            self.varset(ch, var, str(int(seconds)), always=True)
            self.varset(ch, f"{var}_MS", str(int(seconds * 1000)), always=True)

    def _redirect_out_of_bridge(
        self,
        caller: Channel,
        other: Channel,
        bridge: Bridge,
        answered_at: float | None,
        *,
        then: Callable[[], None],
    ) -> None:
        """An AMI Redirect takes the caller out of a two-party bridge: the caller goes on at the
        redirect's target, the bridge dissolves and `then` (hang up the other leg, alone in it)
        runs after the caller's next dialplan step, as Asterisk's bridge thread publishes it."""
        assert caller.redirect_to is not None
        self.bridge_peers(caller, clear=True)
        ctx, ext, pri = caller.redirect_to
        caller.context, caller.exten, caller.priority = ctx, ext, pri
        self.newexten(caller, pri, caller.app, caller.appdata)
        caller.redirect_to = None
        caller.interrupt = asyncio.Event()
        self.bridge_peers(other, clear=True)
        self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 1), caller.block())
        self.queue_end_vars(caller, answered_at)
        self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 0), other.block())
        self.emit("BridgeDestroy", "call,all", self._bridge_block(bridge, 0))
        caller.bridge = other.bridge = None
        caller.after_newexten.append(then)

    def _bridge_block(self, bridge: Bridge, count: int | None = None, *, prefix: str = "") -> Headers:
        return [
            (prefix + k, v)
            for k, v in (
                ("BridgeUniqueid", bridge.id),
                ("BridgeType", "basic"),
                ("BridgeTechnology", bridge.technology),
                ("BridgeCreator", UNKNOWN),
                ("BridgeName", UNKNOWN),
                ("BridgeNumChannels", str(len(bridge.members) if count is None else count)),
                ("BridgeVideoSourceMode", "none"),
            )
        ]

    # ----------------------------------------------------------------- Originate (callbacks)
    def originate_failure(
        self, action_id: str, channel: str, context: str, exten: str, reason: int, cid_num: str, cid_name: str
    ) -> None:
        self.originate_response(
            action_id,
            "Failure",
            channel=channel,
            context=context,
            exten=exten,
            reason=reason,
            uniqueid="<null>",
            cid_num=cid_num,
            cid_name=cid_name,
        )

    def originate_response(
        self,
        action_id: str,
        response: str,
        *,
        channel: str,
        context: str,
        exten: str,
        reason: int,
        uniqueid: str,
        cid_num: str,
        cid_name: str,
    ) -> None:
        """app_originate's OriginateResponse (`Success` with Reason 4, answered; or `Failure`)."""
        self.emit(
            "OriginateResponse",
            "call,all",
            [("ActionID", action_id)] if action_id else [],
            [
                ("Response", response),
                ("Channel", channel),
                ("Context", context),
                ("Exten", exten),
                ("Reason", str(reason)),
                ("Uniqueid", uniqueid),
                ("CallerIDNum", cid_num),
                ("CallerIDName", cid_name),
            ],
        )

    async def originate(
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
        """Play one Originate of `PJSIP/<endpoint>` to its end; the AMI server spawns it once it
        answered the action."""
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
        self.originate_response(
            action_id,
            "Success",
            channel=leg.name,
            context=context,
            exten=exten,
            reason=4,
            uniqueid=leg.uniqueid,
            cid_num=cid_num,
            cid_name=cid_name,
        )
        self.member_device_changed(f"PJSIP/{endpoint}", "INUSE")
        leg.context, leg.exten, leg.priority = context, exten, priority
        seat_talk = phone.hangup_after.draw(self.rng)
        self.spawn(self._hang_up_after(leg, seat_talk))
        await self.run_dialplan(leg)

    async def _hang_up_after(self, ch: Channel, seconds: float) -> None:
        if math.isinf(seconds):
            return
        await self.clock.sleep(seconds)
        ch.request_hangup(16)

    def _dial_reset(self, leg: Channel) -> None:
        for var in DIAL_RESET_VARS:
            self.varset(leg, var, "", always=True)

    def _dial_target(self, resource: str) -> tuple[str, str, PhoneConfig | None]:
        """`<number>` (a registered phone) or `<number>@<trunk>` (an outside party behind the
        trunk): (number, endpoint the channel is named after, how the far end behaves)."""
        number, _, via = resource.partition("@")
        if not via:
            return number, number, self.phones.get(number)
        if via not in self.config.trunks or number in self.config.outside_failing:
            return number, via, None
        return number, via, replace(self.config.outside_party, endpoint=via)

    async def _app_dial(self, leg: Channel, data: str) -> str:
        """Dial(PJSIP/<endpoint>[@<trunk>],<timeout>): ring one phone, bridge when it answers.

        Traces 05 (answered) and 08 (no contact: CHANUNAVAIL, cause 3); the project trace (a
        trunk endpoint that does not exist: CHANUNAVAIL, cause 3). After a bridged call Dial
        returns -1: the calling channel is hung up, its `h` extension runs."""
        args = split_args(data)
        tech, _, resource = args[0].split("&")[0].strip().partition("/")
        ring_for = float(args[1]) if len(args) > 1 and args[1].strip() else math.inf
        go_on = len(args) > 2 and "g" in args[2]  # option g: on the callee's hang-up, next priority
        self._dial_reset(leg)
        target, endpoint, phone = self._dial_target(resource)
        if tech.upper() != "PJSIP" or phone is None:
            # No channel at all: CHANUNAVAIL, and the channel's hangup cause becomes 3.
            log.warning("Dial(%s) on %s: no such endpoint or no contact", data, leg.name)
            self.varset(leg, "DIALSTATUS", "CHANUNAVAIL")
            leg.cause, leg.tech_cause = 3, "404"
            if not self.muted:
                self.records.dial_failed_without_channel(leg.name)
            return NEXT
        out = self.new_channel(
            endpoint, state=DOWN, cid=UNKNOWN, context=phone.context, exten="s", linkedid=leg.linkedid
        )
        self.chan_event("Newchannel", out)
        self.varset(out, "DIALEDPEERNUMBER", target, always=True)
        dial_started = self.now()
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
        self.chan_event("DialBegin", leg, out.block("Dest"), [("DialString", resource)])
        leg.conn_num = target
        self.chan_event("NewConnectedLine", leg)
        self.newstate(out, RINGING)
        self.varset(leg, "RINGTIME", str(int(self.now() - dial_started)), always=True)
        self.varset(leg, "RINGTIME_MS", str(int((self.now() - dial_started) * 1000)), always=True)
        self.member_device_changed(f"PJSIP/{endpoint}", "RINGING")
        self.chan_event("DialState", leg, out.block("Dest"), [("DialStatus", "RINGING")])
        answers = self.rng.random() < phone.answer_probability
        delay = phone.answer_delay.draw(self.rng)
        answered = answers and delay < ring_for
        hit = await self.wait(delay if answered else ring_for, leg.interrupt)
        if hit is not None or not answered:
            # Not trace-backed: no answer within the timeout, or the calling side gives up.
            status = "NOANSWER" if hit is None else "CANCEL"
            self.chan_event("DialEnd", leg, out.block("Dest"), [("DialStatus", status)])
            self.hangup(out, 0)
            self.device_idle(endpoint)
            self.varset(leg, "DIALSTATUS", status)
            return NEXT if hit is None else END
        self.newstate(out, UP)
        self.varset(leg, "DIALSTATUS", "ANSWER")
        self.varset(leg, "DIALEDPEERNAME", out.name, always=True)
        self.varset(leg, "DIALEDPEERNUMBER", target, always=True)
        answered_at = self.now()
        self.member_device_changed(f"PJSIP/{endpoint}", "INUSE")
        out.exten = ""  # trace 05: the answered outbound leg shows an empty Exten from here on
        self.chan_event("DialEnd", leg, out.block("Dest"), [("DialStatus", "ANSWER")])
        if leg.state != UP:
            # app_dial answers a calling channel not answered yet (a Local channel's ;2 that dials
            # a three-way call's third party: tests/data/asterisk-traces/three_way_barge.ami.jsonl).
            self.newstate(leg, UP)
        bridge = Bridge(str(uuid.UUID(int=self.rng.getrandbits(128), version=4)))
        self.emit("BridgeCreate", "call,all", self._bridge_block(bridge))
        self.newexten(out, 1, "AppDial", "(Outgoing Line)")
        for one in (out, leg):
            bridge.members.append(one)
            one.bridge = bridge
            self.emit("BridgeEnter", "call,all", self._bridge_block(bridge), one.block())
        # Set again each time the bridge changes technology on the way to native RTP (trace 05).
        for _ in range(3):
            self.bridge_peers(leg, out)
        # Two PJSIP legs of a Dial(): the bridge moves to native RTP once both are in (trace 05).
        bridge.technology = "native_rtp"
        self.spawn(self._hang_up_after(out, phone.hangup_after.draw(self.rng)))
        if leg.spec is not None:
            # A simulated caller talks for its talk time with whoever answers.
            self.spawn(self._hang_up_after(leg, leg.spec.talk_time))
        hit = await self.wait(math.inf, out.interrupt, leg.interrupt)
        if hit == 0 and out.moved is not None:
            # An AMI Bridge took the called phone into another bridge (班长接管: the supervisor's
            # phone, dialled by a monitor's ;2; tests/data/asterisk-traces/takeover): Dial's
            # bridge dissolved (bridge_channels), Dial() returns and the dialling channel hangs up.
            out.moved = None
            self.queue_end_vars(leg, answered_at)
            self.varset(leg, "DIALSTATUS", "ANSWER")
            self.chan_event("SoftHangupRequest", leg, [("Cause", "16")])
            self.run_h_exten(leg)
            self.hangup(leg, 16)
            self.device_idle(leg.endpoint)
            return END
        if hit == 1 and leg.redirect_to is not None and leg.hangup_cause is None:
            # AMI Redirect of the caller out of the Dial's bridge (a seat passing on a caller it
            # got by a seat transfer): as out of Queue's (trace 06), the caller goes on at the
            # redirect's target and the called leg, alone in the dissolving bridge, is hung up.

            def callee_gone() -> None:
                self.hangup(out, 16)
                self.device_idle(endpoint)

            self._redirect_out_of_bridge(leg, out, bridge, answered_at, then=callee_gone)
            return JUMPED
        first, second = (out, leg) if hit == 0 else (leg, out)
        cause_hdr: Headers = [("Cause", "16")]
        if not first.soft_hangup:
            # The dialled leg's HangupRequest carries the cause (trace 05).
            self.chan_event("HangupRequest", first, cause_hdr if first is out else [])
        self.bridge_peers(first, second, clear=True)
        self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 1), first.block())
        self.emit("BridgeLeave", "call,all", self._bridge_block(bridge, 0), second.block())
        self.emit("BridgeDestroy", "call,all", self._bridge_block(bridge, 0))
        out.bridge = leg.bridge = None
        self.queue_end_vars(leg, answered_at)
        self.varset(leg, "DIALSTATUS", "ANSWER")
        if go_on and first is out and leg.hangup_cause is None:
            # app_dial's OPT_GO_ON: the called party hung up and the caller is still there, so
            # Dial() returns 0 and the caller goes on at the next priority (the survey after a
            # seat transfer, [hotline-seat]); only the called leg is hung up.
            self.hangup(out, 16)
            self.device_idle(endpoint)
            return NEXT
        # The Dial()ing channel is the one soft-hung-up, whoever hung up first (traces 05, observer).
        self.chan_event("SoftHangupRequest", leg, cause_hdr)
        self.run_h_exten(leg)
        self.hangup(out, 16)
        self.hangup(leg, 16)
        self.device_idle(endpoint)
        self.device_idle(leg.endpoint)
        return END

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
        """By name, else by uniqueid (ast_channel_get_by_name looks up both)."""
        return next((c for c in self.channels if c.name == name), None) or next(
            (c for c in self.channels if c.uniqueid == name), None
        )
