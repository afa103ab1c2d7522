"""The AMI link and the reconciliation with Asterisk's records as parts of the runtime, each built
at start from its settings section.

* `AmiPart`: the bridge and the call control over it (`pbx.link.ami_link`), to the embedded
  simulator's port when one runs; `linked(control)` hands the control to what commands the PBX
  (the seats) before the bridge logs in, `unlinking()` stops that before the bridge goes.
* `RecordsPart`: the reconciler over the records the `asterisk_records` section names (the
  simulator's files when one runs and nothing else is named), run by `Reconciliation`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

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

RecordStores = tuple[RecordLines | None, RecordCheckpoints, KnownCalls]
"""The queue log table (when Asterisk writes it to a database), the checkpoints, the calls known."""


class AmiPart:
    def __init__(
        self,
        settings: AmiSettings,
        *,
        simulator: SimulatorPart,
        linked: Callable[[AmiCallControl], object],
        unlinking: Callable[[], Awaitable[None]],
        tracker: CallTracker,
        bus: EventBus,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._simulator = simulator
        self._linked = linked
        self._unlinking = unlinking
        self._tracker = tracker
        self._bus = bus
        self._clock = clock
        self.bridge: AmiBridge | None = None
        self.control: AmiCallControl | None = None

    async def start(self) -> None:
        sim = self._simulator.simulator
        port = sim.port if sim is not None else self._settings.port
        link = ami_link(self._settings, port=port, tracker=self._tracker, bus=self._bus, clock=self._clock)
        self.bridge, self.control = link
        self._linked(self.control)
        await self.bridge.start()

    async def stop(self) -> None:
        await self._unlinking()
        if self.bridge is not None:
            await self.bridge.stop()

    def probe(self) -> tuple[bool, str]:
        return self.bridge.health() if self.bridge is not None else (False, "未启动")

    def connected(self) -> bool:
        return self.bridge is not None and self.bridge.status.connected


class RecordsPart:
    def __init__(
        self,
        settings: AsteriskRecordsSettings,
        *,
        stores: Callable[[AsteriskRecordsSettings], RecordStores],
        simulator: SimulatorPart,
        ami_connected: Callable[[], bool],
        live: LiveCalls,
        bus: EventBus,
        clock: Clock,
    ) -> None:
        """`stores(settings)`: where the reconciler reads and writes (the database, open at start)."""
        self._settings = settings
        self._stores = stores
        self._simulator = simulator
        self._ami_connected = ami_connected
        self._live = live
        self._bus = bus
        self._clock = clock
        self.reconciliation = Reconciliation()

    async def start(self) -> None:
        """Reconcile at start, after every AMI (re)login and periodically (`Reconciliation`)."""
        cfg, sim = self._settings, self._simulator.simulator
        if sim is not None:
            cfg = cfg.or_simulated(sim.queue_log_path, sim.cdr_path)
        table, checkpoints, calls = self._stores(cfg)
        reconciler = build_reconciler(
            cfg,
            queue_log_table=table,
            checkpoints=checkpoints,
            calls=calls,
            live=lambda: tuple(self._live.calls),
            publish=self._bus.publish,
            clock=self._clock,
        )
        await self.reconciliation.start(
            reconciler, bus=self._bus, interval_s=cfg.interval_s, ami_connected=self._ami_connected
        )

    async def stop(self) -> None:
        await self.reconciliation.stop()

    def probe(self) -> tuple[bool, str]:
        return self.reconciliation.probe()
