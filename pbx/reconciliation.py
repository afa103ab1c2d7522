"""`build_reconciler`: the reconciler over the record sources named in the settings;
`Reconciliation`: when `pbx.reconcile.RecordsReconciler` runs (at start in the background,
after every AMI (re)login, on a timer) and its line on the status page."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Collection
from datetime import timedelta
from zoneinfo import ZoneInfo

from core.bus import EventBus
from core.clock import Clock
from core.events import DomainEvent, StateResynced
from core.ids import SeatId
from core.ports import KnownCalls, RecordCheckpoints, RecordLines
from core.ticker import Ticker, cancel_and_wait
from pbx.reconcile import CDR, QUEUE_LOG, RecordsReconciler
from pbx.record_files import RecordFile
from pbx.settings import AsteriskRecordsSettings

log = logging.getLogger(__name__)


def build_reconciler(
    cfg: AsteriskRecordsSettings,
    *,
    queue_log_table: RecordLines | None,
    checkpoints: RecordCheckpoints,
    calls: KnownCalls,
    live: Callable[[], Collection[str]],
    publish: Callable[[DomainEvent], Awaitable[None]],
    clock: Clock,
    seat_of: Callable[[str], SeatId | None] = lambda interface: None,
) -> RecordsReconciler:
    """Reconciliation with Asterisk's queue log (the file, or `queue_log_table` when Asterisk
    writes it to a database) and CDR, as named in `asterisk_records`."""
    queue_log = queue_log_table or (RecordFile(QUEUE_LOG, cfg.queue_log) if cfg.queue_log else None)
    return RecordsReconciler(
        queue_log=queue_log,
        cdr=RecordFile(CDR, cfg.cdr_csv) if cfg.cdr_csv else None,
        checkpoints=checkpoints,
        calls=calls,
        live=live,
        publish=publish,
        clock=clock,
        queue_log_tz=ZoneInfo(cfg.queue_log_tz),
        cdr_tz=ZoneInfo(cfg.cdr_tz),
        settle=timedelta(seconds=cfg.settle_s),
        seat_of=seat_of,
    )


class Reconciliation:
    """The reconciler, its triggers (start, StateResynced, a timer) and its status line."""

    def __init__(self) -> None:
        self.reconciler: RecordsReconciler | None = None
        self._first: asyncio.Task[None] | None = None
        self._ticker: Ticker | None = None

    async def start(
        self,
        reconciler: RecordsReconciler,
        *,
        bus: EventBus,
        interval_s: float,
        ami_connected: Callable[[], bool],
    ) -> None:
        self.reconciler = reconciler

        async def on_resync(event: DomainEvent) -> None:
            await reconciler.run("AMI 重新登录", snapshot_fresh=True)

        async def tick() -> None:
            await reconciler.run("定时核对", snapshot_fresh=ami_connected())

        bus.subscribe("records-reconciler", on_resync, types=(StateResynced,))
        # The first pass may read a long backlog (a first start on an old queue_log): in the
        # background, so the console comes up meanwhile. Later passes wait for it (one at a time).
        self._first = asyncio.create_task(self._first_pass(reconciler), name="records-start")
        self._ticker = Ticker("records", interval_s, tick)
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
            await cancel_and_wait(self._first)
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
