"""The callback service as one part of the runtime: built at start (it dials through the AMI link,
built just before), subscribed to the calls that ask for a callback, ticked on a timer (automatic
assignment, SLA warnings, redials)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field

from callbacks.service import CallbackService
from callbacks.subscriber import subscribe_callbacks
from core.bus import EventBus, Handler
from core.ticker import Ticker


@dataclass(eq=False)
class CallbacksPart:
    """`build`: the service (at start); `guard`: see `subscribe_callbacks`."""

    bus: EventBus
    _: KW_ONLY
    build: Callable[[], CallbackService]
    tick_s: float
    guard: Callable[[str, Handler], Handler] | None = None
    service: CallbackService | None = field(default=None, init=False)
    _ticker: Ticker | None = field(default=None, init=False)

    async def start(self) -> None:
        service = self.service = self.build()
        subscribe_callbacks(self.bus, service, guard=self.guard)
        self._ticker = Ticker("callbacks", self.tick_s, service.tick)
        await self._ticker.start()

    async def stop(self) -> None:
        if self._ticker is not None:
            await self._ticker.stop()
