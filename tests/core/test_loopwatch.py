"""`LoopWatch` sees a blocking call on the loop, for how long and where; quiet awaiting is no stall."""

from __future__ import annotations

import asyncio
import time

from core.loopwatch import LoopWatch


def blocking_call() -> None:
    time.sleep(0.08)


async def test_a_blocking_call_is_measured_and_its_stack_kept() -> None:
    watch = LoopWatch()
    await watch.start()
    try:
        await asyncio.sleep(0.05)
        watch.reset()
        blocking_call()
        await asyncio.sleep(0.05)
    finally:
        await watch.stop()
    assert watch.worst is not None
    assert watch.worst.stall_s >= 0.07
    assert "in blocking_call" in watch.worst.stack
    assert watch.summary().max_ms >= 70
    # Counted once, however long it lasted (a busy machine may add short stalls of its own).
    assert sum("in blocking_call" in s.stack for s in watch.stalls) == 1
    # What /api/admin/process shows an operator: the stall, and where the loop was caught.
    health = watch.health()
    assert health["loop_lag"] == watch.summary().as_dict()
    shown = [s for s in health["stalls"] if "in blocking_call" in s["stack"]]  # type: ignore[attr-defined]
    assert len(shown) == 1 and shown[0]["ms"] >= 70 and "time.sleep(0.08)" in shown[0]["stack"]


async def test_after_reset_awaiting_only_leaves_no_long_stall() -> None:
    watch = LoopWatch()
    await watch.start()
    try:
        blocking_call()
        await asyncio.sleep(0.02)
        watch.reset()
        await asyncio.sleep(0.2)  # other work of the test process may run here, none blocks 80 ms
    finally:
        await watch.stop()
    summary = watch.summary()
    assert summary.samples > 5
    assert summary.max_ms < 60


def short_call() -> None:
    time.sleep(0.04)


async def test_the_stack_kept_is_what_held_the_loop_longest_not_the_first_one_seen() -> None:
    # One beat: a short call the watcher notices first (40 ms is past its 25 ms), then the long one.
    watch = LoopWatch()
    await watch.start()
    try:
        await asyncio.sleep(0.05)
        watch.reset()
        short_call()
        blocking_call()
        blocking_call()
        await asyncio.sleep(0.05)
    finally:
        await watch.stop()
    assert watch.worst is not None
    assert watch.worst.stall_s >= 0.15
    assert "in blocking_call" in watch.worst.stack, watch.worst.stack
