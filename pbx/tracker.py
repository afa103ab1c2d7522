"""`CallTracker`: AMI events in, call and seat domain events out. Pure: no I/O, no await, no clock.

Reads these AMI events (anything else is ignored):

- channels: `Newchannel`, `Newstate`, `Newexten` (AGI, AudioSocket, the dialplan path),
  `AGIExecStart`, `VarSet` (`WORK_ORDER_ID`, `DIALSTATUS`, `HOTLINE_TRANSFERRED`,
  `MIXMONITOR_FILENAME`), `DialBegin`, `DialEnd`, `HangupRequest`, `Hangup`;
- recordings: `MixMonitorStart` (with the file MIXMONITOR_FILENAME named just before),
  `MixMonitorStop` (StopMixMonitor only; a recording otherwise ends with its channel's Hangup);
- transfers by the phone's own key: `BlindTransfer`, `AttendedTransfer` (Asterisk 12+), `Transfer`
  with `TransferType` (Asterisk 1.6 to 11, chan_sip);
- app_queue: `QueueCallerJoin`, `QueueCallerLeave`, `QueueCallerAbandon`, `AgentCalled`,
  `AgentRingNoAnswer`, `AgentConnect`, `AgentComplete`, `QueueMemberAdded`, `QueueMemberRemoved`,
  `QueueMemberPause`, `QueueMemberStatus`;
- callbacks: `OriginateResponse`;
- three-way calls (三方通话, `pbx.conference`): `ChanSpyStart`, `ChanSpyStop` of the conference's
  Local channel, with its ;2's `DialBegin` and the `Hangup`s;
- a supervisor's take-over (班长接管, `pbx.monitors`): `BridgeEnter` / `BridgeLeave` of the callers'
  channels and of the supervisors' phones (the one bridge they share after an AMI `Bridge`);
- in `rebuild()` only: `CoreShowChannel`, `QueueMember`, `QueueEntry` (`QueueParams` is skipped).

Emits the events of `core.call_events` (CallOffered, IvrEntered/IvrLeft, AudioStreamStarted,
CallQueued, SeatRinging, SeatRingNoAnswer, CallAnswered, CallLegAnswered, CallLegEnded,
CallTransferred, CallTransferSettled, ThirdPartyJoined, ThirdPartyLeft, CallTakenOver, CallAbandoned, CallTimedOut,
CallEnded, CallbackOriginated, CallbackLegOutcome, CallRecordingStarted/Stopped, Seat* events) and, at the end of `rebuild()`,
`core.events.StateResynced`.

A call is recognised by its path, not its first channel state: a primary channel that rings in
(Ring at Newchannel, outside the seats' and our own contexts), or that reaches the incoming or
queue context (`core.dialplan`) later through Newstate, Newexten or QueueCallerJoin.

Legs and transfers. Each party bridged with the caller is a leg (`CallLegAnswered` /
`CallLegEnded`, with its own talk time): the seat answering from a queue (AgentConnect), a seat or
an outside number reached by the caller's own Dial() after a transfer (DialBegin / DialEnd), the
target of an attended transfer. A transfer is read from the caller's dialplan path (it entered a
transfer context, left the seat it talked to for a context off the caller's path, or the dialplan
set HOTLINE_TRANSFERRED), or from the phone's transfer events; a redirect starts `PENDING` and
settles `OK` when the caller joins the target queue or the target answers, `FAILED` on a failed
Dial (DIALSTATUS). Every seat that answers gets a `CallAnswered`, so the board follows each one.

A call is identified by the `Linkedid` of its *primary* leg, the channel whose `Uniqueid` equals
its `Linkedid`: the caller's channel for an inbound call, the seat's channel created by the
Originate of a callback. Every other channel sharing that `Linkedid` is a secondary leg (the
seat's phone, both halves `;1/;2` of a Local channel, the citizen's phone on a callback). Event
ids are deterministic (`<call id>:<kind>[:<what distinguishes it>]`) so that replaying a stream,
or a resync after a reconnect, never yields two ids for one fact.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TypedDict

from core import dialplan
from core.call_events import (
    AudioStreamStarted,
    CallAnswered,
    CallbackLeg,
    CallbackLegOutcome,
    CallbackOriginated,
    CallbackOutcome,
    CallDirection,
    CallEnded,
    CallLegAnswered,
    CallLegEnded,
    CallOffered,
    CallQueued,
    CallRecordingStarted,
    CallRecordingStopped,
    CallTakenOver,
    CallTransferred,
    CallTransferSettled,
    HangupParty,
    IvrEntered,
    IvrLeft,
    LegKind,
    MonitorConnected,
    MonitorEnded,
    SeatDeviceStatus,
    SeatDeviceStatusChanged,
    SeatJoinedQueue,
    SeatLeftQueue,
    SeatPaused,
    SeatResumed,
    SeatRinging,
    SeatRingNoAnswer,
    ThirdPartyJoined,
    ThirdPartyLeft,
    TransferKind,
    TransferStatus,
    agrees_with_records,
    seat_id_from_member,
)
from core.calls import CallStatus
from core.events import DomainEvent, StateResynced
from core.ids import CallId, EventId, SeatId
from core.values import copy_fields
from pbx.ami_event import AmiEvent
from pbx.conference import ThirdParties, ThirdParty
from pbx.consult import Consultation, Consultations
from pbx.misses import queue_miss
from pbx.monitors import Monitors

# A channel name is `<tech>/<resource>-<8 hex digits>`, with `;1` / `;2` for the two halves of a
# Local channel: `PJSIP/1001-00000001`, `Local/1001@seats-0000000b;2`.
_CHANNEL_SUFFIX = re.compile(r"-[0-9a-fA-F]{8}(?:;[12])?$")

# Newchannel's ChannelState: 4 (Ring) is a call coming *in* from a channel driver; channels that
# Asterisk creates to dial out (Queue members, Originate, Dial) start at 0 (Down). Some drivers
# and versions create an incoming channel Down and move it to Ring (or straight to Up) with
# Newstate: the dialplan path (the incoming context, the queue) decides, not the first state.
_STATE_RING = "4"
_STATE_UP = "6"

# The contexts of the older recorded traces (`shared/asterisk-traces/0*.ami`) and of the simulator
# that speaks their dialplan: an earlier naming of the same places, still understood by default.
_RECORDED_INCOMING = frozenset({"incoming"})
_RECORDED_TRANSFER = frozenset({"transfer"})
_RECORDED_CALLBACK = frozenset({"callback"})

# The `h` extension runs after a hangup: moving there is no transfer.
_HANGUP_EXTEN = "h"

# AMI's OriginateResponse `Reason` is the last control frame seen (AST_CONTROL_*).
_ORIGINATE_REASONS: Mapping[str, CallbackOutcome] = {
    "0": CallbackOutcome.UNREACHABLE,  # the channel could not be created (endpoint offline)
    "1": CallbackOutcome.NO_ANSWER,  # hung up / declined at the phone
    "3": CallbackOutcome.NO_ANSWER,  # still ringing when the Originate timeout expired
    "4": CallbackOutcome.ANSWERED,
    "5": CallbackOutcome.BUSY,
    "8": CallbackOutcome.UNREACHABLE,  # congestion
}

_DIAL_STATUSES: Mapping[str, CallbackOutcome] = {
    "ANSWER": CallbackOutcome.ANSWERED,
    "NOANSWER": CallbackOutcome.NO_ANSWER,
    "BUSY": CallbackOutcome.BUSY,
    "CHANUNAVAIL": CallbackOutcome.UNREACHABLE,
    "CONGESTION": CallbackOutcome.UNREACHABLE,
    "CANCEL": CallbackOutcome.CANCELLED,
    "DONTCALL": CallbackOutcome.FAILED,
    "TORTURE": CallbackOutcome.FAILED,
    "INVALIDARGS": CallbackOutcome.FAILED,
}

# Q.850 hangup causes, for a callback whose customer leg never reported a DIALSTATUS.
_CAUSE_OUTCOMES: Mapping[int, CallbackOutcome] = {
    1: CallbackOutcome.UNREACHABLE,  # unallocated number
    3: CallbackOutcome.UNREACHABLE,  # no route to destination (PJSIP: 404, no contact)
    16: CallbackOutcome.CANCELLED,  # normal clearing before the citizen was dialled
    17: CallbackOutcome.BUSY,
    18: CallbackOutcome.NO_ANSWER,
    19: CallbackOutcome.NO_ANSWER,
    20: CallbackOutcome.UNREACHABLE,  # subscriber absent
    21: CallbackOutcome.BUSY,  # call rejected
    27: CallbackOutcome.UNREACHABLE,
    34: CallbackOutcome.UNREACHABLE,
    38: CallbackOutcome.UNREACHABLE,
}

_PENDING_ORIGINATE_LIMIT = 1024

# A callback's citizen leg: its DIALSTATUS (on the seat's channel) comes before any DialEnd names it.
_CUSTOMER_LEG = "customer"


def interface_of_channel(channel: str) -> str:
    """The dial interface behind a channel name: `PJSIP/1001-00000001` -> `PJSIP/1001`."""
    return _CHANNEL_SUFFIX.sub("", channel)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallView:
    """Read-only snapshot of one live call. `status` IN_IVR also covers the automated stage before
    any queue (AGI, AudioSocket)."""

    call_id: CallId
    direction: CallDirection
    status: CallStatus
    channel: str
    caller_number: str
    dialed: str
    offered_at: datetime
    queue: str | None = None
    position: int | None = None
    seat_id: SeatId | None = None
    answered_at: datetime | None = None
    work_order_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberView:
    """Read-only snapshot of one queue member (a seat logged into one queue)."""

    queue: str
    interface: str
    member_name: str
    seat_id: SeatId
    paused: bool
    paused_reason: str
    status: SeatDeviceStatus
    in_call: bool
    login_time: str = ""
    last_pause: str = ""


@dataclass(slots=True)
class _Channel:
    uniqueid: str
    call_id: CallId
    name: str


@dataclass(slots=True)
class _Leg:
    """One party of a call: `uid` is its channel's Uniqueid."""

    uid: str
    kind: LegKind
    party: str
    channel: str
    seat_id: SeatId | None
    queue: str | None
    transfer_seq: int
    answered_at: datetime
    connected_at: datetime | None  # when it was bridged with the other side (talk starts)
    ended: bool = False
    talk: float | None = None  # once ended; None: unknown (ended while the AMI link was down)


@dataclass(slots=True)
class _Transfer:
    seq: int
    kind: TransferKind
    target: str
    status: TransferStatus
    from_seat: SeatId | None
    at: datetime
    context: str
    exten: str


@dataclass(slots=True)
class _Recording:
    """One MixMonitor of the call: `segment` is its number within the call."""

    segment: int
    path: str
    channel: str
    started_at: datetime
    stopped: bool = False


_INDEXED = frozenset({"status", "queue", "direction", "index"})


class _QueuedIndex:
    """Calls waiting in each queue now (status QUEUED, a reported direction)."""

    def __init__(self) -> None:
        self._where: dict[CallId, str] = {}
        self._count: dict[str, int] = {}

    def update(self, call: _Call) -> None:
        self.discard(call.call_id)
        if call.status is CallStatus.QUEUED and call.queue and call.direction is not None:
            self._where[call.call_id] = call.queue
            self._count[call.queue] = self._count.get(call.queue, 0) + 1

    def discard(self, call_id: CallId) -> None:
        queue = self._where.pop(call_id, None)
        if queue is not None:
            self._count[queue] -= 1

    def waiting(self, queue: str) -> int:
        return self._count.get(queue, 0)


class _CallTable(dict[CallId, "_Call"]):
    """The tracker's calls, each one known to the waiting-callers index while it is in here."""

    def __init__(self) -> None:
        super().__init__()
        self.queued = _QueuedIndex()

    def __setitem__(self, call_id: CallId, call: _Call) -> None:
        old = self.get(call_id)
        if old is not None and old is not call:
            self.queued.discard(call_id)
            old.index = None
        super().__setitem__(call_id, call)
        call.index = self.queued

    def __delitem__(self, call_id: CallId) -> None:
        self.queued.discard(call_id)
        self[call_id].index = None
        super().__delitem__(call_id)


@dataclass(slots=True)
class _Call:
    call_id: CallId
    primary: str
    direction: CallDirection | None  # None: a channel of ours we do not report (an ASR tap...)
    channel: str
    caller_number: str
    dialed: str
    offered_at: datetime
    status: CallStatus = CallStatus.IN_IVR
    ivr_since: datetime | None = None
    ivr_entries: int = 0
    queue: str | None = None
    queued_at: datetime | None = None
    position: int | None = None
    original_position: int | None = None
    queue_joins: dict[str, int] = field(default_factory=dict)
    seat_id: SeatId | None = None
    interface: str = ""
    answered_at: datetime | None = None
    talk_seconds: float | None = None
    transferred_at: datetime | None = None
    missed: bool = False
    caller_hangup_requested: bool = False
    hung_up_by: HangupParty | None = None
    work_order_id: str = ""
    action_id: str = ""
    seat_answered: bool = False
    customer_outcome: CallbackOutcome | None = None
    customer_answered_at: datetime | None = None
    context: str = ""
    legs: dict[str, _Leg] = field(default_factory=dict)
    active_leg: str | None = None  # the leg bridged with the caller now
    transfers: list[_Transfer] = field(default_factory=list)
    # The caller's own Dial() targets (Uniqueid -> channel, when dialled); the members app_queue
    # rang are its own business (AgentCalled / AgentConnect), not dials of the caller.
    dialing: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    queue_dials: set[str] = field(default_factory=set)
    # 录音: the call's recorded channels (Uniqueid -> its segment), in the order they started.
    recordings: dict[str, _Recording] = field(default_factory=dict)
    # The tracker's index of waiting callers per queue, told of each change of the fields it
    # reads (`__setattr__`): counting a queue's callers is O(1), whatever the number of calls.
    index: _QueuedIndex | None = field(default=None, repr=False, compare=False)

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        if name in _INDEXED:
            index = getattr(self, "index", None)
            if index is not None:
                index.update(self)

    @property
    def answered(self) -> bool:
        """A callback once the citizen picked up; any other call once a seat did."""
        if self.direction is CallDirection.CALLBACK:
            return self.customer_answered_at is not None
        return self.answered_at is not None

    def pending_transfer(self) -> _Transfer | None:
        last = self.transfers[-1] if self.transfers else None
        return last if last is not None and last.status is TransferStatus.PENDING else None

    def view(self) -> CallView:
        """The snapshot: this state's fields of the same names."""
        assert self.direction is not None
        return copy_fields(CallView, self)


Handler = Callable[[AmiEvent], list[DomainEvent]]


def _given_or(given: frozenset[str] | None, default: frozenset[str]) -> frozenset[str]:
    return default if given is None else given


class CallTracker:
    """Turns the AMI event stream into domain events and keeps the live call and member state.

    `apply` must see the events in AMI order (the bridge's single consumer task guarantees it).
    The same stream always yields the same events with the same ids and `at` stamps.
    """

    def __init__(
        self,
        *,
        inbound_contexts: frozenset[str] | None = None,
        queue_contexts: frozenset[str] | None = None,
        transfer_contexts: frozenset[str] | None = None,
        seat_transfer_contexts: frozenset[str] | None = None,
        callback_contexts: frozenset[str] | None = None,
        not_inbound_contexts: frozenset[str] | None = None,
        work_order_variable: str = "WORK_ORDER_ID",
        transferred_variable: str = dialplan.VAR_TRANSFERRED,
    ) -> None:
        """Context names default to `core.dialplan`'s (plus the recorded traces' older names).

        `inbound_contexts`: where callers arrive; `queue_contexts`: where they wait for a seat (a
        channel first seen there is a caller too); `transfer_contexts` / `seat_transfer_contexts`:
        where a seat sends the caller on; `callback_contexts`: where a callback dials the citizen;
        `not_inbound_contexts`: channels that ring in there are never callers (a seat's own phone
        dialling out, the transcript tap, a hold's music, a three-way call's third party).
        """
        self._inbound_contexts = _given_or(
            inbound_contexts, frozenset({dialplan.INCOMING}) | _RECORDED_INCOMING
        )
        self._queue_contexts = _given_or(queue_contexts, frozenset({dialplan.QUEUE}))
        self._transfer_contexts = _given_or(
            transfer_contexts, frozenset({dialplan.TRANSFER}) | _RECORDED_TRANSFER
        )
        self._seat_transfer_contexts = _given_or(seat_transfer_contexts, frozenset({dialplan.SEAT_TRANSFER}))
        self._callback_contexts = _given_or(
            callback_contexts, frozenset({dialplan.CALLBACK}) | _RECORDED_CALLBACK
        )
        self._not_inbound_contexts = _given_or(
            not_inbound_contexts,
            frozenset(
                {dialplan.SEATS_OUT, dialplan.ASR_TAP, dialplan.HOLD, dialplan.CONFERENCE, dialplan.MONITOR}
            )
            | self._callback_contexts,
        )
        self._work_order_variable = work_order_variable
        self._transferred_variable = transferred_variable
        self._calls = _CallTable()
        self._channels: dict[str, _Channel] = {}
        self._consults = Consultations()  # the seats' attended transfers (咨询转接) under way
        self._thirds = ThirdParties()  # the seats' three-way calls (三方通话)
        self._monitors = Monitors()  # the supervisors' monitors (班长监听, pbx.monitors)
        # The bridge each caller's channel and each supervisor's phone is in (Uniqueid -> bridge):
        # a caller and the phone of a monitor of its call in one bridge is a take-over (班长接管).
        self._bridged: dict[str, str] = {}
        self._resyncs = 0  # snapshots rebuilt from (AMI logins)
        self._members: dict[tuple[str, str], MemberView] = {}
        # The phone state last told per interface (see `_device_news`).
        self._devices: dict[str, tuple[SeatDeviceStatus, bool]] = {}
        # Callbacks whose seat channel is gone before the OriginateResponse (failed originates).
        self._pending_originate: dict[str, tuple[str, SeatId | None]] = {}
        # MIXMONITOR_FILENAME per channel: app_mixmonitor sets it just before MixMonitorStart.
        self._recording_files: dict[str, str] = {}
        self._handlers: dict[str, Handler] = {
            "Newchannel": self._on_newchannel,
            "Newstate": self._on_newstate,
            "Newexten": self._on_newexten,
            "DialBegin": self._on_dial_begin,
            "ChanSpyStart": self._on_spy_start,
            "ChanSpyStop": self._on_spy_stop,
            "BridgeEnter": self._on_bridge_enter,
            "BridgeLeave": self._on_bridge_leave,
            "BlindTransfer": self._on_blind_transfer,
            "AttendedTransfer": self._on_attended_transfer,
            "Transfer": self._on_transfer,
            "AGIExecStart": self._on_agi_exec_start,
            "VarSet": self._on_varset,
            "MixMonitorStart": self._on_mixmonitor_start,
            "MixMonitorStop": self._on_mixmonitor_stop,
            "DialEnd": self._on_dial_end,
            "HangupRequest": self._on_hangup_request,
            "Hangup": self._on_hangup,
            "QueueCallerJoin": self._on_queue_caller_join,
            "QueueCallerLeave": self._on_queue_caller_leave,
            "QueueCallerAbandon": self._on_queue_caller_abandon,
            "AgentCalled": self._on_agent_called,
            "AgentRingNoAnswer": self._on_agent_ring_no_answer,
            "AgentConnect": self._on_agent_connect,
            "AgentComplete": self._on_agent_complete,
            "OriginateResponse": self._on_originate_response,
            "QueueMemberAdded": self._on_member_added,
            "QueueMemberRemoved": self._on_member_removed,
            "QueueMemberPause": self._on_member_pause,
            "QueueMemberStatus": self._on_member_status,
        }

    # --- read-only views -------------------------------------------------------------------

    @property
    def calls(self) -> Mapping[CallId, CallView]:
        return MappingProxyType({cid: c.view() for cid, c in self._calls.items() if c.direction is not None})

    def call(self, call_id: CallId) -> CallView | None:
        """One live call's view (O(1): `calls` builds every view)."""
        call = self._calls.get(call_id)
        return call.view() if call is not None and call.direction is not None else None

    def waiting_in(self, queue: str) -> int:
        """Callers waiting in `queue` now (O(1): an index kept as calls change)."""
        return self._calls.queued.waiting(queue)

    @property
    def monitor_keys(self) -> frozenset[str] | None:
        """The supervisors' monitors Asterisk has now (their Local channels' ChannelIds, a taken-
        over call's phone too); None until the first snapshot (`rebuild`): not known yet."""
        return self._monitors.keys() if self._resyncs else None

    @property
    def members(self) -> Mapping[tuple[str, str], MemberView]:
        """Queue members keyed by (queue, interface)."""
        return MappingProxyType(dict(self._members))

    # --- the stream ------------------------------------------------------------------------

    def apply(self, event: AmiEvent) -> list[DomainEvent]:
        handler = self._handlers.get(event.name)
        return handler(event) if handler else []

    # --- channels --------------------------------------------------------------------------

    def _on_newchannel(self, e: AmiEvent) -> list[DomainEvent]:
        self._monitors.seen(e.get("Channel"))
        uid = e.uniqueid
        if not uid or uid in self._channels:
            return []
        call_id = CallId(e.linkedid or uid)
        self._channels[uid] = _Channel(uid, call_id, e.get("Channel"))
        if uid != call_id or call_id in self._calls:
            return []
        context = e.get("Context")
        call = _Call(
            call_id=call_id,
            primary=uid,
            direction=None,  # decided by the channel's path: inbound, callback, or ours (a tap)
            channel=e.get("Channel"),
            caller_number=_number(e.get("CallerIDNum")),
            dialed=e.get("Exten"),
            offered_at=e.at,
            context=context,
        )
        self._calls[call_id] = call
        state = e.get("ChannelState")
        if (state == _STATE_RING and context not in self._not_inbound_contexts) or (
            state == _STATE_UP and context in self._inbound_contexts
        ):
            return self._offer(call, e.at)
        return []

    def _is_caller_path(self, context: str) -> bool:
        return context in self._inbound_contexts or context in self._queue_contexts

    def _offer(self, call: _Call, at: datetime) -> list[DomainEvent]:
        """The primary channel is a citizen's call coming in: offer it (once)."""
        if call.direction is not None or call.work_order_id:
            return []
        call.direction = CallDirection.INBOUND
        return [_offered(call, at)]

    def _on_newstate(self, e: AmiEvent) -> list[DomainEvent]:
        # A caller's channel created Down in the incoming context, then Ring (or Up): offer it now.
        call, primary = self._call_of(e)
        if call is None or not primary or call.direction is not None:
            return []
        if e.get("ChannelState") in (_STATE_RING, _STATE_UP) and self._is_caller_path(e.get("Context")):
            call.caller_number = call.caller_number or _number(e.get("CallerIDNum"))
            call.dialed = call.dialed or e.get("Exten")
            return self._offer(call, e.at)
        return []

    def _call_of(self, e: AmiEvent) -> tuple[_Call | None, bool]:
        """The call an event's channel belongs to, and whether the channel is its primary leg."""
        channel = self._channels.get(e.uniqueid)
        call_id = channel.call_id if channel else CallId(e.linkedid)
        call = self._calls.get(call_id)
        if call is None:
            return None, False
        if channel is None and e.uniqueid:
            # Newchannel was missed (we connected mid-call): adopt the channel.
            self._channels[e.uniqueid] = _Channel(e.uniqueid, call.call_id, e.get("Channel"))
        return call, bool(e.uniqueid) and e.uniqueid == call.primary

    def _on_newexten(self, e: AmiEvent) -> list[DomainEvent]:
        call, primary = self._call_of(e)
        if call is None or not primary:
            return []
        out: list[DomainEvent] = []
        context = e.get("Context")
        if call.direction is None and self._is_caller_path(context):
            out += self._offer(call, e.at)
        if call.direction is None:
            return out
        app = e.get("Application")
        if call.direction is CallDirection.INBOUND:
            if app == "AGI":
                out += self._enter_ivr(call, e.at, e.get("AppData"))
            elif call.ivr_since is not None:
                out += self._leave_ivr(call, e.at, completed=True)
            out += self._maybe_transfer(call, e.at, context, e.get("Exten"))
        call.context = context
        if app == "AudioSocket":
            stream_id, _, address = e.get("AppData").partition(",")
            if stream_id:
                out.append(
                    AudioStreamStarted(
                        at=e.at,
                        event_id=_eid(call.call_id, "audio", stream_id),
                        call_id=call.call_id,
                        stream_id=stream_id,
                        address=address,
                    )
                )
        return out

    def _on_agi_exec_start(self, e: AmiEvent) -> list[DomainEvent]:
        # Normally the Newexten of the AGI application came first; this covers a missed one.
        call, primary = self._call_of(e)
        if call is None or call.direction is not CallDirection.INBOUND or not primary:
            return []
        return self._enter_ivr(call, e.at, "")

    def _enter_ivr(self, call: _Call, at: datetime, script: str) -> list[DomainEvent]:
        if call.ivr_since is not None:
            return []
        call.ivr_since = at
        call.ivr_entries += 1
        call.status = CallStatus.IN_IVR
        return [
            IvrEntered(
                at=at,
                event_id=_eid(call.call_id, "ivr-entered", _nth(call.ivr_entries)),
                call_id=call.call_id,
                script=script,
            )
        ]

    def _leave_ivr(self, call: _Call, at: datetime, *, completed: bool) -> list[DomainEvent]:
        if call.ivr_since is None:
            return []
        since, call.ivr_since = call.ivr_since, None
        return [
            IvrLeft(
                at=at,
                event_id=_eid(call.call_id, "ivr-left", _nth(call.ivr_entries)),
                call_id=call.call_id,
                ivr_seconds=_seconds(since, at),
                completed=completed,
            )
        ]

    def _maybe_transfer(self, call: _Call, at: datetime, context: str, exten: str) -> list[DomainEvent]:
        """A transfer read from the caller's dialplan path.

        After an AMI Redirect, Asterisk's first Newexten in the new context still names the
        application the channel was running (trace 06: `Application: Queue` at 12345@transfer),
        so the move is recognised by the context, not by the application: the caller entered a
        transfer context, or left the seat it was talking to for any context that is not the
        caller's own path (the real 22.10.1 traces: a seat transfer redirected into
        `hotline-callback`, exten = the target seat). The `h` extension is no move.
        """
        if not context or exten == _HANGUP_EXTEN or context == call.context:
            return []
        if exten == dialplan.REQUEUE_EXTEN and context in self._transfer_contexts:
            # The dialplan's way back after a failed transfer (a seat that did not answer jumps
            # from the seat-transfer context to `requeue`): the caller returns to its queue, no
            # new transfer. The transfer that failed settles here if nothing settled it yet.
            return self._settle(call, at, TransferStatus.FAILED, detail=dialplan.REQUEUE_EXTEN)
        explicit = context in self._transfer_contexts or context in self._seat_transfer_contexts
        moved_away = call.active_leg is not None and not self._is_caller_path(context)
        if not (explicit or moved_away):
            return []
        last = call.transfers[-1] if call.transfers else None
        if last is not None and (last.context, last.exten) == (context, exten) and call.active_leg is None:
            return []  # still the same transfer (the caller runs the target's next priorities)
        kind, target = self._redirect_kind(call, context, exten)
        return self._start_transfer(
            call, at, kind=kind, target=target, context=context, exten=exten, status=TransferStatus.PENDING
        )

    def _redirect_kind(self, call: _Call, context: str, exten: str) -> tuple[TransferKind, str]:
        if context in self._seat_transfer_contexts or exten in self._seat_ids():
            return TransferKind.SEAT, exten
        if exten in self._queue_names() or exten in call.queue_joins:
            return TransferKind.QUEUE, exten
        if exten.isdigit():
            return TransferKind.EXTERNAL, exten
        return TransferKind.QUEUE, exten

    def _seat_ids(self) -> set[str]:
        return {str(m.seat_id) for m in self._members.values()}

    def _queue_names(self) -> set[str]:
        return {m.queue for m in self._members.values()}

    def _is_seat_interface(self, interface: str) -> bool:
        return self.seat_at(interface) is not None

    def _start_transfer(
        self,
        call: _Call,
        at: datetime,
        *,
        kind: TransferKind,
        target: str,
        context: str,
        exten: str,
        status: TransferStatus,
        detail: str = "",
    ) -> list[DomainEvent]:
        out: list[DomainEvent] = []
        pending = call.pending_transfer()
        if pending is not None:
            # A new transfer before the last one settled: the last one did not reach anyone.
            out += self._settle(call, at, TransferStatus.FAILED, detail="superseded")
        from_seat = call.seat_id
        seq = len(call.transfers) + 1
        transfer = _Transfer(seq, kind, target, status, from_seat, at, context, exten)
        call.transfers.append(transfer)
        if status is not TransferStatus.FAILED:
            # The caller left the seat: that seat's leg ends here (a failed phone transfer leaves
            # the seat talking to the caller).
            if call.active_leg is not None:
                out += self._end_leg(call, call.active_leg, at)
            call.transferred_at = call.transferred_at or at
            call.status = CallStatus.TRANSFERRED
        # The first transfer keeps the id it always had (`transferred:<context>:<exten>`).
        parts = (context, exten) if seq == 1 else (str(seq), context, exten)
        out.append(
            copy_fields(  # the transfer as recorded: when, where to, its kind, target, status, seq
                CallTransferred,
                transfer,
                event_id=_eid(call.call_id, "transferred", *parts),
                call_id=call.call_id,
                seat_id=from_seat,
                queue=call.queue,
                detail=detail,
            )
        )
        return out

    def _settle(
        self,
        call: _Call,
        at: datetime,
        status: TransferStatus,
        *,
        kind: TransferKind | None = None,
        seat_id: SeatId | None = None,
        detail: str = "",
    ) -> list[DomainEvent]:
        pending = call.pending_transfer()
        if pending is None:
            return []
        pending.status = status
        if kind is not None and pending.kind not in (TransferKind.BLIND, TransferKind.ATTENDED):
            pending.kind = kind
        return [
            copy_fields(  # the transfer's seq, kind, target and (settled) status
                CallTransferSettled,
                pending,
                at=at,
                event_id=_eid(call.call_id, "transfer-settled", str(pending.seq)),
                call_id=call.call_id,
                seat_id=seat_id,
                detail=detail,
            )
        ]

    # --- legs --------------------------------------------------------------------------------

    def _answer_leg(
        self,
        call: _Call,
        uid: str,
        *,
        kind: LegKind,
        party: str,
        channel: str,
        seat_id: SeatId | None,
        queue: str | None,
        at: datetime,
        connected: bool = True,
    ) -> list[DomainEvent]:
        if uid in call.legs:
            return []
        seq = len(call.transfers)
        call.legs[uid] = _Leg(uid, kind, party, channel, seat_id, queue, seq, at, at if connected else None)
        if kind is not LegKind.CUSTOMER and call.direction is CallDirection.INBOUND:
            call.active_leg = uid
        return [
            CallLegAnswered(
                at=at,
                event_id=_eid(call.call_id, "leg-answered", uid),
                call_id=call.call_id,
                leg_id=_leg_id(call.call_id, uid),
                kind=kind,
                party=party,
                channel=channel,
                seat_id=seat_id,
                queue=queue,
                transfer_seq=seq,
            )
        ]

    def _end_leg(self, call: _Call, uid: str, at: datetime, *, inferred: bool = False) -> list[DomainEvent]:
        leg = call.legs.get(uid)
        if leg is None or leg.ended:
            return []
        leg.ended = True
        if call.active_leg == uid:
            call.active_leg = None
        if inferred:
            talk: float | None = None
        else:
            talk = _seconds(leg.connected_at, at) if leg.connected_at is not None else 0.0
        leg.talk = talk
        return [
            CallLegEnded(
                at=at,
                event_id=_eid(call.call_id, "leg-ended", uid),
                call_id=call.call_id,
                leg_id=_leg_id(call.call_id, uid),
                kind=leg.kind,
                party=leg.party,
                seat_id=leg.seat_id,
                answered_at=leg.answered_at,
                talk_seconds=talk,
                inferred=inferred,
            )
        ]

    # --- three-way calls (三方通话, pbx.conference) ---------------------------------------------

    def _on_spy_start(self, e: AmiEvent) -> list[DomainEvent]:
        monitor = self._monitors.spy_start(e.get("SpyerChannel"))
        if monitor is not None:
            return [self._monitor_connected(*monitor, e.at, phone=self._monitors.phone_channel(monitor[0]))]
        party = self._thirds.spy_start(e)
        return self._third_joined(party, e.at) if party is not None else []

    def _third_joined(self, party: ThirdParty, at: datetime, *, inferred: bool = False) -> list[DomainEvent]:
        """The third party barged into the seat's leg of an inbound call we follow (else it is
        never reported). `inferred`: seen only in a snapshot, `at` is when we learnt it."""
        channel = self._channels.get(party.spied_uid)
        call = self._calls.get(channel.call_id if channel else CallId(party.call_id))
        if call is None or call.direction is not CallDirection.INBOUND:
            party.left = True  # barged into nothing we follow: never reported
            return []
        party.call_id = call.call_id
        leg = call.legs.get(party.spied_uid)
        party.seat_id = leg.seat_id if leg is not None else call.seat_id
        interface = interface_of_channel(party.dest_channel) if party.dest_channel else ""
        if (interface and self._is_seat_interface(interface)) or party.exten in self._seat_ids():
            party.party_kind = LegKind.SEAT
            party.party = str(self._seat_for_interface(interface)) if interface else party.exten
        else:
            party.party_kind, party.party = LegKind.EXTERNAL, party.exten
        recorded: list[DomainEvent] = []
        if party.recording_uid and party.recording_uid not in call.recordings and not inferred:
            recorded = self._recording_started(
                call, party.recording_uid, party.recording_path, party.recording_channel, at, first=2
            )
        return [
            ThirdPartyJoined(
                at=at,
                event_id=_eid(call.call_id, "third-joined", party.key),
                call_id=call.call_id,
                seat_id=party.seat_id,
                party=party.party,
                party_kind=party.party_kind,
                leg_id=_leg_id(call.call_id, party.key),
                channel=party.dest_channel,
                inferred=inferred,
            ),
            *recorded,
        ]

    def _on_spy_stop(self, e: AmiEvent) -> list[DomainEvent]:
        party = self._thirds.spy_stop(e)
        return self._third_left(party, e.at) if party is not None else []

    def _third_left(
        self, party: ThirdParty, at: datetime, *, inferred: bool = False, call: _Call | None = None
    ) -> list[DomainEvent]:
        """The third party is out; its recording segment (the conference's ;2) ends with it. `call`:
        the call it was in, when it is no longer among the calls followed (ending now)."""
        call_id = CallId(party.call_id)
        call = call or self._calls.get(call_id)
        stopped = self._recording_stopped(call, party.recording_uid, at) if call is not None else []
        return [
            ThirdPartyLeft(
                at=at,
                event_id=_eid(call_id, "third-left", party.key),
                call_id=call_id,
                seat_id=party.seat_id,
                party=party.party,
                party_kind=party.party_kind,
                leg_id=_leg_id(call_id, party.key),
                joined_at=party.joined_at,
                talk_seconds=None if inferred else _seconds(party.joined_at, at),
                inferred=inferred,
            ),
            *stopped,
        ]

    # --- transfers made with the phone's own transfer key ------------------------------------

    def _call_named(self, e: AmiEvent, *prefixes: str) -> _Call | None:
        """The inbound call one of the event's channels belongs to (`<prefix>Uniqueid`, then
        `<prefix>Linkedid`, in the order given)."""
        for prefix in prefixes:
            channel = self._channels.get(e.get(f"{prefix}Uniqueid"))
            call = self._calls.get(channel.call_id) if channel else None
            if call is None:
                call = self._calls.get(CallId(e.get(f"{prefix}Linkedid")))
            if call is not None and call.direction is CallDirection.INBOUND:
                return call
        return None

    def _on_blind_transfer(self, e: AmiEvent) -> list[DomainEvent]:
        # Asterisk 12+ `BlindTransfer`: the seat (Transferer*) sent the caller (Transferee*) to
        # `Extension`@`Context`; `Result` is Success, Fail, Invalid or Not Permitted.
        call = self._call_named(e, "Transferee", "Transferer")
        if call is None:
            return []
        result = e.get("Result")
        ok = result == "Success"
        return self._blind(
            call, e.at, e.get("Context"), e.get("Extension"), ok=ok, detail="" if ok else result
        )

    def _blind(
        self, call: _Call, at: datetime, context: str, exten: str, *, ok: bool, detail: str = ""
    ) -> list[DomainEvent]:
        """The seat sent the caller to `exten`@`context` with the phone's blind transfer."""
        status = TransferStatus.OK if ok else TransferStatus.FAILED
        return self._start_transfer(
            call,
            at,
            kind=TransferKind.BLIND,
            target=exten,
            context=context,
            exten=exten,
            status=status,
            detail=detail,
        )

    def _on_attended_transfer(self, e: AmiEvent) -> list[DomainEvent]:
        # Asterisk 12+ `AttendedTransfer`: the seat talked to the caller (OrigTransferer*) and to
        # the target (SecondTransferer*), then joined them. Transferee*/TransferTarget* name the
        # two parties (13.x and later); `DestType` Fail or a `Result` other than Success: failed.
        call = self._call_named(e, "Transferee", "OrigTransferer", "SecondTransferer")
        if call is None:
            return []
        result, dest_type = e.get("Result"), e.get("DestType")
        ok = result == "Success" and dest_type != "Fail"
        target_channel = e.get("TransferTargetChannel")
        target_uid = e.get("TransferTargetUniqueid")
        consult = self._consults.complete(e)
        if consult.dest_uid:
            # The console's Atxfer: the target is the channel the consultation's Local dialled.
            return self._attended(
                call,
                e.at,
                ok=ok,
                target_channel=consult.dest_channel,
                target_uid=consult.dest_uid,
                target_number=consult.exten,
                context=consult.context,
                exten=consult.exten,
                detail="" if ok else f"{result} {dest_type}".strip(),
            )
        return self._attended(
            call,
            e.at,
            ok=ok,
            target_channel=target_channel,
            target_uid=target_uid,
            target_number=_number(e.get("SecondTransfererConnectedLineNum"))
            or e.get("SecondTransfererExten"),
            context=e.get("SecondTransfererContext"),
            exten=e.get("SecondTransfererExten"),
            detail="" if ok else f"{result} {dest_type}".strip(),
        )

    def _consult_not_transferred(self, call: _Call, at: datetime, consult: Consultation) -> list[DomainEvent]:
        """A consultation ended without a transfer: the seat cancelled it, or the target hung up
        or never answered (`detail`: its DIALSTATUS). The seat is still with the caller."""
        interface = interface_of_channel(consult.dest_channel) if consult.dest_channel else ""
        seat = bool(interface) and self._is_seat_interface(interface)
        target = str(self._seat_for_interface(interface)) if seat else consult.exten
        answered = consult.dial_status in ("", "ANSWER")
        return self._start_transfer(
            call,
            at,
            kind=TransferKind.ATTENDED,
            target=target,
            context=consult.context,
            exten=consult.exten,
            status=TransferStatus.FAILED,
            detail="cancelled" if answered else consult.dial_status,
        )

    def _attended(
        self,
        call: _Call,
        at: datetime,
        *,
        ok: bool,
        target_channel: str,
        target_uid: str,
        target_number: str,
        context: str,
        exten: str,
        detail: str,
    ) -> list[DomainEvent]:
        interface = interface_of_channel(target_channel) if target_channel else ""
        seat = bool(interface) and self._is_seat_interface(interface)
        target = str(self._seat_for_interface(interface)) if seat else (target_number or interface)
        out = self._start_transfer(
            call,
            at,
            kind=TransferKind.ATTENDED,
            target=target,
            context=context,
            exten=exten,
            status=TransferStatus.OK if ok else TransferStatus.FAILED,
            detail=detail,
        )
        if not ok or not target_uid:
            return out
        # The target's channel belonged to the seat's consultation call: it is this call's leg now.
        self._channels[target_uid] = _Channel(target_uid, call.call_id, target_channel)
        if seat:
            return out + self._seat_answered(
                call,
                at,
                uid=target_uid,
                seat_id=self._seat_for_interface(interface),
                interface=interface,
                channel=target_channel,
                wait=None,
                ring=None,
            )
        return out + self._answer_leg(
            call,
            target_uid,
            kind=LegKind.EXTERNAL,
            party=target,
            channel=target_channel,
            seat_id=None,
            queue=None,
            at=at,
        )

    def _on_transfer(self, e: AmiEvent) -> list[DomainEvent]:
        # Asterisk 1.6 to 11 (chan_sip) `Transfer`: `TransferType` Blind or Attended, the
        # transferer's `Channel`/`Uniqueid`, `TargetChannel`/`TargetUniqueid`, and for a blind
        # transfer `TransferExten`/`TransferContext`. No result: a SIP REFER Asterisk accepted.
        channel = self._channels.get(e.uniqueid)
        call = self._calls.get(channel.call_id) if channel else None
        if call is None:
            channel = self._channels.get(e.get("TargetUniqueid"))
            call = self._calls.get(channel.call_id) if channel else None
        if call is None or call.direction is not CallDirection.INBOUND:
            return []
        if e.get("TransferType").strip().lower() == "attended":
            return self._attended(
                call,
                e.at,
                ok=True,
                target_channel=e.get("TargetChannel"),
                target_uid=e.get("TargetUniqueid"),
                target_number="",
                context="",
                exten="",
                detail="",
            )
        return self._blind(call, e.at, e.get("TransferContext"), e.get("TransferExten"), ok=True)

    def _on_hangup_request(self, e: AmiEvent) -> list[DomainEvent]:
        # HangupRequest is queued by the channel driver when the far end hangs up (SIP BYE);
        # hangups by the dialplan, app_queue or an AMI action show as SoftHangupRequest instead.
        # A consultation's channels hang up without the caller or its seat leaving.
        if self._consults.is_consult_channel(e):
            return []
        call, primary = self._call_of(e)
        if call is None or call.direction is None:
            return []
        party: HangupParty | None = None
        if call.direction is CallDirection.INBOUND:
            if primary:
                call.caller_hangup_requested = True
                party = HangupParty.CALLER
            elif (
                call.active_leg is not None
                and call.legs[call.active_leg].kind is LegKind.SEAT
                and e.uniqueid not in call.legs.keys() - {call.active_leg}
            ):
                # The seat's channel, or the PJSIP channel behind its Local member channel.
                party = HangupParty.SEAT
        else:
            party = HangupParty.SEAT if primary else HangupParty.CALLER
        if call.hung_up_by is None and party is not None:
            call.hung_up_by = party
        return []

    def _on_hangup(self, e: AmiEvent) -> list[DomainEvent]:
        monitor = self._monitors.hangup(e.get("Channel"))
        if monitor is None:
            return self._on_channel_gone(e)
        key, call_id, connected = monitor
        ended = self._monitor_ended(key, call_id, e.at, connected=connected)
        return [ended, *self._on_channel_gone(e)]  # the pair is its own call, never reported

    @staticmethod
    def _monitor_connected(key: str, call_id: CallId, at: datetime, *, phone: str = "") -> MonitorConnected:
        return MonitorConnected(
            at=at,
            event_id=_eid(call_id, "monitor", key),
            call_id=call_id,
            monitor_id=key,
            phone_channel=phone,
        )

    # --- a supervisor takes the call over (班长接管, pbx.monitors) ------------------------------

    def _on_bridge_enter(self, e: AmiEvent) -> list[DomainEvent]:
        uid, bridge = e.uniqueid, e.get("BridgeUniqueid")
        phone = self._monitors.phone(uid)
        channel = self._channels.get(uid)
        call = self._calls.get(channel.call_id) if channel is not None else None
        is_caller = call is not None and call.primary == uid and call.direction is CallDirection.INBOUND
        if phone is None and not is_caller:
            return []
        self._bridged[uid] = bridge
        together = [u for u, b in self._bridged.items() if b == bridge and u != uid]
        if phone is not None:
            callers = [u for u in together if self._monitors.phone(u) is None]
            return self._taken_over(callers[0], uid, e.at) if callers else []
        phones = [u for u in together if self._monitors.phone(u) is not None]
        return self._taken_over(uid, phones[0], e.at) if phones else []

    def _adopt_takeover(
        self, item: AmiEvent, snapshot: Mapping[str, AmiEvent], at: datetime
    ) -> list[DomainEvent]:
        """After a (re)login: a supervisor's phone (its Linkedid a monitor's ChannelId, it is not
        the Local pair) in the bridge of the very call that monitor named was taken over while we
        were away (or before a restart): its leg is followed from now on."""
        key, uid, bridge = item.linkedid, item.uniqueid, item.get("BridgeId")
        channel = item.get("Channel")
        if not key.startswith(dialplan.MONITOR_PREFIX) or "." not in key or not bridge:
            return []
        if channel.startswith("Local/"):
            return []
        call = self._calls.get(CallId(key.split(".", 1)[1]))
        primary = snapshot.get(call.primary) if call is not None else None
        if call is None or primary is None or primary.get("BridgeId") != bridge or uid in call.legs:
            return []
        self._monitors.phone_of(key, uid, channel)
        self._bridged[uid] = self._bridged[call.primary] = bridge
        return self._taken_over(call.primary, uid, at)

    def _on_bridge_leave(self, e: AmiEvent) -> list[DomainEvent]:
        if self._bridged.get(e.uniqueid) == e.get("BridgeUniqueid"):
            del self._bridged[e.uniqueid]
        return []

    def _taken_over(self, caller_uid: str, phone_uid: str, at: datetime) -> list[DomainEvent]:
        """The caller's channel and a supervisor's phone share a bridge: when the phone is a monitor
        of this very call, the supervisor took it over; the seat's leg ends with its own hangup."""
        found = self._monitors.phone(phone_uid)
        channel = self._channels.get(caller_uid)
        call = self._calls.get(channel.call_id) if channel is not None else None
        if found is None or call is None or found[1] != call.call_id or phone_uid in call.legs:
            return []
        key, _call_id, phone_channel = found
        self._channels[phone_uid] = _Channel(phone_uid, call.call_id, phone_channel)
        active = call.legs.get(call.active_leg or "")
        seat_id = active.seat_id if active is not None else call.seat_id
        endpoint = interface_of_channel(phone_channel).partition("/")[2] or phone_channel
        call.status = CallStatus.TALKING
        # The seat left the caller's bridge as the caller moved (its own Hangup follows).
        dropped = self._end_leg(call, active.uid, at) if active is not None else []
        return [
            *dropped,
            CallTakenOver(
                at=at,
                event_id=_eid(call.call_id, "taken-over", key),
                call_id=call.call_id,
                seat_id=seat_id,
                monitor_id=key,
                party=endpoint,
                leg_id=_leg_id(call.call_id, phone_uid),
                channel=phone_channel,
            ),
            *self._answer_leg(
                call,
                phone_uid,
                kind=LegKind.SUPERVISOR,
                party=endpoint,
                channel=phone_channel,
                seat_id=None,
                queue=None,
                at=at,
            ),
        ]

    @staticmethod
    def _monitor_ended(key: str, call_id: CallId, at: datetime, *, connected: bool) -> MonitorEnded:
        event_id = _eid(call_id, "monitor-ended", key)
        return MonitorEnded(at=at, event_id=event_id, call_id=call_id, monitor_id=key, connected=connected)

    def _on_channel_gone(self, e: AmiEvent) -> list[DomainEvent]:
        self._bridged.pop(e.uniqueid, None)
        self._monitors.phone_gone(e.uniqueid)
        consult_over = self._consults.hangup(e)
        third = self._thirds.hangup(e)
        left = self._third_left(third, e.at) if third is not None else []
        self._recording_files.pop(e.uniqueid, None)
        channel = self._channels.pop(e.uniqueid, None)
        if channel is None:
            return left
        call = self._calls.get(channel.call_id)
        if call is None:
            return left
        if left:
            return left  # a conference's own channel (its pair is a call of ours we never report)
        # A recording's file is complete when its channel is gone (app_mixmonitor publishes
        # MixMonitorStop only for StopMixMonitor, not at a hangup).
        stopped = self._recording_stopped(call, e.uniqueid, e.at)
        if call.primary != e.uniqueid:
            # A leg's channel hung up (the seat, the outside number): that leg ends here.
            out = stopped + self._end_leg(call, e.uniqueid, e.at)
            if consult_over is not None and call.direction is CallDirection.INBOUND:
                out += self._consult_not_transferred(call, e.at, consult_over)
            return out
        # The primary leg is gone: the call is over; its other legs follow within milliseconds.
        del self._calls[call.call_id]
        for uid in [u for u, c in self._channels.items() if c.call_id == call.call_id]:
            del self._channels[uid]
        cause = _int_or_none(e.get("Cause"))
        return stopped + self._end(call, e.at, cause, e.get("Cause-txt"), inferred=False)

    # --- recordings (录音) -------------------------------------------------------------------

    def _on_mixmonitor_start(self, e: AmiEvent) -> list[DomainEvent]:
        path = self._recording_files.pop(e.uniqueid, "")
        if self._thirds.recording_started(e, path):
            return []  # a three-way call's: a segment of the call the third party joins, once it has
        call, _ = self._call_of(e)
        if call is None or call.direction is None or not path or e.uniqueid in call.recordings:
            return []
        return self._recording_started(call, e.uniqueid, path, e.get("Channel"), e.at)

    def _recording_started(
        self, call: _Call, uid: str, path: str, channel: str, at: datetime, *, first: int = 1
    ) -> list[DomainEvent]:
        """A segment of the call is recorded from `at`: numbered after the call's others, `first`
        at the least (a three-way call's segment is never 1: that is the caller's own channel's,
        even when the tracker learnt the call from a snapshot and never saw it start)."""
        segment = max(first, max((r.segment for r in call.recordings.values()), default=0) + 1)
        recording = _Recording(segment, path, channel, at)
        call.recordings[uid] = recording
        return [
            CallRecordingStarted(
                at=at,
                event_id=_eid(call.call_id, "recording", str(recording.segment)),
                call_id=call.call_id,
                segment=recording.segment,
                path=path,
                channel=recording.channel,
            )
        ]

    def _on_mixmonitor_stop(self, e: AmiEvent) -> list[DomainEvent]:
        call, _ = self._call_of(e)
        return [] if call is None else self._recording_stopped(call, e.uniqueid, e.at)

    def _recording_stopped(self, call: _Call, uid: str, at: datetime) -> list[DomainEvent]:
        recording = call.recordings.get(uid)
        if recording is None or recording.stopped or call.direction is None:
            return []
        recording.stopped = True
        return [
            CallRecordingStopped(
                at=at,
                event_id=_eid(call.call_id, "recording-stopped", str(recording.segment)),
                call_id=call.call_id,
                segment=recording.segment,
                path=recording.path,
                channel=recording.channel,
                answered=call.answered,
                started_at=recording.started_at,
            )
        ]

    def _end(
        self, call: _Call, at: datetime, cause: int | None, cause_text: str, *, inferred: bool
    ) -> list[DomainEvent]:
        if call.direction is None:
            return []
        out: list[DomainEvent] = self._leave_ivr(call, at, completed=False)
        for third in self._thirds.of_call(call.call_id):  # ChanSpy E: it goes with the seat's leg
            if self._thirds.leave(third) is not None:
                out += self._third_left(third, at, inferred=inferred, call=call)
        for uid in list(call.legs):
            out += self._end_leg(call, uid, at, inferred=inferred)
        talk: float | None = None
        if call.direction is CallDirection.CALLBACK:
            if call.seat_answered and call.customer_outcome is None and not inferred:
                outcome = _CAUSE_OUTCOMES.get(cause or 0, CallbackOutcome.FAILED)
                out.append(self._customer_outcome(call, at, outcome, detail="", cause=cause))
            if call.customer_answered_at is not None and not inferred:
                talk = _seconds(call.customer_answered_at, at)
            if not call.seat_answered and call.primary:
                # A failed originate: its OriginateResponse (Uniqueid known) comes after the Hangup.
                self._remember_originate(call)
        else:
            talks = [leg.talk for leg in call.legs.values() if leg.kind is not LegKind.CUSTOMER]
            if call.answered_at is not None:
                if call.transfers or len(talks) > 1:
                    # AgentComplete's TalkTime runs until the *caller* hangs up, so after a
                    # transfer it includes the time spent in the transfer context (trace 06)
                    # and the next seat's ringing: the call's talk is its legs' talk.
                    known = [t for t in talks if t is not None]
                    talk = round(sum(known), 3) if known and len(known) == len(talks) else None
                elif call.talk_seconds is not None:
                    # AgentComplete's TalkTime is app_queue's `time(NULL) - start`, whole seconds
                    # (3.029 s of talk is logged 3 or 4); the seat's leg measured it to the
                    # millisecond. The leg's measure when the two agree, so the call and its leg
                    # say the same (a real 22.10.1 call: leg 3.029 s, TalkTime 4).
                    measured = talks[0] if len(talks) == 1 else None
                    agree = agrees_with_records(measured, call.talk_seconds)
                    talk = measured if agree else call.talk_seconds
                elif not inferred:
                    talk = _seconds(call.answered_at, at)
        if inferred:
            hung_up_by = call.hung_up_by or HangupParty.UNKNOWN
        else:
            hung_up_by = call.hung_up_by or HangupParty.SYSTEM
        out.append(
            CallEnded(
                at=at,
                event_id=_eid(call.call_id, "ended"),
                call_id=call.call_id,
                direction=call.direction,
                hung_up_by=hung_up_by,
                answered=call.answered,
                talk_seconds=talk,
                duration_seconds=_seconds(call.offered_at, at),
                cause=cause,
                cause_text=cause_text,
                seat_id=call.seat_id,
                queue=call.queue,
                caller_number=call.caller_number,
                inferred=inferred,
            )
        )
        return out

    # --- app_queue: the caller's side ------------------------------------------------------

    def _on_queue_caller_join(self, e: AmiEvent) -> list[DomainEvent]:
        call, primary = self._call_of(e)
        if call is None or not primary:
            return []
        out: list[DomainEvent] = self._offer(call, e.at) if call.direction is None else []
        if call.direction is not CallDirection.INBOUND:
            return out
        out += self._leave_ivr(call, e.at, completed=True)
        queue = e.get("Queue")
        pending = call.pending_transfer()
        if pending is not None:
            if pending.kind in (TransferKind.QUEUE, TransferKind.BLIND) or pending.target == queue:
                out += self._settle(call, e.at, TransferStatus.OK, kind=TransferKind.QUEUE)
            else:
                # Sent to a seat or an outside number, the caller is back in a queue: it failed.
                out += self._settle(call, e.at, TransferStatus.FAILED, detail="returned to queue")
        call.missed = False
        out.append(_queued(call, queue, e.at, since=e.at, position=_int(e.get("Position"))))
        return out

    def _on_queue_caller_leave(self, e: AmiEvent) -> list[DomainEvent]:
        call, primary = self._call_of(e)
        if call is not None and primary:
            call.position = None
        return []

    def _on_queue_caller_abandon(self, e: AmiEvent) -> list[DomainEvent]:
        # app_queue also reports QueueCallerAbandon when the Queue() timeout expires (the call
        # is "abandoned" by the queue): the dialplan then goes on (trace 04: Newexten Hangup).
        # A caller who really gave up hung up first: HangupRequest on the caller's channel came
        # before this event (trace 03). That is the only difference on the wire.
        call, primary = self._call_of(e)
        if call is None or call.direction is not CallDirection.INBOUND or not primary or call.missed:
            return []
        call.missed = True
        queue = e.get("Queue") or call.queue or ""
        wait = _seconds(call.queued_at, e.at) if call.queued_at else float(_int(e.get("HoldTime")))
        position = _int(e.get("Position"))
        timed_out = not call.caller_hangup_requested
        call.status = CallStatus.TIMED_OUT if timed_out else CallStatus.ABANDONED
        return [
            queue_miss(
                call.call_id,
                e.at,
                queue=queue,
                caller_number=call.caller_number,
                wait_seconds=wait,
                position=position,
                original_position=_int(e.get("OriginalPosition"), position),
                timed_out=timed_out,
            )
        ]

    # --- app_queue: the seat's side --------------------------------------------------------

    def _on_agent_called(self, e: AmiEvent) -> list[DomainEvent]:
        call, _ = self._call_of(e)
        if call is None or call.direction is not CallDirection.INBOUND:
            return []
        dest = e.get("DestUniqueid")
        if dest and dest not in self._channels:
            self._channels[dest] = _Channel(dest, call.call_id, e.get("DestChannel"))
        if dest:
            call.queue_dials.add(dest)
        if call.answered_at is None or call.active_leg is None:
            call.status = CallStatus.RINGING
        interface = e.get("Interface")
        return [
            SeatRinging(
                at=e.at,
                event_id=_eid(call.call_id, "ringing", dest or interface),
                call_id=call.call_id,
                seat_id=seat_id_from_member(e.get("MemberName"), interface),
                interface=interface,
                queue=e.get("Queue"),
                channel=e.get("DestChannel"),
            )
        ]

    def _on_agent_ring_no_answer(self, e: AmiEvent) -> list[DomainEvent]:
        call, _ = self._call_of(e)
        if call is None or call.direction is not CallDirection.INBOUND:
            return []
        if (call.answered_at is None or call.active_leg is None) and not call.missed:
            call.status = CallStatus.QUEUED
        interface = e.get("Interface")
        # RingTime is in milliseconds here, but in seconds in AgentConnect.
        return [
            SeatRingNoAnswer(
                at=e.at,
                event_id=_eid(call.call_id, "ring-no-answer", e.get("DestUniqueid") or interface),
                call_id=call.call_id,
                seat_id=seat_id_from_member(e.get("MemberName"), interface),
                interface=interface,
                queue=e.get("Queue"),
                ring_seconds=_int(e.get("RingTime")) / 1000,
            )
        ]

    def _on_agent_connect(self, e: AmiEvent) -> list[DomainEvent]:
        call, _ = self._call_of(e)
        if call is None or call.direction is not CallDirection.INBOUND:
            return []
        dest = e.get("DestUniqueid")
        first = call.answered_at is None
        if (dest and dest in call.legs) or (not dest and not first):
            return []  # seen already (a replay after a resync)
        interface = e.get("Interface")
        seat_id = seat_id_from_member(e.get("MemberName"), interface)
        call.queue = e.get("Queue") or call.queue
        wait = _seconds(call.queued_at, e.at) if call.queued_at else float(_int(e.get("HoldTime")))
        return self._seat_answered(
            call,
            e.at,
            uid=dest or interface,
            seat_id=seat_id,
            interface=interface,
            channel=e.get("DestChannel"),
            wait=wait,
            ring=float(_int(e.get("RingTime"))),
        )

    def _seat_answered(
        self,
        call: _Call,
        at: datetime,
        *,
        uid: str,
        seat_id: SeatId,
        interface: str,
        channel: str,
        wait: float | None,
        ring: float | None,
        inferred: bool = False,
    ) -> list[DomainEvent]:
        """A seat took the call: the first answer, or the next seat after a transfer. Each one gets
        its `CallAnswered` (so the board moves that seat to talking) and its leg."""
        if uid in call.legs:
            return []  # this leg answered already (a replay, or two events telling one answer)
        first = call.answered_at is None
        call.seat_id = seat_id
        call.interface = interface
        if first:
            call.answered_at = at
        call.status = CallStatus.TALKING
        out: list[DomainEvent] = [
            CallAnswered(
                at=at,
                event_id=_eid(call.call_id, "answered") if first else _eid(call.call_id, "answered", uid),
                call_id=call.call_id,
                seat_id=seat_id,
                interface=interface,
                queue=call.queue or "",
                wait_seconds=wait,
                ring_seconds=ring,
                caller_number=call.caller_number,
                inferred=inferred,
                leg_id=_leg_id(call.call_id, uid),
            )
        ]
        out += self._answer_leg(
            call,
            uid,
            kind=LegKind.SEAT,
            party=seat_id,
            channel=channel,
            seat_id=seat_id,
            queue=call.queue,
            at=at,
        )
        pending = call.pending_transfer()
        if pending is not None:
            out += self._settle(call, at, TransferStatus.OK, seat_id=seat_id)
        return out

    def _on_agent_complete(self, e: AmiEvent) -> list[DomainEvent]:
        call, _ = self._call_of(e)
        if call is None or call.direction is not CallDirection.INBOUND:
            return []
        call.talk_seconds = float(_int(e.get("TalkTime")))
        # `Reason: agent`: the seat hung up and the caller goes on in the dialplan (the survey).
        # End the seat's leg now, before the caller's next Newexten, whatever context that is in.
        dest = e.get("DestUniqueid")
        if e.get("Reason") == "agent" and dest and dest == call.active_leg:
            return self._end_leg(call, dest, e.at)
        return []

    # --- callbacks -------------------------------------------------------------------------

    def _on_varset(self, e: AmiEvent) -> list[DomainEvent]:
        variable = e.get("Variable")
        if variable == self._work_order_variable:
            return self._on_work_order(e)
        if variable == "DIALSTATUS":
            call, primary = self._call_of(e)
            if call is not None and primary and call.direction is CallDirection.INBOUND:
                return self._transfer_dial_status(call, e.at, e.get("Value"))
            return self._on_callback_dial_status(e, e.get("Value"))
        if variable == self._transferred_variable and e.get("Value") == "1":
            return self._on_transferred_variable(e)
        if variable == "MIXMONITOR_FILENAME" and e.uniqueid:
            self._recording_files[e.uniqueid] = e.get("Value")
        return []

    def _on_transferred_variable(self, e: AmiEvent) -> list[DomainEvent]:
        # The dialplan marks a transferred caller itself (`Set(HOTLINE_TRANSFERRED=1)`): a transfer
        # even when it entered a context the tracker was not told about.
        call, primary = self._call_of(e)
        if call is None or not primary or call.direction is not CallDirection.INBOUND:
            return []
        if call.pending_transfer() is not None or (call.transfers and call.active_leg is None):
            return []
        context, exten = e.get("Context"), e.get("Exten")
        kind, target = self._redirect_kind(call, context, exten)
        return self._start_transfer(
            call, e.at, kind=kind, target=target, context=context, exten=exten, status=TransferStatus.PENDING
        )

    def _transfer_dial_status(self, call: _Call, at: datetime, status: str) -> list[DomainEvent]:
        # The Dial() of a transfer failed before (or without) any DialEnd: `Dial(PJSIP/12345@trunk)`
        # with no such endpoint sets DIALSTATUS=CHANUNAVAIL and creates no channel at all.
        status = status.strip().upper()
        pending = call.pending_transfer()
        if pending is None or not status or status == "ANSWER" or pending.kind is TransferKind.QUEUE:
            return []
        return self._settle(call, at, TransferStatus.FAILED, detail=status)

    def _on_dial_begin(self, e: AmiEvent) -> list[DomainEvent]:
        # The caller's own Dial() (a seat or an outside number after a transfer); app_queue's
        # dials of its members are its own business (AgentCalled/AgentConnect); a seat's
        # consultation dials for the seat, not the caller (pbx.consult).
        if self._consults.dial_begin(e) or self._thirds.dial_begin(e):
            return []
        if self._monitors.dial_begin(e.get("Channel"), e.get("DestUniqueid"), e.get("DestChannel")):
            return []  # a monitor's ;2 rings the supervisor's phone (pbx.monitors)
        call, primary = self._call_of(e)
        dest = e.get("DestUniqueid")
        if call is None or not primary or call.direction is not CallDirection.INBOUND or not dest:
            return []
        if dest in call.queue_dials:
            return []
        channel = e.get("DestChannel")
        call.dialing[dest] = (channel, e.at)
        if dest not in self._channels:
            self._channels[dest] = _Channel(dest, call.call_id, channel)
        interface = interface_of_channel(channel)
        pending = call.pending_transfer()
        if not self._dials_seat(interface, pending):
            return []
        if pending is not None and pending.kind is not TransferKind.SEAT:
            pending.kind = TransferKind.SEAT if pending.kind is not TransferKind.BLIND else pending.kind
        call.status = CallStatus.RINGING
        return [
            SeatRinging(
                at=e.at,
                event_id=_eid(call.call_id, "ringing", dest),
                call_id=call.call_id,
                seat_id=self._seat_for_interface(interface),
                interface=interface,
                queue=call.queue or "",
                channel=channel,
            )
        ]

    def _dials_seat(self, interface: str, pending: _Transfer | None) -> bool:
        """The caller's own Dial() rings a seat: a seat's phone, or the target of a seat transfer."""
        return self._is_seat_interface(interface) or (
            pending is not None and pending.kind is TransferKind.SEAT
        )

    def _inbound_dial_end(self, call: _Call, e: AmiEvent) -> list[DomainEvent]:
        dest = e.get("DestUniqueid")
        if dest not in call.dialing:
            return []
        channel, began = call.dialing.pop(dest)
        status = e.get("DialStatus").strip().upper()
        interface = interface_of_channel(channel)
        pending = call.pending_transfer()
        seat = self._dials_seat(interface, pending)
        if status != "ANSWER":
            out: list[DomainEvent] = []
            if seat:
                out.append(
                    SeatRingNoAnswer(
                        at=e.at,
                        event_id=_eid(call.call_id, "ring-no-answer", dest),
                        call_id=call.call_id,
                        seat_id=self._seat_for_interface(interface),
                        interface=interface,
                        queue=call.queue or "",
                        ring_seconds=_seconds(began, e.at),
                    )
                )
            return out + self._settle(call, e.at, TransferStatus.FAILED, detail=status)
        if seat:
            return self._seat_answered(
                call,
                e.at,
                uid=dest,
                seat_id=self._seat_for_interface(interface),
                interface=interface,
                channel=channel,
                wait=_seconds(pending.at, e.at) if pending is not None else None,
                ring=_seconds(began, e.at),
            )
        party = pending.target if pending is not None else e.get("DestExten") or interface
        out = self._answer_leg(
            call, dest, kind=LegKind.EXTERNAL, party=party, channel=channel, seat_id=None, queue=None, at=e.at
        )
        return out + self._settle(call, e.at, TransferStatus.OK, kind=TransferKind.EXTERNAL)

    def _on_work_order(self, e: AmiEvent) -> list[DomainEvent]:
        # The Originate's `Variable: WORK_ORDER_ID=...` is set on the seat's channel right after
        # its Newchannel, before the seat's phone even rings: that is what marks a callback.
        call, primary = self._call_of(e)
        value = e.get("Value")
        if call is None or not primary or not value or call.direction is CallDirection.INBOUND:
            return []
        if call.work_order_id:
            return []
        call.direction = CallDirection.CALLBACK
        call.work_order_id = value
        call.interface = interface_of_channel(call.channel)
        call.seat_id = self._seat_for_interface(call.interface)
        call.status = CallStatus.RINGING
        return [
            CallbackOriginated(
                at=e.at,
                event_id=_eid(call.call_id, "callback-originated"),
                call_id=call.call_id,
                work_order_id=value,
                seat_id=call.seat_id,
                interface=call.interface,
                channel=call.channel,
            )
        ]

    def _on_dial_end(self, e: AmiEvent) -> list[DomainEvent]:
        # DialEnd without a Channel is the Originate's own dial of the seat; it is ignored.
        if not e.uniqueid or self._consults.dial_end(e):
            return []
        call, primary = self._call_of(e)
        if call is not None and primary and call.direction is CallDirection.INBOUND:
            return self._inbound_dial_end(call, e)
        return self._on_callback_dial_status(e, e.get("DialStatus"))

    def _on_callback_dial_status(self, e: AmiEvent, status: str) -> list[DomainEvent]:
        # The first decisive DIALSTATUS wins. It must: a catch-all callback extension also
        # matches `h`, whose Dial() later overwrites DIALSTATUS with CANCEL (traces 05 and 08).
        call, primary = self._call_of(e)
        if (
            call is None
            or call.direction is not CallDirection.CALLBACK
            or not primary
            or not call.seat_answered
            or call.customer_outcome is not None
        ):
            return []
        outcome = _DIAL_STATUSES.get(status.strip().upper())
        if outcome is None:
            return []
        out: list[DomainEvent] = [
            self._customer_outcome(call, e.at, outcome, detail=status.strip().upper(), cause=None)
        ]
        if outcome is CallbackOutcome.ANSWERED:
            out += self._answer_leg(
                call,
                _CUSTOMER_LEG,
                kind=LegKind.CUSTOMER,
                party=call.caller_number,
                channel=e.get("DialedPeerName") or e.get("DestChannel"),
                seat_id=None,
                queue=None,
                at=e.at,
            )
        return out

    def _customer_outcome(
        self, call: _Call, at: datetime, outcome: CallbackOutcome, *, detail: str, cause: int | None
    ) -> CallbackLegOutcome:
        call.customer_outcome = outcome
        if outcome is CallbackOutcome.ANSWERED:
            call.customer_answered_at = at
            call.status = CallStatus.TALKING
            seat_leg = call.legs.get(call.primary)
            if seat_leg is not None and seat_leg.connected_at is None:
                seat_leg.connected_at = at
        return CallbackLegOutcome(
            at=at,
            event_id=_eid(call.call_id, "callback", CallbackLeg.CUSTOMER),
            call_id=call.call_id,
            leg=CallbackLeg.CUSTOMER,
            outcome=outcome,
            work_order_id=call.work_order_id,
            seat_id=call.seat_id,
            action_id=call.action_id,
            cause=cause,
            detail=detail,
        )

    def _on_originate_response(self, e: AmiEvent) -> list[DomainEvent]:
        # Asterisk fills Uniqueid with `<null>` when the channel never came up, unless the
        # Originate named its channel with `ChannelId`.
        uid = "" if e.uniqueid in ("", "<null>") else e.uniqueid
        action_id = e.get("ActionID")
        call = self._calls.get(CallId(uid)) if uid else None
        pending = self._pending_originate.pop(uid, None) if uid else None
        if call is not None and call.direction is CallDirection.CALLBACK:
            work_order_id, seat_id = call.work_order_id, call.seat_id
        elif pending is not None:
            work_order_id, seat_id = pending
        elif call is None and e.get("Context") in self._callback_contexts:
            work_order_id = ""
            seat_id = seat_id_from_member("", interface_of_channel(e.get("Channel")))
        else:
            return []  # an Originate that is not a callback (an ASR tap...)
        success = e.get("Response") == "Success"
        reason = e.get("Reason")
        outcome = (
            CallbackOutcome.ANSWERED if success else _ORIGINATE_REASONS.get(reason, CallbackOutcome.FAILED)
        )
        if outcome is CallbackOutcome.ANSWERED and not success:
            outcome = CallbackOutcome.FAILED
        legs: list[DomainEvent] = []
        if call is not None:
            call.seat_answered = success
            call.action_id = action_id
            if success and call.direction is CallDirection.CALLBACK and call.seat_id is not None:
                # The seat picked up; its talk starts when the citizen answers.
                legs = self._answer_leg(
                    call,
                    call.primary,
                    kind=LegKind.SEAT,
                    party=call.seat_id,
                    channel=call.channel,
                    seat_id=call.seat_id,
                    queue=None,
                    at=e.at,
                    connected=False,
                )
            # The Originate's Exten is the citizen to call back (`callback` context, trace 05).
            call.caller_number = call.caller_number or e.get("Exten")
        call_id = CallId(uid) if uid else CallId(f"originate:{action_id}")
        return [
            CallbackLegOutcome(
                at=e.at,
                event_id=_eid(call_id, "callback", CallbackLeg.SEAT),
                call_id=call_id,
                leg=CallbackLeg.SEAT,
                outcome=outcome,
                work_order_id=work_order_id,
                seat_id=seat_id,
                action_id=action_id,
                detail=f"reason {reason}" if reason else "",
            ),
            *legs,
        ]

    def _remember_originate(self, call: _Call) -> None:
        self._pending_originate[call.primary] = (call.work_order_id, call.seat_id)
        while len(self._pending_originate) > _PENDING_ORIGINATE_LIMIT:
            del self._pending_originate[next(iter(self._pending_originate))]

    def seat_at(self, interface: str) -> SeatId | None:
        """The seat whose phone `interface` is (a queue member's), None for any other."""
        return next((m.seat_id for m in self._members.values() if m.interface == interface), None)

    def _seat_for_interface(self, interface: str) -> SeatId:
        return self.seat_at(interface) or seat_id_from_member("", interface)

    # --- queue members (seats) -------------------------------------------------------------

    def _member_from(self, e: AmiEvent) -> MemberView:
        # Live events say MemberName/Interface; the QueueStatus list says Name/Location.
        interface = e.get("Interface") or e.get("Location")
        name = e.get("MemberName") or e.get("Name")
        return MemberView(
            queue=e.get("Queue"),
            interface=interface,
            member_name=name,
            seat_id=seat_id_from_member(name, interface),
            paused=e.get("Paused") == "1",
            paused_reason=e.get("PausedReason"),
            status=SeatDeviceStatus.from_ami(e.get("Status")),
            in_call=e.get("InCall") == "1",
            login_time=e.get("LoginTime"),
            last_pause=e.get("LastPause"),
        )

    def _on_member_added(self, e: AmiEvent) -> list[DomainEvent]:
        member = self._member_from(e)
        if not member.queue or not member.interface:
            return []
        self._members[(member.queue, member.interface)] = member
        return [_joined(member, e.at)]

    def _on_member_removed(self, e: AmiEvent) -> list[DomainEvent]:
        member = self._member_from(e)
        old = self._members.pop((member.queue, member.interface), None)
        if not member.queue or not member.interface:
            return []
        return [_left(old or member, e.at)]

    def _on_member_pause(self, e: AmiEvent) -> list[DomainEvent]:
        changed = self._member_changed(e)
        return _pause_change(*changed, e.at) if changed else []

    def _on_member_status(self, e: AmiEvent) -> list[DomainEvent]:
        changed = self._member_changed(e)
        if changed is None:
            return []
        old, member = changed
        if old is not None and (old.status, old.in_call) == (member.status, member.in_call):
            return []
        return [_status_changed(member, e.at)] if self._device_news(member) else []

    def _device_news(self, member: MemberView) -> bool:
        """Whether this member's phone state (status, in call) is not the one last told for its
        interface. app_queue reports one phone change once per queue the seat is in (20 reports
        for a seat in 20 queues, most of the AMI traffic at 400 calls); the change is told once,
        with the queue whose report came first, while each queue's member keeps its own state.
        `in_call` is a queue's own (the queue whose call it is), so that queue's report differs."""
        state = (member.status, member.in_call)
        if self._devices.get(member.interface) == state:
            return False
        self._devices[member.interface] = state
        return True

    def _member_changed(self, e: AmiEvent) -> tuple[MemberView | None, MemberView] | None:
        """A known or new member's fresh state stored: what it was (None: unknown), what it is."""
        member = self._member_from(e)
        if not member.queue or not member.interface:
            return None
        old = self._members.get((member.queue, member.interface))
        self._members[(member.queue, member.interface)] = member
        return old, member

    # --- resync ----------------------------------------------------------------------------

    def rebuild(
        self, channels: Sequence[AmiEvent], queue_status: Sequence[AmiEvent], at: datetime
    ) -> list[DomainEvent]:
        """Reset state from a snapshot taken right after an AMI (re)login.

        `channels`: the `CoreShowChannel` events; `queue_status`: the `QueueParams`,
        `QueueMember` and `QueueEntry` events of `QueueStatus`. Returns the facts missed while
        disconnected, stamped `at`, with the same ids live events would have had: calls that
        ended (CallAbandoned if one was waiting in a queue, then CallEnded, both `inferred`),
        calls that appeared or moved on (CallOffered, IvrLeft, CallQueued, CallAnswered,
        CallTransferred), seat changes, then one StateResynced.

        A call that began and ended entirely while disconnected leaves no trace in a snapshot
        and cannot be recovered here.
        """
        out: list[DomainEvent] = []
        out += self._rebuild_members([e for e in queue_status if e.name == "QueueMember"], at)
        entries = {e.uniqueid: e for e in queue_status if e.name == "QueueEntry" and e.uniqueid}
        snapshot = {e.uniqueid: e for e in channels if e.name == "CoreShowChannel" and e.uniqueid}

        for key, call_id, connected in self._monitors.gone(set(snapshot)):  # ended while we were away
            out.append(self._monitor_ended(key, call_id, at, connected=connected))
        for key in self._thirds.conferences():
            # A conference whose ;1 (Uniqueid: its ChannelId) is gone ended while we were away.
            third = self._thirds.forget(key) if key not in snapshot else None
            if third is not None and self._thirds.leave(third) is not None:
                out += self._third_left(third, at, inferred=True)
        for call in sorted(self._calls.values(), key=lambda c: c.call_id):
            if call.primary not in snapshot:
                del self._calls[call.call_id]
                out += self._end_missed(call, at)

        old_channels = self._channels
        self._channels = {}
        groups: dict[CallId, list[AmiEvent]] = {}
        for uid in sorted(snapshot):
            e = snapshot[uid]
            call_id = CallId(e.linkedid or uid)
            known = old_channels.get(uid)
            self._channels[uid] = _Channel(uid, known.call_id if known else call_id, e.get("Channel"))
            groups.setdefault(self._channels[uid].call_id, []).append(e)

        for call_id in sorted(groups):
            legs = groups[call_id]
            primary = next((leg for leg in legs if leg.uniqueid == call_id), None)
            if primary is None:
                continue
            live = self._calls.get(call_id)
            if live is None:
                live, offered = self._call_from_snapshot(primary, at)
                self._calls[call_id] = live
                out += offered
            if live.direction is CallDirection.INBOUND:
                out += self._reconcile(live, primary, legs, entries.get(primary.uniqueid), at)
        primaries = {c.primary for c in self._calls.values() if c.direction is CallDirection.INBOUND}
        self._bridged = {
            uid: e.get("BridgeId")
            for uid, e in snapshot.items()
            if e.get("BridgeId") and (uid in primaries or self._monitors.phone(uid) is not None)
        }
        items = [snapshot[uid] for uid in sorted(snapshot)]
        for item in items:  # three-way calls and monitors that began while we were away
            monitor = self._monitors.adopt(item.get("Channel"), item.get("Application"))
            if monitor is not None:
                out.append(self._monitor_connected(*monitor, at))
            third = self._thirds.adopt(item, items, at)
            if third is not None:
                out += self._third_joined(third, at, inferred=True)
            out += self._adopt_takeover(item, snapshot, at)

        self._resyncs += 1
        out.append(
            StateResynced(
                at=at,
                event_id=EventId(f"resync:{at.isoformat()}"),
                source="ami",
                calls=len(self.calls),
                seats=len({m.seat_id for m in self._members.values()}),
            )
        )
        return out

    def _rebuild_members(self, snapshot: Sequence[AmiEvent], at: datetime) -> list[DomainEvent]:
        out: list[DomainEvent] = []
        fresh: dict[tuple[str, str], MemberView] = {}
        for e in snapshot:
            member = self._member_from(e)
            if member.queue and member.interface:
                fresh[(member.queue, member.interface)] = member
        for key in sorted(self._members):
            if key not in fresh:
                out.append(_left(self._members[key], at))
        for key in sorted(fresh):
            member, old = fresh[key], self._members.get(key)
            if old is None:
                out.append(_joined(member, at))
                if (member.status is not SeatDeviceStatus.NOT_IN_USE or member.in_call) and self._device_news(
                    member
                ):
                    out.append(_status_changed(member, at))
                continue
            out += _pause_change(old, member, at)
            if (old.status, old.in_call) != (member.status, member.in_call) and self._device_news(member):
                out.append(_status_changed(member, at))
        self._members = fresh
        return out

    def _end_missed(self, call: _Call, at: datetime) -> list[DomainEvent]:
        out: list[DomainEvent] = []
        unanswered = (
            call.direction is CallDirection.INBOUND
            and call.answered_at is None
            and not call.missed
            and call.transferred_at is None
        )
        if unanswered:
            # It ended unseen and nobody answered it. While we were blind the caller may have left
            # the IVR, joined a queue and given up there, so count it as abandoned (in its queue
            # when we knew it, else with no queue): no missed caller goes without a callback.
            # `inferred` lets statistics tell these apart.
            out.append(
                queue_miss(
                    call.call_id,
                    at,
                    queue=call.queue or "",
                    caller_number=call.caller_number,
                    wait_seconds=_seconds(call.queued_at, at) if call.queued_at else 0.0,
                    position=call.position or 0,
                    original_position=call.original_position or 0,
                    inferred=True,
                )
            )
        return out + self._end(call, at, None, "", inferred=True)

    def _call_from_snapshot(self, primary: AmiEvent, at: datetime) -> tuple[_Call, list[DomainEvent]]:
        context = primary.get("Context")
        app = primary.get("Application")
        call_id = CallId(primary.uniqueid)
        direction: CallDirection | None = None
        caller_contexts = (
            self._inbound_contexts
            | self._queue_contexts
            | self._transfer_contexts
            | self._seat_transfer_contexts
        )
        if app in ("AGI", "Queue") or context in caller_contexts:
            direction = CallDirection.INBOUND
        elif context in self._callback_contexts:
            direction = CallDirection.CALLBACK
        call = _Call(
            call_id=call_id,
            primary=primary.uniqueid,
            direction=direction,
            channel=primary.get("Channel"),
            caller_number=_number(primary.get("CallerIDNum")),
            dialed=primary.get("Exten"),
            offered_at=at - timedelta(seconds=_duration(primary.get("Duration"))),
        )
        if direction is CallDirection.CALLBACK:
            call.interface = interface_of_channel(call.channel)
            call.seat_id = self._seat_for_interface(call.interface)
            call.seat_answered = primary.get("ChannelStateDesc") == "Up"
        if direction is not CallDirection.INBOUND:
            return call, []
        return call, [_offered(call, at)]

    def _reconcile(
        self, call: _Call, primary: AmiEvent, legs: Sequence[AmiEvent], entry: AmiEvent | None, at: datetime
    ) -> list[DomainEvent]:
        out: list[DomainEvent] = []
        app = primary.get("Application")
        if app == "AGI":
            out += self._enter_ivr(call, at, primary.get("ApplicationData"))
        elif call.ivr_since is not None:
            out += self._leave_ivr(call, at, completed=True)
        queue = (entry.get("Queue") if entry else "") or (
            primary.get("ApplicationData").split(",", 1)[0] if app == "Queue" else ""
        )
        bridge = primary.get("BridgeId")
        if app == "Queue" and bridge and entry is None:
            # Already talking to a seat: the queue is known, the waiting is over.
            call.queue = call.queue or queue
        elif queue and call.queue != queue and call.answered_at is None:
            wait = _duration(entry.get("Wait")) if entry else 0.0
            position = _int(entry.get("Position")) if entry else 0
            out.append(_queued(call, queue, at, since=at - timedelta(seconds=wait), position=position))
        elif entry is not None:
            call.position = _int(entry.get("Position"))
        present = {leg.uniqueid for leg in legs}
        for uid in [u for u, leg in call.legs.items() if not leg.ended and u not in present]:
            out += self._end_leg(call, uid, at, inferred=True)  # hung up while we were away
        if app in ("Queue", "Dial") and bridge and call.active_leg is None:
            seat_leg = next(
                (leg for leg in legs if leg.uniqueid != primary.uniqueid and leg.get("BridgeId") == bridge),
                None,
            )
            if seat_leg is not None and seat_leg.uniqueid not in call.legs:
                interface = interface_of_channel(seat_leg.get("Channel"))
                out += self._seat_answered(
                    call,
                    at,
                    uid=seat_leg.uniqueid,
                    seat_id=self._seat_for_interface(interface),
                    interface=interface,
                    channel=seat_leg.get("Channel"),
                    wait=None,
                    ring=None,
                    inferred=True,
                )
        out += self._maybe_transfer(call, at, primary.get("Context"), primary.get("Exten"))
        return out


# --- helpers ---------------------------------------------------------------------------------


def _leg_id(call_id: str, uid: str) -> str:
    return f"{call_id}:{uid}"


def _offered(call: _Call, at: datetime) -> CallOffered:
    """The citizen's call came in: told once, live (`_offer`) or from a snapshot, with one id."""
    return CallOffered(
        at=at,
        event_id=_eid(call.call_id, "offered"),
        call_id=call.call_id,
        channel=call.channel,
        caller_number=call.caller_number,
        dialed=call.dialed,
    )


def _queued(call: _Call, queue: str, at: datetime, *, since: datetime, position: int) -> CallQueued:
    """The caller joins `queue` (live, or found waiting there by a snapshot), waiting `since`, at
    `position`; its n-th join of one queue is the n-th fact of that kind."""
    joins = call.queue_joins.get(queue, 0) + 1
    call.queue_joins[queue] = joins
    call.queue = queue
    call.queued_at = since
    call.position = position
    call.original_position = position
    call.status = CallStatus.QUEUED
    return CallQueued(
        at=at,
        event_id=_eid(call.call_id, "queued", queue, _nth(joins)),
        call_id=call.call_id,
        queue=queue,
        position=position,
        caller_number=call.caller_number,
    )


def _eid(call_id: str, kind: str, *parts: str) -> EventId:
    return EventId(":".join([call_id, kind, *[p for p in parts if p]]))


def _nth(n: int) -> str:
    """Id suffix for the n-th occurrence of the same fact: none for the first."""
    return "" if n <= 1 else str(n)


def _seconds(start: datetime | None, end: datetime) -> float:
    if start is None:
        return 0.0
    return round(max((end - start).total_seconds(), 0.0), 3)


def _int(value: str, default: int = 0) -> int:
    try:
        return int(value.strip())
    except ValueError:
        return default


def _int_or_none(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def _number(value: str) -> str:
    # Asterisk writes a missing caller id as the literal `<unknown>`.
    return "" if value in ("<unknown>", "<null>") else value


def _duration(value: str) -> float:
    """`HH:MM:SS` (CoreShowChannel Duration) or plain seconds (QueueEntry Wait)."""
    try:
        parts = [int(p) for p in value.strip().split(":")]
    except ValueError:
        return 0.0
    total = 0
    for part in parts:
        total = total * 60 + part
    return float(total)


class _MemberFacts(TypedDict):
    at: datetime
    event_id: EventId
    seat_id: SeatId
    queue: str
    interface: str


def _member_facts(member: MemberView, at: datetime, fact: str) -> _MemberFacts:
    """What every event about a queue member says of it; its id is `seat:<seat>:<queue>:<fact>`."""
    return {
        "at": at,
        "event_id": EventId(f"seat:{member.seat_id}:{member.queue}:{fact}"),
        "seat_id": member.seat_id,
        "queue": member.queue,
        "interface": member.interface,
    }


def _joined(member: MemberView, at: datetime) -> SeatJoinedQueue:
    return SeatJoinedQueue(
        **_member_facts(member, at, f"joined:{member.login_time}"),
        member_name=member.member_name,
        paused=member.paused,
        paused_reason=member.paused_reason,
    )


def _left(member: MemberView, at: datetime) -> SeatLeftQueue:
    return SeatLeftQueue(**_member_facts(member, at, f"left:{member.login_time}"))


def _pause_change(old: MemberView | None, new: MemberView, at: datetime) -> list[DomainEvent]:
    # LastPause is the epoch second the pause began; it names the pause in both the live event
    # and the QueueStatus list, so a resync reproduces the same id.
    if new.paused and (old is None or not old.paused or old.paused_reason != new.paused_reason):
        paused = f"paused:{new.last_pause}:{new.paused_reason}"
        return [SeatPaused(**_member_facts(new, at, paused), reason=new.paused_reason)]
    if not new.paused and (old is None or old.paused):
        return [SeatResumed(**_member_facts(new, at, f"resumed:{new.last_pause}"))]
    return []


def _status_changed(member: MemberView, at: datetime) -> SeatDeviceStatusChanged:
    return SeatDeviceStatusChanged(
        **_member_facts(member, at, f"status:{member.status}:{at.timestamp():.6f}"),
        status=member.status,
        in_call=member.in_call,
    )
