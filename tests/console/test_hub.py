"""`WebsocketHub` over fake sockets (issue 21): one subscriber serialises each event once and
offers it to every socket that may see it; a socket that cannot keep up loses only its own
backlog (one StateResynced frame instead), nobody is closed; a seat's device state repeated by
app_queue for each of its queues is pushed once; a session that ends closes its sockets (4401)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

import console_web.hub as hub_module
from console_web.hub import RESYNC, SESSION_ENDED, WebsocketHub
from core.bus import EventBus
from core.call_events import CallOffered, SeatDeviceStatus, SeatDeviceStatusChanged
from core.events import DomainEvent
from core.ids import CallId, SeatId
from tests.support.pushes import FakeSocket, settle

AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


@pytest.fixture
async def bus() -> AsyncIterator[EventBus]:
    b = EventBus()
    await b.start()
    yield b
    await b.stop()


def _offered(n: int, number: str = "13812345678") -> CallOffered:
    return CallOffered(
        at=AT,
        call_id=CallId(f"1796571440.{n}"),
        caller_number=number,
        dialed="12348",
        channel=f"PJSIP/{number}-0000000{n}",
    )


def _device(status: SeatDeviceStatus, queue: str) -> SeatDeviceStatusChanged:
    return SeatDeviceStatusChanged(
        at=AT, seat_id=SeatId("1001"), queue=queue, interface="PJSIP/1001", status=status, in_call=False
    )


async def _open(hub: WebsocketHub, ws: FakeSocket, **kw: Any) -> asyncio.Task[None]:
    task = asyncio.create_task(hub.serve(ws, **kw))  # type: ignore[arg-type]
    for _ in range(20):
        await asyncio.sleep(0)
    return task


async def test_given_many_sockets_when_an_event_is_pushed_then_it_is_serialised_once(
    bus: EventBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = hub_module.to_wire

    def counting(event: DomainEvent) -> dict[str, Any]:
        calls.append(type(event).__name__)
        return real(event)

    monkeypatch.setattr(hub_module, "to_wire", counting)
    hub = WebsocketHub(bus)
    sockets = [FakeSocket() for _ in range(30)]
    tasks = [await _open(hub, ws) for ws in sockets]
    for n in range(5):
        await bus.publish(_offered(n))
    await settle(bus)

    assert calls == ["CallOffered"] * 5  # not 5 x 30
    assert all(ws.types() == ["CallOffered"] * 5 for ws in sockets)
    # The caller's number is masked for every socket that may not see it in full.
    assert {ws.frames[1]["data"]["caller_number"] for ws in sockets} == {"138****5678"}
    for ws in sockets:
        await ws.close()
    await asyncio.gather(*tasks)
    assert hub.clients == 0


async def test_given_a_slow_socket_when_a_burst_overflows_it_then_only_it_resyncs_and_nobody_is_closed(
    bus: EventBus,
) -> None:
    hub = WebsocketHub(bus, queue_size=10)
    fast, slow = FakeSocket(), FakeSocket()
    tasks = [await _open(hub, fast), await _open(hub, slow)]
    slow.gate.clear()  # the slow browser takes nothing for a while
    for n in range(25):  # events as they come, the fast browser taking each
        await bus.publish(_offered(n))
        await settle(bus)
    assert fast.types() == ["CallOffered"] * 25
    slow.gate.set()
    await settle(bus)

    # Its backlog was dropped for one StateResynced (the page reloads its state), then the rest.
    assert "StateResynced" in slow.types() and len(slow.types()) < 25
    assert slow.frames[-1]["type"] == "CallOffered" and slow.frames[-1]["data"]["call_id"] == "1796571440.24"
    assert json.loads(RESYNC)["type"] == "StateResynced" and hub.resyncs >= 1
    assert fast.closed is None and slow.closed is None and hub.clients == 2
    for ws in (fast, slow):
        await ws.close()
    await asyncio.gather(*tasks)


async def test_given_events_waiting_for_a_socket_then_they_go_as_one_array_in_order(
    bus: EventBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub_module, "BATCH_MAX", 3)
    hub = WebsocketHub(bus)
    ws = FakeSocket()
    task = await _open(hub, ws)
    await bus.publish(_offered(0))
    await settle(bus)
    ws.gate.clear()  # the browser is slow: what comes meanwhile waits in the outbox
    for n in range(1, 6):
        await bus.publish(_offered(n))
    await settle(bus)
    ws.gate.set()
    await settle(bus)

    calls = [f["data"]["call_id"].split(".")[1] for f in ws.frames[1:]]
    assert calls == ["0", "1", "2", "3", "4", "5"]  # every event, in order
    # One alone goes as an object; those that waited go as arrays of at most BATCH_MAX.
    shapes = [len(m) if isinstance(m, list) else 1 for m in map(json.loads, ws.raw)]
    assert isinstance(json.loads(ws.raw[0]), dict) and 3 in shapes and max(shapes) == 3
    assert sum(shapes) == 6 and len(ws.raw) < 6
    await ws.close()
    await task


async def test_given_a_busy_socket_then_it_gets_at_most_one_message_per_pace_and_a_quiet_one_at_once(
    bus: EventBus,
) -> None:
    hub = WebsocketHub(bus, pace_s=0.2)
    ws = FakeSocket()
    task = await _open(hub, ws)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for n in range(40):  # an event every 5 ms for 0.2 s
        await bus.publish(_offered(n))
        await asyncio.sleep(0.005)
    elapsed = loop.time() - started
    await settle(bus)
    await asyncio.sleep(0.3)

    assert [f["data"]["call_id"] for f in ws.frames[1:]] == [f"1796571440.{n}" for n in range(40)]
    assert len(ws.raw) <= elapsed / 0.2 + 2 < 40  # paced: many events to a message

    await asyncio.sleep(0.3)  # quiet for longer than the pace: the next event goes at once
    before, sent_at = len(ws.raw), loop.time()
    await bus.publish(_offered(99))
    while len(ws.raw) == before:
        await asyncio.sleep(0.001)
    assert loop.time() - sent_at < 0.15
    await ws.close()
    await task


async def test_given_a_seats_device_state_from_each_of_its_queues_then_it_is_pushed_once(
    bus: EventBus,
) -> None:
    hub = WebsocketHub(bus)
    ws = FakeSocket()
    task = await _open(hub, ws)
    for queue in ("q-310106-labor", "q-city-labor", "q-city-family", "q-city-other"):
        await bus.publish(_device(SeatDeviceStatus.IN_USE, queue))
    await bus.publish(_device(SeatDeviceStatus.NOT_IN_USE, "q-310106-labor"))  # a change: pushed
    await settle(bus)

    assert [f["data"]["status"] for f in ws.frames if f["type"] == "SeatDeviceStatusChanged"] == [
        "in_use",
        "not_in_use",
    ]
    assert hub.events_coalesced == 3
    await ws.close()
    await task


async def test_given_filters_and_number_rights_then_each_socket_gets_what_it_may_see(bus: EventBus) -> None:
    hub = WebsocketHub(bus)
    admin, seat = FakeSocket(), FakeSocket()
    tasks = [
        await _open(hub, admin, full_numbers=True),
        await _open(hub, seat, allowed=lambda e: not isinstance(e, CallOffered)),
    ]
    await bus.publish(_offered(1))
    await bus.publish(_device(SeatDeviceStatus.RINGING, "q-city-labor"))
    await settle(bus)

    assert admin.types() == ["CallOffered", "SeatDeviceStatusChanged"]
    assert admin.frames[1]["data"]["caller_number"] == "13812345678"
    assert seat.types() == ["SeatDeviceStatusChanged"]
    for ws in (admin, seat):
        await ws.close()
    await asyncio.gather(*tasks)


async def test_given_a_session_closed_then_its_socket_is_closed_with_4401_and_its_reason(
    bus: EventBus,
) -> None:
    hub = WebsocketHub(bus)
    mine, other = FakeSocket(), FakeSocket()
    tasks = [
        await _open(hub, mine, session="s1", user="u1"),
        await _open(hub, other, session="s2", user="u2"),
    ]

    assert hub.close_session("s1") == 1
    await tasks[0]
    assert mine.closed == (SESSION_ENDED, "已退出登录") and other.closed is None
    await bus.publish(_offered(2))
    await settle(bus)
    assert other.types() == ["CallOffered"] and hub.clients == 1
    await other.close()
    await tasks[1]


async def test_given_the_hub_falls_behind_the_bus_then_every_socket_resyncs_and_later_events_still_come(
    bus: EventBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub_module, "HUB_QUEUE", 3)
    hub = WebsocketHub(bus)
    ws = FakeSocket()
    task = await _open(hub, ws)
    for n in range(10):  # published faster than the hub's queue of 3 is handled
        await bus.publish(_offered(n))
    await settle(bus)
    await bus.publish(_offered(99))
    await settle(bus)

    assert "StateResynced" in ws.types()
    assert ws.frames[-1]["type"] == "CallOffered" and ws.frames[-1]["data"]["call_id"] == "1796571440.99"
    await ws.close()
    await task
