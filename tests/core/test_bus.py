from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from core.bus import EventBus, Overflow
from core.events import DomainEvent

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pinged(DomainEvent):
    n: int
    seat_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Ponged(DomainEvent):
    n: int


async def test_given_two_subscribers_when_events_are_published_then_each_gets_all_in_order() -> None:
    bus = EventBus()
    got_a: list[int] = []
    got_b: list[int] = []

    async def a(e: DomainEvent) -> None:
        assert isinstance(e, Pinged)
        got_a.append(e.n)

    async def b(e: DomainEvent) -> None:
        assert isinstance(e, Pinged)
        await asyncio.sleep(0)  # a slower consumer still sees the same order
        got_b.append(e.n)

    bus.subscribe("a", a)
    bus.subscribe("b", b)
    await bus.start()
    for n in range(100):
        await bus.publish(Pinged(at=T0, n=n))
    await bus.drain()
    await bus.stop()
    assert got_a == list(range(100)) and got_b == list(range(100))


async def test_given_a_failing_subscriber_when_publishing_then_the_others_go_on_and_the_error_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    good: list[int] = []

    async def bad(e: DomainEvent) -> None:
        raise ValueError("boom")

    async def ok(e: DomainEvent) -> None:
        assert isinstance(e, Pinged)
        good.append(e.n)

    bad_sub = bus.subscribe("bad", bad)
    bus.subscribe("ok", ok)
    await bus.start()
    with caplog.at_level(logging.ERROR):
        for n in range(3):
            await bus.publish(Pinged(at=T0, n=n))
        await bus.drain()
    await bus.stop()
    assert good == [0, 1, 2]
    assert bad_sub.failures == 3
    assert any("bad" in r.getMessage() and "Pinged" in r.getMessage() for r in caplog.records)


async def test_given_type_filter_when_publishing_mixed_events_then_only_wanted_types_arrive() -> None:
    bus = EventBus()
    got: list[str] = []

    async def h(e: DomainEvent) -> None:
        got.append(e.event_type)

    bus.subscribe("only-pong", h, types=(Ponged,))
    await bus.start()
    await bus.publish(Pinged(at=T0, n=1))
    await bus.publish(Ponged(at=T0, n=2))
    await bus.drain()
    await bus.stop()
    assert got == ["Ponged"]


async def test_given_a_stalled_drop_subscriber_when_its_queue_fills_then_it_is_closed_and_others_continue() -> (
    None
):
    bus = EventBus()
    release = asyncio.Event()
    overflowed: list[bool] = []
    fast: list[int] = []

    async def stalled(e: DomainEvent) -> None:
        await release.wait()

    async def quick(e: DomainEvent) -> None:
        assert isinstance(e, Pinged)
        fast.append(e.n)

    slow = bus.subscribe(
        "ws", stalled, maxsize=5, overflow=Overflow.DROP, on_overflow=lambda: overflowed.append(True)
    )
    bus.subscribe("quick", quick)
    await bus.start()
    for n in range(50):
        await bus.publish(Pinged(at=T0, n=n))
    await bus.drain()
    assert overflowed == [True]
    assert slow.closed and slow not in bus.subscriptions
    assert fast == list(range(50))
    release.set()
    await bus.stop()


async def test_given_a_bounded_wait_subscriber_when_it_is_slow_then_publish_waits_and_nothing_is_lost() -> (
    None
):
    bus = EventBus()
    got: list[int] = []
    gate = asyncio.Event()

    async def slow(e: DomainEvent) -> None:
        await gate.wait()
        assert isinstance(e, Pinged)
        got.append(e.n)

    sub = bus.subscribe("recorder", slow, maxsize=2)
    await bus.start()
    publisher = asyncio.create_task(bus.publish_all([Pinged(at=T0, n=n) for n in range(10)]))
    await asyncio.sleep(0.01)
    assert not publisher.done()  # back-pressure: the producer waits for room
    assert sub.queue.qsize() <= 2
    gate.set()
    await publisher
    await bus.drain()
    await bus.stop()
    assert got == list(range(10))


async def test_given_local_only_events_when_published_then_forwarders_do_not_see_them() -> None:
    bus = EventBus()
    forwarded: list[int] = []
    local: list[int] = []

    async def fwd(e: DomainEvent) -> None:
        assert isinstance(e, Pinged)
        forwarded.append(e.n)

    async def loc(e: DomainEvent) -> None:
        assert isinstance(e, Pinged)
        local.append(e.n)

    bus.subscribe("redis", fwd, forwarder=True)
    bus.subscribe("console", loc)
    await bus.start()
    await bus.publish(Pinged(at=T0, n=1))
    await bus.publish(Pinged(at=T0, n=2), local_only=True)
    await bus.drain()
    await bus.stop()
    assert forwarded == [1] and local == [1, 2]


def test_given_zero_maxsize_when_subscribing_then_refused() -> None:
    async def h(e: DomainEvent) -> None:
        return None

    with pytest.raises(ValueError):
        EventBus().subscribe("x", h, maxsize=0)


async def test_given_drain_waiting_on_a_subscriber_when_it_is_dropped_then_drain_returns() -> None:
    # A subscription closed while drain waits on it never empties its queue (its task is cancelled):
    # drain must not wait for it forever (it once hung a whole-system test on a PBX restart).
    bus = EventBus()
    stuck = asyncio.Event()
    handled: list[int] = []

    async def stalled(e: DomainEvent) -> None:
        await stuck.wait()

    async def quick(e: DomainEvent) -> None:
        assert isinstance(e, Pinged)
        handled.append(e.n)

    bus.subscribe("quick", quick)
    slow = bus.subscribe("ws", stalled, maxsize=50, overflow=Overflow.DROP)
    await bus.start()
    for n in range(3):
        await bus.publish(Pinged(at=T0, n=n))
    draining = asyncio.create_task(bus.drain())
    await asyncio.sleep(0.05)
    assert not draining.done()
    bus.unsubscribe(slow)
    await asyncio.wait_for(draining, 2.0)
    assert handled == [0, 1, 2]
    await bus.stop()


class Batching:
    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    async def __call__(self, e: DomainEvent) -> None:
        assert isinstance(e, Pinged)
        self.calls.append([e.n])

    async def many(self, events: Sequence[DomainEvent]) -> None:
        self.calls.append([e.n for e in events if isinstance(e, Pinged)])


async def test_given_a_batching_handler_when_events_are_queued_then_it_gets_them_together_up_to_the_limit() -> (
    None
):
    bus = EventBus()
    batching, plain = Batching(), []

    async def one(e: DomainEvent) -> None:
        assert isinstance(e, Pinged)
        plain.append(e.n)

    sub = bus.subscribe("batch", batching, max_batch=4)
    bus.subscribe("plain", one, max_batch=4)  # a plain handler is still called one event at a time
    for n in range(10):
        await bus.publish(Pinged(at=T0, n=n))
    await bus.start()
    await bus.drain()
    assert batching.calls == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert plain == list(range(10)) and sub.delivered == 10
    await bus.publish(Pinged(at=T0, n=10))  # alone in the queue: the single-event call
    await bus.drain()
    assert batching.calls[-1] == [10]
    await bus.stop()
