"""Call recordings (录音): the folder Asterisk's MixMonitor records every answered call into, as the
PBX names it and as the app reads it, and the recording's facts the rest of the system shares.

The rendered dialplan starts `MixMonitor(<pbx_dir>/${UNIQUEID}.wav,b)` on the caller's channel as
it arrives (and on the seat's channel of a callback): one file per recorded channel, named from its
Uniqueid (the call id for the caller's own channel), holding both parties, only while bridged (b),
and spanning every transfer and hold the channel goes through (checked on Asterisk 22.10.1). Of a
three-way call (三方通话) that file holds the caller and the seat but not the third party, whose
voice ChanSpy's barge mixes in after MixMonitor took the frame; so the conference's own Local ;2
records too (`conference_path`: `<call id>-c-<id>.wav`), bridged to the third party: what the
caller and the seat say (ChanSpy's spied audio) and what the third party says, while it is in the
call. A call with several recorded channels has several files: each one is a *segment* of the call.

The app may run on another host than Asterisk: it reads the same folder shared to it (NFS, a bind
mount...) under `app_dir`, mapped the way `core.voicemail.VoicemailFolder` maps after-hours messages.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from core import dialplan
from core.ids import CallId, SeatId
from core.labels import LabelledEnum
from core.voicemail import map_to_app

DEFAULT_PBX_DIR = "/var/spool/asterisk/hotline-recordings"
FORMAT = "wav"
DEFAULT_RETENTION_DAYS = 180


class RecordingStatus(LabelledEnum):
    """Where a recording stands: its file is there (`OK`), gone behind the system's back
    (`MISSING`: an alert until someone looks), removed by the retention job (`DELETED`)."""

    OK = "ok", "正常"
    MISSING = "missing", "文件缺失"
    DELETED = "deleted", "已按保存期限删除"


class RecordingAlertKind(LabelledEnum):
    """What a recording alert (录音告警) is about: an answered call's recorded segment whose file is
    not there, or an answered call with no recording at all (its segment is then 0)."""

    MISSING = "missing", "录音文件缺失"
    UNRECORDED = "unrecorded", "已接通通话没有录音"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingAlert:
    """One recording alert, kept until someone acknowledges it (确认: who and when) and listed after.
    `district_code`: the call's district when known (its district supervisors see the alert), else
    None (the city-wide roles only)."""

    call_id: CallId
    segment: int  # 0: the call has no recording at all
    kind: RecordingAlertKind
    district_code: str | None = None
    raised_at: datetime
    detail: str = ""
    acknowledged_by: str | None = None  # the user's id
    acknowledged_by_name: str = ""
    acknowledged_at: datetime | None = None

    @property
    def label(self) -> str:
        return f"{self.call_id} 第 {self.segment} 段" if self.segment else str(self.call_id)


class PlaybackKind(enum.StrEnum):
    """What an audited access to a recording was: listening in the page or downloading the file."""

    LISTEN = "listen"
    DOWNLOAD = "download"


@dataclass(frozen=True, slots=True)
class RecordingFolder:
    pbx_dir: str = DEFAULT_PBX_DIR
    app_dir: str = ""  # "" : the app runs on the PBX host and reads pbx_dir itself

    def dialplan_path(self) -> str:
        """What the rendered dialplan gives MixMonitor: the file of the channel running it."""
        return str(PurePosixPath(self.pbx_dir) / f"${{UNIQUEID}}.{FORMAT}")

    def conference_path(self) -> str:
        """What the rendered dialplan gives MixMonitor on a three-way call's Local ;2 (its
        extension is the conference's ChannelId, `c-<id>`): named from the call it joins."""
        return str(PurePosixPath(self.pbx_dir) / f"${{{dialplan.VAR_CALL}}}-${{EXTEN}}.{FORMAT}")

    def file_of(self, uniqueid: str) -> str:
        """The file the dialplan's MixMonitor writes for the channel `uniqueid` (the call id for
        the caller's channel, or a callback's seat channel), as the PBX names it."""
        return self.dialplan_path().replace("${UNIQUEID}", uniqueid)

    def local(self, recording: str) -> Path | None:
        """Where the app reads `recording` (a path Asterisk wrote); None when it is outside the folder."""
        return map_to_app(recording, self.pbx_dir, self.app_dir)

    def app_root(self) -> Path:
        return Path(self.app_dir or self.pbx_dir)


@dataclass(frozen=True, slots=True, kw_only=True)
class Recording:
    """One recorded segment of a call, as kept once its channel hung up: the file as Asterisk named
    it, its size and SHA-256 when it was closed (None / "" when there was no file)."""

    call_id: CallId
    segment: int
    path: str
    channel: str = ""
    started_at: datetime
    ended_at: datetime
    size: int | None = None
    sha256: str = ""
    status: RecordingStatus = RecordingStatus.OK
    answered: bool = True
    deleted_at: datetime | None = None


class TranscriptState(LabelledEnum):
    """Where a recording's post-call transcript stands once the worker is through with it (no state
    yet: still to do). `FAILED` is final: a file that cannot be decoded is not tried again."""

    DONE = "done", "已转写"
    FAILED = "failed", "无法转写"


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingTranscript:
    """A kept recording whose post-call transcript is still to be made: its file as the app reads
    it (`local_path`, None when it lies outside the recordings folder), how many seconds after the
    call's first recorded segment it started (`offset_s`: a three-way call's later segment, so
    the lines of all segments share one clock), the call's seat and district (who is told)."""

    call_id: CallId
    segment: int
    local_path: str | None
    offset_s: float = 0.0
    seat_id: SeatId | None = None
    district_code: str | None = None


# --- transcript search (转写检索): what `store.transcript_search` finds, as the console shows it ---


@dataclass(frozen=True, slots=True)
class SnippetPart:
    text: str
    hit: bool  # one of the words searched (the console highlights it)


@dataclass(frozen=True, slots=True)
class SnippetLine:
    leg: str  # core.asr_events.Leg's value: caller / seat / mixed (post-call, 录音转写)
    start_s: float
    parts: tuple[SnippetPart, ...]


@dataclass(frozen=True, slots=True)
class TranscriptHit:
    """One call whose transcripts hold every word searched, with its matching lines."""

    call_id: CallId
    caller_number: str  # in full: the console masks it
    offered_at: datetime
    seat_id: SeatId | None
    district_code: str | None
    lines: tuple[SnippetLine, ...]


@dataclass(frozen=True, slots=True)
class TranscriptPage:
    words: tuple[str, ...]
    page: int  # from 1
    size: int
    hits: tuple[TranscriptHit, ...]
    has_more: bool  # a next page holds more of this principal's calls
