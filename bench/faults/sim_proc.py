"""The PBX as a process of its own, for the fault scenarios: the simulator (pbx/sim) with the
hotline's queues and the demo seats' phones, Poisson callers, and a LEDGER of what it did.

    python bench/faults/sim_proc.py --ami-port P --agi-port A --ledger FILE [--rate 450] ...

The ledger is the ground truth the scenarios count against: one JSON line per fact the PBX
emitted on AMI (whether or not any client was connected to hear it), flushed as it is written so
that a SIGKILL of this process loses nothing already done:

    {"f": "placed",    "call": <Linkedid>, "number": ..., "vt": <virtual epoch s>, "gen": g}
    {"f": "joined",    "call": ..., "queue": ...}          QueueCallerJoin
    {"f": "answered",  "call": ..., "queue": ..., "member": ...}   AgentConnect
    {"f": "abandoned", "call": ..., "queue": ...}          QueueCallerAbandon (hang-up or timeout)
    {"f": "ended",     "call": ..., "cause": ...}          Hangup of the caller's own channel

Control on stdin, one command a line, each answered by one JSON line on stdout: `status`,
`start-traffic`, `stop-traffic`, `drop` (close every AMI connection), `burst N` (N events at once
on every AMI connection, ahead of the answer to the next Ping), `quit`. The first line on stdout
is `{"ready": true, "ami_port": P}`.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from app.seed import DEMO_SEATS  # noqa: E402
from bench.sim_child import INBOUND_EXTEN, launched, serve  # noqa: E402
from pbx.sim.model import Headers  # noqa: E402
from pbx.sim.simulator import Simulator  # noqa: E402
from seats.models import Seat  # noqa: E402


class Ledger:
    """Writes the facts of one simulator generation; `gen` tells restarts apart."""

    def __init__(self, out: TextIO, gen: int) -> None:
        self._out = out
        self.gen = gen
        self.logins = 0

    def write(self, fact: str, **fields: Any) -> None:
        self._out.write(json.dumps({"f": fact, "gen": self.gen, **fields}, ensure_ascii=False) + "\n")
        self._out.flush()

    def __call__(self, headers: Headers) -> None:
        h = dict(headers)
        name = h.get("Event")
        call = h.get("Linkedid", "")
        vt = float(h.get("Timestamp", "0") or 0)
        if name == "Newchannel":
            if h.get("Exten") == INBOUND_EXTEN and h.get("Uniqueid") == call:
                self.write("placed", call=call, number=h.get("CallerIDNum", ""), vt=vt)
        elif name == "QueueCallerJoin":
            self.write("joined", call=call, queue=h.get("Queue", ""), vt=vt)
        elif name == "AgentConnect":
            self.write("answered", call=call, queue=h.get("Queue", ""), member=h.get("Interface", ""), vt=vt)
        elif name == "QueueCallerAbandon":
            self.write("abandoned", call=call, queue=h.get("Queue", ""), vt=vt)
        elif name == "Hangup" and h.get("Uniqueid") == call:
            self.write("ended", call=call, cause=h.get("Cause", ""), vt=vt)


def _burst(sim: Simulator, count: int) -> int:
    """`count` events written at once to every AMI client: the storm of a busy Asterisk, device
    states flapping (each fans out as QueueMemberStatus in every queue the seat is in) and a
    dialplan setting variables. Free members blip to in-use and back, as after a burst of short
    calls or a phone re-registering; busy members and live channels are restated as they are. The
    last round restates every member's true state, so afterwards the PBX's picture is unchanged."""
    pbx = sim.pbx
    members = [m for q in pbx.queues.values() for m in q.members]
    channels = list(pbx.channels)
    flaps = max(0, count - len(members))
    sent = 0
    while sent < flaps:
        if sent % 3 == 2 and channels:
            ch = channels[sent % len(channels)]
            pbx.chan_event(
                "VarSet", ch, [("Variable", "FAULT_BURST"), ("Value", str(sent))], privilege="dialplan,all"
            )
        elif members:
            m = members[sent % len(members)]
            blip = m.status == 1 and not m.in_call and (sent // len(members)) % 2 == 0
            pbx.emit("QueueMemberStatus", "agent,all", replace(m, status=2).fields() if blip else m.fields())
        else:
            pbx.emit("DeviceStateChange", "call,all", [("Device", "Custom:burst"), ("State", "NOT_INUSE")])
        sent += 1
    for m in members[: count - sent]:
        pbx.emit("QueueMemberStatus", "agent,all", m.fields())
        sent += 1
    return sent


async def _burst_at_ping(sim: Simulator, count: int, within_s: float = 12.0) -> dict[str, Any]:
    """The burst, written just ahead of the PBX's answer to the client's next keepalive Ping (action
    listeners run before the reply is written): the worst moment a burst can come, since the Pong
    then waits behind every event of it. Without a Ping in `within_s` (a client that pings only
    when the link is quiet), at once anyway."""
    fired: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_action(action: dict[str, str]) -> None:
        if action.get("action", "").lower() == "ping" and not fired.done():
            fired.set_result(_burst(sim, count))

    sim.ami.action_listeners.append(on_action)
    try:
        return {"sent": await asyncio.wait_for(fired, within_s), "at_ping": True}
    except TimeoutError:
        return {"sent": _burst(sim, count), "at_ping": False}
    finally:
        sim.ami.action_listeners.remove(on_action)


async def _command(sim: Simulator, ledger: Ledger, cmd: str, arg: str) -> dict[str, Any] | None:
    if cmd == "status":
        return {
            "active": sim.active_channels,
            "placed": sim.calls_placed,
            "logins": ledger.logins,
            "members": sum(len(q.members) for q in sim.pbx.queues.values()),
            "clients": len(sim.ami._sessions),
            "vt": sim.clock.now(),
        }
    if cmd == "start-traffic":
        if sim._generator is None and sim.config.calls_per_hour > 0:
            sim._generator = asyncio.get_running_loop().create_task(sim._generate())
        return {"ok": True}
    if cmd == "stop-traffic":
        await sim.stop_traffic()
        return {"ok": True}
    if cmd == "drop":
        return {"dropped": sim.ami.drop_connections()}
    if cmd == "burst":
        return await _burst_at_ping(sim, int(arg))
    return None


async def main(args: argparse.Namespace, out: TextIO) -> None:
    sim_settings = {
        "calls_per_hour": args.rate,
        "time_scale": args.time_scale,
        "mean_talk_s": args.talk,
        "mean_patience_s": args.patience,
        "seed": args.seed,
        # Where a simulator that writes Asterisk's queue_log and Master.csv puts them (a
        # setting this simulator may not have yet: pydantic ignores it then).
        **({"run_dir": args.records_dir} if args.records_dir else {}),
    }
    seats = [
        Seat(id=sid, name=name, kind=kind, team_id=team, interface=f"PJSIP/{sid}", skills=skills)  # type: ignore[arg-type]
        for sid, name, kind, team, skills in DEMO_SEATS
    ]
    ledger = Ledger(out, args.gen)
    async with launched(args, seats, sim_settings, wrapuptime=args.wrap_up) as sim:
        if args.start_epoch is not None:
            # A restarted PBX must not reuse the Uniqueids of the one before (`<epoch>.<seq>`).
            sim.clock._start = args.start_epoch
        if args.hold_traffic:
            await sim.stop_traffic()  # until `start-traffic`: the seats log in first
        sim.event_listeners.append(ledger)

        def on_login() -> None:
            ledger.logins += 1

        sim.ami.login_listeners.append(on_login)
        ledger.write("gen-start", vt=sim.clock.now(), ami_port=sim.port)
        await serve(sim, functools.partial(_command, sim, ledger))


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="PBX 模拟器进程（故障场景用），带通话台账")
    p.add_argument("--ami-port", type=int, required=True)
    p.add_argument("--agi-port", type=int, required=True)
    p.add_argument("--secret", default="faults-ami-secret")
    p.add_argument("--ledger", required=True)
    p.add_argument("--gen", type=int, default=1)
    p.add_argument("--rate", type=float, default=450.0, help="calls per virtual hour")
    p.add_argument("--time-scale", type=float, default=8.0)
    p.add_argument("--talk", type=float, default=25.0)
    p.add_argument("--patience", type=float, default=20.0)
    p.add_argument("--wrap-up", type=float, default=2.0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--start-epoch", type=float, default=None)
    p.add_argument(
        "--records-dir", default=None, help="queue_log / cdr-csv directory, if the simulator writes them"
    )
    p.add_argument("--hold-traffic", action="store_true", help="no callers until `start-traffic`")
    return p.parse_args(argv)


if __name__ == "__main__":
    arguments = _args()
    with open(arguments.ledger, "a", encoding="utf-8") as ledger_file:
        asyncio.run(main(arguments, ledger_file))
