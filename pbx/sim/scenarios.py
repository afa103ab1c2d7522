"""The eight recorded scenarios (shared/asterisk-traces/0*.ami) as deterministic scripted runs.

`sim = await run_scenario("03_abandoned_in_queue", agi=...)` starts a simulator in the state the
recording started from (members logged in, device states as the previous recording left them;
set silently, before any client is connected), then runs the script in the background: the calls
and phone behaviour that Asterisk saw from the SIP side. The AMI actions of the trace (`#>>>`
lines) are NOT in the script: the client sends them, and where the trace shows an action in the
middle of a call, the script waits for it (`Simulator.wait_for_action`) before going on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pbx.sim.config import AgiTarget, Dist, PhoneConfig, QueueConfig, SimulatorConfig
from pbx.sim.dialplan import Dialplan
from pbx.sim.model import CallerSpec
from pbx.sim.simulator import Simulator

Script = Callable[[Simulator], Awaitable[None]]

SEAT = PhoneConfig("1001", answer_delay=Dist.fixed(1.0))
TRACE_CONF = Path(__file__).resolve().with_name("trace_conf")
"""extensions.conf and queues.conf of the recorded traces (see its README)."""
TRACE_DIALPLAN = Dialplan.load(TRACE_CONF / "extensions.conf")
HOTLINE = "12348"
INCOMING = next(c.name for c in TRACE_DIALPLAN.contexts.values() if HOTLINE in c.extensions)
"""The traces' context for callers: the one with the hotline number (read from the file)."""
CALLER = PhoneConfig("caller1", answer_delay=Dist.fixed(0.1), context=INCOMING)


@dataclass(frozen=True)
class Scenario:
    name: str
    phones: tuple[PhoneConfig, ...]
    member: bool = True
    devices: dict[str, str] = field(default_factory=dict)
    script: Script | None = None
    first_channel: int = 0  # channels the recording's Asterisk had created before


async def _nothing(sim: Simulator) -> None:
    return None


async def _answered(sim: Simulator) -> None:
    # Trace 02: the client takes CoreShowChannels + QueueStatus mid-call, then the seat hangs up.
    sim.place_call(CallerSpec())
    await sim.wait_for_action("QueueStatus")
    await sim.clock.sleep(2.0)
    sim.pbx.hangup_endpoint("1001")


async def _abandoned(sim: Simulator) -> None:
    # Trace 03: the client pauses the only seat, then a caller waits ~6 s and hangs up.
    await sim.wait_for_action("QueuePause")
    sim.place_call(CallerSpec(patience=6.0))


async def _one_call(sim: Simulator) -> None:
    sim.place_call(CallerSpec())


async def _audiosocket(sim: Simulator) -> None:
    sim.place_call(CallerSpec(exten="12349", talk_time=5.0))


_IDLE = {
    "PJSIP/1001": "NOT_INUSE",
    "PJSIP/caller1": "NOT_INUSE",
    "Queue:q-general": "NOT_INUSE",
    "Queue:q-general_avail": "NOT_INUSE",
    "Queue:q-general_pause_PJSIP/1001": "NOT_INUSE",
}

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("01_seat_login_pause_status", (SEAT,), member=False, script=_nothing),
        Scenario("02_answered_via_ivr_queue", (SEAT, CALLER), devices=_IDLE, script=_answered),
        Scenario(
            "03_abandoned_in_queue",
            (SEAT, CALLER),
            # Trace 02 left the avail hint INUSE (wrap-up); it is not republished until unpause.
            devices={**_IDLE, "Queue:q-general_avail": "INUSE"},
            script=_abandoned,
            first_channel=2,
        ),
        Scenario(
            "04_ring_no_answer_timeout",
            (replace(SEAT, answer_probability=0.0), CALLER),
            devices=_IDLE,
            script=_one_call,
            first_channel=3,
        ),
        Scenario(
            "05_callback_originate",
            (SEAT, replace(CALLER, hangup_after=Dist.fixed(5.0))),
            devices=_IDLE,
            script=_nothing,
            first_channel=8,
        ),
        Scenario(
            "06_transfer_redirect_12345", (SEAT, CALLER), devices=_IDLE, script=_one_call, first_channel=5
        ),
        Scenario(
            "07_audiosocket_stream", (SEAT, CALLER), devices=_IDLE, script=_audiosocket, first_channel=7
        ),
        Scenario("08_callback_caller_unreachable", (SEAT,), devices=_IDLE, script=_nothing, first_channel=10),
    )
}


def scenario_config(
    name: str, *, agi: AgiTarget | None = None, time_scale: float = 20.0, ami_port: int = 0
) -> SimulatorConfig:
    sc = SCENARIOS[name]
    return SimulatorConfig(
        ami_port=ami_port,
        queues=(QueueConfig(),),
        agi=agi,
        seats=sc.phones,
        time_scale=time_scale,
        start_epoch=1795299092.0,
        seed=12348,
        patience=Dist.never(),
        survey_script=None,  # the traces' dialplan: no survey after Queue()
        asterisk_conf=TRACE_CONF,
        incoming_context=INCOMING,
        default_queue="q-general",
    )


async def run_scenario(
    name: str,
    *,
    agi: AgiTarget | None = None,
    time_scale: float = 20.0,
    ami_port: int = 0,
    wait_for_login: bool = True,
) -> Simulator:
    """Start the simulator for a recorded scenario; its script runs as `sim.script_task`."""
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    sc = SCENARIOS[name]
    sim = Simulator(scenario_config(name, agi=agi, time_scale=time_scale, ami_port=ami_port))
    await sim.start()
    pbx = sim.pbx
    pbx.muted = True  # the state the recording started from, without events
    if sc.member:
        m = pbx.add_member("q-general", "PJSIP/1001", "seat-1001", "PJSIP/1001", 0)
        m.login_time = m.last_pause = int(pbx.now())
    pbx.devices.update(sc.devices)
    pbx.set_channel_sequence(sc.first_channel)
    pbx.muted = False

    async def script() -> None:
        if wait_for_login:
            await asyncio.wait_for(sim.logged_in.wait(), timeout=30.0)
        await (sc.script or _nothing)(sim)

    sim.script_task = pbx.spawn(script())
    return sim


__all__ = ["SCENARIOS", "Scenario", "run_scenario", "scenario_config"]
