"""The embedded PBX simulator as a part of the runtime: launched from its settings sections with a
phone for each demo seat, Asterisk's FastAGI pointed at the IVR when it runs, and the callers'
scripted addresses fed to the capture (`scripted`) that stands in for a recogniser."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from core.blocking import offload
from pbx.settings import AmiSettings
from pbx.sim.config import AgiTarget
from pbx.sim.demo import ScriptedAddressCapture, SimulatorSettings, start_demo_simulator
from pbx.sim.simulator import Simulator
from seats.models import Seat


class SimulatorPart:
    def __init__(
        self,
        sim: SimulatorSettings,
        ami: AmiSettings,
        *,
        agi_host: str,
        queues: Iterable[str],
        wrapuptime: float,
        seats: Callable[[], Iterable[Seat]] = lambda: (),
        agi_port: Callable[[], int | None] = lambda: None,
        recordings_dir: str | None = None,
    ) -> None:
        """At start, `seats()` (blocking: the database's) have a phone that answers and `agi_port()`
        is the IVR's."""
        self._sim = sim
        self._ami = ami
        self._agi_host = agi_host
        self._queues = tuple(queues)
        self._wrapuptime = wrapuptime
        # With no recogniser, the simulated callers' scripted addresses stand in for the ASR's text.
        self.scripted = ScriptedAddressCapture() if sim.enabled else None
        self._seats = seats
        self._agi_port = agi_port
        self._recordings_dir = recordings_dir
        self.simulator: Simulator | None = None

    async def start(self) -> None:
        seats = await offload(self._seats)
        self.simulator = await self.launch(seats, agi_port=self._agi_port(), ami_port=self._ami.port)

    async def launch(self, seats: Iterable[Seat], *, agi_port: int | None, ami_port: int) -> Simulator:
        """A simulator listening for AMI on `ami_port` (0: any free port) with a phone for each of
        `seats` (a PBX restart in a test launches a second one on the first one's port)."""
        return await start_demo_simulator(
            self._sim,
            self._ami,
            ami_port=ami_port,
            agi=AgiTarget(self._agi_host, agi_port, "ivr") if agi_port is not None else None,
            queues=self._queues,
            wrapuptime=self._wrapuptime,
            seats=seats,
            address_listener=self.scripted.said if self.scripted is not None else None,
            recordings_dir=self._recordings_dir,
        )

    async def stop(self) -> None:
        if self.simulator is not None:
            await self.simulator.stop()
