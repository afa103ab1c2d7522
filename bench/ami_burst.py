"""AMI burst: 40 000 events written at once by the fake AMI server, through `AmiBridge` + the real
`CallTracker` + `EventBus`, with the production keepalive shortened so that the Pong is stuck
behind the burst. Prints events/s, the deepest the bridge's queue (queue + spill) ever got, how
often reading was paused, and whether the connection survived (it must: no reconnect, nothing lost).

    .venv/bin/python bench/ami_burst.py [--events 40000] [--queue 10000] [--ping 1.0]

Prints figures; never part of the pass/fail suite.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "pbx"))

from fake_ami_server import frame  # noqa: E402

from bench.ami_rig import start_rig  # noqa: E402
from pbx.tracker import CallTracker  # noqa: E402


def burst(count: int) -> bytes:
    """Queue-member status flaps of 200 seats, the kind of storm a PBX restart or a reload sends."""
    out = []
    for i in range(count):
        seat = i % 200
        out.append(
            frame(
                [
                    ("Event", "QueueMemberStatus"),
                    ("Privilege", "agent,all"),
                    ("Timestamp", f"{1795299000 + i / 1000:.6f}"),
                    ("Queue", f"q-city-{('labor', 'family', 'other')[i % 3]}"),
                    ("MemberName", f"seat-s{seat:03d}"),
                    ("Interface", f"PJSIP/s{seat:03d}"),
                    ("StateInterface", f"PJSIP/s{seat:03d}"),
                    ("Membership", "dynamic"),
                    ("Penalty", "0"),
                    ("CallsTaken", str(i // 200)),
                    ("LastCall", "0"),
                    ("InCall", "0"),
                    ("Status", str(1 + i % 2)),
                    ("Paused", "0"),
                    ("PausedReason", ""),
                    ("Ringinuse", "0"),
                    ("Wrapuptime", "10"),
                ]
            )
        )
    return b"".join(out)


async def run(events: int, queue: int, ping: float) -> None:
    rig = await start_rig(CallTracker(), queue_maxsize=queue, ping_interval=ping, ping_timeout=ping / 2)
    bridge, server = rig.bridge, rig.server
    data = burst(events)
    handled, elapsed = await rig.feed(data, events, budget=120, poll=0.005)
    st = bridge.status
    print(f"burst: {events} events, {len(data) / 1e6:.1f} MB, queue_maxsize {queue}, Ping every {ping:g} s")
    print(f"handled      : {handled} events in {elapsed:.2f} s = {handled / elapsed:,.0f} events/s")
    print(f"max depth    : {bridge.max_depth} raw messages waiting (queue + spill)")
    print(f"back-pressure: reading paused {bridge.read_pauses} times")
    print(f"domain events: {rig.published}")
    print(
        f"connection   : logins={len(server.logins)} reconnects={st.reconnects} "
        f"failed_attempts={st.failed_attempts} last_error={st.last_error!r}"
    )
    print(
        "result       : "
        + (
            "OK, all events applied on one connection"
            if handled == events and st.reconnects == 0
            else "LOST EVENTS OR RECONNECTED"
        )
    )
    await rig.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--queue", type=int, default=10_000)
    parser.add_argument("--ping", type=float, default=1.0, help="keepalive interval (timeout is half)")
    args = parser.parse_args()
    asyncio.run(run(args.events, args.queue, args.ping))


if __name__ == "__main__":
    main()
