"""pbx/sim: a PBX simulator speaking real AMI (server side), FastAGI and AudioSocket (client side).

Public API: `SimulatorConfig`, `run_simulator(config) -> Simulator`, `Simulator.stop()`,
`run_scenario(name)` for the eight recorded scenarios, `CallerSpec`, `PhoneConfig`, `Dist`.
"""

from __future__ import annotations

from pbx.sim.config import AgiTarget, Dist, DistKind, PhoneConfig, QueueConfig, SimulatorConfig, Strategy
from pbx.sim.model import SIMULATED_VARSETS, CallerSpec
from pbx.sim.scenarios import SCENARIOS, run_scenario
from pbx.sim.simulator import Simulator, run_simulator

__all__ = [
    "SCENARIOS",
    "SIMULATED_VARSETS",
    "AgiTarget",
    "CallerSpec",
    "Dist",
    "DistKind",
    "PhoneConfig",
    "QueueConfig",
    "Simulator",
    "SimulatorConfig",
    "Strategy",
    "run_scenario",
    "run_simulator",
]
