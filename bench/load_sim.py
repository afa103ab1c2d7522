"""The PBX for `bench/load.py`, as a process of its own: the simulator (pbx/sim, real AMI and
FastAGI on sockets) with the hotline's queues and one answering phone per load seat, holding a
chosen number of calls in progress at once, and a ledger of the calls it placed (ground truth).

    python bench/load_sim.py --ami-port P --agi-port A --secret S --seats 3001-3500 --ledger FILE

Control on stdin, one command a line, each answered by one JSON line on stdout:
`target K LABEL` (keep K callers in progress; new ones are tagged LABEL in the ledger), `status`,
`quit`. The first line on stdout is `{"ready": true, "ami_port": P}`. Ledger lines:
`{"f": "placed", "call": <Linkedid>, "step": LABEL}` and `{"f": "ended", "call": ...}`.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
from pathlib import Path
from typing import Any, TextIO

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.sim_child import INBOUND_EXTEN, launched, serve  # noqa: E402
from pbx.sim.model import Headers  # noqa: E402
from pbx.sim.simulator import Simulator  # noqa: E402
from seats.models import Seat, SeatKind  # noqa: E402


def seat_ids(spec: str) -> list[str]:
    first, _, last = spec.partition("-")
    return [str(n) for n in range(int(first), int(last or first) + 1)]


class Driver:
    """Keeps `target` callers in progress and writes the ledger; counts every AMI event emitted."""

    def __init__(self, sim: Simulator, out: TextIO) -> None:
        self.sim = sim
        self.out = out
        self.target = 0
        self.label = ""
        self.calls: set[asyncio.Task[None]] = set()
        self.events = 0
        self.placed = 0
        self.ended = 0

    def write(self, fact: str, **fields: Any) -> None:
        self.out.write(json.dumps({"f": fact, **fields}) + "\n")

    def __call__(self, headers: Headers) -> None:
        self.events += 1
        h = dict(headers)
        name = h.get("Event")
        call = h.get("Linkedid", "")
        if name == "Newchannel" and h.get("Exten") == INBOUND_EXTEN and h.get("Uniqueid") == call:
            self.placed += 1
            self.write("placed", call=call, step=self.label)
        elif name == "Hangup" and h.get("Uniqueid") == call:
            self.ended += 1
            self.write("ended", call=call)

    async def run(self) -> None:
        while True:
            self.calls = {t for t in self.calls if not t.done()}
            for _ in range(max(0, self.target - len(self.calls))):
                self.calls.add(self.sim.place_call(self.sim.draw_caller()))
            self.out.flush()
            await asyncio.sleep(0.05)


async def _command(driver: Driver, cmd: str, arg: str) -> dict[str, Any] | None:
    args = arg.split()
    if cmd == "target":
        driver.target = int(args[0])
        driver.label = args[1] if len(args) > 1 else args[0]
        return {"ok": True}
    if cmd == "status":
        return {
            "live": len([t for t in driver.calls if not t.done()]),
            "placed": driver.placed,
            "ended": driver.ended,
            "events": driver.events,
            "members": sum(len(q.members) for q in driver.sim.pbx.queues.values()),
            "clients": len(driver.sim.ami._sessions),
        }
    return None


async def main(args: argparse.Namespace, out: TextIO) -> None:
    seats = [
        Seat(id=sid, name=sid, kind=SeatKind.LAWYER, team_id="t", interface=f"PJSIP/{sid}")  # type: ignore[arg-type]
        for sid in seat_ids(args.seats)
    ]
    sim_settings = {
        "calls_per_hour": 0.0,  # no Poisson callers: the driver holds the concurrency
        "opening_callers": False,
        "mean_talk_s": args.talk,
        "mean_patience_s": args.patience,
        "seed": args.seed,
    }
    async with launched(
        args, seats, sim_settings, wrapuptime=args.wrap_up, recordings_dir=args.recordings_dir
    ) as sim:
        driver = Driver(sim, out)
        sim.event_listeners.append(driver)
        runner = asyncio.get_running_loop().create_task(driver.run())
        try:
            await serve(sim, functools.partial(_command, driver))
        finally:
            runner.cancel()
            out.flush()


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="PBX 模拟器进程（负载测试用），带通话台账")
    p.add_argument("--ami-port", type=int, required=True)
    p.add_argument("--agi-port", type=int, required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--seats", required=True, help="first-last seat ids, e.g. 3001-3500")
    p.add_argument("--ledger", required=True)
    p.add_argument("--talk", type=float, default=20.0, help="median talk seconds")
    p.add_argument("--patience", type=float, default=60.0)
    p.add_argument("--wrap-up", type=float, default=2.0)
    p.add_argument("--seed", type=int, default=21)
    p.add_argument(
        "--recordings-dir", default=None, help="where MixMonitor writes (the app reads them there)"
    )
    return p.parse_args(argv)


if __name__ == "__main__":
    arguments = _args()
    with open(arguments.ledger, "a", encoding="utf-8") as ledger_file:
        asyncio.run(main(arguments, ledger_file))
