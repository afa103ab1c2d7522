"""What the seat workspace (`seats.workspace.SeatWorkspace`) answers: plain typed values.

States travel as their enums, with the enum's one `.label` beside them (`status_label`); numbers
travel unmasked, the web layer masks them when it serialises. Labels that are not an enum's (a queue's, a district's, a
category code that may be unknown) are worked out here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.calls import CallStatus
from core.ids import CallId, SeatId
from routing.address import OUTCOME_LABEL, AddressOutcome
from routing.nearest import AddressCandidate
from seats.records import ConsultationRecord
from seats.state import PauseReason, SeatStatus


@dataclass(frozen=True, slots=True)
class Choice:
    """One entry of a pick list: the code sent back, the Chinese text shown."""

    code: str
    label: str


@dataclass(frozen=True, slots=True)
class QueueChoice:
    name: str
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatView:
    seat_id: SeatId
    name: str
    status: SeatStatus
    since: datetime | None
    now: datetime
    pause_reason: PauseReason | None
    queues: tuple[QueueChoice, ...]
    call_id: str | None
    wrap_up_seconds: float
    wrap_up_until: datetime | None = None  # when this seat's wrap-up ends (None: not in wrap-up)
    pause_reasons: tuple[Choice, ...]  # those a seat may choose (not the system's own)
    categories: tuple[Choice, ...]
    outcomes: tuple[Choice, ...]
    external_numbers: tuple[Choice, ...]

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def pause_label(self) -> str | None:
        return self.pause_reason.label if self.pause_reason else None


@dataclass(frozen=True, slots=True, kw_only=True)
class OfficeCard:
    id: str
    name: str
    address: str = ""
    opening_hours: str = ""
    public_phone: str = ""  # the office's switchboard (core.privacy.PUBLIC_NUMBER_KEY: not masked)


@dataclass(frozen=True, slots=True, kw_only=True)
class PastCall:
    at: datetime
    category_label: str
    seat: str  # the seat's name
    status: CallStatus
    third_parties: tuple[str, ...] = ()  # 三方通话: who was invited, and for how long
    call_id: str = ""  # its recordings: /api/calls/<id>/recordings

    @property
    def status_label(self) -> str:
        return self.status.label


@dataclass(frozen=True, slots=True, kw_only=True)
class PastRecord:
    """A submitted consultation record of an earlier call."""

    at: datetime | None
    category_label: str
    question: str
    advice: str
    outcome_label: str
    seat: str  # the seat's name


@dataclass(frozen=True, slots=True, kw_only=True)
class PastOrder:
    id: str
    order_no: str  # the readable number (HB + date + sequence)
    open: bool
    status_label: str  # callbacks.models.WorkOrderStatus.label
    reason_label: str  # callbacks.models.MissReason.label
    created_at: datetime
    deadline: datetime
    attempts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerFile:
    """What the hotline already knows of a caller number (empty for hidden or short numbers)."""

    calls: tuple[PastCall, ...] = ()
    records: tuple[PastRecord, ...] = ()
    work_orders: tuple[PastOrder, ...] = ()

    @property
    def known(self) -> bool:
        return bool(self.calls or self.records or self.work_orders)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreenPop:
    """A call's screen pop; only `call_id` and the seat's record for a call not known yet (the
    seat's phone rang before the call's first event reached this process)."""

    call_id: CallId
    record: ConsultationRecord | None
    caller_number: str = ""
    dialed: str = ""
    offered_at: datetime | None = None
    status: CallStatus | None = None  # as this seat sees it (`CallView.status_for`)
    callback: bool = False  # a callback of a work order (回拨), not a call in
    work_order: PastOrder | None = None  # a callback's work order (its number, reason, deadline)
    queue: str | None = None
    queue_label: str = ""
    ivr_path: tuple[str, ...] = ()
    ivr_why: str = ""
    category: str | None = None
    category_label: str = ""
    district_code: str | None = None
    district_name: str = ""
    address: str = ""
    address_outcome: str = ""  # the IVR's address lookup (routing.address.AddressOutcome), "" : none
    address_note: str = ""  # its note in Chinese: 可能是：A 或 B；来电者说的不是上海地址
    office: OfficeCard | None = None
    file: CallerFile = field(default_factory=CallerFile)

    @property
    def status_label(self) -> str:
        return self.status.label if self.status else ""

    @property
    def address_outcome_label(self) -> str:
        """已识别 / 有多处可能，需确认 / 未听到地址 / 外省市地址; "" when the IVR asked no address."""
        try:
            return OUTCOME_LABEL[AddressOutcome(self.address_outcome)]
        except ValueError:
            return ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TranscriptEntry:
    leg: str
    leg_label: str
    stream_id: str
    seq: int
    text: str
    final: bool
    start_s: float
    end_s: float
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetSeat:
    id: SeatId
    name: str
    status: SeatStatus
    expert: bool = False  # 专家坐席: the console lists these apart, marked 专家

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def available(self) -> bool:
        return self.status is SeatStatus.AVAILABLE


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferTargets:
    seats: tuple[TargetSeat, ...]
    queues: tuple[QueueChoice, ...]
    external: tuple[Choice, ...]
    any_expert: Choice  # the seat target "任一空闲专家": the server picks a free expert seat


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferSent:
    """What went out to the PBX (the Redirect, the Atxfer, the third party's Originate); the
    outcome comes back as AMI events. `target` is the seat dialled when the server picked it
    (任一空闲专家), `target_name` that seat's name (blank for a queue or an outside line)."""

    kind: str
    target: str
    context: str
    exten: str
    target_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressChoice(AddressCandidate):
    """An office candidate as the seat sees it: with its district's name (confidence rounded)."""

    district_name: str
