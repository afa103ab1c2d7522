"""AMI throughput: events/second through `AmiBridge` + `CallTracker` + `EventBus`, fed over loopback
by the fake AMI server replaying the recorded traces, next to the rate at which panoramisk alone
parses the same byte stream.

    .venv/bin/python bench/ami_throughput.py [--repeat 150] [--budget 20]

Prints figures; never part of the pass/fail suite. Runs well under a minute (each phase stops at
`--budget` seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "pbx"))

from fake_ami_server import RecordingTracker, server_stream, trace_events, trace_files  # noqa: E402
from panoramisk.ami_protocol import AMIProtocol  # noqa: E402

from bench.ami_rig import start_rig  # noqa: E402

try:
    from pbx.tracker import CallTracker

    TRACKER_NOTE = "real pbx.tracker.CallTracker"
except ImportError as exc:  # the tracker is written in parallel; say so rather than fail
    CallTracker = None  # type: ignore[assignment,misc]
    TRACKER_NOTE = f"pbx.tracker not importable ({exc}); a recording fake tracker was used"


def one_pass() -> tuple[bytes, int]:
    data = b"".join(server_stream(p.read_bytes()) for p in trace_files())
    events = sum(len(trace_events(p.read_bytes())) for p in trace_files())
    return data, events


def raw_panoramisk(stream: bytes, expected: int, budget: float) -> tuple[int, float]:
    """Feed the bytes to panoramisk's AMIProtocol in 64 KiB reads, as the socket would."""

    class Factory:
        save_stream = None
        count = 0

        def dispatch(self, message: Any) -> None:
            self.count += 1

    protocol = AMIProtocol()
    protocol.connection_made(None)
    factory = Factory()
    protocol.factory = factory
    protocol.encoding = "utf8"
    start = time.perf_counter()
    for i in range(0, len(stream), 65536):
        protocol.data_received(stream[i : i + 65536])
        if time.perf_counter() - start > budget:
            break
    return factory.count, time.perf_counter() - start


async def through_bridge(stream: bytes, expected: int, budget: float) -> tuple[int, float, int]:
    tracker: Any = CallTracker() if CallTracker is not None else RecordingTracker()
    rig = await start_rig(tracker, ping_interval=60.0)
    handled, elapsed = await rig.feed(stream, expected, budget=budget, poll=0.001)
    await rig.stop()
    return handled, elapsed, rig.published


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=150, help="how many times the 8 traces are replayed")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds allowed per phase")
    args = parser.parse_args()

    data, events = one_pass()
    stream = data * args.repeat
    expected = events * args.repeat
    print(f"stream: 8 traces x {args.repeat} = {len(stream) / 1e6:.1f} MB, {expected} events")
    print(f"tracker: {TRACKER_NOTE}")

    raw_count, raw_s = raw_panoramisk(stream, expected, args.budget)
    raw_rate = raw_count / raw_s
    print(f"panoramisk parse only : {raw_count:>8} events in {raw_s:6.2f} s = {raw_rate:>10,.0f} events/s")

    handled, bridge_s, published = asyncio.run(through_bridge(stream, expected, args.budget))
    bridge_rate = handled / bridge_s
    note = "" if handled >= expected else f"  (stopped at the {args.budget:g} s budget)"
    print(
        f"bridge+tracker+bus    : {handled:>8} events in {bridge_s:6.2f} s = {bridge_rate:>10,.0f} events/s"
        f"  ({published} domain events published){note}"
    )
    print(f"ratio bridge / panoramisk-only: {bridge_rate / raw_rate:.2f}")


if __name__ == "__main__":
    main()
