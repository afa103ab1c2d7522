"""Ports: the interfaces through which the domain reaches the outside world.

Adapters implement them (`pbx.ami_control.AmiCallControl` for `CallControl`, the repositories in
`store` for persistence); tests use hand-written fakes. Every `CallControl` method may raise
`core.errors.PbxUnavailable` (no connection, timeout) or `core.errors.PbxActionFailed` (Asterisk
answered `Response: Error`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.calls import CallStatus, KnownCall
from core.ids import CallId, SeatId

Headers = Mapping[str, str]


class CallControl(Protocol):
    """Commands to the PBX. Outcomes come back only as AMI events: Asterisk is the source of truth."""

    async def ping(self) -> None: ...

    async def queue_add(
        self,
        queue: str,
        interface: str,
        *,
        member_name: str,
        state_interface: str | None = None,
        penalty: int = 0,
        paused: bool = False,
    ) -> None: ...

    async def queue_remove(self, queue: str, interface: str) -> None: ...

    async def queue_pause(
        self, interface: str, *, paused: bool, queue: str | None = None, reason: str = ""
    ) -> None: ...

    async def originate(
        self,
        channel: str,
        *,
        context: str,
        exten: str,
        priority: int = 1,
        caller_id: str = "",
        variables: Mapping[str, str] | None = None,
        action_id: str | None = None,
        timeout_ms: int = 30_000,
        application: str | None = None,
        data: str | None = None,
        channel_id: str | None = None,
    ) -> None:
        """`channel_id`: the originated channel's uniqueid (manager.c `ChannelId`); AMI actions
        name a channel by it as by its name (Hangup, MuteAudio, ...)."""
        ...

    async def redirect(self, channel: str, *, context: str, exten: str, priority: int = 1) -> None: ...

    async def set_variable(self, channel: str, variable: str, value: str) -> None: ...

    async def hangup(self, channel: str, *, cause: int | None = None) -> None: ...

    async def mute_audio(self, channel: str, *, direction: str, on: bool) -> None:
        """res_mutestream's `MuteAudio`: `direction` "in" (what the channel's phone sends to the
        PBX), "out" (what it hears) or "all"."""
        ...

    async def attended_transfer(self, channel: str, *, exten: str, context: str) -> None:
        """`Atxfer`: the seat's `channel` consults `exten`@`context` while its peer (the caller)
        waits on hold audio; the consultation ends by the seat leaving (complete) or
        `cancel_attended_transfer`."""
        ...

    async def cancel_attended_transfer(self, channel: str) -> None:
        """`CancelAtxfer`: the consultation on the seat's `channel` ends, the seat is back with the caller."""
        ...

    async def bridge(self, channel1: str, channel2: str) -> None:
        """AMI `Bridge`: both channels leave whatever bridge they are in for a new one together
        (a two-party bridge they leave dissolves: its other party is hung up)."""
        ...

    async def queue_status(self, queue: str | None = None) -> Sequence[Headers]: ...

    async def core_show_channels(self) -> Sequence[Headers]: ...


class LiveCall(Protocol):
    """One call as the tracker sees it now (`pbx.tracker.CallView`): what its readers need (the
    caller's channel to redirect or tap, the queue and status to count who waits)."""

    @property
    def status(self) -> CallStatus: ...

    @property
    def channel(self) -> str: ...

    @property
    def queue(self) -> str | None: ...


class LiveCalls(Protocol):
    """The live calls (`pbx.tracker.CallTracker`). Owned by the event loop: read it on the loop,
    never from a worker thread."""

    @property
    def calls(self) -> Mapping[CallId, LiveCall]:
        """Every live call (builds every view: for a single call use `call`)."""
        ...

    def call(self, call_id: CallId) -> LiveCall | None:
        """One live call, None when there is none (O(1))."""
        ...

    def waiting_in(self, queue: str) -> int:
        """Callers waiting in `queue` now (O(1))."""
        ...

    def seat_at(self, interface: str) -> SeatId | None:
        """The seat whose phone `interface` is (`PJSIP/1002`), None for any other."""
        ...


class SmsSender(Protocol):
    async def send(self, number: str, text: str) -> None: ...


# --- Asterisk's durable records (queue log, CDR) and reconciliation -----------------------------


@dataclass(frozen=True, slots=True)
class RecordCheckpoint:
    """How far one record file was read: its inode, the byte offset of the next unread line, and
    the time of the newest record read (for the log, and to notice a file rewritten in place)."""

    source: str  # "queue_log" or "cdr"
    inode: int
    offset: int
    last_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RecordChunk:
    """Complete lines read past a checkpoint: (offset of the line, text), and where to go on from.

    `restarted` says the file was rotated or truncated since the checkpoint (reading began again
    at its start, after the rest of the old file if it could still be found)."""

    lines: list[tuple[int, str]]
    end: RecordCheckpoint
    restarted: bool = False
    missing: bool = False  # the file does not exist (not configured, or not written yet)


class RecordLines(Protocol):
    """Reads one of Asterisk's record files (or, later, its database table) past a checkpoint."""

    @property
    def source(self) -> str: ...

    def read_since(self, checkpoint: RecordCheckpoint | None) -> RecordChunk: ...


class RecordCheckpoints(Protocol):
    """Durable checkpoints of the record readers (kept in the database, beside the calls)."""

    def load(self, source: str) -> RecordCheckpoint | None: ...

    def save(self, checkpoint: RecordCheckpoint) -> None: ...


class KnownCalls(Protocol):
    """What the database knows of some calls, for the reconciler."""

    def known(self, call_ids: Collection[CallId]) -> Mapping[CallId, KnownCall]: ...

    def open_calls(self) -> Sequence[CallId]:
        """Inbound calls whose summary has no end."""
        ...
