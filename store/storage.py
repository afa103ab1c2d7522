"""`Storage`: the database and what the runtime keeps beside it, built from their settings sections.

* the database, migrated (demo, `auto_migrate`) or checked to be at the newest schema, seeded in
  the demo, with its health probe (a real round trip): the runtime's `database` component;
* the journal behind the database writers (`store.journal`): an event that cannot be written is
  kept in a local file and replayed.

The Redis fan-out to the other web workers, the optional `redis` component, is `store.parts.FanoutPart`.
"""

from __future__ import annotations

from collections.abc import Callable

from core.blocking import offload
from store.db import Database, DatabaseProbe
from store.journal import Journals, journal_folder
from store.migrate import open_database
from store.repositories import Repositories
from store.settings import DatabaseSettings, JournalSettings


class Storage:
    def __init__(
        self,
        database: DatabaseSettings,
        journal: JournalSettings,
        *,
        migrate: bool,
        seed: Callable[[Repositories], None] | None = None,
    ) -> None:
        """`seed`: run once the database is open (on a worker thread)."""
        self._database = database
        self._migrate = migrate
        self._seed = seed
        self.journals = Journals(journal_folder(journal.dir, database.url), max_tries=journal.max_tries)
        self.db: Database | None = None
        self.repos: Repositories | None = None
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
