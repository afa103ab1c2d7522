"""Call records: the durable summary of one call and its complete trail (全程留痕).

A `CallRecord` is the state the store keeps per call; `CallTrailEntry` is one line of the trail
(every domain event about the call, in order). `TranscriptLine` is one recognised segment of
speech. These are plain values; the tracker and the recorder produce them, `store` persists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.events import DomainEvent, UnknownEventType, from_wire
from core.ids import CallId, EventId, SeatId
from core.labels import LabelledEnum
from core.values import copy_fields


class CallStatus(LabelledEnum):
    IN_IVR = "in_ivr", "语音导航"
    QUEUED = "queued", "排队中"
    RINGING = "ringing", "振铃"
    TALKING = "talking", "通话中"
    ANSWERED = "answered", "已接通"
    ABANDONED = "abandoned", "放弃"
    TIMED_OUT = "timed_out", "排队超时"
    TRANSFERRED = "transferred", "已转接"
    ENDED = "ended", "已结束"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    id: CallId
    caller_number: str
    offered_at: datetime
    status: CallStatus = CallStatus.IN_IVR
    dialed: str = "12348"
    channel: str = ""
    district_code: str | None = None
    category: str | None = None
    queue: str | None = None
    office_id: str | None = None
    seat_id: SeatId | None = None
    ivr_path: tuple[str, ...] = ()
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    wait_seconds: float | None = None
    talk_seconds: float | None = None  # all legs together (seats and outside parties)
    hung_up_by: str | None = None
    direction: str = "inbound"  # or "callback" (core.call_events.CallDirection)
    work_order_id: str | None = None
    final_seat_id: SeatId | None = None  # `seat_id` is the first seat that answered
    transfer_status: str | None = None  # the last transfer's status; None: never transferred
    transfers: tuple[Mapping[str, Any], ...] = ()  # {seq, kind, from_seat, target, status, at, detail}
    customer_outcome: str | None = None  # a callback's citizen leg (core.call_events.CallbackOutcome)

    @property
    def transferred(self) -> bool:
        return bool(self.transfers)

    def handled_by(self, seat_id: SeatId) -> bool:
        """Whether `seat_id` answered this call (the first seat, or the one holding it last)."""
        return seat_id in (self.seat_id, self.final_seat_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class AnsweredCall:
    """What 质检 sampling reads of an inbound call a seat answered and that is over: the few columns
    of its `CallRecord` it needs, read without the rest (a sweep reads two weeks of them)."""

    id: CallId
    seat_id: SeatId
    offered_at: datetime
    talk_seconds: float | None
    queue: str | None = None
    district_code: str | None = None

    @classmethod
    def of(cls, call: CallRecord) -> AnsweredCall | None:
        """`call` as sampling reads it; None unless it is an inbound call a seat answered, now over."""
        if (
            call.direction != "inbound"
            or call.seat_id is None
            or call.answered_at is None
            or call.ended_at is None
        ):
            return None
        return copy_fields(cls, call)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallLeg:
    """One party of a call with its own answer and end (`talk_seconds` None: unknown, the end was
    only inferred after an AMI outage)."""

    call_id: CallId
    leg_id: str
    kind: str  # core.call_events.LegKind
    party: str
    answered_at: datetime
    seat_id: SeatId | None = None
    channel: str = ""
    queue: str | None = None
    transfer_seq: int = 0
    ended_at: datetime | None = None
    talk_seconds: float | None = None
    inferred: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CallTrailEntry:
    call_id: CallId
    event_id: EventId
    event_type: str
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)
    seq: int = 0

    def event(self) -> DomainEvent | None:
        """The typed event this line recorded (the trail keeps its fields in wire form), or None
        for a line that no longer decodes: an event type since renamed or removed, or a field
        since made required. Readers match the result with `isinstance`, never on `event_type`."""
        data = {**self.data, "at": self.at.isoformat(), "event_id": self.event_id}
        try:
            return from_wire({"type": self.event_type, "data": data})
        except (UnknownEventType, TypeError, ValueError):
            return None


@dataclass(frozen=True, slots=True, kw_only=True)
class TranscriptLine:
    call_id: CallId
    leg: str
    seq: int
    text: str
    start_s: float
    end_s: float
    final: bool
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownCall:
    """A call's summary as the database has it, and whether its end was only guessed.

    `end_guessed`: the end came from a resync (`CallEnded.inferred`: stamped at reconnect time,
    talk time unknown) or from a reconciliation on partial records; Asterisk's records may
    correct it."""

    record: CallRecord
    end_guessed: bool = False
    miss_recorded: bool = False  # the callback policy already holds this call (a work order's call)
    leg_ids: frozenset[str] = frozenset()  # its `call_legs` rows' leg ids
