"""The loopback rig both AMI benches drive: the fake AMI server from `tests/pbx`, an `EventBus`
that counts what it publishes, and an `AmiBridge` logged in and past its first resync.

Not a script; `bench/ami_burst.py` and `bench/ami_throughput.py` import it (they put the repo and
`tests/pbx` on `sys.path` first).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from fake_ami_server import FakeAmiServer

from core.bus import EventBus
from core.events import DomainEvent
from pbx.ami_bridge import AmiBridge
from pbx.settings import AmiLogin


@dataclass
class AmiRig:
    server: Any
    bus: EventBus
    bridge: AmiBridge
    published: int = 0

    async def feed(self, data: bytes, expected: int, budget: float, poll: float) -> tuple[int, float]:
        """Send `data` and wait until the bridge handled `expected` events or `budget` seconds
        passed; then the events handled and the seconds taken (the bus drained afterwards)."""
        base = self.bridge.status.events_handled
        start = time.perf_counter()
        self.server.send(data)
        while self.bridge.status.events_handled - base < expected:
            if time.perf_counter() - start > budget:
                break
            await asyncio.sleep(poll)
        handled = self.bridge.status.events_handled - base
        elapsed = time.perf_counter() - start
        await self.bus.drain()
        return handled, elapsed

    async def stop(self) -> None:
        await self.bridge.stop()
        await self.bus.stop()
        await self.server.close()


async def start_rig(tracker: Any, **bridge_options: Any) -> AmiRig:
    """The rig, its bridge built with `tracker` and `bridge_options` (queue size, keepalive)."""
    server = FakeAmiServer()
    await server.start()
    bus = EventBus()
    login = AmiLogin("127.0.0.1", server.port, server.username, server.secret)
    bridge = AmiBridge(login, tracker=tracker, bus=bus, **bridge_options)
    rig = AmiRig(server, bus, bridge)

    async def count(_: DomainEvent) -> None:
        rig.published += 1

    bus.subscribe("bench", count)
    await bus.start()
    await bridge.start()
    while bridge.status.resyncs < 1:
        await asyncio.sleep(0.001)
    return rig
