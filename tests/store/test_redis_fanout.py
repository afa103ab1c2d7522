from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from core.bus import EventBus
from core.errors import BackendUnavailable
from core.events import DomainEvent
from store.redis_fanout import RedisFanout
from tests.support.polling import until

pytestmark = pytest.mark.redis


@dataclass(frozen=True, slots=True, kw_only=True)
class FanoutProbed(DomainEvent):
    n: int
    worker: str


async def _collect(bus: EventBus) -> list[tuple[str, int]]:
    got: list[tuple[str, int]] = []

    async def h(e: DomainEvent) -> None:
        assert isinstance(e, FanoutProbed)
        got.append((e.worker, e.n))

    bus.subscribe("collect", h, types=(FanoutProbed,))
    return got


async def test_given_two_workers_on_redis_when_each_publishes_then_both_see_all_events_once(
    redis_url: str,
) -> None:
    channel = "test:" + datetime.now(UTC).strftime("%H%M%S%f")
    bus_a, bus_b = EventBus(), EventBus()
    got_a, got_b = await _collect(bus_a), await _collect(bus_b)
    fan_a = RedisFanout(bus_a, redis_url, channel=channel, origin="A")
    fan_b = RedisFanout(bus_b, redis_url, channel=channel, origin="B")
    await bus_a.start()
    await bus_b.start()
    await fan_a.start()
    await fan_b.start()
    try:
        for n in range(20):
            await bus_a.publish(FanoutProbed(at=datetime.now(UTC), n=n, worker="A"))
        await bus_b.publish(FanoutProbed(at=datetime.now(UTC), n=99, worker="B"))
        await until(lambda: len(got_b) == 21 and len(got_a) == 21, timeout=5.0)
        await asyncio.sleep(0.2)  # give any echo time to show up
    finally:
        await fan_a.stop()
        await fan_b.stop()
        await bus_a.stop()
        await bus_b.stop()
    expected_a = [("A", n) for n in range(20)]
    assert [x for x in got_b if x[0] == "A"] == expected_a  # order kept across the wire
    assert got_a.count(("B", 99)) == 1 and got_b.count(("B", 99)) == 1  # no echo
    assert len(got_a) == 21 and len(got_b) == 21
    assert fan_a.sent == 20 and fan_b.received == 20


async def test_given_a_malformed_message_on_the_channel_when_reading_then_it_is_ignored(
    redis_url: str,
) -> None:
    import redis.asyncio as aioredis

    channel = "test-bad:" + datetime.now(UTC).strftime("%H%M%S%f")
    bus = EventBus()
    got = await _collect(bus)
    fan = RedisFanout(bus, redis_url, channel=channel, origin="A")
    await bus.start()
    await fan.start()
    client = aioredis.Redis.from_url(redis_url)
    try:
        await client.publish(channel, b"not json")
        await client.publish(channel, b'{"origin": "Z", "event": {"type": "Nope", "data": {}}}')
        await client.publish(
            channel,
            b'{"origin": "Z", "event": {"type": "FanoutProbed", "data": {"at": "2026-11-23T00:00:00+00:00", "n": 7, "worker": "Z"}}}',
        )
        await until(lambda: got == [("Z", 7)], timeout=5.0)
    finally:
        await client.aclose()
        await fan.stop()
        await bus.stop()
    assert fan.received == 1


async def test_given_redis_unreachable_when_starting_then_start_fails_clearly() -> None:
    bus = EventBus()
    fan = RedisFanout(bus, "redis://127.0.0.1:1/0")
    with pytest.raises(BackendUnavailable):
        await fan.start()
    await fan.stop()
