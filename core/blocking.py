"""The one I/O model: nothing that blocks runs on the event loop.

Every blocking call made from async code (a repository's SQL, a file read, a CSV parse of an
upload) goes through `offload`, which runs it on a worker thread; state owned by the loop (the
tracker, the seat board, the live board) is read on the loop, before or after, never from the
worker. A test drives demo traffic and fails when the loop stalls for more than 50 ms
(tests/integration/test_loop_not_blocked.py).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Executor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def offload(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run the blocking `fn(*args, **kwargs)` on a worker thread and await its result."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def offload_on(executor: Executor, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`offload` on a given executor: a part whose writes must not queue behind other work (the
    recorder behind password hashing at a login storm) keeps its own thread."""
    return await asyncio.get_running_loop().run_in_executor(executor, functools.partial(fn, *args, **kwargs))


def on_loop(fn: Callable[[T], None]) -> Callable[[T], None]:
    """`fn` for callers on worker threads: each call is handed to the event loop running now, so
    that state the loop owns is changed on the loop, never from the worker. Call it on the loop."""
    loop = asyncio.get_running_loop()

    def call(arg: T) -> None:
        loop.call_soon_threadsafe(fn, arg)

    return call
