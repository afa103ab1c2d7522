"""Contract: the simulator emits what Asterisk 22.10.1 emitted for the eight recorded scenarios.

For each trace a real AMI client logs in to the simulator over TCP and sends the trace's actions
(`#>>>` lines), each one once it has received as many messages as the trace shows before it. The
IVR is a fake FastAGI server replaying the recorded command lines. Then the received stream is
compared with the trace: event names, their order, header names and header order, and header
values except ids/clocks/counters (see `VALUE_NOISE` in sim_helpers). Every VarSet is compared
(values that are SIP Call-IDs or clock readings only by name). Ignored, on purpose:
RTCP and security events, the RTPAUDIOQOS* VarSets (no RTP stack in the simulator),
the relative order of phone DeviceStateChange / QueueMemberStatus against channel events (a
thread race in Asterisk: they are compared as their own ordered stream), and the position of
OriginateResponse (also a race: before Newstate Up in trace 05, after DialEnd in trace 08).
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from pbx.sim import AgiTarget, run_scenario
from pbx.sim.simulator import Simulator

_spec = importlib.util.spec_from_file_location("sim_helpers", Path(__file__).with_name("sim_helpers.py"))
assert _spec is not None and _spec.loader is not None
helpers = sys.modules.get("sim_helpers") or importlib.util.module_from_spec(_spec)
if "sim_helpers" not in sys.modules:
    sys.modules["sim_helpers"] = helpers
    _spec.loader.exec_module(helpers)

SCALE = 25.0
AGI_SESSION = {
    "02_answered_via_ivr_queue": 0,
    "03_abandoned_in_queue": 1,
    "04_ring_no_answer_timeout": 2,
    "06_transfer_redirect_12345": 3,
}
ALL = [
    "01_seat_login_pause_status",
    "02_answered_via_ivr_queue",
    "03_abandoned_in_queue",
    "04_ring_no_answer_timeout",
    "05_callback_originate",
    "06_transfer_redirect_12345",
    "07_audiosocket_stream",
    "08_callback_caller_unreachable",
]


async def replay(name: str, tap: Callable[[Simulator], None] | None = None) -> tuple[list, list]:
    """Run scenario `name` against a real socket; (trace messages, received messages), both kept only."""
    trace = helpers.trace_messages(name)
    expected = [h for kind, h in trace if kind != "action" and helpers.kept(h)]
    agi = None
    fake: object | None = None
    if name in AGI_SESSION:
        fake = helpers.FakeAgiServer(helpers.FakeAgiServer.recorded_sessions()[AGI_SESSION[name]])
        agi = AgiTarget("127.0.0.1", await fake.start(), "ivr")
    sim = await run_scenario(name, agi=agi, time_scale=SCALE)
    if tap is not None:
        tap(sim)
    client = await helpers.AmiClient.connect(sim.port)
    try:
        await client.login()
        start = len(client.messages)

        def received() -> list:
            return [m for m in client.messages[start:] if helpers.kept(m)]

        seen = 0
        for kind, headers in trace:
            if kind != "action":
                if helpers.kept(headers):
                    seen += 1
                continue
            await client.wait_until(lambda n=seen: len(received()) >= n)
            client.send(headers)
        await client.wait_until(lambda: len(received()) >= len(expected))
        # Let anything the simulator would emit beyond the trace arrive, so extras are caught.
        await client.wait_until(lambda: not sim.pbx.channels, within_s=5.0)
        await asyncio.sleep(0.2)
        return expected, received()
    finally:
        await client.close()
        await sim.stop()
        if fake is not None:
            await fake.stop()


@pytest.fixture
async def no_leftovers() -> AsyncIterator[None]:
    yield
    await asyncio.sleep(0)


@pytest.mark.parametrize("name", ALL)
async def test_given_recorded_trace_when_simulator_replays_actions_then_events_match(name: str) -> None:
    expected, actual = await replay(name)

    problems = helpers.compare(expected, actual)

    assert problems == [], "\n".join(problems)


async def test_given_simulator_with_swapped_event_order_when_compared_then_contract_fails() -> None:
    # Proof that the contract can fail: delay AgentConnect by one event (after BridgeCreate).
    def swap_agent_connect(sim: Simulator) -> None:
        original = sim.ami.broadcast
        held: list = []

        def broadcast(headers: list[tuple[str, str]]) -> None:
            if dict(headers).get("Event") == "AgentConnect":
                held.append(headers)
                return
            original(headers)
            while held:
                original(held.pop())

        sim.ami.broadcast = broadcast  # type: ignore[method-assign]

    expected, actual = await replay("02_answered_via_ivr_queue", tap=swap_agent_connect)

    problems = helpers.compare(expected, actual)

    assert len(problems) == 1 and "AgentConnect" in problems[0]
