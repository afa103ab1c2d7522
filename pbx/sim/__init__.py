"""pbx/sim: a PBX simulator speaking real AMI (server side), FastAGI and AudioSocket (client side).

Public API: `SimulatorConfig`, `run_simulator(config) -> Simulator`, `Simulator.stop()`,
`run_scenario(name)` for the eight recorded scenarios, `CallerSpec`, `PhoneConfig`, `Dist`.
Callers speak over AudioSocket (live-transcript tap, the IVR's EXEC AudioSocket): `Voice`,
`VoiceLibrary`, `DEFAULT_AUDIO_DIR` (the packaged WAV files, pbx/sim/audio).
"""

from __future__ import annotations

from pbx.sim.config import (
    DEFAULT_AUDIO_DIR,
    AgiTarget,
    Dist,
    DistKind,
    PhoneConfig,
    QueueConfig,
    SimulatorConfig,
    Strategy,
)
from pbx.sim.model import SIMULATED_VARSETS, CallerSpec
from pbx.sim.scenarios import SCENARIOS, run_scenario
from pbx.sim.simulator import Simulator, run_simulator
from pbx.sim.voice import Voice, VoiceLibrary

__all__ = [
    "DEFAULT_AUDIO_DIR",
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
    "Voice",
    "VoiceLibrary",
    "run_scenario",
    "run_simulator",
]
