"""core.ticker.Ticker: the interval, and `tick_first` (one tick at start, its error the caller's)."""

from __future__ import annotations

import asyncio

import pytest

from core.ticker import Ticker


async def test_ticks_only_after_the_interval_by_default() -> None:
    ticks: list[int] = []

    async def tick() -> None:
        ticks.append(1)

    ticker = Ticker("t", 3600.0, tick)
    await ticker.start()
    await asyncio.sleep(0)
    await ticker.stop()
    assert ticks == []


async def test_tick_first_ticks_before_start_returns_then_keeps_ticking() -> None:
    ticks: list[int] = []

    async def tick() -> None:
        ticks.append(1)

    ticker = Ticker("t", 0.01, tick)
    await ticker.start(tick_first=True)
    assert ticks == [1]
    for _ in range(200):
        if len(ticks) >= 3:
            break
        await asyncio.sleep(0.01)
    await ticker.stop()
    assert len(ticks) >= 3


async def test_tick_first_raises_to_the_caller_and_starts_nothing() -> None:
    async def tick() -> None:
        raise RuntimeError("boom")

    ticker = Ticker("t", 0.01, tick)
    with pytest.raises(RuntimeError, match="boom"):
        await ticker.start(tick_first=True)
    await ticker.stop()  # nothing started: a no-op


async def test_an_error_in_the_loop_is_logged_and_ticking_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    async def tick() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("once")

    ticker = Ticker("t", 0.01, tick)
    await ticker.start()
    for _ in range(200):
        if len(calls) >= 2:
            break
        await asyncio.sleep(0.01)
    await ticker.stop()
    assert len(calls) >= 2
    assert "ticker t failed" in caplog.text
