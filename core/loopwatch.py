"""`LoopWatch`: how long the event loop was kept from running, and what kept it.

A heartbeat task sleeps `interval_s` again and again; how much later than asked it wakes is the
loop's lag at that moment (every callback that ran meanwhile, a blocking call included, is in it).
A watcher thread notices a heartbeat that is late by more than `capture_after_s` while the stall is
still going on and takes the loop thread's stack at that moment: the worst stall is kept with
that stack, so a test or an admin sees *what* blocked, not only for how long.

The watcher thread reads two numbers the heartbeat writes (when the current beat began, and the
loop's thread id): the one sanctioned read of loop state from another thread, since a blocked loop
cannot report on itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Stall:
    lag_s: float
    stack: str  # the loop thread's stack while it stalled ("" when too short to be caught)


@dataclass(frozen=True, slots=True)
class LagSummary:
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, float]:
        return {"samples": self.samples, "p50_ms": self.p50_ms, "p99_ms": self.p99_ms, "max_ms": self.max_ms}


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class LoopWatch:
    def __init__(
        self, *, interval_s: float = 0.005, capture_after_s: float = 0.025, keep: int = 100_000
    ) -> None:
        self.interval_s = interval_s
        self.capture_after_s = capture_after_s
        self._lags: deque[float] = deque(maxlen=keep)
        self.worst: Stall | None = None
        self._beat_started = 0.0  # written by the heartbeat, read by the watcher
        self._beat_no = 0
        self._caught: tuple[int, str] | None = None  # (beat, stack) taken by the watcher
        self._lock = threading.Lock()
        self._loop_thread = 0
        self._task: asyncio.Task[None] | None = None
        self._watcher: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self.running:
            return
        self._loop_thread = threading.get_ident()
        self._stopping.clear()
        self._task = asyncio.create_task(self._heartbeat(), name="loop-watch")
        self._watcher = threading.Thread(target=self._watch, name="loop-watch", daemon=True)
        self._watcher.start()

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._watcher is not None:
            self._watcher.join(timeout=1.0)
            self._watcher = None

    def reset(self) -> None:
        """Forget what was measured so far (after a warm-up)."""
        with self._lock:
            self._lags.clear()
            self.worst = None

    def summary(self) -> LagSummary:
        with self._lock:
            ordered = sorted(self._lags)
        return LagSummary(
            samples=len(ordered),
            p50_ms=round(_percentile(ordered, 0.50) * 1000, 2),
            p99_ms=round(_percentile(ordered, 0.99) * 1000, 2),
            max_ms=round((ordered[-1] if ordered else 0.0) * 1000, 2),
        )

    async def _heartbeat(self) -> None:
        with self._lock:
            self._beat_started = time.perf_counter()
        while True:
            started = self._beat_started
            await asyncio.sleep(self.interval_s)
            now = time.perf_counter()
            lag = max(0.0, now - started - self.interval_s)
            with self._lock:
                # The next beat starts now: its number and start change together for the watcher.
                beat, self._beat_no, self._beat_started = self._beat_no, self._beat_no + 1, now
                caught = self._caught
                self._caught = None
                self._lags.append(lag)
                if self.worst is None or lag > self.worst.lag_s:
                    stack = caught[1] if caught is not None and caught[0] == beat else ""
                    self.worst = Stall(lag_s=lag, stack=stack)

    def _watch(self) -> None:
        period = min(self.interval_s, self.capture_after_s / 2)
        while not self._stopping.wait(period):
            with self._lock:
                beat, started = self._beat_no, self._beat_started
                if self._caught is not None and self._caught[0] == beat:
                    continue  # this stall's stack is taken already
            if time.perf_counter() - started < self.interval_s + self.capture_after_s:
                continue
            frame = sys._current_frames().get(self._loop_thread)
            if frame is None:
                continue
            stack = "".join(traceback.format_stack(frame))
            with self._lock:
                if self._beat_no == beat:
                    self._caught = (beat, stack)
