"""One process's answers to `/api/admin/dead-letters`, `/api/admin/reliability` and
`/api/admin/process` (`console_web.reliability_api.ReliabilityBackend`), assembled from what it
reads: the journals' dead letters and backlog, the last reconciliation with Asterisk's records,
the websocket hub and the loop watch.

The composition root builds one per process and puts it on `app.state.reliability_backend`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from console_web.hub import WebsocketHub
from core.blocking import offload
from core.loopwatch import LoopWatch


class Journals(Protocol):
    """The journals behind the database's writers (`store.journal.Journals`)."""

    def dead_letters(self, limit: int) -> list[dict[str, object]]: ...

    def backlog(self) -> dict[str, int]: ...


@dataclass(frozen=True, eq=False)
class ProcessHealth:
    role: str
    journals: Journals
    last_reconciliation: Callable[[], dict[str, object] | None]
    hub: WebsocketHub
    loopwatch: LoopWatch

    def dead_letters(self, limit: int) -> list[dict[str, object]]:
        return self.journals.dead_letters(limit)

    async def reliability(self) -> dict[str, object]:
        # The dead letters are read on a worker thread; the backlog and the last reconciliation
        # belong to the event loop and are read here.
        dead = await offload(self.journals.dead_letters, 10_000)
        return {
            "journal_backlog": self.journals.backlog(),
            "dead_letters": len(dead),
            "last_reconciliation": self.last_reconciliation(),
            "loop_lag": self.loopwatch.summary().as_dict(),
        }

    def process(self) -> dict[str, object]:
        watch = self.loopwatch.health()
        return {"role": self.role, "pid": os.getpid(), **self.hub.health(), **watch}
