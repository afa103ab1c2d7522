"""A web process's copy of the telephony process's live state (app role `web`, issue 21).

At start, after it began to follow the telephony process's events through Redis, a web process
reads the telephony process's snapshot (`console_web.internal_api`): every seat as its board holds
it, and the calls its views hold. The seats are taken in whole (`SeatBoard.restore`); each call
not opened here since is read from its trail in the database and replayed into the call views,
so the screen pop and the waiting callers show it as the telephony process does. From then on
the events keep both up to date (`SeatBoard.mirror`, `CallViews.apply`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx2

from console_web.internal_api import HEADER, LiveSnapshot
from core.blocking import offload
from core.call_view import CallViews
from core.calls import CallTrailEntry
from core.errors import BackendUnavailable
from core.ids import CallId
from seats.board import SeatBoard

log = logging.getLogger(__name__)


def live_snapshot(board: SeatBoard | None, views: CallViews) -> LiveSnapshot:
    """The telephony process's side: what `/api/internal/snapshot` answers."""
    return LiveSnapshot(
        seats=board.snapshot() if board is not None else [], calls=[str(c) for c in views.ids()]
    )


async def fetch_snapshot(
    telephony_url: str, token: str, *, tries: int = 30, pause_s: float = 1.0
) -> LiveSnapshot:
    """The telephony process's snapshot. It may still be starting (both are started together):
    tried `tries` times, `pause_s` apart, then `BackendUnavailable`, and the web process does not
    start (one that mirrored nothing would show every seat offline)."""
    url = telephony_url.rstrip("/") + "/api/internal/snapshot"
    last = ""
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(10.0, connect=3.0)) as client:
        for attempt in range(tries):
            try:
                response = await client.get(url, headers={HEADER: token})
            except httpx2.HTTPError as exc:
                last = repr(exc)
            else:
                if response.status_code == 200:
                    return LiveSnapshot.model_validate_json(response.content)
                last = f"HTTP {response.status_code}: {response.text[:200]}"
                if response.status_code in (401, 403):
                    break  # another deployment's secret: trying again will not help
            if attempt + 1 < tries:
                log.info("telephony process not ready (%s); trying again", last)
                await asyncio.sleep(pause_s)
    raise BackendUnavailable("无法从电话进程读取实时状态", url=url, reason=last)


@dataclass(eq=False)
class TelephonyMirror:
    """The runtime part of a web process that takes the snapshot in, once, at start."""

    telephony_url: str
    token: str
    board: Callable[[], SeatBoard | None]
    views: CallViews
    trail: Callable[[CallId], Sequence[CallTrailEntry]]
    """Blocking (the database): a call's trail, oldest first."""

    async def start(self) -> None:
        snapshot = await fetch_snapshot(self.telephony_url, self.token)
        board = self.board()
        if board is not None:
            board.restore(snapshot.seats)
        for raw in snapshot.calls:
            call_id = CallId(raw)
            if call_id in self.views:
                continue  # opened since this process began to follow: its own events made it
            for entry in await offload(self.trail, call_id):
                event = entry.event()
                if event is not None:
                    self.views.apply(event)

    async def stop(self) -> None:
        return None
