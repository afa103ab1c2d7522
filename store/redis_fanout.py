"""Redis pub/sub fan-out: every web worker sees every domain event.

Each worker publishes the events of its own bus to one Redis channel as JSON
(`{"origin": <worker id>, "event": to_wire(event)}`) and re-publishes on its bus, with
`local_only=True`, the events that other workers sent. A worker ignores its own messages, and
`local_only` events are never forwarded again, so nothing echoes around. Redis pub/sub keeps no
history: durable facts live in the database; this path is for live views.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from core.bus import EventBus, Subscription
from core.errors import BackendUnavailable
from core.events import DomainEvent, UnknownEventType, from_wire, to_wire
from core.ids import new_id

log = logging.getLogger(__name__)


class RedisFanout:
    def __init__(
        self, bus: EventBus, url: str, *, channel: str = "hotline:events", origin: str | None = None
    ) -> None:
        self._bus = bus
        self._url = url
        self._channel = channel
        self.origin = origin or new_id("w_")
        self._client: aioredis.Redis | None = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._sub: Subscription | None = None
        self.sent = 0
        self.received = 0

    async def start(self) -> None:
        self._client = aioredis.Redis.from_url(self._url)
        try:
            await self._client.ping()
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("无法连接 Redis", url=self._url, reason=str(exc)) from exc
        self._pubsub = self._client.pubsub()
        await self._pubsub.subscribe(self._channel)
        self._reader = asyncio.create_task(self._read(), name="redis-fanout-reader")
        self._sub = self._bus.subscribe("redis-fanout", self._forward, forwarder=True)

    async def stop(self) -> None:
        if self._sub is not None:
            self._bus.unsubscribe(self._sub)
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            await self._pubsub.aclose()
        if self._client is not None:
            await self._client.aclose()

    def health(self) -> tuple[bool, str]:
        """(up, detail) for the status page: the subscription reader must be running."""
        if self._reader is None:
            return False, "未启动"
        if self._reader.done():
            exc = None if self._reader.cancelled() else self._reader.exception()
            return False, f"Redis 订阅已中断：{exc!r}" if exc else "Redis 订阅已停止"
        return True, ""

    async def _forward(self, event: DomainEvent) -> None:
        assert self._client is not None
        payload = json.dumps({"origin": self.origin, "event": to_wire(event)}, ensure_ascii=False)
        await self._client.publish(self._channel, payload)
        self.sent += 1

    async def _read(self) -> None:
        assert self._pubsub is not None
        while True:
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
