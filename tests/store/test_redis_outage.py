"""The Redis fan-out across a Redis outage, on a PRIVATE redis-server (never the shared one):
started on a free loopback port, killed and restarted on the same port mid-test."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from core.bus import EventBus
from core.events import ComponentStatusChanged, DomainEvent
from store.redis_fanout import RedisBackoff, RedisFanout
from tests.support.net import free_port
from tests.support.polling import until

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")


@dataclass(frozen=True, slots=True, kw_only=True)
class OutageProbe(DomainEvent):
    n: int


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    async def start(self) -> None:
        self.proc = self._spawn()
        for _ in range(200):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.02)
                continue
            writer.close()
            return
        raise RuntimeError("private redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
async def private_redis() -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis()
    await server.start()
    yield server
    server.kill()


class Gate:
    """A `sleep` for the fan-out's reconnect loop that waits until the test opens the gate."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.waiting = 0

    async def sleep(self, _: float) -> None:
        self.waiting += 1
        await self.open.wait()


def _probe(n: int) -> OutageProbe:
    return OutageProbe(at=datetime.now(UTC), n=n)


async def _worker(url: str, origin: str, **kw: object) -> tuple[EventBus, RedisFanout, list[DomainEvent]]:
    bus = EventBus()
    seen: list[DomainEvent] = []

    async def collect(e: DomainEvent) -> None:
        seen.append(e)

    bus.subscribe("collect", collect, types=(OutageProbe, ComponentStatusChanged))
    await bus.start()
    fan = RedisFanout(bus, url, channel="outage-test", origin=origin, **kw)  # type: ignore[arg-type]
    await fan.start()
    return bus, fan, seen


def _numbers(seen: list[DomainEvent]) -> list[int]:
    return [e.n for e in seen if isinstance(e, OutageProbe)]


async def test_given_redis_restarts_when_events_are_published_during_the_outage_then_they_arrive_after_it(
    private_redis: PrivateRedis,
) -> None:
    gate = Gate()
    bus_a, fan_a, _ = await _worker(private_redis.url, "A", sleep=gate.sleep)
    bus_b, fan_b, seen_b = await _worker(
        private_redis.url, "B", backoff=RedisBackoff(initial=0.02, maximum=0.2)
    )
    try:
        await bus_a.publish(_probe(0))
        await until(lambda: _numbers(seen_b) == [0], timeout=15.0, what="the first event")

        private_redis.kill()
        await until(
            lambda: not fan_a.connected and gate.waiting > 0, timeout=15.0, what="A noticing the outage"
        )
        assert fan_a.health()[0] is False and "降级" in fan_a.health()[1]
        for n in (1, 2, 3):
            await bus_a.publish(_probe(n))
        await bus_a.drain()
        assert fan_a.health() == (False, "降级：Redis 连接中断，正在重连；待发送 3 条")

        await private_redis.start()
        await until(lambda: fan_b.connected and fan_b.reconnects == 1, timeout=15.0, what="B resubscribed")
        gate.open.set()  # now A may reconnect, and flush what it kept
        await until(lambda: fan_a.connected, timeout=15.0, what="A reconnected")
        await bus_a.publish(_probe(4))
        await until(
            lambda: _numbers(seen_b) == [0, 1, 2, 3, 4],
            timeout=15.0,
            what="buffered events, in order, then new ones",
        )
        assert fan_a.health() == (True, "") and fan_a.dropped == 0 and fan_a.reconnects == 1
        # B's own publishing works again too (its reader resubscribed, not only its publisher).
        await bus_b.publish(_probe(5))
        await bus_a.drain()
    finally:
        for fan, bus in ((fan_a, bus_a), (fan_b, bus_b)):
            await fan.stop()
            await bus.stop()


async def test_given_a_long_outage_when_the_outbox_overflows_then_the_oldest_are_dropped_and_reported(
    private_redis: PrivateRedis,
) -> None:
    gate = Gate()
    bus_a, fan_a, seen_a = await _worker(private_redis.url, "A", sleep=gate.sleep, outbox_size=3)
    bus_b, fan_b, seen_b = await _worker(private_redis.url, "B", backoff=RedisBackoff(initial=0.02))
    try:
        private_redis.kill()
        await until(
            lambda: not fan_a.connected and gate.waiting > 0, timeout=15.0, what="A noticing the outage"
        )
        for n in range(5):
            await bus_a.publish(_probe(n))
        await bus_a.drain()
        up, detail = fan_a.health()
        assert not up and "待发送 3 条" in detail and "已丢弃 2 条" in detail
        await private_redis.start()
        await until(lambda: fan_b.connected and fan_b.reconnects == 1, timeout=15.0, what="B resubscribed")
        gate.open.set()
        await until(lambda: _numbers(seen_b) == [2, 3, 4], timeout=15.0, what="the three kept events")
        # Each worker told its own consoles that Redis went down and came back.
        statuses = [e.up for e in seen_a if isinstance(e, ComponentStatusChanged) and e.component == "redis"]
        assert statuses == [False, True]
    finally:
        for fan, bus in ((fan_a, bus_a), (fan_b, bus_b)):
            await fan.stop()
            await bus.stop()


async def test_given_a_runtime_with_redis_when_redis_dies_then_the_status_page_says_degraded(
    private_redis: PrivateRedis, tmp_path: object
) -> None:
    from app.runtime import Runtime
    from app.settings import demo_settings

    settings = demo_settings(
        database={"url": f"sqlite:///{tmp_path}/r.db", "auto_migrate": True},
        redis={"url": private_redis.url},
        ami={"enabled": False},
        agi={"enabled": False},
        audiosocket={"enabled": False},
        sim={"enabled": False},
    )
    runtime = Runtime(settings)
    await runtime.start()
    try:

        def redis_status() -> dict[str, object]:
            return next(c for c in runtime.components.status() if c["name"] == "redis")

        assert redis_status()["up"] is True
        private_redis.kill()
        await until(
            lambda: redis_status()["up"] is False, timeout=15.0, what="the probe to report the outage"
        )
        assert "降级" in str(redis_status()["detail"])
        await private_redis.start()
        await until(lambda: redis_status()["up"] is True, timeout=30, what="the probe to report the recovery")
    finally:
        await runtime.stop()
