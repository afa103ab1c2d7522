"""The simulator's attended transfer (咨询转接: AMI Atxfer / CancelAtxfer) against the real
Asterisk 22.10.1 recordings of the same scenario on the rendered dialplan
(tests/data/asterisk-traces/atxfer_seat_completed, atxfer_seat_cancelled): a caller answered by
1001 waits on hold while 1001 consults 1002, then 1001 leaves (completed) or cancels; the caller
hangs up last. Checked: from the consultation on, every channel's events in the same order as
Asterisk's, role by role; and the tracker reading the simulated stream records what it records
from the real one."""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from core import dialplan
from core.call_events import CallLegEnded, CallTransferred, TransferKind, TransferStatus
from core.events import DomainEvent
from pbx.ami_event import AmiEvent, parse_trace
from pbx.sim import CallerSpec, Dist, PhoneConfig, SimulatorConfig, run_simulator
from pbx.sim.simulator import Simulator
from pbx.tracker import CallTracker
from tests.support.beside import load_beside
from tests.support.polling import until

helpers: Any = load_beside(__file__, "sim_helpers")

TRACES = Path(__file__).resolve().parents[1] / "data" / "asterisk-traces"
Event = dict[str, str]
# Events of the consultation compared role by role (the rest: the queue's devices, SIP, RTP).
COMPARED = {
    "Hold",
    "Unhold",
    "MusicOnHoldStart",
    "MusicOnHoldStop",
    "Newchannel",
    "LocalBridge",
    "BridgeEnter",
    "BridgeLeave",
    "BridgeMerge",
    "DialBegin",
    "DialEnd",
    "AttendedTransfer",
    "AgentComplete",
    "LocalOptimizationBegin",
    "LocalOptimizationEnd",
    "HangupRequest",
    "SoftHangupRequest",
    "Hangup",
}


def _role(channel: str, caller: str) -> str:
    if channel.startswith(f"PJSIP/{caller}-"):
        return "caller"
    if channel.startswith("PJSIP/1001-"):
        return "seat"
    if channel.startswith(("PJSIP/1002-", "PJSIP/hotline-trunk-")):
        return "target"
    if channel.startswith("Local/"):
        return "local" + channel[-2:]
    return channel


def consultation(events: list[Event], caller: str) -> dict[str, list[str]]:
    """From the seat's Hold on, per channel role: its events of COMPARED, in order (Asterisk's
    threads publish different channels' events in an order that varies from run to run)."""
    start = next(i for i, e in enumerate(events) if e.get("Event") == "Hold")
    out: dict[str, list[str]] = {}
    for e in events[start:]:
        name = e.get("Event", "")
        if name not in COMPARED:
            continue
        channel = e.get("Channel") or e.get("LocalOneChannel") or e.get("TransfereeChannel") or ""
        out.setdefault(_role(channel, caller), []).append(name)
    return out


def real_events(name: str) -> list[Event]:
    return [h for kind, h in parse_trace((TRACES / name / "ami.ami").read_bytes()) if kind == "event"]


def tracked(events: list[Event]) -> list[DomainEvent]:
    tracker = CallTracker()
    out: list[DomainEvent] = []
    for h in events:
        if "ActionID" not in h:
            out += tracker.apply(AmiEvent.from_headers(h))
    return out


SCENARIOS = [
    ("complete", "1002", "atxfer_seat_completed"),
    ("cancel", "1002", "atxfer_seat_cancelled"),
    ("cancel", "12345", "atxfer_12345_cancelled"),
]


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    s = await run_simulator(
        SimulatorConfig(
            ami_port=0,
            time_scale=40.0,
            seats=(
                PhoneConfig("1001", answer_delay=Dist.fixed(1.0), hangup_after=Dist.never()),
                PhoneConfig("1002", answer_delay=Dist.fixed(1.0), hangup_after=Dist.never()),
            ),
        )
    )
    yield s
    await s.stop()


async def _consult_then(sim: Simulator, finish: str, target: str) -> list[Event]:
    events: list[Event] = []
    sim.event_listeners.append(lambda h: events.append(dict(h)))
    client = await helpers.AmiClient.connect(sim.port)
    await client.login()
    client.send([("Action", "QueueAdd"), ("Queue", "q-general"), ("Interface", "PJSIP/1001")])
    await until(lambda: any(e["Event"] == "QueueMemberAdded" for e in events), timeout=10.0)
    sim.place_call(CallerSpec("13900139000", "13900139000"))
    await until(lambda: any(e["Event"] == "AgentConnect" for e in events), timeout=20.0)
    seat = next(c.name for c in sim.pbx.channels if c.endpoint == "1001")
    client.send(
        [
            ("Action", "Atxfer"),
            ("ActionID", "a1"),
            ("Channel", seat),
            ("Exten", f"{target}#"),
            ("Context", dialplan.CONSULT),
        ]
    )

    def answered() -> bool:
        return any(
            e["Event"] == "DialEnd"
            and e.get("Channel", "").startswith("Local/")
            and e["DialStatus"] == "ANSWER"
            for e in events
        )

    await until(answered, timeout=10.0)
    await asyncio.sleep(0.05)
    if finish == "complete":
        client.send([("Action", "Hangup"), ("ActionID", "h1"), ("Channel", seat)])
        await until(lambda: not any(c.endpoint == "1001" for c in sim.pbx.channels), timeout=10.0)
    else:
        client.send([("Action", "CancelAtxfer"), ("ActionID", "c1"), ("Channel", seat)])
        await until(lambda: not any(c.name.startswith("Local/") for c in sim.pbx.channels), timeout=10.0)
    await asyncio.sleep(0.05)
    sim.pbx.hangup_endpoint("13900139000")
    await until(lambda: not sim.pbx.channels, timeout=10.0)
    replies = {dict(m).get("ActionID"): dict(m) for m in client.messages if "Response" in dict(m)}
    assert replies["a1"]["Message"] == "Atxfer successfully queued"
    await client.close()
    return events


@pytest.mark.parametrize(("finish", "target", "trace"), SCENARIOS)
async def test_given_a_consultation_when_simulated_then_each_channel_follows_asterisk(
    sim: Simulator, finish: str, target: str, trace: str
) -> None:
    events = await _consult_then(sim, finish, target)

    real, mine = consultation(real_events(trace), "13900139000"), consultation(events, "13900139000")
    problems = []
    for role in sorted(set(real) | set(mine)):
        a, b = real.get(role, []), mine.get(role, [])
        if a != b:
            problems.append(
                f"[{role}]\n" + "\n".join(difflib.unified_diff(a, b, "real", "simulator", lineterm=""))
            )
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(("finish", "target", "trace"), SCENARIOS)
async def test_given_a_consultation_when_simulated_then_the_tracker_records_what_it_records_from_asterisk(
    sim: Simulator, finish: str, target: str, trace: str
) -> None:
    events = await _consult_then(sim, finish, target)

    def summary(out: list[DomainEvent]) -> tuple[object, ...]:
        transfers = [(t.kind, t.target, t.status, t.detail) for t in out if isinstance(t, CallTransferred)]
        legs = sorted(e.party for e in out if isinstance(e, CallLegEnded))
        return tuple(transfers), tuple(legs)

    mine = summary(tracked(events))
    assert mine == summary(tracked(real_events(trace)))
    # queue_log, as app_queue writes it for the call: CONNECT, then ATTENDEDTRANSFER or COMPLETECALLER.
    caller = next(e["Uniqueid"] for e in events if e["Event"] == "QueueCallerJoin")
    sim_log = [r.split("|") for r in sim.pbx.records.queue_log_path.read_text().splitlines()]
    real_log = [r.split("|") for r in (TRACES / trace / "queue_log").read_text().splitlines()]
    real_caller = next(r[1] for r in real_log if r[4] == "ENTERQUEUE")
    assert [r[4] for r in sim_log if r[1] == caller] == [r[4] for r in real_log if r[1] == real_caller]
    status = TransferStatus.OK if finish == "complete" else TransferStatus.FAILED
    assert mine[0][0][:3] == (TransferKind.ATTENDED, target, status)
