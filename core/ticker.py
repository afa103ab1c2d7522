"""`Ticker`: a background task calling `tick()` every `interval` seconds (timers of the runtime);
`cancel_and_wait`: how the owner of background tasks ends them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


async def cancel_and_wait(*tasks: asyncio.Future[Any]) -> None:
    """Cancel the tasks and wait until each has ended, whatever it raised (nothing is raised here
    but this caller's own cancellation)."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class Ticker:
    """A background task calling `tick()` every `interval` seconds; errors are logged, it goes on."""

    def __init__(self, name: str, interval: float, tick: Callable[[], Awaitable[object]]) -> None:
        self.name = name
        self._interval = interval
        self._tick = tick
        self._task: asyncio.Task[None] | None = None

    async def start(self, *, tick_first: bool = False) -> None:
        """`tick_first`: tick once now, before the first interval (what it raises, the caller gets)."""
        if tick_first:
            await self._tick()
        self._task = asyncio.create_task(self._run(), name=f"ticker:{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._tick()
            except Exception:
                log.exception("ticker %s failed", self.name)
