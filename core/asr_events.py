"""Events the ASR package (`asr/`) publishes on the bus.

They live in `core` because the store (transcripts) and the seat console (live captions) consume
them by type.

Times inside a stream (`start_s`, `end_s`) are seconds of audio from the start of that AudioSocket
stream, not wall-clock times: the audio clock is the only one both legs of a call share.
`stream_id` is the AudioSocket uuid; `call_id` is our call id when the bridge registered the
uuid beforehand, otherwise the uuid itself.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from core.call_events import _CallEvent
from core.ids import SeatId
from core.labels import LabelledEnum


class Leg(LabelledEnum):
    """Whose voice a transcript line is. `MIXED`: a post-call transcript of the call recording
    (issue 18). MixMonitor records the caller's channel with both directions mixed into one mono
    file, so a line cut from it cannot be told to be the caller's or the seat's; the live streams
    are one per leg and never mixed, so `mixed` also says the line is post-call (录音转写) without
    a second column that could disagree with it."""

    CALLER = "caller", "来电人"
    SEAT = "seat", "坐席"
    MIXED = "mixed", "录音转写（通话后）"


class StreamEndReason(enum.StrEnum):
    HANGUP = "hangup"
    """Asterisk sent 0x00 (the channel left AudioSocket)."""
    EOF = "eof"
    """The socket closed without a hangup frame (what Asterisk does after our own 0x00)."""
    ENDPOINT = "endpoint"
    """We ended it: the caller stopped speaking, or the utterance reached its maximum length."""
    ASTERISK_ERROR = "asterisk_error"
    PROTOCOL_ERROR = "protocol_error"
    SERVER_STOPPED = "server_stopped"
    IDLE_TIMEOUT = "idle_timeout"
    """We ended it: no audio came for `idle_timeout_s` (its recognition slot is freed)."""
    MAX_DURATION = "max_duration"
    """We ended it: the stream reached `max_stream_s`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _StreamEvent(_CallEvent):
    """Base of the facts about one AudioSocket stream: one leg of a call, heard by the ASR
    (`seat_id`: the seat on the call, when the bridge knew it)."""

    stream_id: str
    leg: Leg
    seat_id: SeatId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TranscriptSegment(_StreamEvent):
    """Recognised speech. Partials (`final=False`) are replaced by later segments of the same
    utterance; a final segment is never revised. `seq` orders the segments of one stream."""

    text: str
    start_s: float
    end_s: float
    final: bool
    seq: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AsrOverloaded(_StreamEvent):
    """A stream is not (or no longer) transcribed; the call itself goes on untouched.

    `reason` is `no_slot` (more concurrent streams than the configured limit) or `lagging`
    (recognition fell too far behind real time and the backlog was dropped)."""

    reason: str
    active_streams: int
    limit: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AsrStreamEnded(_StreamEvent):
    """An AudioSocket stream is over. `transcribed` is False when no recogniser handled it
    (overloaded, ASR down) or it was dropped part-way; `text` joins its final segments."""

    reason: StreamEndReason
    audio_s: float
    segments: int
    transcribed: bool
    text: str = ""
    lag_p95_ms: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PostCallTranscriptReady(_CallEvent):
    """The post-call transcript of one recorded segment of a call is stored (transcript lines of
    leg `mixed`): an open console showing the call reloads its transcript. `lines`: how many (0:
    nothing was said that the engine could make out); `seat_id`: the seat that took the call;
    `district_code`: the call's district, when known (its supervisors and inspectors)."""

    segment: int
    lines: int
    seat_id: SeatId | None = None
    district_code: str | None = None
