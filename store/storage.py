"""`Storage`: the database and what the runtime keeps beside it, built from their settings sections.

* the database, migrated (demo, `auto_migrate`) or checked to be at the newest schema, seeded in
  the demo, with its health probe (a real round trip): the runtime's `database` component;
* the journal behind the database writers (`store.journal`): an event that cannot be written is
  kept in a local file and replayed;
* the Redis fan-out to the other web workers: the optional `redis` component.
"""

from __future__ import annotations

from collections.abc import Callable

from core.blocking import offload
from core.bus import EventBus
from core.clock import Clock
from store.db import Database, DatabaseProbe
from store.journal import Journals, journal_folder
from store.migrate import open_database
from store.redis_fanout import RedisFanout
from store.repositories import Repositories
from store.settings import DatabaseSettings, JournalSettings, RedisSettings


class Storage:
    def __init__(
        self,
        database: DatabaseSettings,
        journal: JournalSettings,
        redis: RedisSettings,
        *,
        bus: EventBus,
        clock: Clock,
        migrate: bool,
        seed: Callable[[Repositories], None] | None = None,
    ) -> None:
        """`seed`: run once the database is open (on a worker thread)."""
        self._database = database
        self._redis = redis
        self._bus = bus
        self._clock = clock
        self._migrate = migrate
        self._seed = seed
        self.journals = Journals(journal_folder(journal.dir, database.url), max_tries=journal.max_tries)
        self.db: Database | None = None
        self.repos: Repositories | None = None
        self.fanout: RedisFanout | None = None
        self.probe = DatabaseProbe(lambda: self.db)

    async def open(self) -> None:
        # Migrations, the check and the seed are blocking database work: on a worker thread.
        self.db = await offload(open_database, self._database.url, migrate=self._migrate)
        self.repos = Repositories(self.db)
        if self._seed is not None:
            await offload(self._seed, self.repos)

    async def close(self) -> None:
        if self.db is not None:
            await offload(self.db.dispose)

    async def start_fanout(self) -> None:
        assert self._redis.url
        self.fanout = RedisFanout(self._bus, self._redis.url, channel=self._redis.channel, clock=self._clock)
        await self.fanout.start()

    async def stop_fanout(self) -> None:
        if self.fanout is not None:
            await self.fanout.stop()

    def probe_fanout(self) -> tuple[bool, str]:
        return self.fanout.health() if self.fanout is not None else (False, "未启动")
