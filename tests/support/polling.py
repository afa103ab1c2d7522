"""Wait for a condition with a deadline: `until` in async tests, `wait_until` in sync ones.
Both fail the test with `timed out waiting for <what>` when the deadline passes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest


async def until(
    check: Callable[[], object], timeout: float = 10.0, what: str = "the condition", *, interval: float = 0.02
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(interval)


def wait_until(
    check: Callable[[], object], timeout: float = 10.0, what: str = "the condition", *, interval: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)
