"""Fixtures for the seat workspace API: the real app (no PBX) with a hand-written fake CallControl,
and a driver that plays a call through the real `CallTracker` with synthetic AMI events."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import build_app, build_seat_workspace
from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD
from core.events import DomainEvent
from pbx.ami_event import AmiEvent
from seats.workspace import SeatWorkspace
from tests.support.app import demo_test_settings
from tests.support.events import routed_to_jingan_labor

PW = DEMO_ADMIN_PASSWORD
CALLER = "13812345678"


class FakeCallControl:
    """core.ports.CallControl that only records what it was asked to do."""

    def __init__(self) -> None:
        self.actions: list[tuple[str, dict[str, Any]]] = []

    def named(self, name: str) -> list[dict[str, Any]]:
        return [a for n, a in self.actions if n == name]

    async def ping(self) -> None:
        self.actions.append(("ping", {}))

    async def queue_add(
        self,
        queue: str,
        interface: str,
        *,
        member_name: str,
        state_interface: str | None = None,
        penalty: int = 0,
        paused: bool = False,
    ) -> None:
        self.actions.append(("queue_add", {"queue": queue, "interface": interface, "paused": paused}))

    async def queue_remove(self, queue: str, interface: str) -> None:
        self.actions.append(("queue_remove", {"queue": queue, "interface": interface}))

    async def queue_pause(
        self, interface: str, *, paused: bool, queue: str | None = None, reason: str = ""
    ) -> None:
        self.actions.append(("queue_pause", {"interface": interface, "paused": paused, "reason": reason}))

    async def originate(self, channel: str, *, context: str, exten: str, **kwargs: Any) -> None:
        self.actions.append(("originate", {"channel": channel, "context": context, "exten": exten, **kwargs}))

    async def redirect(self, channel: str, *, context: str, exten: str, priority: int = 1) -> None:
        self.actions.append(("redirect", {"channel": channel, "context": context, "exten": exten}))

    async def set_variable(self, channel: str, variable: str, value: str) -> None:
        self.actions.append(("set_variable", {"channel": channel, "variable": variable, "value": value}))

    async def hangup(self, channel: str, *, cause: int | None = None) -> None:
        self.actions.append(("hangup", {"channel": channel}))

    async def mute_audio(self, channel: str, *, direction: str, on: bool) -> None:
        self.actions.append(("mute_audio", {"channel": channel, "direction": direction, "on": str(on)}))

    async def attended_transfer(self, channel: str, *, exten: str, context: str) -> None:
        self.actions.append(("attended_transfer", {"channel": channel, "exten": exten, "context": context}))

    async def cancel_attended_transfer(self, channel: str) -> None:
        self.actions.append(("cancel_attended_transfer", {"channel": channel}))

    async def bridge(self, channel1: str, channel2: str) -> None:
        self.actions.append(("bridge", {"channel1": channel1, "channel2": channel2}))

    async def queue_status(self, queue: str | None = None) -> Sequence[Mapping[str, str]]:
        return []

    async def core_show_channels(self) -> Sequence[Mapping[str, str]]:
        return []


@dataclass
class Harness:
    client: TestClient
    runtime: Runtime
    control: FakeCallControl
    _t: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def login(self, user: str) -> dict[str, str]:
        self.client.cookies.clear()
        r = self.client.post("/api/login", json={"username": user, "password": PW})
        assert r.status_code == 200, r.text
        body: dict[str, str] = r.json()
        return body

    def publish(self, *events: DomainEvent) -> None:
        async def go() -> None:
            await self.runtime.bus.publish_all(list(events))
            await self.runtime.bus.drain()
            await self.runtime.bus.drain()  # the board's own facts, published from its handler

        self.client.portal.call(go)  # type: ignore[union-attr]

    def ami(self, name: str, **headers: str) -> None:
        """Feed one AMI event to the real tracker and publish what it emits, as the bridge does."""
        at = datetime(2026, 11, 23, 2, 0, tzinfo=UTC).timestamp() + next(self._t)
        event = AmiEvent.from_headers({"Event": name, "Timestamp": f"{at:.6f}", **headers})
        self.publish(*self.runtime.tracker.apply(event))

    def seat_in_queue(self, seat: str, queue: str = "q-310106-labor") -> None:
        self.ami(
            "QueueMemberAdded",
            Queue=queue,
            Interface=f"PJSIP/{seat}",
            MemberName=f"seat-{seat}",
            StateInterface=f"PJSIP/{seat}",
            Status="1",
            Paused="0",
        )

    def seat_on_call(self, seat: str) -> tuple[str, dict[str, str]]:
        """`seat` in the queue, a caller answered by it, the seat signed in: (call id, its login)."""
        self.seat_in_queue(seat)
        call = self.call_to(seat)
        return call, self.login(f"seat{seat}")

    def call_to(
        self,
        seat: str,
        *,
        uid: str = "1795300000.16",
        answer: bool = True,
        address: tuple[str, str, str] | None = None,
    ) -> str:
        """A caller goes through the IVR (法律咨询 › 劳动争议) to `seat`; returns the call id. With
        `address` (what the caller said, the lookup's outcome, its note) the IVR asked for one."""
        caller = {
            "Channel": f"PJSIP/trunk-{uid[-2:]}",
            "Uniqueid": uid,
            "Linkedid": uid,
            "CallerIDNum": CALLER,
        }
        self.ami("Newchannel", ChannelState="4", Context="incoming", Exten="12348", **caller)
        at = datetime.now(UTC)
        routed = routed_to_jingan_labor(uid, CALLER, at, why="静安区·劳动争议 工作时间内 → q-310106-labor")
        if address is not None:
            said, outcome, note = address
            routed = replace(routed, spoken_address=said, address_outcome=outcome, address_note=note)
        self.publish(routed)
        self.ami("QueueCallerJoin", Queue="q-310106-labor", Position="1", Count="1", **caller)
        seat_leg = {"DestChannel": f"PJSIP/{seat}-0000{uid[-2:]}", "DestUniqueid": uid + "1"}
        member = {"Queue": "q-310106-labor", "Interface": f"PJSIP/{seat}", "MemberName": f"seat-{seat}"}
        self.ami("AgentCalled", **caller, **seat_leg, **member)
        if answer:
            self.ami("AgentConnect", HoldTime="3", RingTime="2", **caller, **seat_leg, **member)
        return uid


def _settings(tmp_path: Path) -> Any:
    return demo_test_settings(tmp_path, "seat.db")


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    app = build_app(_settings(tmp_path))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        runtime: Runtime = app.state.runtime
        control = FakeCallControl()

        async def make() -> SeatWorkspace:
            return build_seat_workspace(runtime, control=control)

        app.state.seat_console = client.portal.call(make)  # type: ignore[union-attr]
        yield Harness(client, runtime, control)
