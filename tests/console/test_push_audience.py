"""The hub routes each event to the sockets whose `Scope` sees it (issue 21): exactly what
`Scope.sees` decides over the event's own audience keys, with the audience worked out once per
event however many sockets are open, and a socket filed anew when its scope changes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from console_web.hub import WebsocketHub
from core.access import Scope
from core.bus import EventBus
from core.call_events import CallOffered, CallQueued, SeatDeviceStatus, SeatDeviceStatusChanged
from core.events import ComponentStatusChanged, DomainEvent, call_id_of
from core.ids import CallId, SeatId, TeamId
from core.seat_events import SeatStateChanged, SeatStatus
from tests.support.pushes import FakeSocket, settle

AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def scope(*keys: str, citywide: bool = False) -> Scope:
    return Scope(citywide, "测试", None, frozenset(), frozenset(), frozenset(keys))


SCOPES = [
    scope(citywide=True),
    scope("district:310106"),
    scope("district:310104"),
    scope("seat:1001"),
    scope("seat:1002"),
    scope("team:t-310106", "seat:1001", "district:310106"),
    scope(),  # nothing of its own: only facts about no one
]


def _device(seat: str, queue: str, status: SeatDeviceStatus) -> SeatDeviceStatusChanged:
    return SeatDeviceStatusChanged(
        at=AT, seat_id=SeatId(seat), interface=f"PJSIP/{seat}", queue=queue, status=status, in_call=False
    )


EVENTS: list[DomainEvent] = [
    CallQueued(at=AT, call_id=CallId("c1"), queue="q-310106-labor", position=1),
    CallQueued(at=AT, call_id=CallId("c2"), queue="q-city-other", position=2),  # keyless, about a call
    CallOffered(
        at=AT, call_id=CallId("c3"), caller_number="13812345678", dialed="12348", channel="PJSIP/x-1"
    ),
    _device("1001", "q-city-other", SeatDeviceStatus.IN_USE),
    _device("1002", "q-310104-family", SeatDeviceStatus.RINGING),
    SeatStateChanged(
        at=AT,
        seat_id=SeatId("1003"),
        team_id=TeamId("t-310106"),
        previous=SeatStatus.OFFLINE,
        status=SeatStatus.AVAILABLE,
    ),
    ComponentStatusChanged(at=AT, component="ami", up=False),  # about no one and no call
]


def got(ws: FakeSocket) -> list[str]:
    """What a socket was pushed after its hello, as `type:call, seat or component`."""
    return [
        f"{f['type']}:{f['data'].get('call_id') or f['data'].get('seat_id') or f['data'].get('component')}"
        for f in ws.frames[1:]
    ]


def _label(event: DomainEvent) -> str:
    name = (
        getattr(event, "call_id", None)
        or getattr(event, "seat_id", None)
        or getattr(event, "component", None)
    )
    return f"{type(event).__name__}:{name}"


async def _serve(hub: WebsocketHub, sockets: list[FakeSocket], scopes: list[Scope], **kw: Any) -> list[Any]:
    tasks = [asyncio.create_task(hub.serve(s, scope=sc, **kw)) for s, sc in zip(sockets, scopes, strict=True)]  # type: ignore[arg-type]
    for _ in range(20):
        await asyncio.sleep(0)
    return tasks


async def _close(sockets: list[FakeSocket], tasks: list[Any]) -> None:
    for s in sockets:
        await s.close()
    await asyncio.gather(*tasks)


async def test_given_sockets_of_every_scope_then_each_gets_exactly_what_its_scope_sees() -> None:
    bus = EventBus()
    await bus.start()
    hub = WebsocketHub(bus, coalesce_s=0)
    sockets = [FakeSocket() for _ in SCOPES]
    tasks = await _serve(hub, sockets, SCOPES)
    for event in EVENTS:
        await bus.publish(event)
    await settle(bus)

    for s, sc in zip(sockets, SCOPES, strict=True):
        expected = [
            _label(e) for e in EVENTS if sc.sees(e.audience(), about_a_call=call_id_of(e) is not None)
        ]
        assert got(s) == expected, sc
    # the rule is not vacuous here: the city sees all, a seat only its own, the keyless scope one
    assert len(got(sockets[0])) == len(EVENTS)
    assert got(sockets[3]) == ["SeatDeviceStatusChanged:1001", "ComponentStatusChanged:ami"]
    assert got(sockets[5]) == [
        "CallQueued:c1",
        "SeatDeviceStatusChanged:1001",
        "SeatStateChanged:1003",
        "ComponentStatusChanged:ami",
    ]
    assert got(sockets[6]) == ["ComponentStatusChanged:ami"]
    await _close(sockets, tasks)
    await bus.stop()


async def test_given_many_sockets_then_an_events_audience_is_worked_out_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[DomainEvent] = []
    original = DomainEvent.audience

    def counting(self: DomainEvent) -> frozenset[str]:
        built.append(self)
        return original(self)

    monkeypatch.setattr(DomainEvent, "audience", counting)
    bus = EventBus()
    await bus.start()
    hub = WebsocketHub(bus, coalesce_s=0)
    scopes = SCOPES * 50
    sockets = [FakeSocket() for _ in scopes]
    tasks = await _serve(hub, sockets, scopes)
    for event in EVENTS:
        await bus.publish(event)
    await settle(bus)

    assert built == EVENTS
    assert sum(len(got(s)) for s in sockets) == 50 * sum(
        sc.sees(e.audience(), about_a_call=call_id_of(e) is not None) for sc in SCOPES for e in EVENTS
    )
    await _close(sockets, tasks)
    await bus.stop()


async def test_given_a_recheck_with_a_new_scope_then_the_socket_is_routed_by_it() -> None:
    bus = EventBus()
    await bus.start()
    now: list[Scope] = [scope("seat:1001")]

    async def recheck(sessions: list[str]) -> dict[str, str | Scope]:
        return {s: now[0] for s in sessions}

    hub = WebsocketHub(bus, coalesce_s=0, recheck_s=0.01, recheck=recheck)

    socket = FakeSocket()
    tasks = await _serve(hub, [socket], [now[0]], session="s-1")
    await bus.publish(_device("1002", "q-city-other", SeatDeviceStatus.IN_USE))
    await settle(bus)
    assert got(socket) == []

    now[0] = scope("seat:1002")  # moved to another seat
    await asyncio.sleep(0.05)
    await bus.publish(_device("1002", "q-city-other", SeatDeviceStatus.NOT_IN_USE))
    await bus.publish(_device("1001", "q-city-other", SeatDeviceStatus.NOT_IN_USE))
    await settle(bus)
    assert got(socket) == ["SeatDeviceStatusChanged:1002"]
    await _close([socket], tasks)
    assert hub._by_key == {} and not hub._scoped  # a closed socket leaves the index
    await bus.stop()
