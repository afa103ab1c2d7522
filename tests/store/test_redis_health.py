"""The Redis fan-out reports its real state to the status page."""

from __future__ import annotations

import pytest

from core.bus import EventBus
from store.redis_fanout import RedisFanout


@pytest.mark.redis
async def test_given_a_fanout_when_started_and_stopped_then_health_follows(redis_url: str) -> None:
    fanout = RedisFanout(EventBus(), redis_url, channel="hotline:test-health")
    assert fanout.health() == (False, "未启动")
    await fanout.start()
    assert fanout.health() == (True, "")
    await fanout.stop()
    up, detail = fanout.health()
    assert not up and "Redis" in detail
