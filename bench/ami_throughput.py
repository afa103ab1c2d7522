"""AMI throughput, honestly: one byte stream over a real TCP socket for both figures.

The stream is the recorded Asterisk traces (../shared/asterisk-traces) replayed `--copies` times,
each copy with fresh call ids (Uniqueid / Linkedid and channel names renumbered), written by the
test suite's fake AMI server running on a thread of its own (its own event loop), so the bytes
reach the measured loop through the kernel as Asterisk's would.

* baseline: plain panoramisk (`Manager`, one `*` callback that counts) parsing the socket;
* system: `AmiBridge` + `CallTracker` + `EventBus` with the app's real subscribers: the call trail
  recorder (`store.recorder` over a fresh SQLite file, batched, `Overflow.WAIT`: it holds the bridge
  back when it falls behind), the consoles' call views (`core.call_view.CallViews`) and the
  websocket hub with `--seats` fake seat sockets (each with a seat's `core.access.Scope`, routed as
  the console's are), then the same again with `--boards` supervisor sockets (city-wide) attached.

A system figure counts from the first byte until the bridge handled every event AND the bus and
the hub's outboxes drained (the recorder committed). Each phase stops at `--budget` seconds.

    PYTHONPATH=$PWD .venv/bin/python bench/ami_throughput.py [--copies 60] [--seats 500] [--boards 50]

Prints figures; never part of the pass/fail suite. About a minute and a half by default.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "pbx"))
sys.path.insert(0, str(REPO / "bench"))

from fake_ami_server import FakeAmiServer, server_stream, trace_events, trace_files  # noqa: E402
from hub_fanout import CITYWIDE, Sink, seat_scope  # noqa: E402  (Sink: a socket that only counts)
from panoramisk.manager import Manager  # noqa: E402

from console_web.hub import WebsocketHub  # noqa: E402
from core.bus import EventBus  # noqa: E402
from core.call_view import CallViews  # noqa: E402
from pbx.ami_bridge import AmiBridge  # noqa: E402
from pbx.settings import AmiLogin  # noqa: E402
from pbx.tracker import CallTracker  # noqa: E402
from store.parts import RecorderPart  # noqa: E402
from store.settings import DatabaseSettings, JournalSettings  # noqa: E402
from store.storage import Storage  # noqa: E402

_ID = re.compile(rb"^(\w*(?:Uniqueid|Linkedid|UniqueID)): (\d+)\.(\d+)(?=\r?$)", re.M)
_CHAN = re.compile(rb"(/[\w.@]+-)([0-9a-f]{8})\b")


def renumbered(stream: bytes, copy: int) -> bytes:
    """The stream with every call id and channel name made unique to `copy`."""
    if copy == 0:
        return stream
    out = _ID.sub(lambda m: m[1] + b": " + m[2] + b"." + str(int(m[3]) + copy * 100_000).encode(), stream)
    return _CHAN.sub(lambda m: m[1] + f"{int(m[2], 16) + copy * 0x10000:08x}".encode(), out)


def build_stream(copies: int) -> tuple[bytes, int]:
    one = b"".join(server_stream(p.read_bytes()) for p in trace_files())
    events = sum(len(trace_events(p.read_bytes())) for p in trace_files())
    return b"".join(renumbered(one, k) for k in range(copies)), events * copies


class ServerThread:
    """The fake AMI server on a thread and event loop of its own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = FakeAmiServer()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.start())
        self.ready.set()
        self.loop.run_forever()

    @property
    def login(self) -> AmiLogin:
        return AmiLogin("127.0.0.1", self.server.port, self.server.username, self.server.secret)

    def logged_in(self) -> bool:
        return any(c.logged_in and not c.closed.is_set() for c in self.server.connections)

    def send(self, data: bytes) -> None:
        self.loop.call_soon_threadsafe(self.server.send, data)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


async def _until(cond: Any, timeout: float) -> None:
    end = time.perf_counter() + timeout
    while not cond() and time.perf_counter() < end:
        await asyncio.sleep(0.002)


async def raw_panoramisk(stream: bytes, expected: int, budget: float) -> tuple[int, float]:
    server = ServerThread()
    login = server.login
    manager = Manager(host=login.host, port=login.port, username=login.username, secret=login.secret,
                      ping_delay=3600, ping_interval=3600)  # fmt: skip
    count = 0

    def on_event(_manager: Any, _message: Any) -> None:
        nonlocal count
        count += 1

    manager.register_event("*", on_event)
    await manager.connect()
    await _until(server.logged_in, 10)
    count = 0  # not the login's own events
    start = time.perf_counter()
    server.send(stream)
    await _until(lambda: count >= expected or time.perf_counter() - start > budget, budget + 1)
    elapsed = time.perf_counter() - start
    manager.close()
    server.close()
    return count, elapsed


async def through_system(
    stream: bytes, expected: int, budget: float, seats: int, boards: int
) -> tuple[str, float]:
    server = ServerThread()
    folder = tempfile.TemporaryDirectory(prefix="ami-throughput-")
    url = f"sqlite:///{folder.name}/trail.db"
    storage = Storage(DatabaseSettings(url=url), JournalSettings(dir=f"{folder.name}/journal"), migrate=True)
    await storage.open()
    bus = EventBus()
    trail = RecorderPart(storage, bus)
    await trail.start()
    CallViews(bus=bus)
    hub = WebsocketHub(bus)
    sinks = [Sink() for _ in range(seats + boards)]
    serving = []
    for i, sink in enumerate(sinks):
        scope = seat_scope(f"{1001 + i}") if i < seats else CITYWIDE
        serving.append(asyncio.create_task(hub.serve(sink, scope=scope)))
    await bus.start()
    bridge = AmiBridge(server.login, tracker=CallTracker(), bus=bus, ping_interval=3600.0)
    await bridge.start()
    await _until(lambda: bridge.status.resyncs >= 1, 10)
    base = bridge.status.events_handled
    start = time.perf_counter()
    server.send(stream)
    await _until(
        lambda: bridge.status.events_handled - base >= expected or time.perf_counter() - start > budget,
        budget + 1,
    )
    handled = bridge.status.events_handled - base
    bridged = time.perf_counter() - start
    await asyncio.wait_for(bus.drain(), 60)
    await _until(lambda: not any(c.outbox for c in hub._connections), 30)
    elapsed = time.perf_counter() - start
    frames = sum(s.frames for s in sinks) - len(sinks)  # less the hello frames
    await bridge.stop()
    await trail.stop()
    for sink in sinks:
        await sink.close()
    await asyncio.gather(*serving, return_exceptions=True)
    await bus.stop()
    await storage.close()
    server.close()
    folder.cleanup()
    rate = handled / elapsed
    note = "" if handled >= expected else f", stopped at the {budget:g} s budget"
    return (
        f"{handled:>8} events in {elapsed:6.2f} s = {rate:>8,.0f} events/s  (bridge done at {bridged:.2f} s, "
        f"{frames:,} messages to {len(sinks)} sockets, {hub.resyncs} resyncs{note})"
    ), rate


async def main(args: argparse.Namespace) -> None:
    stream, expected = build_stream(args.copies)
    print(
        f"stream: 8 traces x {args.copies} copies (fresh call ids each) = {len(stream) / 1e6:.1f} MB, {expected} events"
    )
    raw_count, raw_s = await raw_panoramisk(stream, expected, args.budget)
    raw_rate = raw_count / raw_s
    print(
        f"panoramisk parse only, from the socket : {raw_count:>8} events in {raw_s:6.2f} s = {raw_rate:>8,.0f} events/s"
    )
    line, rate = await through_system(stream, expected, args.budget, args.seats, 0)
    print(f"system, {args.seats} seat sockets         : {line}")
    print(f"ratio system / panoramisk-only: {rate / raw_rate:.2f}")
    line, rate2 = await through_system(stream, expected, args.budget, args.seats, args.boards)
    print(f"system, + {args.boards} supervisor sockets   : {line}")
    print(f"ratio system (+ boards) / panoramisk-only: {rate2 / raw_rate:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=60, help="how many times the 8 traces are replayed")
    parser.add_argument("--seats", type=int, default=500, help="fake seat sockets on the hub")
    parser.add_argument("--boards", type=int, default=50, help="supervisor sockets for the second figure")
    parser.add_argument("--budget", type=float, default=25.0, help="seconds allowed per phase")
    asyncio.run(main(parser.parse_args()))
