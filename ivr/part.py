"""The routing and the IVR as parts of the runtime.

* `RoutingPart`: the holiday calendar and the queue rules (from the start: the console reads them),
  and the address resolver with the office lookup, built off the loop at start (a second or two of
  pinyin indexing); its status line is the service hours.
* `IvrPart`: the FastAGI server running the IVR menu and the survey (`build_ivr`), over the routing,
  the seat board and the speech capture of the parts started before it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import KW_ONLY, dataclass, field

from core.blocking import offload
from core.bus import EventBus
from core.clock import Clock
from core.ports import LiveCalls
from ivr.agi_server import AgiServer
from ivr.assembly import Routing, build_ivr, build_routing
from ivr.ports import SpeechCapture
from ivr.settings import AgiSettings, VoicemailSettings
from routing.calendar import load_holidays
from routing.hours_text import service_hours_text
from routing.offices import OfficeRegistry
from routing.queues import after_hours_all_day, around_the_clock, load_queue_rules
from seats.board import SeatBoard


class RoutingPart:
    def __init__(self, open_all_day_in: Collection[str] | None = None, *, after_hours: bool = False) -> None:
        """`open_all_day_in`: the demo's seat districts, in service at any hour (`around_the_clock`),
        or with `after_hours` at none (`after_hours_all_day`: the after-hours demo)."""
        self.calendar = load_holidays()
        self.rules = load_queue_rules(self.calendar)
        if open_all_day_in is not None:
            demo_hours = after_hours_all_day if after_hours else around_the_clock
            self.rules = demo_hours(self.rules, open_all_day_in)
        self.routing: Routing | None = None

    async def start(self) -> None:
        self.routing = await offload(build_routing, self.calendar, self.rules)

    async def stop(self) -> None:
        return None

    def probe(self) -> tuple[bool, str]:
        return True, f"服务时间：{service_hours_text(self.rules)}"

    def office_registry(self) -> OfficeRegistry:
        """The offices as routing knows them now (after the last edit)."""
        if self.routing is None:
            raise RuntimeError("routing not started")
        return self.routing.lookup.registry

    def use_registry(self, registry: OfficeRegistry) -> None:
        """The office registry was edited: routing (IVR and console lookups) uses it from now on.
        On the event loop (routing is the loop's): from a worker thread, `core.blocking.on_loop`."""
        if self.routing is not None:
            self.routing.lookup.use_registry(registry)


@dataclass(eq=False)
class IvrPart:
    """`capture(grammar)`: the spoken address's capture with the address grammar, if any."""

    settings: AgiSettings
    routing: RoutingPart
    _: KW_ONLY
    audiosocket_address: str
    tracker: LiveCalls
    board: Callable[[], SeatBoard | None]
    capture: Callable[[Sequence[str]], SpeechCapture | None]
    bus: EventBus
    clock: Clock
    voicemail: VoicemailSettings | None = None
    server: AgiServer | None = field(default=None, init=False)

    async def start(self) -> None:
        routing = self.routing.routing
        assert routing is not None, "the routing starts before the IVR"
        self.server = build_ivr(
            routing,
            audiosocket_address=self.audiosocket_address,
            tracker=self.tracker,
            board=self.board(),
            bus=self.bus,
            clock=self.clock,
            capture=self.capture(routing.grammar),
            voicemail=self.voicemail,
        )
        await self.server.start(self.settings.host, self.settings.port)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()

    @property
    def port(self) -> int | None:
        """Where Asterisk (or the simulator) reaches the IVR: None when it is not running."""
        return self.server.port if self.server is not None else None
