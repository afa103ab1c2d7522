"""The AMI link and the reconciliation with Asterisk's records as parts of the runtime, each built
at start from its settings section.

* `AmiPart`: the bridge, the call tracker it feeds and the call control over it (`pbx.link.ami_link`),
  to the embedded
  simulator's port when one runs; the seats are commanded through it from before the bridge logs
  in (`SeatsPart.command_through`) until it goes (`SeatsPart.unlink`).
* `RecordsPart`: the reconciler over the records the `asterisk_records` section names (the
  simulator's files when one runs and nothing else is named), run by `Reconciliation`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field

from core.bus import EventBus
from core.clock import Clock
from core.ports import KnownCalls, LiveCalls, RecordCheckpoints, RecordLines
from pbx.ami_bridge import AmiBridge
from pbx.ami_control import AmiCallControl
from pbx.link import ami_link
from pbx.reconciliation import Reconciliation, build_reconciler
from pbx.settings import AmiSettings, AsteriskRecordsSettings
from pbx.sim.part import SimulatorPart
from pbx.tracker import CallTracker
from seats.part import SeatsPart

RecordStores = tuple[RecordLines | None, RecordCheckpoints, KnownCalls]
"""The queue log table (when Asterisk writes it to a database), the checkpoints, the calls known."""


@dataclass(eq=False)
class AmiPart:
    settings: AmiSettings
    _: KW_ONLY
    simulator: SimulatorPart
    seats: SeatsPart
    bus: EventBus
    clock: Clock
    # The live calls the bridge keeps from Asterisk's events; its defaults are core.dialplan's names
    # (plus those of the older recorded traces).
    tracker: CallTracker = field(default_factory=CallTracker, init=False)
    bridge: AmiBridge | None = field(default=None, init=False)
    control: AmiCallControl | None = field(default=None, init=False)

    async def start(self) -> None:
        sim = self.simulator.simulator
        port = sim.port if sim is not None else self.settings.port
        link = ami_link(self.settings, port=port, tracker=self.tracker, bus=self.bus, clock=self.clock)
        self.bridge, self.control = link
        self.seats.command_through(self.control)
        await self.bridge.start()

    async def stop(self) -> None:
        await self.seats.unlink()
        if self.bridge is not None:
            await self.bridge.stop()

    def probe(self) -> tuple[bool, str]:
        return self.bridge.health() if self.bridge is not None else (False, "未启动")

    def connected(self) -> bool:
        return self.bridge is not None and self.bridge.status.connected


@dataclass(eq=False)
class RecordsPart:
    """`stores(settings)`: where the reconciler reads and writes (the database, open at start)."""

    settings: AsteriskRecordsSettings
    _: KW_ONLY
    stores: Callable[[AsteriskRecordsSettings], RecordStores]
    simulator: SimulatorPart
    ami_connected: Callable[[], bool]
    live: LiveCalls
    bus: EventBus
    clock: Clock
    reconciliation: Reconciliation = field(default_factory=Reconciliation, init=False)

    async def start(self) -> None:
        """Reconcile at start, after every AMI (re)login and periodically (`Reconciliation`)."""
        cfg, sim = self.settings, self.simulator.simulator
        if sim is not None:
            cfg = cfg.or_simulated(sim.queue_log_path, sim.cdr_path)
        table, checkpoints, calls = self.stores(cfg)
        reconciler = build_reconciler(
            cfg,
            queue_log_table=table,
            checkpoints=checkpoints,
            calls=calls,
            live=lambda: tuple(self.live.calls),
            publish=self.bus.publish,
            clock=self.clock,
            seat_of=self.live.seat_at,
        )
        await self.reconciliation.start(
            reconciler, bus=self.bus, interval_s=cfg.interval_s, ami_connected=self.ami_connected
        )

    async def stop(self) -> None:
        await self.reconciliation.stop()

    def probe(self) -> tuple[bool, str]:
        return self.reconciliation.probe()
