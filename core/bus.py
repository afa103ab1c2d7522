"""The in-process event bus.

Each subscriber gets its own bounded `asyncio.Queue` and its own task, so a slow or failing
subscriber never holds the others back:

* `Overflow.WAIT` (the default, for consumers that must see every event: the store recorder,
  the callback policy): `publish` waits for room, which slows the producer instead of losing data.
* `Overflow.DROP` (for websocket clients): when the queue is full the subscription is closed and
  its `on_overflow` callback runs (the hub then closes the socket with 1013); the bus goes on.

A handler that raises is logged together with the event, and the subscriber carries on with the
next event. Events published with `local_only=True` (those that came in from another worker
through Redis) are not handed to forwarders, so they do not echo back, nor to `own_only`
subscribers (what records events: each event is recorded by the process that produced it).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from core.events import DomainEvent

log = logging.getLogger(__name__)

Handler = Callable[[DomainEvent], Awaitable[None]]


@runtime_checkable
class BatchingHandler(Protocol):
    """A handler that can also take several events at once (the recorder: one transaction for
    a batch). The bus hands it what is already queued, up to the subscription's `max_batch`;
    `many` must apply all of them or raise."""

    async def __call__(self, event: DomainEvent) -> None: ...

    async def many(self, events: Sequence[DomainEvent]) -> None: ...


class EventPublisher(Protocol):
    """Where a producer's events go: the part of `EventBus` the AMI bridge and the IVR use (tests
    hand in a list)."""

    async def publish(self, event: DomainEvent) -> None: ...


class Overflow(enum.StrEnum):
    WAIT = "wait"
    DROP = "drop"


@dataclass(eq=False)
class Subscription:
    name: str
    handler: Handler
    queue: asyncio.Queue[DomainEvent]
    types: tuple[type[DomainEvent], ...] | None
    overflow: Overflow
    forwarder: bool
    on_overflow: Callable[[], None] | None
    max_batch: int = 1
    own_only: bool = False
    task: asyncio.Task[None] | None = None
    closed: bool = False
    failures: int = 0
    delivered: int = 0
    dropped: int = field(default=0)

    def wants(self, event: DomainEvent, local_only: bool) -> bool:
        if self.closed or (local_only and (self.forwarder or self.own_only)):
            return False
        return self.types is None or isinstance(event, self.types)


class EventBus:
    """Fan-out of domain events to independent subscriber tasks."""

    def __init__(self, *, default_maxsize: int = 10_000) -> None:
        self._subs: list[Subscription] = []
        self._default_maxsize = default_maxsize
        self._running = False

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        return tuple(self._subs)

    def subscribe(
        self,
        name: str,
        handler: Handler,
        *,
        types: tuple[type[DomainEvent], ...] | None = None,
        maxsize: int | None = None,
        overflow: Overflow = Overflow.WAIT,
        forwarder: bool = False,
        on_overflow: Callable[[], None] | None = None,
        max_batch: int = 1,
        own_only: bool = False,
    ) -> Subscription:
        """`max_batch` > 1 with a `BatchingHandler`: what is queued when the subscriber is ready
        is handed over in one `many` call (up to `max_batch` events). `own_only`: not the events
        that came in from other processes (`local_only`)."""
        size = maxsize if maxsize is not None else self._default_maxsize
        if size <= 0:
            raise ValueError("subscriber queues are bounded: maxsize must be positive")
        if max_batch < 1:
            raise ValueError("max_batch must be positive")
        sub = Subscription(
            name=name,
            handler=handler,
            queue=asyncio.Queue(maxsize=size),
            types=types,
            overflow=overflow,
            forwarder=forwarder,
            on_overflow=on_overflow,
            max_batch=max_batch if isinstance(handler, BatchingHandler) else 1,
            own_only=own_only,
        )
        self._subs.append(sub)
        if self._running:
            self._start(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        sub.closed = True
        if sub in self._subs:
            self._subs.remove(sub)
        if sub.task is not None:
            sub.task.cancel()

    async def start(self) -> None:
        self._running = True
        for sub in self._subs:
            if sub.task is None:
                self._start(sub)

    async def stop(self, *, drain_timeout: float = 5.0) -> None:
        """Deliver what is queued (up to `drain_timeout`), then stop every subscriber task."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drain(), drain_timeout)
        self._running = False
        tasks = [s.task for s in self._subs if s.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sub in self._subs:
            sub.task = None

    async def drain(self) -> None:
        """Wait until every subscriber has handled everything published so far.

        A subscription closed meanwhile (unsubscribed, or dropped for overflow: its task is
        cancelled and its queue never empties) is not waited for: waiting on its queue alone
        would never end.
        """
        for sub in list(self._subs):
            task = sub.task
            if task is None or sub.closed or task.done():
                continue
            joined = asyncio.ensure_future(sub.queue.join())
            try:
                await asyncio.wait({joined, task}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                joined.cancel()

    async def publish(self, event: DomainEvent, *, local_only: bool = False) -> None:
        for sub in list(self._subs):
            if not sub.wants(event, local_only):
                continue
            if sub.overflow is Overflow.WAIT:
                await sub.queue.put(event)
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                sub.dropped += 1
                log.warning("subscriber %s is too slow; closing it", sub.name)
                self.unsubscribe(sub)
                if sub.on_overflow is not None:
                    sub.on_overflow()

    async def publish_all(self, events: list[DomainEvent]) -> None:
        for event in events:
            await self.publish(event)

    def _start(self, sub: Subscription) -> None:
        sub.task = asyncio.get_running_loop().create_task(self._run(sub), name=f"bus:{sub.name}")

    async def _run(self, sub: Subscription) -> None:
        while True:
            event = await sub.queue.get()
            batch = [event]
            while len(batch) < sub.max_batch and not sub.queue.empty():
                batch.append(sub.queue.get_nowait())
            try:
                if len(batch) == 1:
                    await sub.handler(event)
                else:
                    assert isinstance(sub.handler, BatchingHandler)
                    await sub.handler.many(batch)
                sub.delivered += len(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                sub.failures += 1
                log.exception(
                    "subscriber %s failed on %s %r (a batch of %d)",
                    sub.name,
                    event.event_type,
                    event,
                    len(batch),
                )
            finally:
                for _ in batch:
                    sub.queue.task_done()
