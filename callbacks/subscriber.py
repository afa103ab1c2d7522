"""Wiring of `CallbackService` to the bus and to the app's timer.

`subscribe_callbacks` registers one bus subscriber (its own task and bounded queue, overflow
WAIT: a missed call is never dropped) for the events that concern work orders. `run_ticks` is
the loop the app starts in its lifespan; time comes from the service's clock, the pause between
ticks from the injected `sleep`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from callbacks.service import CallbackService
from core.bus import EventBus, Handler, Overflow, Subscription
from core.call_events import CallAbandoned, CallbackLegOutcome, CallTimedOut
from core.events import DomainEvent

log = logging.getLogger(__name__)

EVENT_TYPES: tuple[type[DomainEvent], ...] = (CallAbandoned, CallTimedOut, CallbackLegOutcome)


def subscribe_callbacks(
    bus: EventBus,
    service: CallbackService,
    *,
    name: str = "callbacks",
    guard: Callable[[str, Handler], Handler] | None = None,
) -> Subscription:
    """`guard` wraps the handler (the app passes the durable journal that keeps what the database
    could not take)."""
    handler = service.handle if guard is None else guard(name, service.handle)
    return bus.subscribe(name, handler, types=EVENT_TYPES, overflow=Overflow.WAIT)


async def run_ticks(
    service: CallbackService,
    *,
    interval_seconds: float,
    sleep: Callable[[float], Awaitable[None]],
) -> None:
    """Tick forever; a failing tick is logged and the next one runs (each tick is idempotent)."""
    while True:
        try:
            await service.tick()
        except Exception:
            log.exception("callback tick failed")
        await sleep(interval_seconds)
