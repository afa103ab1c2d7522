"""A process's start and stop around its components (`core.components`): the loop watch runs
while they do; what start-up built is frozen out of the garbage collector's sight; each
component's state is announced once all have started."""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Awaitable, Callable

from core.clock import Clock
from core.components import ComponentSet, Part
from core.events import DomainEvent
from core.loopwatch import LoopWatch

GC_THRESHOLDS = (20_000, 20, 10)
"""The collector's thresholds while serving (the default is 700, 10, 10). Under load the events
in flight (bus queues, outboxes, rows waiting for the recorder) outlive two young collections at
700 allocations each, reach the old generation, and a full collection follows every few seconds:
130-180 ms each, holding the interpreter lock against the loop in whichever thread ran it (at 400
calls the longest stalls, caught in socket writes and reads while the loop waited for the lock).
Young collections every 20,000 allocations let the events in flight die young; each takes a few
milliseconds. bench/load.py at 400 calls: p99 62-112 ms before, 43-50 ms after."""


async def start_process(
    components: ComponentSet,
    loopwatch: LoopWatch,
    publish: Callable[[DomainEvent], Awaitable[None]],
    clock: Clock,
) -> None:
    await loopwatch.start()
    try:
        await components.start_all()
    except BaseException:
        await loopwatch.stop()
        raise
    # What start-up built (routing's pinyin indexes, the seed, imported modules) lives as long
    # as the process: out of the collector's sight, so that a full collection, which holds
    # the loop for as long as it scans, stays short (120-250 ms each before, under
    # bench/loop_lag.py's traffic).
    gc.collect()  # start-up's own garbage first: what is frozen is never collected
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    await components.announce(publish, clock)


async def stop_process(components: ComponentSet, loopwatch: LoopWatch) -> None:
    await components.stop_all()
    await loopwatch.stop()


def run_until_signalled(process: Part) -> None:
    """A process with no web server of its own (`hotline serve --role speech`): start it, serve
    until SIGTERM or SIGINT, stop it."""

    async def run() -> None:
        loop, done = asyncio.get_running_loop(), asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, done.set)
        await process.start()
        try:
            await done.wait()
        finally:
            await process.stop()

    asyncio.run(run())
