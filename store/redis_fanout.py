"""Redis pub/sub fan-out: every web worker sees every domain event.

Each worker publishes the events of its own bus to one Redis channel as JSON
(`{"origin": <worker id>, "event": to_wire(event)}`) and re-publishes on its bus, with
`local_only=True`, the events that other workers sent. A worker ignores its own messages, and
`local_only` events are never forwarded again, so nothing echoes around. Redis pub/sub keeps no
history: durable facts live in the database; this path is for live views.

Outages. `start()` fails clearly (`BackendUnavailable`) if Redis cannot be reached at all; once
running, the fan-out survives Redis going away:

* the reader notices the dead subscription, and reconnects and resubscribes with capped
  exponential backoff and jitter (`RedisBackoff`), forever, until `stop()`;
* events published meanwhile wait in a bounded outbox (`outbox_size`, oldest dropped first when
  full, counted in `dropped` and logged) and are sent, in order, as soon as the link is back;
* messages other workers sent during the outage are lost (pub/sub has no history): consoles get
  `ComponentStatusChanged(component="redis")` down and up, and reload from the database;
* `health()` (the status page's probe) says degraded while disconnected, with the backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from core.bus import EventBus, Subscription
from core.clock import Clock, SystemClock
from core.errors import BackendUnavailable
from core.events import ComponentStatusChanged, DomainEvent, UnknownEventType, from_wire, to_wire
from core.ids import new_id

log = logging.getLogger(__name__)

COMPONENT = "redis"
FLUSH_BATCH = 500  # messages in one pipelined round trip


@dataclass(frozen=True, slots=True)
class RedisBackoff:
    """Delay before reconnect attempt n+1 after n failures: `min(maximum, initial * 2**n)`, less a
    random fraction of up to `jitter`, so many workers do not hammer a restarting Redis in step."""

    initial: float = 0.2
    maximum: float = 15.0
    jitter: float = 0.3

    def delay(self, failures: int, rng: random.Random) -> float:
        base = min(self.maximum, self.initial * 2.0 ** min(failures, 32))
        return base * (1.0 - self.jitter * rng.random())


class RedisFanout:
    def __init__(
        self,
        bus: EventBus,
        url: str,
        *,
        channel: str = "hotline:events",
        origin: str | None = None,
        outbox_size: int = 10_000,
        backoff: RedisBackoff | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._bus = bus
        self._url = url
        self._channel = channel
        self.origin = origin or new_id("w_")
        self._backoff = backoff or RedisBackoff()
        self._clock: Clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._client: aioredis.Redis | None = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._sub: Subscription | None = None
        self._outbox: deque[str] = deque(maxlen=outbox_size)
        self._send_lock = asyncio.Lock()
        self._flusher: asyncio.Task[None] | None = None
        self.connected = False
        self.sent = 0
        self.received = 0
        self.dropped = 0  # events lost because the outbox was full during an outage
        self.reconnects = 0
        self.last_error = ""
        self._stopped = False

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self._connect()
        except (RedisError, OSError) as exc:
            await self._close_connections()
            raise BackendUnavailable("无法连接 Redis", url=self._url, reason=str(exc)) from exc
        self.connected = True
        self._reader = asyncio.create_task(self._read_forever(), name="redis-fanout-reader")
        self._sub = self._bus.subscribe("redis-fanout", self._forward, forwarder=True)

    async def stop(self) -> None:
        self._stopped = True
        if self._sub is not None:
            self._bus.unsubscribe(self._sub)
            self._sub = None
        if self._flusher is not None and not self._flusher.done():
            # What the bus handed over before the stop is sent, if Redis takes it in time.
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._flusher), 2.0)
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        await self._close_connections()
        self.connected = False

    def health(self) -> tuple[bool, str]:
        """(up, detail) for the status page: the reader must be running, and Redis reachable."""
        if self._reader is None:
            return False, "Redis 订阅已停止" if self._stopped else "未启动"
        if self._reader.done():
            exc = None if self._reader.cancelled() else self._reader.exception()
            return False, f"Redis 订阅已中断：{exc!r}" if exc else "Redis 订阅已停止"
        if self.connected:
            return True, f"已丢弃 {self.dropped} 条（断线期间缓存已满）" if self.dropped else ""
        detail = f"降级：Redis 连接中断，正在重连；待发送 {len(self._outbox)} 条"
        if self.dropped:
            detail += f"，已丢弃 {self.dropped} 条"
        return False, detail

    # --- connections -----------------------------------------------------------------------

    async def _connect(self) -> None:
        client = aioredis.Redis.from_url(self._url, socket_connect_timeout=2.0, socket_timeout=5.0)
        self._client = client
        await client.ping()
        # A subscribed connection blocks on reads for as long as nothing is published: no read
        # timeout there; a dead server shows as a ConnectionError on the next read.
        self._pubsub = aioredis.Redis.from_url(self._url, socket_connect_timeout=2.0).pubsub()
        await self._pubsub.subscribe(self._channel)

    async def _close_connections(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        client, self._client = self._client, None
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            with contextlib.suppress(Exception):
                await pubsub.connection_pool.disconnect()
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()

    async def _announce(self, up: bool, detail: str) -> None:
        await self._bus.publish(
            ComponentStatusChanged(at=self._clock.now(), component=COMPONENT, up=up, detail=detail),
            local_only=True,
        )

    # --- publishing ------------------------------------------------------------------------

    async def _forward(self, event: DomainEvent) -> None:
        payload = json.dumps({"origin": self.origin, "event": to_wire(event)}, ensure_ascii=False)
        if len(self._outbox) == self._outbox.maxlen:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("Redis fan-out outbox full: %d events dropped so far", self.dropped)
        self._outbox.append(payload)
        # Sent by one flusher at a time, off the bus's turn: what comes in while a batch is on
        # the wire goes in the next one, so a burst costs a few round trips, not one per event
        # (at 400 concurrent calls the telephony process publishes over 3,000 events a second).
        if self.connected and (self._flusher is None or self._flusher.done()):
            self._flusher = asyncio.create_task(self._flush(), name="redis-fanout-flush")

    async def _flush(self) -> None:
        """Send the outbox in order, in pipelined batches; on failure keep what is left and let
        the reader reconnect."""
        async with self._send_lock:
            while self._outbox and self.connected and self._client is not None:
                batch = list(itertools.islice(self._outbox, FLUSH_BATCH))
                try:
                    pipe = self._client.pipeline(transaction=False)
                    for payload in batch:
                        pipe.publish(self._channel, payload)
                    await pipe.execute()
                except (RedisError, OSError) as exc:
                    self._lost(f"publish failed: {exc!r}")
                    return
                for payload in batch:
                    # Only what was sent leaves; a full outbox may have dropped some meanwhile.
                    if self._outbox and self._outbox[0] is payload:
                        self._outbox.popleft()
                self.sent += len(batch)

    def _lost(self, why: str) -> None:
        if self.connected:
            log.warning("Redis fan-out lost its connection (%s); buffering and reconnecting", why)
        self.connected = False
        self.last_error = why

    # --- reading ---------------------------------------------------------------------------

    async def _read_forever(self) -> None:
        # `_stopped` ends every loop here even if a cancellation is swallowed on the way (the Redis
        # client may turn one into a connection error): `stop` must never wait forever.
        while not self._stopped:
            try:
                await self._read()
            except (RedisError, OSError) as exc:
                self._lost(f"subscription failed: {exc!r}")
            await self._announce(False, self.last_error)
            await self._reconnect()
            if self._stopped:
                return
            await self._announce(True, "")
            await self._flush()

    async def _reconnect(self) -> None:
        failures = 0
        while not self._stopped:
            await self._close_connections()
            delay = self._backoff.delay(failures, self._rng)
            await self._sleep(delay)
            try:
                await self._connect()
            except (RedisError, OSError) as exc:
                failures += 1
                self.last_error = f"reconnect failed: {exc!r}"
                log.info("Redis fan-out: reconnect attempt %d failed: %r", failures, exc)
                continue
            self.connected = True
            self.reconnects += 1
            log.warning("Redis fan-out reconnected and resubscribed after %d failed attempts", failures)
            return

    async def _read(self) -> None:
        assert self._pubsub is not None
        while not self._stopped:
            if not self.connected:
                # A publish failed: the subscription is on the same server; start over.
                raise ConnectionError(self.last_error or "publish failed")
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None:
                continue
            try:
                body = json.loads(message["data"])
                if body.get("origin") == self.origin:
                    continue
                event = from_wire(body["event"])
            except (ValueError, KeyError, TypeError, UnknownEventType) as exc:
                log.warning("ignoring a malformed fan-out message: %s", exc)
                continue
            self.received += 1
            await self._bus.publish(event, local_only=True)
