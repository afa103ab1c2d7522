"""`asr.remote.SpeechMailbox` on Redis: the keys and lists the telephony and speech processes
share (stream registrations, utterance outcomes, heartbeats), under one prefix per deployment.

Every failure to reach Redis is `BackendUnavailable`; the callers fall back (the IVR to keys, the
tap to no live transcript). Blocking pops use a connection without a read timeout of their own
(the pop's timeout bounds them), taken from the client's pool, so concurrent IVR calls do not
queue behind each other.
"""

from __future__ import annotations

import contextlib

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from core.errors import BackendUnavailable


def _text(raw: bytes | str) -> str:
    return raw if isinstance(raw, str) else raw.decode()


class RedisMailbox:
    def __init__(self, url: str, *, prefix: str) -> None:
        self._url = url
        self._prefix = prefix.rstrip(":") + ":"
        self._client: aioredis.Redis | None = None
        self._blocking: aioredis.Redis | None = None

    async def start(self) -> None:
        """The clients, not a connection: each call connects as needed, so the link comes back by
        itself after a Redis restart, and a Redis down at start-up is only a fallback (the status
        page shows the Redis component)."""
        self._client = aioredis.Redis.from_url(self._url, socket_connect_timeout=2.0, socket_timeout=5.0)
        self._blocking = aioredis.Redis.from_url(self._url, socket_connect_timeout=2.0)

    async def stop(self) -> None:
        for client in (self._client, self._blocking):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()
        self._client = self._blocking = None

    def _need(self, client: aioredis.Redis | None) -> aioredis.Redis:
        if client is None:
            raise BackendUnavailable("Redis 连接未建立")
        return client

    async def put(self, key: str, value: str, ttl_s: float) -> None:
        try:
            await self._need(self._client).set(self._prefix + key, value, px=int(ttl_s * 1000))
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("Redis 写入失败", key=key, reason=str(exc)) from exc

    async def get(self, key: str) -> str | None:
        try:
            raw = await self._need(self._client).get(self._prefix + key)
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("Redis 读取失败", key=key, reason=str(exc)) from exc
        return None if raw is None else _text(raw)

    async def push(self, key: str, value: str, ttl_s: float) -> None:
        try:
            pipe = self._need(self._client).pipeline(transaction=True)
            pipe.rpush(self._prefix + key, value)
            pipe.pexpire(self._prefix + key, int(ttl_s * 1000))
            await pipe.execute()
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("Redis 写入失败", key=key, reason=str(exc)) from exc

    async def pop(self, key: str, timeout_s: float) -> str | None:
        try:
            found = await self._need(self._blocking).blpop([self._prefix + key], timeout=timeout_s)
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("Redis 读取失败", key=key, reason=str(exc)) from exc
        return None if found is None else _text(found[1])

    async def values(self, prefix: str) -> list[str]:
        client = self._need(self._client)
        try:
            keys = [k async for k in client.scan_iter(match=self._prefix + prefix + "*", count=100)]
            found = await client.mget(keys) if keys else []
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("Redis 读取失败", prefix=prefix, reason=str(exc)) from exc
        return [_text(v) for v in found if v is not None]

    async def claim(self, key: str, ttl_s: float) -> bool:
        try:
            done = await self._need(self._client).set(self._prefix + key, "1", px=int(ttl_s * 1000), nx=True)
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("Redis 写入失败", key=key, reason=str(exc)) from exc
        return bool(done)
