"""Reconciliation with Asterisk's records: no missed caller is forgotten.

Our view of calls comes from the AMI link. When the app was killed, or the link was down, calls
began, waited and ended unseen: the database keeps them `queued` forever, or never hears of them,
or closes them at reconnect time with no talk time. Asterisk's queue log and CDR were written
all along. On every start and every AMI (re)login (`StateResynced`) `RecordsReconciler.run`
reads both past their checkpoints and:

* closes calls the database left open, with their real outcome, end and talk time;
* creates the calls that began and ended while we were away;
* corrects calls closed with a guessed end (a resync stamps the end at reconnect time);
* publishes the miss (`CallAbandoned` / `CallTimedOut`, with the tracker's own event ids) of
  every abandoned, timed-out or unanswered call whose work order is not recorded yet: the
  callback service's exactly-once policy (one missed-call row per call id, one open order per
  number) then opens or extends the order once, whatever was already ordered live.

Summaries go out as `CallReconciled`, which only the store's projection follows (the seat board
and the live KPIs must not replay old calls). Calls that the tracker is following live are left
to it. A call whose records are not complete yet (still queued, CDR not written) keeps the
checkpoint at its first line, so the next pass reads it whole.

`summarise` and `plan` are pure; `RecordsReconciler` does the I/O through the ports in
`core.ports` (`RecordLines`, `RecordCheckpoints`, `KnownCalls`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TypeVar

from core import dialplan
from core.blocking import offload
from core.call_events import (
    RECORDS_SOURCE,
    UNSEEN_SOURCE,
    CallAbandoned,
    CallLegAnswered,
    CallLegEnded,
    CallReconciled,
    CallTimedOut,
    HangupParty,
    LegKind,
    agrees_with_records,
    agrees_with_records_at,
    seat_id_from_member,
)
from core.calls import CallRecord, CallStatus, KnownCall
from core.clock import Clock
from core.events import DomainEvent
from core.ids import CallId, EventId, SeatId
from core.ports import KnownCalls, RecordCheckpoint, RecordCheckpoints, RecordChunk, RecordLines
from core.values import copy_fields
from pbx.misses import queue_miss
from pbx.records import (
    QUEUE_EXITS,
    CdrRow,
    ParseReport,
    QueueLogEntry,
    QueueLogEvent,
    parse_cdr,
    parse_queue_log,
)
from pbx.tracker import interface_of_channel

log = logging.getLogger(__name__)

_Record = TypeVar("_Record")

QUEUE_LOG = "queue_log"
CDR = "cdr"

# A CDR-only call (no queue log lines) is a citizen's call when its first CDR row ended in one of
# the contexts a caller passes through; callbacks (the Originate's seat leg, context
# `hotline-callback`), the seats' own calls (`seats-out`) and the live-transcript tap's Local
# channels are not. `incoming` / `transfer` are the older traces' names.
INBOUND_CONTEXTS = frozenset(
    {dialplan.INCOMING, dialplan.QUEUE, dialplan.TRANSFER, dialplan.SEAT_TRANSFER, "incoming", "transfer"}
)
IGNORED_CONTEXTS = frozenset({dialplan.ASR_TAP})

_FINAL = frozenset(
    {
        CallStatus.ANSWERED,
        CallStatus.ABANDONED,
        CallStatus.TIMED_OUT,
        CallStatus.TRANSFERRED,
        CallStatus.ENDED,
    }
)
_WAITING = frozenset({CallStatus.QUEUED, CallStatus.RINGING})
_MISSES = {
    QueueLogEvent.ABANDON: CallStatus.ABANDONED,
    QueueLogEvent.EXITWITHTIMEOUT: CallStatus.TIMED_OUT,
    QueueLogEvent.EXITEMPTY: CallStatus.TIMED_OUT,  # no seat logged in: unanswered all the same
}
_TRANSFERS = frozenset({QueueLogEvent.TRANSFER, QueueLogEvent.BLINDTRANSFER, QueueLogEvent.ATTENDEDTRANSFER})


@dataclass(slots=True)
class _Stay:
    """One stay of the caller in one queue."""

    queue: str
    entered_at: datetime
    caller: str = ""
    connected_at: datetime | None = None
    seat_id: SeatId | None = None
    hold: float | None = None
    exit: QueueLogEntry | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LegFromRecords:
    """A party the caller talked with after its last queue stay ended in a transfer (the seat a
    completed 咨询转接 or a seat transfer reached, an outside line), from the caller's CDR row
    whose `dstchannel` it is. `uniqueid`: that channel's own (its CDR row), as the tracker names
    the leg; `transfer_seq`: the transfers before it."""

    uniqueid: str
    channel: str
    number: str  # what the caller's row dialled (`dst`)
    answered_at: datetime
    ended_at: datetime
    talk_seconds: float
    transfer_seq: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFromRecords:
    """One inbound call as Asterisk's records tell it."""

    call_id: CallId
    caller_number: str
    offered_at: datetime | None
    ended_at: datetime | None
    status: CallStatus | None  # None: the records say it ended but not how (no queue log)
    queue: str | None = None
    seat_id: SeatId | None = None
    answered_at: datetime | None = None
    wait_seconds: float | None = None
    talk_seconds: float | None = None
    talk_parts: int = 1  # the whole-second figures `talk_seconds` adds up: stays, legs after them
    hung_up_by: HangupParty | None = None
    miss: CallAbandoned | CallTimedOut | None = None
    complete: bool = False
    queued: bool = False  # the queue log has this call
    first_offsets: Mapping[str, int] = field(default_factory=dict)
    last_at: datetime | None = None
    after_queue: tuple[LegFromRecords, ...] = ()


def summarise(
    entries: Sequence[QueueLogEntry],
    cdrs: Sequence[CdrRow],
    *,
    cdr_expected: bool,
    now: datetime,
    settle: timedelta = timedelta(hours=1),
) -> dict[CallId, CallFromRecords]:
    """Inbound calls in the records, by call id (the caller channel's Uniqueid = its Linkedid).

    A call is complete when its last queue stay has ended and (when a CDR is kept) its CDR row is
    written; records untouched for `settle` count as complete with what they have.
    """
    by_call: dict[str, list[QueueLogEntry]] = {}
    for e in entries:
        if e.about_a_call:
            by_call.setdefault(e.call_id, []).append(e)
    uid_of = {r.channel: r.uniqueid for r in cdrs if r.channel and r.uniqueid}
    rows: dict[str, list[CdrRow]] = {}
    for r in cdrs:
        if not r.uniqueid or r.dcontext in IGNORED_CONTEXTS or r.channel.startswith("Local/"):
            continue
        rows.setdefault(r.uniqueid, []).append(r)
    out: dict[CallId, CallFromRecords] = {}
    for uid in sorted(set(by_call) | set(rows)):
        call_rows = sorted(rows.get(uid, []), key=lambda r: (r.start, r.end))
        queue_lines = sorted(by_call.get(uid, []), key=lambda e: (e.at, e.offset))
        if not queue_lines and call_rows[0].dcontext not in INBOUND_CONTEXTS:
            continue  # a callback (its seat leg is the primary), a seat's own call: not a citizen's
        out[CallId(uid)] = _one_call(CallId(uid), queue_lines, call_rows, cdr_expected, now, settle, uid_of)
    return out


def _one_call(
    call_id: CallId,
    lines: Sequence[QueueLogEntry],
    rows: Sequence[CdrRow],
    cdr_expected: bool,
    now: datetime,
    settle: timedelta,
    uid_of: Mapping[str, str],
) -> CallFromRecords:
    stays: list[_Stay] = []
    for e in lines:
        if e.event == QueueLogEvent.ENTERQUEUE:
            stays.append(_Stay(queue=e.queue, entered_at=e.at, caller=e.field(1)))
            continue
        stay = next((s for s in reversed(stays) if s.queue == e.queue and s.exit is None), None)
        if stay is None:
            # The stay began before these records (a rotated file): rebuild its start from the
            # times app_queue logs, so an abandon seen alone is still a missed call.
            stay = _stay_from_tail(e)
            if stay is None:
                continue
            stays.append(stay)
        if e.event == QueueLogEvent.CONNECT:
            stay.connected_at = e.at
            stay.seat_id = seat_id_from_member(e.agent)
            stay.hold = e.number(0)
        elif e.event in QUEUE_EXITS:
            stay.exit = e
    first_offsets: dict[str, int] = {}
    if lines:
        first_offsets[QUEUE_LOG] = min(e.offset for e in lines)
    if rows:
        first_offsets[CDR] = min(r.offset for r in rows)
    times = [e.at for e in lines] + [r.end for r in rows]
    last_at = max(times) if times else None
    cdr_end = max((r.end for r in rows), default=None)
    queue_done = all(s.exit is not None for s in stays)
    stale = last_at is not None and now - last_at >= settle
    complete = (queue_done and (bool(rows) or not cdr_expected)) or (stale and bool(rows or lines))
    caller = next((s.caller for s in stays if s.caller), "") or (rows[0].src if rows else "")
    offered_at = rows[0].start if rows else (stays[0].entered_at if stays else None)
    exits = [s.exit.at for s in stays if s.exit is not None]
    ended_at = cdr_end or (max(exits) if exits else last_at)
    base = CallFromRecords(
        call_id=call_id,
        caller_number=caller,
        offered_at=offered_at,
        ended_at=ended_at,
        status=None if not lines else CallStatus.ENDED,
        complete=complete,
        queued=bool(lines),
        first_offsets=first_offsets,
        last_at=last_at,
    )
    if not stays:
        return base
    answered = [s for s in stays if s.connected_at is not None]
    last = stays[-1]
    status = CallStatus.ANSWERED if answered else CallStatus.ENDED
    hung_up_by: HangupParty | None = None
    miss: CallAbandoned | CallTimedOut | None = None
    if last.connected_at is None:
        kind = last.exit.event if last.exit is not None else None
        if kind in _MISSES or (kind is None and complete):
            # `kind is None`: the caller's channel is gone (CDR written) but app_queue logged no
            # exit; count it as abandoned, like the tracker does for a call that ended unseen.
            miss = _miss(call_id, last, caller, ended_at or last.entered_at)
            status = _MISSES.get(QueueLogEvent(kind), CallStatus.ABANDONED) if kind else CallStatus.ABANDONED
            hung_up_by = HangupParty.CALLER if status is CallStatus.ABANDONED else HangupParty.SYSTEM
    elif last.exit is not None:
        if last.exit.event == QueueLogEvent.COMPLETECALLER:
            hung_up_by = HangupParty.CALLER
        elif last.exit.event == QueueLogEvent.COMPLETEAGENT:
            hung_up_by = HangupParty.SEAT
        elif last.exit.event in _TRANSFERS:
            status = CallStatus.TRANSFERRED
    first = answered[0] if answered else None
    after = _after_queue(stays, rows, uid_of)
    return replace(
        base,
        status=status,
        queue=(first or last).queue,
        seat_id=first.seat_id if first else None,
        answered_at=first.connected_at if first else None,
        wait_seconds=(first.hold if first else (miss.wait_seconds if miss else None)),
        # As the tracker counts it: every party's talk, those reached after a transfer too.
        talk_seconds=round(_talk(stays, ended_at) + sum(leg.talk_seconds for leg in after), 3)
        if answered
        else None,
        talk_parts=max(len(answered) + len(after), 1),
        hung_up_by=hung_up_by,
        miss=miss,
        after_queue=after,
    )


def _after_queue(
    stays: Sequence[_Stay], rows: Sequence[CdrRow], uid_of: Mapping[str, str]
) -> tuple[LegFromRecords, ...]:
    """The parties the caller was bridged with after its last stay ended in a transfer: its CDR
    rows (one per bridged party, whole seconds) whose `dstchannel` is a phone or a trunk (not a
    Local channel: a consultation's half) and answered from that exit on (to the second)."""
    last = stays[-1] if stays else None
    if last is None or last.exit is None or last.exit.event not in _TRANSFERS:
        return ()
    since = last.exit.at - timedelta(seconds=1)
    seq = sum(1 for stay in stays if stay.exit is not None and stay.exit.event in _TRANSFERS)
    legs: dict[str, LegFromRecords] = {}
    for r in rows:
        channel = r.dstchannel
        if not channel or channel.startswith("Local/") or r.answer is None or r.answer < since:
            continue
        if r.disposition.upper() != "ANSWERED" or channel not in uid_of:
            continue
        seen = legs.get(channel)
        legs[channel] = LegFromRecords(
            uniqueid=uid_of[channel],
            channel=channel,
            number=seen.number if seen else r.dst,
            answered_at=min(r.answer, seen.answered_at) if seen else r.answer,
            ended_at=max(r.end, seen.ended_at) if seen else r.end,
            talk_seconds=float(r.billsec) + (seen.talk_seconds if seen else 0.0),
            transfer_seq=seq,
        )
    return tuple(sorted(legs.values(), key=lambda leg: leg.answered_at))


def _stay_from_tail(e: QueueLogEntry) -> _Stay | None:
    """A stay whose ENTERQUEUE was not read, from a later line's durations."""
    if e.event == QueueLogEvent.CONNECT:
        hold = e.number(0) or 0.0
        return _Stay(queue=e.queue, entered_at=e.at - timedelta(seconds=hold))
    if e.event in _MISSES:
        wait = e.number(2) or 0.0
        return _Stay(queue=e.queue, entered_at=e.at - timedelta(seconds=wait))
    if e.event in (QueueLogEvent.COMPLETECALLER, QueueLogEvent.COMPLETEAGENT):
        hold, talk = e.number(0) or 0.0, e.number(1) or 0.0
        connected = e.at - timedelta(seconds=talk)
        return _Stay(
            queue=e.queue,
            entered_at=connected - timedelta(seconds=hold),
            connected_at=connected,
            seat_id=seat_id_from_member(e.agent),
            hold=hold,
        )
    return None


def _talk(stays: Sequence[_Stay], ended_at: datetime | None) -> float:
    """Talk time over every answered stay. app_queue's `calltime` runs until the caller hangs up,
    so after a transfer into another queue it also covers the next stay: cut it there."""
    total = 0.0
    for i, stay in enumerate(stays):
        if stay.connected_at is None:
            continue
        limit_at = stays[i + 1].entered_at if i + 1 < len(stays) else ended_at
        limit = (limit_at - stay.connected_at).total_seconds() if limit_at else None
        calltime: float | None = None
        if stay.exit is not None:
            index = 1 if stay.exit.event in (QueueLogEvent.COMPLETECALLER, QueueLogEvent.COMPLETEAGENT) else 3
            calltime = stay.exit.number(index)
        if calltime is None:
            calltime = limit if limit is not None else 0.0
        elif limit is not None:
            calltime = min(calltime, max(limit, 0.0))
        total += calltime
    return round(total, 3)


def _miss(call_id: CallId, stay: _Stay, caller: str, at: datetime) -> CallAbandoned | CallTimedOut:
    e = stay.exit
    if e is None:
        wait = round((at - stay.entered_at).total_seconds(), 3)
        return queue_miss(
            call_id, at, queue=stay.queue, caller_number=caller, wait_seconds=wait, inferred=True
        )
    wait_logged = e.number(2)
    return queue_miss(
        call_id,
        e.at,
        queue=stay.queue,
        caller_number=caller,
        wait_seconds=wait_logged if wait_logged is not None else (e.at - stay.entered_at).total_seconds(),
        position=int(e.number(0) or 0),
        original_position=int(e.number(1) or 0),
        timed_out=e.event != QueueLogEvent.ABANDON,
    )


# --- what to publish -----------------------------------------------------------------------


@dataclass(slots=True)
class ReconcileReport:
    """What one pass did (logged, and returned for tests and the admin API)."""

    reason: str = ""
    lines: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    restarted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    closed: int = 0  # open in the database, closed from the records
    created: int = 0  # unknown to the database
    corrected: int = 0  # closed with a guessed end, corrected
    misses: int = 0  # missed calls handed to the callback policy
    live: int = 0  # followed by the tracker: left to it
    incomplete: int = 0  # not over in the records yet: read again next pass
    open_unresolved: int = 0  # open in the database, nothing in the records read
    closed_unseen: int = 0  # open for longer than `settle`, gone from the PBX: closed as unseen

    def summary(self) -> str:
        return (
            f"记录核对（{self.reason}）：读取 {self.lines}，跳过 {self.skipped}，"
            f"补结束 {self.closed}，补建 {self.created}，更正 {self.corrected}，漏接 {self.misses}，"
            f"实时跟踪中 {self.live}，未完结 {self.incomplete}，仍未解决 {self.open_unresolved}，"
            f"按快照关闭 {self.closed_unseen}"
        )


def plan(
    calls: Mapping[CallId, CallFromRecords],
    known: Mapping[CallId, KnownCall],
    live: Collection[str],
    *,
    queue_log_read: bool,
    report: ReconcileReport | None = None,
    seat_of: Callable[[str], SeatId | None] = lambda interface: None,
) -> list[DomainEvent]:
    """The events that bring the database in line with the records. Pure. `seat_of`: the seat
    whose phone an interface (`PJSIP/1002`) is, None for any other (an outside line)."""
    report = report if report is not None else ReconcileReport()
    out: list[DomainEvent] = []
    for call_id in sorted(calls):
        call = calls[call_id]
        if call_id in live:
            report.live += 1
            continue
        if not call.complete or call.ended_at is None:
            report.incomplete += 1
            continue
        k = known.get(call_id)
        record = k.record if k is not None else None
        miss = call.miss
        status = call.status
        if status is None:
            # Only a CDR row: the call ended, but the queue log does not say how. When the queue
            # log is not read at all and the database saw the caller waiting, nobody answered:
            # a missed call (as the tracker counts a call that ended unseen).
            if record is not None and record.status in _WAITING and not queue_log_read:
                status = CallStatus.ABANDONED
                miss = queue_miss(
                    call_id,
                    call.ended_at or record.offered_at,
                    queue=record.queue or "",
                    caller_number=record.caller_number or call.caller_number,
                    inferred=True,
                )
            elif record is None or record.status not in _FINAL:
                status = CallStatus.ENDED if queue_log_read else None
        if miss is not None and not (k is not None and k.miss_recorded):
            if not miss.caller_number and record is not None:
                miss = replace(miss, caller_number=record.caller_number)
            out.append(miss)
            report.misses += 1
        if record is None:
            report.created += 1
        elif record.ended_at is None or record.status not in _FINAL:
            report.closed += 1
        elif k is not None and k.end_guessed and not _same_end(record, call):
            report.corrected += 1
        else:
            continue  # the live view saw this call end: it stands
        known_legs = k.leg_ids if k is not None else frozenset()
        after = [(leg, seat_of(interface_of_channel(leg.channel))) for leg in call.after_queue]
        for leg, seat in after:
            if f"{call_id}:{leg.uniqueid}" not in known_legs:
                out += _leg_events(call_id, leg, seat)
        # A transfer that reached a seat leaves the caller answered, by that seat in the end
        # (as the tracker records it); one to an outside line leaves it transferred.
        seats_after = [seat for _, seat in after if seat is not None]
        if seats_after and status is CallStatus.TRANSFERRED:
            status = CallStatus.ANSWERED
        out.append(
            # What the records say of the call (its same-named fields), at its real end. The end is
            # part of the id: the same records give the same id (the trail keeps it once), better
            # records later (a fuller read) give a new one that applies.
            copy_fields(
                CallReconciled,
                call,
                at=call.ended_at,
                event_id=EventId(f"{call_id}:reconciled:{_stamp(call.ended_at)}"),
                status=status.value if status is not None else None,
                final_seat_id=seats_after[-1] if seats_after else None,  # None: the first seat
                source=RECORDS_SOURCE,
            )
        )
    return out


def _leg_events(call_id: CallId, leg: LegFromRecords, seat: SeatId | None) -> list[DomainEvent]:
    """A party the AMI link never saw (it was down during the transfer), as the tracker would
    have told it: its leg joined and ended, with the records' talk time. Before the call's
    `CallReconciled`, so the leg's talk is not given to the leg whose end was guessed. `seat`: the
    seat whose phone the leg's channel is, None for an outside line."""
    kind = LegKind.SEAT if seat is not None else LegKind.EXTERNAL
    party = str(seat) if seat is not None else (leg.number or interface_of_channel(leg.channel))
    leg_id = f"{call_id}:{leg.uniqueid}"
    joined = CallLegAnswered(
        at=leg.answered_at,
        event_id=EventId(f"{leg_id}:answered:{RECORDS_SOURCE}"),
        call_id=call_id,
        leg_id=leg_id,
        kind=kind,
        party=party,
        seat_id=seat,
        channel=leg.channel,
        transfer_seq=leg.transfer_seq,
    )
    ended = copy_fields(  # the same party (call, leg, kind, who) leaving
        CallLegEnded,
        joined,
        at=leg.ended_at,
        event_id=EventId(f"{leg_id}:ended:{RECORDS_SOURCE}"),
        answered_at=leg.answered_at,
        talk_seconds=leg.talk_seconds,
        inferred=False,
    )
    return [joined, ended]


def close_unseen(
    known: Mapping[CallId, KnownCall],
    live: Collection[str],
    *,
    now: datetime,
    settle: timedelta,
    since: datetime | None = None,
    report: ReconcileReport | None = None,
) -> list[DomainEvent]:
    """Calls the database still has open that the PBX no longer has (a fresh AMI snapshot, so
    `live` is the truth) and that no record explains, once they are older than `settle`; at once
    for a call offered before `since` (this process's start): our tracker never had it, so no
    end of ours is still on its way to the database (calls in progress at a restart).

    Their end is unknown: they are closed at `now` with `hung_up_by` unknown, and one that nobody
    answered counts as abandoned, as the tracker counts a call that ended unseen -- no missed
    caller goes without a callback. Records read later still correct them (a new event id)."""
    report = report if report is not None else ReconcileReport()
    out: list[DomainEvent] = []
    for call_id in sorted(known):
        k = known[call_id]
        r = k.record
        if call_id in live or r.ended_at is not None:
            continue
        if now - r.offered_at < settle and (since is None or r.offered_at >= since):
            continue
        answered = r.answered_at is not None or r.status in (CallStatus.TALKING, CallStatus.ANSWERED)
        status = CallStatus.ANSWERED if answered else CallStatus.ABANDONED
        if r.status is CallStatus.TRANSFERRED:
            status = CallStatus.TRANSFERRED
        if status is CallStatus.ABANDONED and not k.miss_recorded:
            out.append(
                queue_miss(call_id, now, queue=r.queue or "", caller_number=r.caller_number, inferred=True)
            )
            report.misses += 1
        out.append(
            CallReconciled(
                at=now,
                event_id=EventId(f"{call_id}:reconciled:{UNSEEN_SOURCE}"),
                call_id=call_id,
                status=status.value,
                hung_up_by=HangupParty.UNKNOWN,
                source=UNSEEN_SOURCE,
            )
        )
        report.closed_unseen += 1
    return out


def _same_end(record: CallRecord, call: CallFromRecords) -> bool:
    """The summary already has what the records say (read again: nothing to correct), to their
    whole seconds: an end and a talk time the AMI view measured finer and that agree with them
    stand, as the projection keeps them (`core.call_view`), so a pass does not count them
    corrected again and again."""
    return agrees_with_records_at(record.ended_at, call.ended_at) and (
        call.talk_seconds is None
        or agrees_with_records(record.talk_seconds, call.talk_seconds, parts=call.talk_parts)
    )


def _stamp(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%S") if at is not None else "unknown"


# --- the pass, over the ports --------------------------------------------------------------


class RecordsReconciler:
    """Runs a reconciliation pass; one at a time (a resync during a pass waits for it)."""

    def __init__(
        self,
        *,
        queue_log: RecordLines | None,
        cdr: RecordLines | None,
        checkpoints: RecordCheckpoints,
        calls: KnownCalls,
        live: Callable[[], Collection[str]],
        publish: Callable[[DomainEvent], Awaitable[None]],
        clock: Clock,
        queue_log_tz: tzinfo = UTC,
        cdr_tz: tzinfo = UTC,
        settle: timedelta = timedelta(hours=1),
        seat_of: Callable[[str], SeatId | None] = lambda interface: None,
    ) -> None:
        self._queue_log = queue_log
        self._cdr = cdr
        self._checkpoints = checkpoints
        self._calls = calls
        self._live = live
        self._publish = publish
        self._clock = clock
        self._qtz = queue_log_tz
        self._ctz = cdr_tz
        self._settle = settle
        self._seat_of = seat_of  # read on the event loop (plan), as the tracker it asks is
        self._since = clock.now()  # calls offered before are not this process's to end
        self._lock = asyncio.Lock()
        self.last_report: ReconcileReport | None = None

    @property
    def enabled(self) -> bool:
        return self._queue_log is not None or self._cdr is not None

    async def run(self, reason: str, *, snapshot_fresh: bool = False) -> ReconcileReport:
        """One pass. `snapshot_fresh`: the tracker's calls are the PBX's live calls (right after an
        AMI snapshot, or while the link is up), so open calls missing from it are over."""
        async with self._lock:
            report = await self._run(reason, snapshot_fresh)
        self.last_report = report
        log.info("%s", report.summary())
        return report

    async def _run(self, reason: str, snapshot_fresh: bool) -> ReconcileReport:
        report = ReconcileReport(reason=reason)
        chunks: dict[str, tuple[RecordCheckpoint | None, RecordChunk]] = {}
        for reader in (self._queue_log, self._cdr):
            if reader is None:
                continue
            before = await offload(self._checkpoints.load, reader.source)
            chunk = await offload(reader.read_since, before)
            chunks[reader.source] = (before, chunk)
            if chunk.restarted:
                report.restarted.append(reader.source)
            if chunk.missing:
                report.missing.append(reader.source)
                log.warning("Asterisk record file for %s is missing", reader.source)
        now = self._clock.now()
        # Parsing a large backlog takes seconds: off the event loop.
        calls = await offload(self._summarise, chunks, report, now)
        live = set(self._live())
        open_ids = await offload(self._calls.open_calls)
        wanted = set(calls) | set(open_ids)
        known = await offload(self._calls.known, wanted)
        queue_log_read = QUEUE_LOG in chunks and not chunks[QUEUE_LOG][1].missing
        events = plan(calls, known, live, queue_log_read=queue_log_read, report=report, seat_of=self._seat_of)
        unexplained = {
            cid: known[cid] for cid in open_ids if cid not in calls and cid not in live and cid in known
        }
        if snapshot_fresh:
            events += close_unseen(
                unexplained, live, now=now, settle=self._settle, since=self._since, report=report
            )
        report.open_unresolved = len(unexplained) - report.closed_unseen
        for event in events:
            await self._publish(event)
        for source, (_, chunk) in chunks.items():
            await offload(self._checkpoints.save, self._resume(source, chunk, calls, live, now))
        return report

    def _summarise(
        self,
        chunks: Mapping[str, tuple[RecordCheckpoint | None, RecordChunk]],
        report: ReconcileReport,
        now: datetime,
    ) -> dict[CallId, CallFromRecords]:
        entries = self._parse(chunks, QUEUE_LOG, parse_queue_log, self._qtz, report)
        rows = self._parse(chunks, CDR, parse_cdr, self._ctz, report)
        cdr_expected = CDR in chunks and not chunks[CDR][1].missing
        return summarise(entries, rows, cdr_expected=cdr_expected, now=now, settle=self._settle)

    @staticmethod
    def _parse(
        chunks: Mapping[str, tuple[RecordCheckpoint | None, RecordChunk]],
        source: str,
        parse: Callable[..., list[_Record]],
        tz: tzinfo,
        report: ReconcileReport,
    ) -> list[_Record]:
        """The new lines of one record file (`QUEUE_LOG`, `CDR`) parsed; its counts go to `report`."""
        if source not in chunks:
            return []
        parsed = ParseReport()
        records = parse(chunks[source][1].lines, tz=tz, report=parsed)
        report.lines[source] = parsed.read
        report.skipped[source] = parsed.skipped
        if parsed.skipped:
            log.warning("skipped %d unreadable %s line(s), e.g. %r", parsed.skipped, source, parsed.examples)
        return records

    def _resume(
        self,
        source: str,
        chunk: RecordChunk,
        calls: Mapping[CallId, CallFromRecords],
        live: Collection[str],
        now: datetime,
    ) -> RecordCheckpoint:
        """Where the next pass starts: before the first line of a call not over yet, else the end."""
        offset = chunk.end.offset
        newest = chunk.end.last_at
        for call in calls.values():
            if call.last_at is not None and (newest is None or call.last_at > newest):
                newest = call.last_at
            pending = not call.complete or call.call_id in live
            first = call.first_offsets.get(source)
            if pending and first is not None and first >= 0 and now - (call.last_at or now) < self._settle:
                offset = min(offset, first)
        return RecordCheckpoint(source=source, inode=chunk.end.inode, offset=offset, last_at=newest)
