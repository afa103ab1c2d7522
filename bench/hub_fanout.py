"""How much the websocket hub costs per pushed event (issue 21), in one process: N fake sockets
(550: 500 seat consoles and 50 boards) behind the real `WebsocketHub` and `EventBus`, seat
consoles admitting only their own seat's events (`core.access.Scope`, as the route's filter
does), boards everything. Prints events per second through the hub, CPU microseconds per event,
frames written, backlogs dropped for a resync. Not the end-to-end figure (that is
`bench/load.py`): no sockets, no browser, no AMI.

    PYTHONPATH=$PWD .venv/bin/python bench/hub_fanout.py [--sockets 550] [--events 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from console_web.hub import WebsocketHub
from core.access import Scope
from core.bus import EventBus
from core.call_events import CallAnswered, SeatDeviceStatus, SeatDeviceStatusChanged
from core.ids import CallId, SeatId


class Sink:
    def __init__(self) -> None:
        self.frames = 0
        self.gone = asyncio.Event()

    async def send_json(self, data: dict[str, Any]) -> None:
        self.frames += 1

    async def send_text(self, text: str) -> None:
        self.frames += 1

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.gone.set()

    async def receive_text(self) -> str:
        await self.gone.wait()
        raise RuntimeError("closed")


CITYWIDE = Scope(True, "全市", None, frozenset(), frozenset())


def seat_scope(seat: str) -> Scope:
    """What a seat lawyer's console socket is opened with: its own seat's facts only."""
    return Scope(False, seat, None, frozenset(), frozenset({seat}), frozenset({f"seat:{seat}"}))


async def main(sockets: int, events: int) -> None:
    bus = EventBus()
    await bus.start()
    hub = WebsocketHub(bus)
    sinks = [Sink() for _ in range(sockets)]
    boards = max(1, sockets // 11)
    tasks = []
    for i, sink in enumerate(sinks):
        scope = CITYWIDE if i < boards else seat_scope(f"{1001 + i}")
        tasks.append(asyncio.create_task(hub.serve(sink, scope=scope)))  # type: ignore[arg-type]
    await asyncio.sleep(0.2)
    at = datetime.now(UTC)
    seats = sockets - boards
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for n in range(events):
        seat = SeatId(f"{1001 + boards + n % max(1, seats)}")
        if n % 2:
            event: Any = SeatDeviceStatusChanged(
                at=at,
                seat_id=seat,
                queue=f"q-{n % 6}",
                interface=f"PJSIP/{seat}",
                status=SeatDeviceStatus.IN_USE if n % 4 == 1 else SeatDeviceStatus.NOT_IN_USE,
            )
        else:
            event = CallAnswered(
                at=at,
                call_id=CallId(f"1796600000.{n}"),
                seat_id=seat,
                interface=f"PJSIP/{seat}",
                queue="q-310106-labor",
                wait_seconds=3.0,
                ring_seconds=2.0,
                caller_number="13812345678",
            )
        await bus.publish(event)
        if n % 100 == 99:
            await bus.drain()
            await asyncio.sleep(0)
    await bus.drain()
    while any(c.outbox for c in hub._connections):
        await asyncio.sleep(0.01)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    frames = sum(s.frames for s in sinks) - sockets  # less the hello frames
    print(f"sockets {sockets} ({boards} boards, {seats} seats), events {events}")
    print(f"events/s through the hub: {events / wall:,.0f}")
    print(f"CPU per event: {cpu / events * 1e6:,.0f} µs; frames written: {frames:,}")
    print(f"device states coalesced: {hub.events_coalesced:,}; backlogs dropped for a resync: {hub.resyncs}")
    for s in sinks:
        await s.close()
    await asyncio.gather(*tasks)
    await bus.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--sockets", type=int, default=550)
    ap.add_argument("--events", type=int, default=5000)
    args = ap.parse_args()
    asyncio.run(main(args.sockets, args.events))
