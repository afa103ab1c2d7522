"""The callback service as one part of the runtime: built at start (it dials through the AMI link,
built just before), subscribed to the calls that ask for a callback, ticked on a timer (automatic
assignment, SLA warnings, redials)."""

from __future__ import annotations

from collections.abc import Callable

from callbacks.service import CallbackService
from callbacks.subscriber import subscribe_callbacks
from core.bus import EventBus, Handler
from core.ticker import Ticker


class CallbacksPart:
    def __init__(
        self,
        bus: EventBus,
        *,
        build: Callable[[], CallbackService],
        tick_s: float,
        guard: Callable[[str, Handler], Handler] | None = None,
    ) -> None:
        """`build`: the service (at start); `guard`: see `subscribe_callbacks`."""
        self._bus = bus
        self._build = build
        self._tick_s = tick_s
        self._guard = guard
        self.service: CallbackService | None = None
        self._ticker: Ticker | None = None

    async def start(self) -> None:
        service = self.service = self._build()
        subscribe_callbacks(self._bus, service, guard=self._guard)
        self._ticker = Ticker("callbacks", self._tick_s, service.tick)
        await self._ticker.start()

    async def stop(self) -> None:
        if self._ticker is not None:
            await self._ticker.stop()
