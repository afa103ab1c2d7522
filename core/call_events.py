"""Call and seat domain events: what the PBX bridge tells the rest of the system.

`pbx.tracker.CallTracker` is the only producer; the seat board, the callback policy, the KPI
aggregator, the trail recorder and the console hub consume them. Every event is a past-tense
fact stamped with Asterisk's own `Timestamp` and carries a deterministic `event_id` built from
the call id (or seat and queue), the kind of fact and what distinguishes it, so that a replayed
stream or a resync yields the same ids and consumers can drop duplicates.

Call events carry `call_id` (the caller leg's `Linkedid`); those about a seat carry `seat_id`,
which makes `seat:<id>` an audience key. Durations are seconds as floats, rounded to the
millisecond.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from core.events import DomainEvent
from core.ids import CallId, SeatId

SEAT_MEMBER_PREFIX = "seat-"


def seat_id_from_member(member_name: str, interface: str = "") -> SeatId:
    """The seat behind a queue member.

    Our convention is `MemberName: seat-<id>`; without it, the interface's resource part is the
    seat (`PJSIP/1001` -> `1001`, `Local/1001@seats/n` -> `1001`).
    """
    name = member_name.strip()
    if name.startswith(SEAT_MEMBER_PREFIX) and len(name) > len(SEAT_MEMBER_PREFIX):
        return SeatId(name[len(SEAT_MEMBER_PREFIX) :])
    source = interface.strip() or name
    _, _, resource = source.partition("/")
    resource = resource or source
    resource = resource.split("@", 1)[0].split("/", 1)[0]
    return SeatId(resource)


class HangupParty(enum.StrEnum):
    """Who ended the call. `SYSTEM`: the dialplan, a queue timeout, an AMI action or a failure."""

    CALLER = "caller"
    SEAT = "seat"
    SYSTEM = "system"
    UNKNOWN = "unknown"  # the call ended while the AMI link was down


class CallDirection(enum.StrEnum):
    """Who placed the call: a citizen (inbound) or our Originate for a work order (callback)."""

    INBOUND = "inbound"
    CALLBACK = "callback"


class CallbackLeg(enum.StrEnum):
    """The two legs of a callback, in the order they are dialled."""

    SEAT = "seat"  # the Originate rings the seat first
    CUSTOMER = "customer"  # then the dialplan dials the citizen


class CallbackOutcome(enum.StrEnum):
    """How one callback leg ended up (from OriginateResponse, DIALSTATUS or the Q.850 cause)."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"  # the seat hung up before the citizen answered
    FAILED = "failed"


class LegKind(enum.StrEnum):
    """Who is on the far side of one leg of a call (the caller's, or a callback seat's, channel)."""

    SEAT = "seat"  # a seat's phone: answered from a queue, a seat transfer or a callback Originate
    EXTERNAL = "external"  # a number outside the hotline, dialled by a transfer (12345...)
    CUSTOMER = "customer"  # the citizen dialled back by a callback
    THIRD_PARTY = "third_party"  # 三方通话: a seat or an outside number a seat invited in (ChanSpy B)
    SUPERVISOR = "supervisor"  # 班长接管: the supervisor's own phone, bridged with the caller (AMI Bridge)


class TransferKind(enum.StrEnum):
    """How the caller was passed on.

    `SEAT`/`QUEUE`/`EXTERNAL`: the seat console moved the caller (AMI Redirect into the dialplan);
    `BLIND`/`ATTENDED`: the seat's phone did it with its own transfer key (AMI `BlindTransfer`,
    `AttendedTransfer`)."""

    SEAT = "seat"
    QUEUE = "queue"
    EXTERNAL = "external"
    BLIND = "blind"
    ATTENDED = "attended"


class TransferStatus(enum.StrEnum):
    """`PENDING`: the caller left the seat, the target has not answered yet (nor failed)."""

    PENDING = "pending"
    OK = "ok"
    FAILED = "failed"


class SeatDeviceStatus(enum.StrEnum):
    """app_queue's member `Status` (AST_DEVICE_* numbers 0..8)."""

    UNKNOWN = "unknown"
    NOT_IN_USE = "not_in_use"
    IN_USE = "in_use"
    BUSY = "busy"
    INVALID = "invalid"
    UNAVAILABLE = "unavailable"
    RINGING = "ringing"
    RING_IN_USE = "ring_in_use"
    ON_HOLD = "on_hold"

    @classmethod
    def from_ami(cls, code: str) -> SeatDeviceStatus:
        try:
            index = int(code)
        except ValueError:
            return cls.UNKNOWN
        if 0 <= index < len(_DEVICE_STATUS_ORDER):
            return _DEVICE_STATUS_ORDER[index]
        return cls.UNKNOWN


_DEVICE_STATUS_ORDER: tuple[SeatDeviceStatus, ...] = tuple(SeatDeviceStatus)


# --- calls ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _CallEvent(DomainEvent):
    """Base of the facts about one call (here, and the IVR's and the ASR's): `call_id` names it."""

    call_id: CallId


@dataclass(frozen=True, slots=True, kw_only=True)
class CallOffered(_CallEvent):
    """A citizen's call reached the PBX (`dialed`: 12348, 12349...)."""

    channel: str
    caller_number: str
    dialed: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrEntered(_CallEvent):
    """The caller's channel started the FastAGI IVR (`script`: the agi:// URL)."""

    script: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrLeft(_CallEvent):
    """The IVR finished (`completed`) or the caller hung up in it."""

    ivr_seconds: float
    completed: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioStreamStarted(_CallEvent):
    """The dialplan started AudioSocket for the call: `stream_id` is the UUID the ASR server receives."""

    stream_id: str
    address: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallQueued(_CallEvent):
    """The caller joined a queue at `position` (1 = next to be served)."""

    queue: str
    position: int
    caller_number: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class _SeatOfferEvent(_CallEvent):
    """Base of the facts about the call offered to one seat (the queue member `interface` of
    `queue`): it rang, it was not answered, it was answered."""

    seat_id: SeatId
    interface: str
    queue: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatRinging(_SeatOfferEvent):
    """app_queue rang a seat for the call (`channel`: the seat leg's channel name)."""

    channel: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatRingNoAnswer(_SeatOfferEvent):
    """A seat let the call ring `ring_seconds` without answering; the queue tries again."""

    ring_seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAnswered(_SeatOfferEvent):
    """A seat answered the call: from a queue, or after a transfer (then `leg_id` is not the first
    seat's and `wait_seconds` runs from the transfer). Every seat that takes the call gets one, so
    the board moves each to talking. `wait_seconds` is None only when inferred from a resync."""

    wait_seconds: float | None
    ring_seconds: float | None = None
    caller_number: str = ""
    inferred: bool = False
    leg_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallTransferred(_CallEvent):
    """The caller left seat `seat_id` for `target` (the `seq`-th transfer of the call).

    Redirects by the console land in `exten@context` and start `PENDING`; a `CallTransferSettled`
    follows once the target answered or failed. Phone transfers (`BLIND`, `ATTENDED`) carry
    Asterisk's own `Result` at once (`OK` or `FAILED`); a failed one leaves the seat talking.
    """

    context: str
    exten: str
    seat_id: SeatId | None = None
    queue: str | None = None
    kind: TransferKind = TransferKind.QUEUE
    target: str = ""
    status: TransferStatus = TransferStatus.PENDING
    seq: int = 1
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallTransferSettled(_CallEvent):
    """A pending transfer's outcome: the caller reached the target (`OK`: joined the queue, the seat
    or the outside number answered) or not (`FAILED`, `detail`: Asterisk's DIALSTATUS). After a
    failure the caller's outcome is whatever happened next (back to a queue, or dropped)."""

    seq: int
    kind: TransferKind
    target: str
    status: TransferStatus
    seat_id: SeatId | None = None  # the seat that answered a seat transfer
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class _LegEvent(_CallEvent):
    """Base of the facts about one party of a call (one `call_legs` row): it joined, it ended.

    `leg_id` is `<call id>:<the leg channel's Uniqueid>`; `party` is the seat id or the number.
    """

    leg_id: str
    kind: LegKind
    party: str
    seat_id: SeatId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallLegAnswered(_LegEvent):
    """One party joined the call: a seat, an outside number, or a callback's citizen."""

    channel: str = ""
    queue: str | None = None
    transfer_seq: int = 0  # 0: the first leg; n: reached through the n-th transfer


@dataclass(frozen=True, slots=True, kw_only=True)
class CallLegEnded(_LegEvent):
    """A leg ended (its channel hung up, the caller was transferred away from it, or the call
    ended). `talk_seconds`: time bridged with the other side; None when the end was only inferred
    after an AMI outage (unknown, for reconciliation to fill), 0.0 when never bridged."""

    answered_at: datetime | None = None
    talk_seconds: float | None = None
    inferred: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class _ThirdPartyEvent(_CallEvent):
    """Base of the facts about a three-way call's third party (三方通话, one `call_legs` row of kind
    `LegKind.THIRD_PARTY`): seat `seat_id` invited `party` (a seat id when `party_kind` is
    `LegKind.SEAT`, else the outside number, `LegKind.EXTERNAL`). `leg_id` is
    `<call id>:<the conference Local channel's ChannelId>`."""

    seat_id: SeatId | None
    party: str
    party_kind: LegKind
    leg_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ThirdPartyJoined(_ThirdPartyEvent):
    """The third party answered and barged into the seat's leg (ChanSpyStart): all three talk.
    `channel`: the third party's own channel. `inferred`: found in a snapshot after an AMI
    (re)login, already in the call; `at` is then when we learnt it (it joined earlier)."""

    channel: str = ""
    inferred: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ThirdPartyLeft(_ThirdPartyEvent):
    """The third party is gone (ChanSpyStop): it hung up, the seat dropped it (移出第三方), or the
    call ended. `talk_seconds`: time it was in the call; None when the end was only inferred after
    an AMI outage."""

    joined_at: datetime | None = None
    talk_seconds: float | None = None
    inferred: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class _MonitorEvent(_CallEvent):
    """Base of a supervisor's monitor (班长监听 / 耳语 / 强插) of the call: `monitor_id` is its Local
    channel's ChannelId (`core.dialplan.MONITOR_PREFIX`). No seat, team or district key: it is
    never pushed to the seat that is listened to (the city-wide roles see it; the supervisor's
    console reads its own session from `seats.monitor`)."""

    monitor_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorConnected(_MonitorEvent):
    """The supervisor's phone answered and ChanSpy is on the seat's leg (`ChanSpyStart`).
    `phone_channel`: the supervisor's phone's own channel (what a take-over bridges the caller
    with); empty when its Dial was not seen (adopted after an AMI reconnect)."""

    phone_channel: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorEnded(_MonitorEvent):
    """The monitor's Local channel is gone (its ;1 hung up). `connected`: it had been spying (a
    ChanSpyStart came); False when the supervisor's phone never answered."""

    connected: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CallTakenOver(_CallEvent):
    """班长接管: the supervisor's phone of monitor `monitor_id` is now bridged with the caller (AMI
    `Bridge` of the two channels: `BridgeEnter` of both into one bridge); seat `seat_id` is dropped
    (its leg, left alone in the queue's bridge, is hung up by Asterisk). `party` is the phone's
    endpoint, `leg_id` the supervisor's leg (`LegKind.SUPERVISOR`), `channel` the phone's channel.
    Pushed to the seat, its team and its district: the seat sees why its call ended."""

    seat_id: SeatId | None
    monitor_id: str
    party: str
    leg_id: str
    channel: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class _QueueMissEvent(_CallEvent):
    """Base of the two missed calls: the caller left `queue` unserved after `wait_seconds`, at
    `position` (`original_position`: where it joined)."""

    queue: str
    wait_seconds: float
    position: int
    original_position: int
    caller_number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAbandoned(_QueueMissEvent):
    """The caller hung up while waiting in a queue: a missed call that deserves a callback."""

    inferred: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CallTimedOut(_QueueMissEvent):
    """The queue's timeout expired before any seat answered: also a missed call."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded(_CallEvent):
    """The call's primary leg hung up (the caller's for inbound, the seat's for a callback)."""

    direction: CallDirection
    hung_up_by: HangupParty
    answered: bool
    talk_seconds: float | None
    duration_seconds: float
    cause: int | None
    cause_text: str = ""
    seat_id: SeatId | None = None
    queue: str | None = None
    caller_number: str = ""
    inferred: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class _RecordingEvent(_CallEvent):
    """Base of the facts about one recording of a call (`core.recordings`): `segment` is its number
    within the call (1, 2... in the order they started), `path` the file as Asterisk names it
    (MIXMONITOR_FILENAME), `channel` the recorded channel."""

    segment: int
    path: str
    channel: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecordingStarted(_RecordingEvent):
    """MixMonitor started on one of the call's channels (it writes only while bridged)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecordingStopped(_RecordingEvent):
    """The recording's channel hung up (or MixMonitor was stopped): the file is complete.
    `answered`: the call had been answered by then (a recording is owed: no file is an alert);
    `started_at`: when MixMonitor started."""

    answered: bool = False
    started_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingAlertRaised(_CallEvent):
    """The recordings' keeper raised an alert about this answered call (`core.recordings.
    RecordingAlert`): `kind` is a `RecordingAlertKind` value, `segment` the missing segment (0: no
    recording at all). `district_code`: the call's district when known, so that its district
    supervisors are pushed it; None: the city-wide roles only."""

    kind: str
    segment: int = 0
    district_code: str | None = None
    detail: str = ""


# --- callbacks -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackOriginated(_CallEvent):
    """A callback Originate created the seat's channel (`WORK_ORDER_ID` set on it)."""

    work_order_id: str
    seat_id: SeatId
    interface: str
    channel: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackLegOutcome(_CallEvent):
    """How one leg of a callback went. `detail`: Asterisk's DIALSTATUS or OriginateResponse reason.

    `call_id` is `originate:<ActionID>` when Asterisk could not name the channel (Uniqueid
    `<null>`: the channel never came up); `action_id` then lets the sender correlate.
    """

    leg: CallbackLeg
    outcome: CallbackOutcome
    work_order_id: str = ""
    seat_id: SeatId | None = None
    action_id: str = ""
    cause: int | None = None
    detail: str = ""


# --- seats ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _QueueMemberEvent(DomainEvent):
    """Base of the facts about one seat's membership of one queue (app_queue's member, known by
    its `interface`): joined, left, paused, resumed, device status."""

    seat_id: SeatId
    queue: str
    interface: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatJoinedQueue(_QueueMemberEvent):
    """A seat logged into a queue (QueueAdd)."""

    member_name: str
    paused: bool = False
    paused_reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatLeftQueue(_QueueMemberEvent):
    """A seat logged out of a queue (QueueRemove, or gone from a resync snapshot)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatPaused(_QueueMemberEvent):
    """A seat stopped taking calls from the queue, with the reason it gave."""

    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatResumed(_QueueMemberEvent):
    """A paused seat takes calls again."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatDeviceStatusChanged(_QueueMemberEvent):
    """The seat's device state as app_queue sees it (ringing, in use...): once per change of the
    phone's state, not once per queue the seat is in (`queue`: the queue whose report came first;
    `in_call`: that queue's call)."""

    status: SeatDeviceStatus
    in_call: bool = False


# --- reconciliation from Asterisk's records ------------------------------------------------


RECORDS_SOURCE = "asterisk-records"
"""`CallReconciled.source` when Asterisk's queue log / CDR said how the call went."""
UNSEEN_SOURCE = "pbx-snapshot"
"""`CallReconciled.source` when the call was only found gone from an AMI snapshot: end guessed."""

RECORDS_RESOLUTION_SECONDS = 1.0
"""Asterisk's records count whole seconds: queue_log times and durations are `time(NULL)` and
differences of them (app_queue's holdtime / calltime: `time(NULL) - start`, both cut to the
second), CDR times are cut to the second and `billsec` is whole seconds. Each such figure may be
up to a second off what the AMI view measured to the millisecond (3.025 s of talk is logged as 3
or 4)."""
RECORDS_SLACK_SECONDS = 0.25
"""Beyond that second: the AMI event stamps are taken a few milliseconds after app_queue or the
CDR engine read the clock, so a measure right at the second's edge may overshoot it a little."""


def agrees_with_records(measured: float | None, recorded: float | None, *, parts: int = 1) -> bool:
    """Whether a measured duration says what the records' whole-second one says, to their
    resolution. `parts`: how many whole-second figures the records added up for it (each may be a
    second off). A measure that agrees is the better one and is kept; one that does not (or none)
    is corrected from the records."""
    if measured is None or recorded is None:
        return False
    return abs(measured - recorded) <= max(parts, 1) * RECORDS_RESOLUTION_SECONDS + RECORDS_SLACK_SECONDS


def agrees_with_records_at(measured: datetime | None, recorded: datetime | None) -> bool:
    """`agrees_with_records` for a moment (an answer, an end) the records name to the second."""
    if measured is None or recorded is None:
        return False
    return agrees_with_records((measured - recorded).total_seconds(), 0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallReconciled(_CallEvent):
    """Asterisk's own records (queue log, CDR) say how a call really went, and our summary of it
    was missing, left open, or closed with a guessed end (after a kill or an AMI outage).

    `at` is the call's real end. Fields left None are unknown from the records and keep what the
    summary has. The records' times and durations are whole seconds: a summary's own measure that
    agrees with one to that resolution is the finer one and stays (`agrees_with_records`), so the
    call keeps agreeing with its legs, which the AMI view measured the same way. Only the store's summary follows it: it is not a live fact, so the seat board
    and the live KPIs ignore it (the miss itself, if any, comes as `CallAbandoned` /
    `CallTimedOut` with the tracker's own event ids, so nothing is counted or ordered twice).
    """

    status: str | None = None  # a `core.calls.CallStatus` value
    caller_number: str = ""
    offered_at: datetime | None = None
    answered_at: datetime | None = None
    queue: str | None = None
    seat_id: SeatId | None = None
    final_seat_id: SeatId | None = None  # the seat a transfer reached, when it was another's
    wait_seconds: float | None = None
    talk_seconds: float | None = None
    talk_parts: int = 1  # the whole-second figures `talk_seconds` adds up (`agrees_with_records`)
    hung_up_by: HangupParty | None = None
    source: str = RECORDS_SOURCE
