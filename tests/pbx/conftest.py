"""Fixtures for the AMI bridge and AMI call-control tests (fake AMI server on a real socket).

Only the AMI adapter's fixtures live here; the fakes themselves are in `fake_ami_server.py`,
importable because this folder is put on sys.path (pytest runs with --import-mode=importlib).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_ami_server import BusLog, FakeAmiServer, RecordingTracker, eventually

from core.bus import EventBus
from pbx.ami_bridge import AmiBridge, ReconnectPolicy
from pbx.settings import AmiLogin


@pytest.fixture
async def ami_server() -> AsyncIterator[FakeAmiServer]:
    server = FakeAmiServer()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def bus_log() -> AsyncIterator[BusLog]:
    bus = EventBus()
    log = BusLog(bus)
    bus.subscribe("test-recorder", log.handle)
    await bus.start()
    yield log
    await bus.stop()


@pytest.fixture
def recording_tracker() -> RecordingTracker:
    return RecordingTracker()


MakeBridge = Callable[..., Awaitable[AmiBridge]]


@pytest.fixture
async def make_bridge(
    ami_server: FakeAmiServer, bus_log: BusLog, recording_tracker: RecordingTracker
) -> AsyncIterator[MakeBridge]:
    """Start an `AmiBridge` against the fake server; keyword arguments override the defaults."""
    bridges: list[AmiBridge] = []

    async def make(**overrides: Any) -> AmiBridge:
        # Overrides name the bridge's keyword arguments or a field of its login.
        login = AmiLogin("127.0.0.1", ami_server.port, ami_server.username, ami_server.secret)
        login = replace(
            login, **{f.name: overrides.pop(f.name) for f in fields(AmiLogin) if f.name in overrides}
        )
        config: dict[str, Any] = {
            "tracker": recording_tracker,
            "bus": bus_log.bus,
            "reconnect": ReconnectPolicy(initial=0.01, maximum=0.05, jitter=0.0),
            "ping_interval": 60.0,
        }
        bridge = AmiBridge(login, **(config | overrides))
        bridges.append(bridge)
        await bridge.start()
        return bridge

    yield make
    for bridge in bridges:
        await bridge.stop()


@pytest.fixture
async def connected_bridge(make_bridge: MakeBridge, bus_log: BusLog) -> AmiBridge:
    bridge = await make_bridge()
    await eventually(
        lambda: bridge.status.connected and bridge.status.resyncs == 1, "bridge logged in and resynced"
    )
    await bus_log.bus.drain()
    return bridge
