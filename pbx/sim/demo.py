"""The demo's traffic: the embedded simulator's settings and its start with the demo seats' phones."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from pbx.settings import AmiSettings
from pbx.sim.config import AgiTarget, Dist, DistKind, PhoneConfig, QueueConfig, SimulatorConfig
from pbx.sim.simulator import Simulator, run_simulator
from seats.models import Seat

# What simulated callers key in the IVR (digits, weight): mostly 法律咨询 sub-menus, some legal
# aid, notary / forensic / mediation, a few straight to a human and a few who press nothing.
DEMO_DTMF = (
    ("12", 24.0),
    ("11", 14.0),
    ("13", 10.0),
    ("14", 8.0),
    ("15", 5.0),
    ("16", 5.0),
    ("2", 10.0),
    ("31", 6.0),
    ("32", 2.0),
    ("33", 4.0),
    ("0", 8.0),
    ("", 4.0),
)


class SimulatorSettings(BaseModel):
    """The embedded PBX simulator: listens for AMI on `ami.host:ami.port`."""

    enabled: bool = False
    calls_per_hour: float = 240.0
    mean_talk_s: float = 60.0
    mean_patience_s: float = 90.0
    seed: int = 12348
    time_scale: float = 1.0
    auto_login_seats: bool = True
    # Where the simulator renders its Asterisk config and writes queue_log and cdr-csv/Master.csv
    # (None: a fresh temporary directory, logged at start).
    run_dir: Path | None = None


async def start_demo_simulator(
    sim: SimulatorSettings,
    ami: AmiSettings,
    *,
    ami_port: int,
    agi: AgiTarget | None,
    queues: Iterable[str],
    wrapuptime: float,
    seats: Iterable[Seat],
) -> Simulator:
    """The simulator, listening for AMI on `ami.host:ami_port`, with one answering phone per seat
    and the demo's call mix."""
    phones = tuple(
        PhoneConfig(
            endpoint=seat.interface.split("/", 1)[-1],
            answer_probability=0.93,
            answer_delay=Dist(DistKind.UNIFORM, 3.0, 1.5),
            # The seat ends the conversation about half the time (the caller's own talk time is
            # drawn alike): those callers then hear the satisfaction survey.
            hangup_after=Dist(DistKind.LOGNORMAL, sim.mean_talk_s, 0.5),
        )
        for seat in seats
    )
    config = SimulatorConfig(
        ami_host=ami.host,
        ami_port=ami_port,
        ami_username=ami.username,
        ami_secret=ami.secret.get_secret_value(),
        queues=tuple(QueueConfig(name=q, timeout=15.0, wrapuptime=wrapuptime) for q in queues),
        default_queue="q-city-other",
        agi=agi,
        seats=phones,
        calls_per_hour=sim.calls_per_hour,
        patience=Dist(DistKind.EXPONENTIAL, sim.mean_patience_s),
        talk_time=Dist(DistKind.LOGNORMAL, sim.mean_talk_s, 0.5),
        seed=sim.seed,
        time_scale=sim.time_scale,
        dtmf_mix=DEMO_DTMF,
        run_dir=sim.run_dir,
    )
    return await run_simulator(config)
