"""The store's parts of the runtime beside `Storage`.

* `RecorderPart`: the call trail writer (`TrailRecorder`) over the open database, writing through
  the journal (what the database cannot take is kept and replayed); stopping it stops the journal's
  writers too.
* `RecordingsPart`: the call recordings' keeper and the console's library of them.
* `FanoutPart`: the Redis fan-out of the bus to the other web workers, with its health.
* `seat_stores`: the seat and team tables and the seats' presence, for the seats' commands.
* `record_stores`: where the reconciliation with Asterisk's records reads and writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from core.access import Principal, Scope
from core.bus import EventBus
from core.call_events import CallRecordingStopped
from core.clock import Clock
from core.ticker import Ticker
from seats.part import SeatStores
from store.db import Database
from store.presence import SeatPresenceRepository
from store.record_tables import QueueLogTable
from store.recorder import TrailRecorder
from store.recordings import COMPONENT, RecordingKeeper, RecordingLibrary, RecordingRepository
from store.records import KnownCallsRepository, RecordCheckpointRepository
from store.redis_fanout import RedisFanout
from store.repositories import Repositories
from store.schedules import ScheduleRepository
from store.settings import RecordingSettings, RedisSettings
from store.storage import Storage


@dataclass(eq=False)
class RecorderPart:
    storage: Storage
    bus: EventBus
    recorder: TrailRecorder | None = field(default=None, init=False)

    async def start(self) -> None:
        repos, journals = self.storage.repos, self.storage.journals
        assert repos is not None, "the database opens before the recorder"
        self.recorder = TrailRecorder(self.bus, repos.calls, repos.transcripts, guard=journals.guard)
        await self.recorder.start()

    async def stop(self) -> None:
        if self.recorder is not None:
            await self.recorder.stop()
        await self.storage.journals.stop()
        if self.recorder is not None:
            self.recorder.close()


@dataclass(eq=False)
class RecordingsPart:
    """The call recordings' keeper (`store.recordings`): subscribed to the stopped recordings, its
    periodic check every `check_s`, its status line; and the console's library over them."""

    settings: RecordingSettings
    storage: Storage
    bus: EventBus
    clock: Clock
    keeper: RecordingKeeper | None = field(default=None, init=False)
    _ticker: Ticker | None = field(default=None, init=False)

    async def start(self) -> None:
        repos = self.storage.repos
        assert repos is not None, "the database opens before the recordings"
        self.keeper = RecordingKeeper(
            RecordingRepository(repos.db), repos.audit, self.settings, self.clock, self.bus
        )
        handle = self.storage.journals.guard(COMPONENT, self.keeper.handle)
        self.bus.subscribe(COMPONENT, handle, types=(CallRecordingStopped,))
        await self.keeper.first_check()
        self._ticker = Ticker(COMPONENT, self.settings.check_s, self.keeper.check)
        await self._ticker.start()

    async def stop(self) -> None:
        if self._ticker is not None:
            await self._ticker.stop()

    def probe(self) -> tuple[bool, str]:
        return self.keeper.probe() if self.keeper is not None else (False, "未启动")

    def library(self, scope_of: Callable[[Principal], Scope]) -> RecordingLibrary:
        repos = self.storage.repos
        assert repos is not None, "the database opens before the recordings"
        return RecordingLibrary(
            RecordingRepository(repos.db),
            repos.calls,
            self.settings.folder(),
            scope_of,
            changed=self._alerts_changed,
            clock=self.clock,
        )

    async def _alerts_changed(self) -> None:
        if self.keeper is not None:
            await self.keeper.alerts_changed()


@dataclass(eq=False)
class FanoutPart:
    settings: RedisSettings
    bus: EventBus
    clock: Clock
    fanout: RedisFanout | None = field(default=None, init=False)

    async def start(self) -> None:
        assert self.settings.url
        self.fanout = RedisFanout(
            self.bus, self.settings.url, channel=self.settings.channel, clock=self.clock
        )
        await self.fanout.start()

    async def stop(self) -> None:
        if self.fanout is not None:
            await self.fanout.stop()

    def probe(self) -> tuple[bool, str]:
        return self.fanout.health() if self.fanout is not None else (False, "未启动")


def seat_stores(repos: Repositories) -> SeatStores:
    return SeatStores(
        repos.seats, repos.teams, SeatPresenceRepository(repos.db), ScheduleRepository(repos.db)
    )


def record_stores(
    db: Database, queue_log_url: str | None, queue_log_table: str, queue_log_tz: str
) -> tuple[QueueLogTable | None, RecordCheckpointRepository, KnownCallsRepository]:
    """The queue log table when Asterisk writes it to a database (`queue_log_url`), and in ours the
    reconciliation's checkpoints and the calls it already knows."""
    table = None
    if queue_log_url:
        table = QueueLogTable(Database(queue_log_url), table_name=queue_log_table, tz=ZoneInfo(queue_log_tz))
    return table, RecordCheckpointRepository(db), KnownCallsRepository(db)
