"""Fakes and builders for the callback tests (hand-written, beside the real adapters).

Importable from the tests because conftest.py puts this folder on sys.path (importlib mode).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from callbacks.service import CallbackService, CallbackSettings
from callbacks.sla import SlaPolicy
from core.bus import EventBus, Subscription
from core.clock import ManualClock
from core.errors import PbxUnavailable
from core.events import DomainEvent
from core.ids import SeatId, TeamId
from pbx.ami_event import AmiEvent, parse_trace
from routing.calendar import HolidayCalendar
from store.callback_repo_extras import CallbackLedgerRepository
from store.db import Database
from store.follow_ups import FollowUpRepository
from store.repositories import WorkOrderRepository

TRACES = Path(__file__).resolve().parents[2].parent / "shared" / "asterisk-traces"


@dataclass(frozen=True, slots=True)
class FakeSeat:
    id: SeatId
    team_id: TeamId
    interface: str
    skills: tuple[str, ...] = ()


def seat(seat_id: str, team: str = "team-310106", skills: tuple[str, ...] = ()) -> FakeSeat:
    return FakeSeat(SeatId(seat_id), TeamId(team), f"PJSIP/{seat_id}", skills)


@dataclass
class FakeSeats:
    seats: dict[SeatId, FakeSeat] = field(default_factory=dict)
    free: set[SeatId] = field(default_factory=set)

    def add(self, *items: FakeSeat, available: bool = True) -> None:
        for s in items:
            self.seats[s.id] = s
            if available:
                self.free.add(s.id)

    def seat(self, seat_id: SeatId) -> FakeSeat | None:
        return self.seats.get(seat_id)

    async def available_seats(self, team_id: TeamId) -> Sequence[FakeSeat]:
        return [s for s in self.seats.values() if s.team_id == team_id and s.id in self.free]


@dataclass
class FakeCallControl:
    """Records Originates; `down` makes the next ones fail like an unreachable AMI."""

    originates: list[dict[str, Any]] = field(default_factory=list)
    down: bool = False

    async def originate(self, channel: str, **kwargs: Any) -> None:
        if self.down:
            raise PbxUnavailable("AMI 未连接")
        self.originates.append({"channel": channel, **kwargs})


@dataclass
class Rig:
    service: CallbackService
    store: WorkOrderRepository
    ledger: CallbackLedgerRepository
    calls: FakeCallControl
    seats: FakeSeats
    clock: ManualClock
    bus: EventBus
    sub: Subscription

    def events(self) -> list[DomainEvent]:
        """Everything published since the last call (the bus is not started: we read its queue)."""
        out: list[DomainEvent] = []
        while not self.sub.queue.empty():
            out.append(self.sub.queue.get_nowait())
            self.sub.queue.task_done()
        return out


def make_rig(
    db: Database,
    clock: ManualClock,
    calendar: HolidayCalendar,
    settings: CallbackSettings | None = None,
    seats: FakeSeats | None = None,
    calls: FakeCallControl | None = None,
    sla: SlaPolicy | None = None,
) -> Rig:
    bus = EventBus()
    sub = bus.subscribe("test", _ignore)
    store, ledger = WorkOrderRepository(db), CallbackLedgerRepository(db)
    seats = seats or FakeSeats()
    calls = calls or FakeCallControl()
    service = CallbackService(
        store=store,
        ledger=ledger,
        calls=calls,
        bus=bus,
        clock=clock,
        seats=seats,
        sla=sla or SlaPolicy(calendar=calendar),
        settings=settings,
        follow_ups=FollowUpRepository(db),
    )
    return Rig(service, store, ledger, calls, seats, clock, bus, sub)


async def _ignore(event: DomainEvent) -> None:
    return None


def trace_events(name: str, rewrite: Mapping[str, str] | None = None) -> list[AmiEvent]:
    """A recorded trace's events; `rewrite` replaces header values (e.g. an ActionID)."""
    out: list[AmiEvent] = []
    last = datetime(2026, 1, 1, tzinfo=UTC)
    for kind, headers in parse_trace((TRACES / name).read_bytes()):
        if kind != "event":
            continue
        if rewrite:
            headers = {k: rewrite.get(v, v) if k == "ActionID" else v for k, v in headers.items()}
        event = AmiEvent.from_headers(headers, received_at=last)
        last = event.at
        out.append(event)
    return out


def of_type(events: Sequence[DomainEvent], cls: type[DomainEvent]) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]
