"""What the benches' PBX processes share (`bench/load_sim.py`, `bench/faults/sim_proc.py`): the
simulator (pbx/sim) launched with the hotline's queues on the given ports, the `ready` line, and
the control loop on stdin (one command a line, each answered by one JSON line on stdout).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from app.settings import demo_settings
from pbx.sim.part import SimulatorPart
from pbx.sim.simulator import Simulator
from routing.calendar import load_holidays
from routing.queues import load_queue_rules
from seats.models import Seat

# The number callers dial: its `Newchannel` (Uniqueid == Linkedid) is a call placed.
INBOUND_EXTEN = "12348"

# One command's answer: `(command, rest of the line)` -> the JSON reply, None for an unknown one.
Command = Callable[[str, str], Awaitable[dict[str, Any] | None]]


def reply(body: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(body) + "\n")
    sys.stdout.flush()


@contextlib.asynccontextmanager
async def launched(
    args: argparse.Namespace,
    seats: Sequence[Seat],
    sim: dict[str, Any],
    *,
    wrapuptime: float,
    recordings_dir: str | None = None,
) -> AsyncIterator[Simulator]:
    """The simulator on `args.ami_port`/`args.agi_port` (AMI secret `args.secret`, seats' wrap-up
    `args.wrap_up`), `sim` its settings besides `enabled`; stopped on leaving."""
    settings = demo_settings(
        ami={"port": args.ami_port, "secret": args.secret},
        agi={"port": args.agi_port},
        seats={"wrap_up_s": args.wrap_up},
        sim={"enabled": True, **sim},
    )
    part = SimulatorPart(
        settings.sim,
        settings.ami,
        agi_host=settings.agi.host,
        queues=load_queue_rules(load_holidays()).all_queues(),
        wrapuptime=wrapuptime,
        recordings_dir=recordings_dir,
    )
    started = await part.launch(seats, agi_port=args.agi_port, ami_port=args.ami_port)
    try:
        yield started
    finally:
        with contextlib.suppress(Exception):
            await started.stop()


async def serve(sim: Simulator, command: Command) -> None:
    """Announce `ready`, then answer the commands on stdin until `quit` or its end."""
    reply({"ready": True, "ami_port": sim.port})
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = (await reader.readline()).decode().strip()
        if not line or line == "quit":
            return
        cmd, _, arg = line.partition(" ")
        body = await command(cmd, arg)
        reply(body if body is not None else {"error": f"unknown command {cmd!r}"})
