"""A durable journal for the database-writing bus subscribers: nothing is lost while the database
is down.

The bus hands each subscriber its events in memory; when the store recorder or the callback
policy cannot apply one (PostgreSQL stopped, SQLite locked, a bug), the bus would log it and move
on. `JournaledHandler` wraps such a handler instead:

* an event that fails is appended to the subscriber's journal, a local append-only JSON-lines
  file (`<dir>/<subscriber>.jsonl`, each line fsynced) -- a local file, because the database may
  be the thing that is down; events arriving while a backlog exists join the end of it, so the
  subscriber still sees them in order;
* a replay task applies the backlog again, oldest first, with exponential backoff (0.5 s doubling
  to 30 s); the handlers are idempotent by event id / call id (the trail, the missed-call key), so
  an event applied twice (a kill between applying and marking) changes nothing;
* an outage (`store.db.is_outage`: connection refused or lost, BackendUnavailable...) is retried
  for as long as it lasts; any other error counts as a try, and after `max_tries` the event is
  moved to the dead letters (`<dir>/dead-letters.jsonl`), which admins list in the console;
* on start the journal is read back, so a backlog survives a restart or a kill; a torn last line
  (killed mid-write) is skipped and counted. Once the backlog is empty the file is compacted.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.blocking import offload
from core.bus import BatchingHandler, Handler
from core.events import DomainEvent, UnknownEventType, from_wire, to_wire
from core.ticker import cancel_and_wait
from store.db import is_outage, sqlite_file

log = logging.getLogger(__name__)

DEAD_LETTERS = "dead-letters.jsonl"


@dataclass(slots=True)
class JournalEntry:
    event_id: str
    event_type: str
    wire: dict[str, Any]
    error: str
    at: str
    tries: int = 0


@dataclass(frozen=True, slots=True)
class DeadLetter:
    subscriber: str
    event_id: str
    event_type: str
    call_id: str
    error: str
    tries: int
    at: str


@dataclass
class _Backlog:
    path: Path
    entries: dict[str, JournalEntry] = field(default_factory=dict)  # insertion order = event order
    lines: int = 0


class EventJournal:
    """The journal files in one folder. Thread-safe (its methods run in worker threads)."""

    def __init__(self, folder: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.folder = Path(folder)  # created with the first line written
        self._fsync = fsync
        self._lock = threading.Lock()
        self._backlogs: dict[str, _Backlog] = {}
        self.torn_lines = 0

    # --- the backlog of one subscriber -------------------------------------------------------

    def pending(self, subscriber: str) -> list[JournalEntry]:
        with self._lock:
            return list(self._backlog(subscriber).entries.values())

    def first(self, subscriber: str) -> JournalEntry | None:
        """The oldest event still to apply (O(1): the replay takes them one by one)."""
        with self._lock:
            return next(iter(self._backlog(subscriber).entries.values()), None)

    def count(self, subscriber: str) -> int:
        with self._lock:
            return len(self._backlog(subscriber).entries)

    def has_pending(self, subscriber: str) -> bool:
        """Cheap enough for the event loop once the file was loaded (`preload`): a dict read,
        without the lock (which `add` holds across its fsync)."""
        backlog = self._backlogs.get(subscriber)
        if backlog is None:
            with self._lock:
                backlog = self._backlog(subscriber)
        return bool(backlog.entries)

    def preload(self, subscriber: str) -> int:
        """Read the subscriber's journal file now; the number of events still to apply."""
        with self._lock:
            return len(self._backlog(subscriber).entries)

    def add(self, subscriber: str, event: DomainEvent, error: str) -> None:
        wire = to_wire(event)
        entry = JournalEntry(
            event_id=event.event_id,
            event_type=event.event_type,
            wire=wire,
            error=error,
            at=datetime.now(UTC).isoformat(),
        )
        with self._lock:
            backlog = self._backlog(subscriber)
            if entry.event_id in backlog.entries:
                return
            self._append(
                backlog, {"op": "add", "id": entry.event_id, "event": wire, "error": error, "at": entry.at}
            )
            backlog.entries[entry.event_id] = entry

    def done(self, subscriber: str, event_id: str) -> None:
        with self._lock:
            backlog = self._backlog(subscriber)
            if backlog.entries.pop(event_id, None) is None:
                return
            # Not fsynced: a "done" lost in a crash only means the event is applied once more,
            # which the idempotent handlers ignore; an "add" lost would lose the event.
            self._append(backlog, {"op": "done", "id": event_id}, sync=False)
            if not backlog.entries:
                self._compact(backlog)

    def dead(self, subscriber: str, entry: JournalEntry, error: str) -> None:
        letter = {
            "subscriber": subscriber,
            "event_id": entry.event_id,
            "event_type": entry.event_type,
            "call_id": str(entry.wire.get("data", {}).get("call_id") or ""),
            "error": error[:500],
            "tries": entry.tries,
            "at": datetime.now(UTC).isoformat(),
            "event": entry.wire,
        }
        with self._lock:
            self._write_line(self.folder / DEAD_LETTERS, letter)
            backlog = self._backlog(subscriber)
            if backlog.entries.pop(entry.event_id, None) is not None:
                self._append(backlog, {"op": "dead", "id": entry.event_id})
                if not backlog.entries:
                    self._compact(backlog)

    def dead_letters(self, *, limit: int = 200) -> list[DeadLetter]:
        path = self.folder / DEAD_LETTERS
        with self._lock:
            if not path.exists():
                return []
            raw = path.read_text(encoding="utf-8").splitlines()
        out: list[DeadLetter] = []
        for line in reversed(raw):
            try:
                d = json.loads(line)
                out.append(
                    DeadLetter(
                        subscriber=str(d["subscriber"]),
                        event_id=str(d["event_id"]),
                        event_type=str(d["event_type"]),
                        call_id=str(d.get("call_id", "")),
                        error=str(d.get("error", "")),
                        tries=int(d.get("tries", 0)),
                        at=str(d.get("at", "")),
                    )
                )
            except (ValueError, KeyError, TypeError):
                continue
            if len(out) >= limit:
                break
        return out

    # --- files -------------------------------------------------------------------------------

    def _backlog(self, subscriber: str) -> _Backlog:
        backlog = self._backlogs.get(subscriber)
        if backlog is None:
            backlog = self._backlogs[subscriber] = self._load(self.folder / f"{subscriber}.jsonl")
        return backlog

    def _load(self, path: Path) -> _Backlog:
        backlog = _Backlog(path)
        if not path.exists():
            return backlog
        for line in path.read_bytes().split(b"\n"):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                op, event_id = d["op"], str(d["id"])
            except (ValueError, KeyError, TypeError):
                self.torn_lines += 1  # killed mid-write: the event was not acknowledged as kept
                log.warning("journal %s: unreadable line skipped", path)
                continue
            backlog.lines += 1
            if op == "add":
                wire = d.get("event") or {}
                backlog.entries[event_id] = JournalEntry(
                    event_id=event_id,
                    event_type=str(wire.get("type", "")),
                    wire=wire,
                    error=str(d.get("error", "")),
                    at=str(d.get("at", "")),
                )
            else:
                backlog.entries.pop(event_id, None)
        if backlog.entries:
            log.warning("journal %s: %d event(s) still to apply", path, len(backlog.entries))
        return backlog

    def _append(self, backlog: _Backlog, record: dict[str, Any], *, sync: bool = True) -> None:
        self._write_line(backlog.path, record, sync=sync)
        backlog.lines += 1

    def _write_line(self, path: Path, record: dict[str, Any], *, sync: bool = True) -> None:
        data = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, data)
            if self._fsync and sync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def _compact(self, backlog: _Backlog) -> None:
        """Nothing left to apply: start the file afresh (atomically)."""
        if not backlog.path.exists():
            return
        tmp = backlog.path.with_suffix(".tmp")
        tmp.write_bytes(b"")
        os.replace(tmp, backlog.path)
        backlog.lines = 0


class JournaledHandler:
    """Wraps a database-writing bus handler with the journal (see the module docstring)."""

    def __init__(
        self,
        name: str,
        handler: Handler,
        journal: EventJournal,
        *,
        max_tries: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.name = name
        self._handler = handler
        self._journal = journal
        self._max_tries = max_tries
        self._base = base_delay
        self._max_delay = max_delay
        self._sleep = sleep
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.applied_late = 0
        self.dead = 0

    async def __call__(self, event: DomainEvent) -> None:
        if self._journal.has_pending(self.name):
            await offload(self._journal.add, self.name, event, "排在未写入的事件之后")
            self._wake.set()
            return
        try:
            await self._handler(event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            kind = "outage" if is_outage(exc) else "error"
            log.warning("%s could not apply %s (%s: %r): journaled", self.name, event.event_id, kind, exc)
            await offload(self._journal.add, self.name, event, f"{type(exc).__name__}: {exc}")
            self._wake.set()

    async def many(self, events: Sequence[DomainEvent]) -> None:
        """A batch, applied at once when the wrapped handler can (`BatchingHandler`). The batch is
        all or nothing: when the database is out, every event of it is journaled; on another error
        the events are applied one by one, so only the one that fails is journaled."""
        inner = self._handler if isinstance(self._handler, BatchingHandler) else None
        if inner is None or self._journal.has_pending(self.name):
            for event in events:
                await self(event)
            return
        try:
            await inner.many(events)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not is_outage(exc):
                log.warning("%s could not apply a batch of %d (%r): one by one", self.name, len(events), exc)
                for event in events:
                    await self(event)
                return
            log.warning(
                "%s could not apply a batch of %d (outage: %r): journaled", self.name, len(events), exc
            )
            await offload(self._journal_all, events, f"{type(exc).__name__}: {exc}")
            self._wake.set()

    def _journal_all(self, events: Sequence[DomainEvent], error: str) -> None:
        for event in events:
            self._journal.add(self.name, event, error)

    def start(self) -> None:
        """Start the replay task (inside the running loop); a backlog from a previous run is replayed."""
        self._journal.preload(self.name)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._replay(), name=f"journal:{self.name}")
            self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None

    @property
    def backlog(self) -> int:
        return self._journal.count(self.name)

    async def _replay(self) -> None:
        delay = self._base
        while True:
            entry = await offload(self._journal.first, self.name)
            if entry is None:
                self._wake.clear()
                if self._journal.has_pending(self.name):
                    continue  # added between the read and the clear
                await self._wake.wait()
                continue
            try:
                event = from_wire(entry.wire)
            except (UnknownEventType, KeyError, TypeError, ValueError) as exc:
                await offload(self._journal.dead, self.name, entry, f"无法解析事件：{exc!r}")
                self.dead += 1
                continue
            try:
                await self._handler(event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_outage(exc):
                    entry.tries += 1
                    if entry.tries >= self._max_tries:
                        log.error(
                            "%s gives up on %s after %d tries: %r",
                            self.name,
                            entry.event_id,
                            entry.tries,
                            exc,
                        )
                        await offload(self._journal.dead, self.name, entry, f"{type(exc).__name__}: {exc}")
                        self.dead += 1
                        delay = self._base
                        continue
                await self._sleep(delay)
                delay = min(delay * 2, self._max_delay)
                continue
            await offload(self._journal.done, self.name, entry.event_id)
            self.applied_late += 1
            delay = self._base


def journal_folder(configured: str, database_url: str) -> Path:
    """The configured folder; else beside the SQLite file, else `./hotline-journal`."""
    if configured:
        return Path(configured)
    db_file = sqlite_file(database_url)
    return db_file.with_suffix(".journal") if db_file is not None else Path("hotline-journal")


class Journals:
    """One journal folder per process; `guard` wraps a subscriber's handler with it."""

    def __init__(self, folder: Path, *, max_tries: int) -> None:
        self._folder = folder
        self._max_tries = max_tries
        self.journal: EventJournal | None = None
        self.guards: list[JournaledHandler] = []

    def guard(self, name: str, handler: Handler) -> Handler:
        if self.journal is None:
            self.journal = EventJournal(self._folder)
        guarded = JournaledHandler(name, handler, self.journal, max_tries=self._max_tries)
        guarded.start()
        self.guards.append(guarded)
        return guarded

    async def stop(self) -> None:
        for guarded in self.guards:
            await guarded.stop()
        self.guards.clear()

    def dead_letters(self, limit: int) -> list[dict[str, object]]:
        if self.journal is None:
            return []
        return [dataclasses.asdict(d) for d in self.journal.dead_letters(limit=limit)]

    def backlog(self) -> dict[str, int]:
        return {g.name: g.backlog for g in self.guards}
