"""`LoopWatch`: how long the event loop was kept from running, and what kept it.

A heartbeat task sleeps `interval_s` again and again; how much later than asked it wakes is the
loop's *lag* at that moment (every callback that ran meanwhile, a blocking call included, is in it).

On a busy machine part of that lag is only the loop thread waiting for a CPU: other processes had
the cores, which no code of ours causes or can avoid. Where Linux tells (`/proc/thread-self/
schedstat`: the thread's time waiting on a run queue) that wait is taken out: the rest is the
*stall*, the time the loop was held by what ran on it (a blocking call, a long computation, a
garbage collection, the interpreter lock held by a worker thread). Elsewhere stall equals lag.

A watcher thread notices a heartbeat late by more than `capture_after_s` while it is still late
and from then on samples the loop thread's stack every period until the beat ends; the stack seen
most often is what held the loop longest (a first sample may only catch the thread descheduled in
some short call before the long one). Each stall that long is kept with that stack, so a test or
an admin sees *what* blocked, not only for how long. A garbage collection holds the
interpreter lock, so no stack can be taken during one: the watch times the collections itself and
names the longest one of a stalled beat instead.

The watcher thread reads two numbers the heartbeat writes under the watch's lock (the beat's number
and start): the one sanctioned read of loop state from another thread, since a blocked loop cannot
report on itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import threading
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path

SCHEDSTAT = Path("/proc/thread-self/schedstat")


@dataclass(frozen=True, slots=True)
class Stall:
    stall_s: float  # the lag less the time the loop thread waited for a CPU
    lag_s: float
    stack: str  # what the loop ran meanwhile ("" when it was not caught)


@dataclass(frozen=True, slots=True)
class LagSummary:
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    max_lag_ms: float  # the worst lag, CPU waits included

    def as_dict(self) -> dict[str, float]:
        return {
            "samples": self.samples,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "max_ms": self.max_ms,
            "max_lag_ms": self.max_lag_ms,
        }


def percentile(ordered: list[float], q: float) -> float:
    """The `q` quantile of already sorted values (0 for none)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _cpu_wait() -> float:
    """Seconds the calling thread has waited on a run queue (0 where the kernel does not tell)."""
    try:
        return int(SCHEDSTAT.read_bytes().split()[1]) / 1e9  # procfs: memory, never the disk
    except (OSError, IndexError, ValueError):
        return 0.0


class LoopWatch:
    def __init__(
        self, *, interval_s: float = 0.005, capture_after_s: float = 0.025, keep: int = 100_000
    ) -> None:
        self.interval_s = interval_s
        self.capture_after_s = capture_after_s
        self._stalls_s: deque[float] = deque(maxlen=keep)
        self._max_lag = 0.0
        self.worst: Stall | None = None
        self.stalls: deque[Stall] = deque(maxlen=20)  # the latest ones of capture_after_s or more
        self._beat_started = 0.0
        self._beat_no = 0
        self._caught: tuple[int, Counter[str]] | None = None  # (beat, stacks sampled) by the watcher
        self._lock = threading.Lock()
        self._loop_thread = 0
        self._task: asyncio.Task[None] | None = None
        self._watcher: threading.Thread | None = None
        self._stopping = threading.Event()
        self._gc_started = 0.0
        self._gc_worst: tuple[float, int] = (0.0, 0)  # the longest collection of this beat, generation

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
        gc.callbacks.append(self._on_gc)

    async def stop(self) -> None:
        self._stopping.set()
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._watcher is not None:
            self._watcher.join(timeout=1.0)
            self._watcher = None

    def reset(self) -> None:
        """Forget what was measured so far (after a warm-up). Safe from any thread."""
        with self._lock:
            self._stalls_s.clear()
            self.stalls.clear()
            self._max_lag = 0.0
            self.worst = None

    def health(self, latest: int = 5) -> dict[str, object]:
        """The lag summary and the latest long stalls with what the loop ran (the end of the
        stack it was caught in), for `/api/admin/process`. Safe from any thread."""
        with self._lock:
            stalls = list(self.stalls)[-latest:]
        return {
            "loop_lag": self.summary().as_dict(),
            "stalls": [
                {"ms": round(s.stall_s * 1000, 1), "stack": "\n".join(s.stack.strip().splitlines()[-6:])}
                for s in stalls
            ],
        }

    def summary(self) -> LagSummary:
        """Percentiles of the stalls since start or the last `reset`. Safe from any thread."""
        with self._lock:
            ordered = sorted(self._stalls_s)
            max_lag = self._max_lag
        return LagSummary(
            samples=len(ordered),
            p50_ms=round(percentile(ordered, 0.50) * 1000, 2),
            p99_ms=round(percentile(ordered, 0.99) * 1000, 2),
            max_ms=round((ordered[-1] if ordered else 0.0) * 1000, 2),
            max_lag_ms=round(max_lag * 1000, 2),
        )

    async def _heartbeat(self) -> None:
        with self._lock:
            self._beat_started = time.perf_counter()
        waited_before = _cpu_wait()
        while True:
            started = self._beat_started
            await asyncio.sleep(self.interval_s)
            now = time.perf_counter()
            waited_now = _cpu_wait()
            lag = max(0.0, now - started - self.interval_s)
            stall = max(0.0, lag - (waited_now - waited_before))
            waited_before = waited_now
            with self._lock:
                # The next beat starts now: its number and start change together for the watcher.
                beat, self._beat_no, self._beat_started = self._beat_no, self._beat_no + 1, now
                caught, self._caught = self._caught, None
                collected, generation = self._gc_worst
                self._gc_worst = (0.0, 0)
                self._stalls_s.append(stall)
                self._max_lag = max(self._max_lag, lag)
                stack = caught[1].most_common(1)[0][0] if caught is not None and caught[0] == beat else ""
                if not stack and collected >= self.capture_after_s:
                    stack = f"garbage collection (generation {generation}): {collected * 1000:.1f} ms"
                if stall >= self.capture_after_s:
                    self.stalls.append(Stall(stall_s=stall, lag_s=lag, stack=stack))
                if self.worst is None or stall > self.worst.stall_s:
                    self.worst = Stall(stall_s=stall, lag_s=lag, stack=stack)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        # Runs in whichever thread allocated, with the interpreter lock held: no lock taken here.
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started:
            took = time.perf_counter() - self._gc_started
            if took > self._gc_worst[0]:
                self._gc_worst = (took, info.get("generation", 0))

    def _watch(self) -> None:
        period = min(self.interval_s, self.capture_after_s / 2)
        while not self._stopping.wait(period):
            with self._lock:
                beat, started = self._beat_no, self._beat_started
            if time.perf_counter() - started < self.interval_s + self.capture_after_s:
                continue
            frame = sys._current_frames().get(self._loop_thread)
            if frame is None:
                continue
            stack = "".join(traceback.format_stack(frame))
            del frame
            with self._lock:
                if self._beat_no != beat:
                    continue  # the beat ended meanwhile: this sample belongs to none
                if self._caught is None or self._caught[0] != beat:
                    self._caught = (beat, Counter())
                self._caught[1][stack] += 1
