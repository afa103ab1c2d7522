"""Call recordings (录音) in the store: the table of recorded segments, the keeper that fills it as
recordings stop and looks after the files (size and checksum, missing files, the retention period,
the folder's health), and the library the console plays them from.

* `RecordingRepository`: the `recordings` rows (`core.recordings.Recording`).
* `RecordingKeeper`: subscribed to `CallRecordingStopped`; waits `settle_s` for MixMonitor to close
  the file, then reads its size and SHA-256 on a worker thread and keeps the row (`ok`, or
  `missing` for an answered call whose file is not there: an alert, never a silence). A recording
  of a call nobody answered holds no conversation (MixMonitor b writes only while bridged): its
  empty file is removed and no row kept. Every `check_s` it deletes the files older than
  `retention_days` (each deletion in the audit log, the row `deleted`), marks `missing` the files
  deleted behind the system's back, flags answered calls with no recording at all, and checks that
  the folder can be written and has room. `probe()` is its status line (the status page, the
  supervisor board): up with nothing to report, or down with the alerts in Chinese.
* `RecordingLibrary`: the console's backend (`console_web.recordings_api.RecordingsBackend`): who
  may play which call's recordings (`core.access`: the seats that took part, the supervisors whose
  scope holds the call, the city-wide roles), and the file to stream.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import exists, select, tuple_
from sqlalchemy.exc import IntegrityError

from core.access import Principal, Scope, call_keys, queue_district
from core.audit import AuditEntry
from core.blocking import offload
from core.bus import EventBus
from core.call_events import CallRecordingStopped, RecordingAlertRaised
from core.calls import CallRecord
from core.clock import Clock, SystemClock
from core.errors import Conflict, NotFound, PermissionDenied
from core.events import ComponentStatusChanged, DomainEvent
from core.ids import CallId
from core.recordings import (
    Recording,
    RecordingAlert,
    RecordingAlertKind,
    RecordingFolder,
    RecordingStatus,
    TranscriptHit,
    TranscriptPage,
)
from store.db import Database
from store.models import CallRow, RecordingAlertRow, RecordingRow
from store.repositories import AuditRepository, CallRepository
from store.rows import Repo, RowMapper, assign, row_values
from store.settings import RecordingSettings
from store.transcript_search import TranscriptIndex, parse_words

log = logging.getLogger(__name__)

COMPONENT = "recordings"
WAV_HEADER_BYTES = 44
"""A WAV file of this size or less holds no audio (MixMonitor opened it, nothing was bridged)."""
MIN_FREE_BYTES = 200 * 1024 * 1024
"""Less room than this in the folder is an alert (about 3.6 hours of 8 kHz recording)."""
ALERTS_SHOWN = 5
SCAN_BATCH = 5000
"""How many kept files each check looks for (the next ones at the next check, round and round)."""

_from_row = RowMapper(Recording, call_id=CallId, status=RecordingStatus)
_alert_from_row = RowMapper(RecordingAlert, call_id=CallId, kind=RecordingAlertKind)
ALERTS_LISTED = 500


class RecordingRepository(Repo):
    @property
    def database(self) -> Database:
        return self._db

    def save(self, recording: Recording) -> None:
        """Insert or replace the row of the recording's (call, segment)."""
        values = row_values(recording)
        with self._db.session() as s:
            row = s.get(RecordingRow, (recording.call_id, recording.segment))
            if row is None:
                s.add(RecordingRow(**values))
            else:
                assign(row, values)

    def for_call(self, call_id: CallId) -> list[Recording]:
        return self._list_by(RecordingRow, _from_row, RecordingRow.segment, call_id=call_id)

    def get(self, call_id: CallId, segment: int) -> Recording | None:
        return self._find(RecordingRow, (call_id, segment), _from_row)

    def with_status(
        self, status: RecordingStatus, *, after: tuple[datetime, str, int] | None = None, limit: int = 10_000
    ) -> list[Recording]:
        """The recordings of `status` in (started_at, call_id, segment) order, from after `after`."""
        q = select(RecordingRow).where(RecordingRow.status == status.value)
        if after is not None:
            q = q.where(
                tuple_(RecordingRow.started_at, RecordingRow.call_id, RecordingRow.segment) > tuple_(*after)
            )
        order = (RecordingRow.started_at, RecordingRow.call_id, RecordingRow.segment)
        return self._list(q.order_by(*order).limit(limit), _from_row)

    def expired(self, before: datetime, *, limit: int = 1000) -> list[Recording]:
        """Recordings started before `before` whose file is not deleted yet."""
        q = select(RecordingRow).where(
            RecordingRow.started_at < before, RecordingRow.status != RecordingStatus.DELETED.value
        )
        return self._list(q.order_by(RecordingRow.started_at).limit(limit), _from_row)

    def answered_unrecorded(
        self, since: datetime, until: datetime, *, limit: int = 100
    ) -> list[tuple[CallId, datetime, datetime]]:
        """Answered calls that ended between `since` and `until` with no recording of their own
        channel (segment 1; a three-way call's segment is 2 or more): their id, when they were
        answered and when they ended."""
        recorded = exists().where(RecordingRow.call_id == CallRow.id, RecordingRow.segment == 1)
        q = (
            select(CallRow.id, CallRow.answered_at, CallRow.ended_at)
            .where(CallRow.answered_at.is_not(None), CallRow.ended_at >= since, CallRow.ended_at < until)
            .where(~recorded)
            .order_by(CallRow.ended_at)
            .limit(limit)
        )
        with self._db.session() as s:
            return [(CallId(i), answered, ended) for i, answered, ended in s.execute(q) if answered and ended]

    # --- the alerts (录音告警) -------------------------------------------------------------------

    def raise_alert(self, alert: RecordingAlert) -> bool:
        """Keep `alert` unless its (call, segment) has one already (open or acknowledged): whether
        it was new."""
        try:
            with self._db.session() as s:
                if s.get(RecordingAlertRow, (alert.call_id, alert.segment)) is not None:
                    return False
                s.add(RecordingAlertRow(**row_values(alert)))
        except IntegrityError:  # another writer kept it meanwhile
            return False
        return True

    def alert(self, call_id: CallId, segment: int) -> RecordingAlert | None:
        return self._find(RecordingAlertRow, (call_id, segment), _alert_from_row)

    def alert_keys(self) -> set[tuple[str, int]]:
        """The (call, segment) of every alert kept, open or not."""
        with self._db.session() as s:
            rows = s.execute(select(RecordingAlertRow.call_id, RecordingAlertRow.segment))
            return {(call_id, segment) for call_id, segment in rows}

    def alerts(self, *, open_only: bool = False, limit: int = ALERTS_LISTED) -> list[RecordingAlert]:
        """The alerts, newest first (`open_only`: those nobody acknowledged yet)."""
        q = select(RecordingAlertRow)
        if open_only:
            q = q.where(RecordingAlertRow.acknowledged_at.is_(None))
        q = q.order_by(
            RecordingAlertRow.raised_at.desc(), RecordingAlertRow.call_id, RecordingAlertRow.segment
        )
        return self._list(q.limit(limit), _alert_from_row)

    def acknowledge(
        self, call_id: CallId, segment: int, *, by: str, by_name: str, at: datetime
    ) -> tuple[RecordingAlert, bool] | None:
        """Mark the alert acknowledged by `by` at `at` unless it was already (the first
        acknowledgement is kept): the alert as it now stands and whether this call acknowledged
        it; None when there is no such alert."""
        with self._db.session() as s:
            row = s.get(RecordingAlertRow, (call_id, segment), with_for_update=True)
            if row is None:
                return None
            first = row.acknowledged_at is None
            if first:
                row.acknowledged_by, row.acknowledged_by_name, row.acknowledged_at = by, by_name, at
                s.flush()
            return _alert_from_row(row), first

    def call_district(self, call_id: CallId) -> str | None:
        """The district of a stored call (its own, else its queue's); None when unknown."""
        with self._db.session() as s:
            found = s.execute(
                select(CallRow.district_code, CallRow.queue).where(CallRow.id == call_id)
            ).first()
        if found is None:
            return None
        district, queue = found
        return district or queue_district(queue)[0]


def alert_audience(alert: RecordingAlert) -> frozenset[str]:
    """Who sees an alert (`core.access`): its call's district supervisors when the district is known,
    else the city-wide roles only (the keys of its `RecordingAlertRaised`)."""
    return frozenset({f"district:{alert.district_code}"}) if alert.district_code else frozenset()


def file_facts(path: Path | None) -> tuple[int, str] | None:
    """The file's size and SHA-256 (blocking: a worker thread's); None when it is not there."""
    if path is None:
        return None
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            size = 0
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except OSError:
        return None
    return size, digest.hexdigest()


def folder_problem(root: Path) -> str:
    """Why recordings cannot be kept in `root` (Chinese), "" when they can (blocking)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".hotline-check-"):
            pass
    except OSError as exc:
        return f"录音目录 {root} 无法写入（{exc.strerror or exc}）：通话照常进行，但不会留下录音"
    free = shutil.disk_usage(root).free
    if free < MIN_FREE_BYTES:
        return (
            f"录音目录 {root} 空间不足（剩余 {free // (1024 * 1024)} MB）：请尽快清理或扩容，否则录音将丢失"
        )
    return ""


@dataclass(eq=False)
class RecordingKeeper:
    recordings: RecordingRepository
    audit: AuditRepository
    settings: RecordingSettings
    clock: Clock
    bus: EventBus
    folder: RecordingFolder = field(init=False)
    folder_problem: str = field(default="", init=False)
    missing: list[str] = field(default_factory=list, init=False)  # "call id 第 n 段": open alerts
    unrecorded: list[CallId] = field(default_factory=list, init=False)  # open alerts, oldest first
    _raised: list[RecordingAlertRaised] = field(default_factory=list, init=False)  # to publish
    _checked_until: datetime | None = field(default=None, init=False)
    _scanned_to: tuple[datetime, str, int] | None = field(default=None, init=False)
    _announced: tuple[bool, str] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.folder = self.settings.folder()

    # --- the bus ---------------------------------------------------------------------------------

    async def handle(self, event: DomainEvent) -> None:
        if isinstance(event, CallRecordingStopped):
            await asyncio.sleep(self.settings.settle_s)  # MixMonitor closes the file after the hangup
            await offload(self.keep, event)
            await self._announce()

    def keep(self, event: CallRecordingStopped) -> Recording | None:
        """The row of a stopped recording (blocking)."""
        path = self.folder.local(event.path)
        facts = file_facts(path)
        if not event.answered:
            if path is not None and facts is not None and facts[0] <= WAV_HEADER_BYTES:
                self._remove(path)
            if facts is None or facts[0] <= WAV_HEADER_BYTES:
                return None
        recording = Recording(
            call_id=event.call_id,
            segment=event.segment,
            path=event.path,
            channel=event.channel,
            started_at=event.started_at or event.at,
            ended_at=event.at,
            size=facts[0] if facts else None,
            sha256=facts[1] if facts else "",
            status=RecordingStatus.OK if facts else RecordingStatus.MISSING,
            answered=event.answered,
        )
        self.recordings.save(recording)
        if facts is None:
            log.error(
                "录音缺失：通话 %s 第 %d 段已接通，但录音文件 %s 不存在",
                event.call_id,
                event.segment,
                event.path,
            )
            self._note_missing(recording)
        return recording

    # --- the periodic check ----------------------------------------------------------------------

    async def check(self) -> None:
        await offload(self.sweep)
        await self._announce()

    async def first_check(self) -> None:
        """At start: the runtime announces every component's status once all have started."""
        await offload(self.sweep)
        self._announced = self.probe()
        raised, self._raised = self._raised, []
        for event in raised:
            await self.bus.publish(event)

    def sweep(self) -> None:
        """Retention, files gone behind our back, answered calls never recorded, the folder (blocking)."""
        now = self.clock.now()
        self.folder_problem = folder_problem(self.folder.app_root())
        if self.folder_problem:
            log.error("%s", self.folder_problem)
        for recording in self.recordings.expired(now - timedelta(days=self.settings.retention_days)):
            self._expire(recording, now)
        for recording in self._next_batch():
            path = self.folder.local(recording.path)
            if path is None or not path.is_file():
                log.error(
                    "录音文件被删除或移走：通话 %s 第 %d 段 %s",
                    recording.call_id,
                    recording.segment,
                    recording.path,
                )
                self.recordings.save(replace(recording, status=RecordingStatus.MISSING))
                self._note_missing(recording)
        known = self.recordings.alert_keys()
        for recording in self.recordings.with_status(RecordingStatus.MISSING, limit=1000):
            if (recording.call_id, recording.segment) not in known:  # marked by a playback, say
                self._note_missing(recording)
        # Calls answered since the last look (and settled: their recording had time to stop); at
        # start, those of the last check period.
        until = now - timedelta(seconds=self.settings.settle_s + 60)
        since = self._checked_until or until - timedelta(seconds=self.settings.check_s)
        if until > since:
            found = [c for c in self.recordings.answered_unrecorded(since, until) if not self._adopt(*c)]
            for call_id, _, _ in found:
                log.error("通话 %s 已接通但没有任何录音", call_id)
                self._alert(call_id, 0, RecordingAlertKind.UNRECORDED, "")
            self._checked_until = until
        self.refresh_alerts()

    def refresh_alerts(self) -> None:
        """The open alerts the status line counts, from the table (blocking)."""
        open_ = list(reversed(self.recordings.alerts(open_only=True, limit=1000)))
        self.missing = [a.label for a in open_ if a.kind is RecordingAlertKind.MISSING]
        self.unrecorded = [a.call_id for a in open_ if a.kind is RecordingAlertKind.UNRECORDED]

    async def alerts_changed(self) -> None:
        """An alert was acknowledged: the status line counts it no more."""
        await offload(self.refresh_alerts)
        await self._announce()

    def _adopt(self, call_id: CallId, answered: datetime, ended: datetime) -> bool:
        """A call whose recording's events were not seen (the AMI link was down, or the tracker
        rebuilt the call after a reconnect) but whose file MixMonitor wrote: kept as its segment 1."""
        path = self.folder.file_of(call_id)
        facts = file_facts(self.folder.local(path))
        if facts is None or facts[0] <= WAV_HEADER_BYTES:
            return False
        size, sha256 = facts
        self.recordings.save(
            Recording(
                call_id=call_id,
                segment=1,
                path=path,
                started_at=answered,
                ended_at=ended,
                size=size,
                sha256=sha256,
            )
        )
        log.info("通话 %s 的录音事件未收到，按文件 %s 补记", call_id, path)
        return True

    def _next_batch(self) -> list[Recording]:
        """The next SCAN_BATCH kept recordings to look for, going round the table check by check."""
        start = self._scanned_to
        batch = self.recordings.with_status(RecordingStatus.OK, after=start, limit=SCAN_BATCH)
        if start is not None and len(batch) < SCAN_BATCH:  # the end of the table: round again
            seen = {(r.call_id, r.segment) for r in batch}
            again = self.recordings.with_status(RecordingStatus.OK, limit=SCAN_BATCH - len(batch))
            batch += [r for r in again if (r.call_id, r.segment) not in seen]
        last = batch[-1] if len(batch) >= SCAN_BATCH else None
        self._scanned_to = (last.started_at, last.call_id, last.segment) if last else None
        return batch

    def _expire(self, recording: Recording, now: datetime) -> None:
        path = self.folder.local(recording.path)
        removed = path is not None and self._remove(path)
        self.recordings.save(replace(recording, status=RecordingStatus.DELETED, deleted_at=now))
        detail: dict[str, object] = {
            "segment": recording.segment,
            "path": recording.path,
            "sha256": recording.sha256,
            "file_removed": removed,
            "retention_days": self.settings.retention_days,
        }
        self.audit.append(
            AuditEntry(at=now, actor=None, action="recording.expire", target=recording.call_id, detail=detail)
        )
        log.info(
            "录音超过保存期限已删除：通话 %s 第 %d 段 %s",
            recording.call_id,
            recording.segment,
            recording.path,
        )

    @staticmethod
    def _remove(path: Path) -> bool:
        try:
            os.remove(path)
        except FileNotFoundError:
            return False
        except OSError as exc:
            log.error("录音文件 %s 无法删除：%s", path, exc)
            return False
        return True

    def _note_missing(self, recording: Recording) -> None:
        self._alert(recording.call_id, recording.segment, RecordingAlertKind.MISSING, recording.path)

    def _alert(self, call_id: CallId, segment: int, kind: RecordingAlertKind, detail: str) -> None:
        """Keep the alert once per (call, segment) and publish it (next `_announce`); an alert
        someone acknowledged stays so, the status line counts only the open ones."""
        alert = RecordingAlert(
            call_id=call_id,
            segment=segment,
            kind=kind,
            district_code=self.recordings.call_district(call_id),
            raised_at=self.clock.now(),
            detail=detail[:500],
        )
        if self.recordings.raise_alert(alert):
            self._raised.append(
                RecordingAlertRaised(
                    at=alert.raised_at,
                    call_id=call_id,
                    kind=kind.value,
                    segment=segment,
                    district_code=alert.district_code,
                    detail=alert.detail,
                )
            )
        else:
            kept = self.recordings.alert(call_id, segment)
            if kept is None or kept.acknowledged_at is not None:
                return
        if kind is RecordingAlertKind.UNRECORDED:
            if call_id not in self.unrecorded:
                self.unrecorded.append(call_id)
        elif alert.label not in self.missing:
            self.missing.append(alert.label)

    # --- the alert -------------------------------------------------------------------------------

    def probe(self) -> tuple[bool, str]:
        alerts = []
        if self.folder_problem:
            alerts.append(self.folder_problem)
        if self.missing:
            shown = "、".join(self.missing[-ALERTS_SHOWN:])
            alerts.append(f"{len(self.missing)} 段已接通通话的录音文件缺失（{shown}）")
        if self.unrecorded:
            shown = "、".join(self.unrecorded[-ALERTS_SHOWN:])
            alerts.append(f"{len(self.unrecorded)} 通已接通通话没有录音（{shown}）")
        if alerts:
            return False, "；".join(alerts)
        return True, f"录音正常，保存 {self.settings.retention_days} 天"

    async def _announce(self) -> None:
        """Publish the alerts raised since the last time (their call's district supervisors and the
        city-wide roles are pushed them), and tell the status page and the supervisor board when the
        status line changed."""
        raised, self._raised = self._raised, []
        for event in raised:
            await self.bus.publish(event)
        status = self.probe()
        if status != self._announced:
            self._announced = status
            up, detail = status
            await self.bus.publish(
                ComponentStatusChanged(at=self.clock.now(), component=COMPONENT, up=up, detail=detail)
            )


SEARCH_BATCH = 200
SEARCH_SCAN_MAX = 5_000
"""Transcript search reads the matching calls in batches, newest first, and keeps those the
principal sees: at most this many matching calls are read for one page."""


@dataclass(eq=False)
class RecordingLibrary:
    """Which recordings a principal may play, and their files (blocking: a worker thread's)."""

    recordings: RecordingRepository
    calls: CallRepository
    folder: RecordingFolder
    scope_of: Callable[[Principal], Scope]
    changed: Callable[[], Awaitable[None]] | None = None  # the keeper's: an alert was acknowledged
    clock: Clock = field(default_factory=SystemClock)

    def of_call(self, principal: Principal, call_id: str) -> list[Recording]:
        self._allowed(principal, CallId(call_id))
        return self.recordings.for_call(CallId(call_id))

    def file(self, principal: Principal, call_id: str, segment: int) -> Path:
        self._allowed(principal, CallId(call_id))
        recording = self.recordings.get(CallId(call_id), segment)
        if recording is None:
            raise NotFound("该通话没有这段录音", call_id=call_id, segment=segment)
        if recording.status is RecordingStatus.DELETED:
            raise NotFound("录音已超过保存期限并被删除", call_id=call_id, segment=segment)
        path = self.folder.local(recording.path)
        if path is None or not path.is_file():
            if recording.status is RecordingStatus.OK:
                log.error("录音文件被删除或移走：通话 %s 第 %d 段 %s", call_id, segment, recording.path)
                self.recordings.save(replace(recording, status=RecordingStatus.MISSING))
            raise NotFound("录音文件缺失，已记录并告警", call_id=call_id, segment=segment)
        return path

    def _allowed(self, principal: Principal, call_id: CallId) -> None:
        call = self.calls.find(call_id)
        if call is None:
            raise NotFound("没有这通电话", call_id=call_id)
        if not self.scope_of(principal).sees_keys(self._keys(call)):
            raise PermissionDenied("无权收听这通电话的录音", call_id=call_id)

    def _keys(self, call: CallRecord) -> set[str]:
        """The call's audience: its queue's and its own district, and every seat that took part."""
        keys = set(call_keys(call.queue, call.seat_id, call.district_code))
        keys |= call_keys(None, call.final_seat_id)
        for leg in self.calls.legs(call.id):
            keys |= call_keys(None, leg.seat_id)
        return keys

    # --- transcript search (转写检索) ------------------------------------------------------------

    def search(self, principal: Principal, query: str, *, page: int = 1, size: int = 20) -> TranscriptPage:
        """The calls whose transcripts (live lines and post-call 录音转写) hold every word of `query`,
        among those whose recordings this principal may hear (the same rule), newest first."""
        words = parse_words(query)
        page, size = max(1, page), max(1, min(size, 50))
        wanted = page * size + 1  # this page and one more: is there a next page
        scope = self.scope_of(principal)
        index = TranscriptIndex(self.recordings.database)
        seen: list[CallRecord] = []
        offset = 0
        while len(seen) < wanted and offset < SEARCH_SCAN_MAX:
            ids = index.matching_calls(words, offset=offset, limit=SEARCH_BATCH)
            for call_id in ids:
                call = self.calls.find(call_id)
                if call is not None and (scope.citywide or scope.sees_keys(self._keys(call))):
                    seen.append(call)
            if len(ids) < SEARCH_BATCH:
                break
            offset += SEARCH_BATCH
        shown = seen[(page - 1) * size : page * size]
        hits = tuple(
            TranscriptHit(
                call_id=c.id,
                caller_number=c.caller_number,
                offered_at=c.offered_at,
                seat_id=c.final_seat_id or c.seat_id,
                district_code=c.district_code or queue_district(c.queue)[0],
                lines=tuple(index.snippets(c.id, words)),
            )
            for c in shown
        )
        return TranscriptPage(words, page, size, hits, has_more=len(seen) > page * size)

    # --- the alerts ------------------------------------------------------------------------------

    def alerts(self, principal: Principal) -> list[RecordingAlert]:
        """The recording alerts this principal sees (open and acknowledged), newest first: those of
        their district's calls, every one for the city-wide roles."""
        scope = self.scope_of(principal)
        return [a for a in self.recordings.alerts() if scope.sees_keys(alert_audience(a))]

    def acknowledge(self, principal: Principal, call_id: str, segment: int) -> RecordingAlert:
        """确认: the alert is no longer open, who and when kept. A second acknowledgement is a 409."""
        alert = self.recordings.alert(CallId(call_id), segment)
        if alert is None or not self.scope_of(principal).sees_keys(alert_audience(alert)):
            raise NotFound("没有这条录音告警", call_id=call_id, segment=segment)
        done = self.recordings.acknowledge(
            CallId(call_id),
            segment,
            by=principal.user_id,
            by_name=principal.display_name,
            at=self.clock.now(),
        )
        if done is None:
            raise NotFound("没有这条录音告警", call_id=call_id, segment=segment)
        kept, first = done
        if not first:
            raise Conflict(
                f"该录音告警已由{kept.acknowledged_by_name or kept.acknowledged_by}确认，无需再次确认",
                call_id=call_id,
                segment=segment,
            )
        return kept

    async def alerts_changed(self) -> None:
        if self.changed is not None:
            await self.changed()
