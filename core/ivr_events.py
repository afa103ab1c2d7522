"""Events the IVR (`ivr/`) publishes on the bus.

They live in `core` because the store (the call's category and IVR path), the seat console (the
screen pop) and the app (appointments, callback requests, surveys) consume them by type.

`call_id` is the caller channel's Linkedid, read with `GET VARIABLE CHANNEL(linkedid)` at the
start of each FastAGI session (falling back to `agi_uniqueid`). For a call that enters the IVR
directly the two are equal; after a transfer into the IVR only Linkedid still names the call, and
it is what `pbx.tracker` uses as `CallId`, so the seat's screen pop can join on it.
`path` lists the keys pressed, as `<menu>:<key>`, and `path_labels` their Chinese labels.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from core.call_events import _CallEvent
from core.ids import OfficeId, SeatId


class IvrOutcome(enum.StrEnum):
    QUEUE = "queue"  # the dialplan runs Queue(HOTLINE_QUEUE)
    CALLBACK = "callback"  # the caller asked to be called back; the dialplan hangs up
    HANGUP = "hangup"  # served by the IVR (office information, appointment); the dialplan hangs up


class IvrReason(enum.StrEnum):
    MENU_CHOICE = "menu_choice"
    CALLER_ASKED_HUMAN = "caller_asked_human"
    NO_INPUT = "no_input"
    INVALID_INPUT = "invalid_input"
    AFTER_HOURS = "after_hours"
    LONG_WAIT = "long_wait"
    ADDRESS_NOT_RECOGNISED = "address_not_recognised"
    ADDRESS_UNKNOWN = "address_unknown"
    DISTRICT_KEYPAD = "district_keypad"  # recognition too slow: the caller chose the district by key
    OFFICE_FOUND = "office_found"
    APPOINTMENT = "appointment"
    IVR_ERROR = "ivr_error"
    VOICEMAIL = "voicemail"


class CallbackReason(enum.StrEnum):
    AFTER_HOURS = "after_hours"
    LONG_WAIT = "long_wait"


class SurveyRating(enum.StrEnum):
    SATISFIED = "satisfied"  # 1 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 2 基本满意
    DISSATISFIED = "dissatisfied"  # 3 不满意


@dataclass(frozen=True, slots=True, kw_only=True)
class _CallerEvent(_CallEvent):
    """Base of what the IVR learnt from the caller on one call (the callback policy, the
    appointments and the seat's screen pop know the caller by both)."""

    caller_number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrRouted(_CallerEvent):
    """The IVR is done with the caller; what it decided and why (the seat's screen pop)."""

    outcome: IvrOutcome
    reason: IvrReason
    why: str
    path: tuple[str, ...] = ()
    path_labels: tuple[str, ...] = ()
    queue: str | None = None
    category: str | None = None
    district_code: str | None = None
    office_id: OfficeId | None = None
    spoken_address: str = ""  # the address the caller said, as recognised ("" : none asked)
    # What the address lookup made of it (routing.address.AddressOutcome: found / ambiguous /
    # no_address / outside; "" : none asked) and the seat's note in Chinese (可能是：A 或 B).
    address_outcome: str = ""
    address_note: str = ""
    ivr_seconds: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackRequested(_CallerEvent):
    """The caller pressed 1 to be called back (after hours, or the wait was too long)."""

    reason: CallbackReason
    queue: str | None = None
    category: str | None = None
    district_code: str | None = None
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class VoicemailLeft(_CallerEvent):
    """After hours the caller left a message (留言): app_record's Record() run from the IVR.

    `recording` is the file as Asterisk wrote it on the PBX host (`core.voicemail.VoicemailFolder`
    says where the app reads it); `status` is Record's RECORD_STATUS (DTMF, SILENCE, TIMEOUT,
    HANGUP: the caller hung up and what was said is kept; ERROR: nothing could be saved).
    Published whatever happened, so the message, or the fact that it was lost, reaches a work order.
    """

    recording: str
    status: str
    district_code: str | None = None
    path: tuple[str, ...] = ()

    @property
    def saved(self) -> bool:
        return bool(self.recording) and self.status not in ("ERROR", "SKIP")


@dataclass(frozen=True, slots=True, kw_only=True)
class AppointmentRequested(_CallerEvent):
    """The caller asked to book an in-person visit at the office the IVR found."""

    office_id: OfficeId
    office_name: str
    district_code: str | None
    spoken_address: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyAnswered(_CallEvent):
    """The caller rated the seat after the seat hung up (a 不满意 opens a follow-up, 回访)."""

    seat_id: SeatId
    rating: SurveyRating
    queue: str | None = None
    transferred: bool = False
    caller_number: str = ""  # whom the follow-up calls ("" in events published before it was kept)


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrAbandoned(_CallerEvent):
    """The caller hung up inside the IVR; `where` is the step (menu:main, address:speak...)."""

    where: str
    path: tuple[str, ...] = ()
    ivr_seconds: float = 0.0
    path_labels: tuple[str, ...] = ()  # the path as the caller heard it (Chinese), like IvrRouted's
    address_note: str = ""  # what the address step had come to (语音识别超时，来电人改用按键选择所在区)
