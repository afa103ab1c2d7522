"""Wiring of what keeps calls and work orders from being lost, apart from `runtime.py`:

* `Journals`: the durable journal (`store.journal`) behind the database-writing bus subscribers;
* `Reconciliation`: the reconciler with Asterisk's records (`pbx.reconcile`), run at start (in
  the background), after every AMI (re)login and periodically;
* `DatabaseProbe`: the database's real health for the status page and /healthz.

Only wiring: the rules live in `pbx.reconcile` and `store.journal`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from app.settings import Settings
from app.telephony import Ticker
from core.bus import EventBus, Handler
from core.clock import Clock
from core.errors import HotlineError
from core.events import DomainEvent, StateResynced
from core.ports import RecordLines
from pbx.reconcile import CDR, QUEUE_LOG, RecordsReconciler
from pbx.record_files import RecordFile
from pbx.tracker import CallTracker
from store.db import Database, sqlite_file
from store.journal import EventJournal, JournaledHandler
from store.record_tables import QueueLogTable
from store.records import KnownCallsRepository, RecordCheckpointRepository

log = logging.getLogger(__name__)


def build_reconciler(
    settings: Settings, db: Database, *, tracker: CallTracker, bus: EventBus, clock: Clock
) -> RecordsReconciler:
    """Reconciliation with Asterisk's queue log and CDR (files named in `asterisk_records`)."""
    cfg = settings.asterisk_records
    queue_log: RecordLines | None = RecordFile(QUEUE_LOG, cfg.queue_log) if cfg.queue_log else None
    if cfg.database_url:
        queue_log = QueueLogTable(
            Database(cfg.database_url), table_name=cfg.queue_log_table, tz=ZoneInfo(cfg.queue_log_tz)
        )
    return RecordsReconciler(
        queue_log=queue_log,
        cdr=RecordFile(CDR, cfg.cdr_csv) if cfg.cdr_csv else None,
        checkpoints=RecordCheckpointRepository(db),
        calls=KnownCallsRepository(db),
        live=lambda: tuple(tracker.calls),
        publish=bus.publish,
        clock=clock,
        queue_log_tz=ZoneInfo(cfg.queue_log_tz),
        cdr_tz=ZoneInfo(cfg.cdr_tz),
        settle=timedelta(seconds=cfg.settle_s),
    )


class Journals:
    """One journal folder per process; `guard` wraps a subscriber's handler with it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.journal: EventJournal | None = None
        self.guards: list[JournaledHandler] = []

    def folder(self) -> Path:
        if self._settings.journal.dir:
            return Path(self._settings.journal.dir)
        db_file = sqlite_file(self._settings.database.url)
        return db_file.with_suffix(".journal") if db_file is not None else Path("hotline-journal")

    def guard(self, name: str, handler: Handler) -> Handler:
        if self.journal is None:
            self.journal = EventJournal(self.folder())
        guarded = JournaledHandler(name, handler, self.journal, max_tries=self._settings.journal.max_tries)
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


class Reconciliation:
    """The reconciler, its triggers (start, StateResynced, a timer) and its status line."""

    def __init__(self) -> None:
        self.reconciler: RecordsReconciler | None = None
        self._first: asyncio.Task[None] | None = None
        self._ticker: Ticker | None = None

    async def start(
        self,
        settings: Settings,
        db: Database,
        *,
        tracker: CallTracker,
        bus: EventBus,
        clock: Clock,
        ami_connected: Callable[[], bool],
    ) -> None:
        reconciler = self.reconciler = build_reconciler(settings, db, tracker=tracker, bus=bus, clock=clock)

        async def on_resync(event: DomainEvent) -> None:
            await reconciler.run("AMI 重新登录", snapshot_fresh=True)

        async def tick() -> None:
            await reconciler.run("定时核对", snapshot_fresh=ami_connected())

        bus.subscribe("records-reconciler", on_resync, types=(StateResynced,))
        # The first pass may read a long backlog (a first start on an old queue_log): in the
        # background, so the console comes up meanwhile. Later passes wait for it (one at a time).
        self._first = asyncio.create_task(self._first_pass(reconciler), name="records-start")
        self._ticker = Ticker("records", settings.asterisk_records.interval_s, tick)
        await self._ticker.start()

    @staticmethod
    async def _first_pass(reconciler: RecordsReconciler) -> None:
        try:
            await reconciler.run("启动")
        except Exception:
            log.exception("the first reconciliation with Asterisk's records failed")

    async def stop(self) -> None:
        if self._ticker is not None:
            await self._ticker.stop()
            self._ticker = None
        if self._first is not None:
            self._first.cancel()
            await asyncio.gather(self._first, return_exceptions=True)
            self._first = None

    def probe(self) -> tuple[bool, str]:
        report = self.reconciler.last_report if self.reconciler is not None else None
        if report is None:
            return True, "尚未核对"
        if report.missing:
            return False, f"找不到记录文件：{'、'.join(report.missing)}；" + report.summary()
        return True, report.summary()

    def last(self) -> dict[str, object] | None:
        report = self.reconciler.last_report if self.reconciler is not None else None
        if report is None:
            return None
        return dataclasses.asdict(report) | {"summary": report.summary()}


class DatabaseProbe:
    """A real round trip to the database (cached for a second: the status page polls)."""

    def __init__(self, db: Callable[[], Database | None], *, ttl: float = 1.0) -> None:
        self._db = db
        self._ttl = ttl
        self._last: tuple[float, tuple[bool, str]] | None = None

    def __call__(self) -> tuple[bool, str]:
        db = self._db()
        if db is None:
            return False, "未启动"
        now = time.monotonic()
        if self._last is not None and now - self._last[0] < self._ttl:
            return self._last[1]
        try:
            db.ping()
            result: tuple[bool, str] = (True, "")
        except HotlineError as exc:
            result = (False, f"{exc.message}（{exc.context.get('reason', '')}）")
        except Exception as exc:
            result = (False, f"数据库检查失败：{type(exc).__name__}")
        self._last = (now, result)
        return result
