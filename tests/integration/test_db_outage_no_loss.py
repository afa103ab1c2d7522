"""A real database outage: a private PostgreSQL cluster is stopped while calls go on, the process
is even restarted during the outage, and after the database comes back every call, trail line and
work order is there exactly once. The health check tells the truth meanwhile.

These tests start their own server (they do not need HOTLINE_TEST_DATABASE_URL); they skip with
the reason when the PostgreSQL binaries are not installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.main import build_app
from app.settings import demo_settings
from callbacks.service import CallbackService
from callbacks.sla import SlaPolicy
from callbacks.subscriber import subscribe_callbacks
from core.bus import EventBus, Handler
from core.call_events import (
    CallAbandoned,
    CallAnswered,
    CallDirection,
    CallEnded,
    CallOffered,
    CallQueued,
    HangupParty,
)
from core.clock import ManualClock
from core.events import DomainEvent
from core.ids import CallId, EventId, SeatId, TeamId
from routing.calendar import load_holidays
from store.callback_repo_extras import CallbackLedgerRepository
from store.db import Database
from store.journal import EventJournal, JournaledHandler
from store.migrate import upgrade
from store.models import CallEventRow, CallRow, WorkOrderCallRow, WorkOrderRow
from store.recorder import TrailRecorder
from store.repositories import CallRepository, WorkOrderRepository
from tests.support.polling import until, wait_until
from tests.support.private_postgres import PrivatePostgres, available

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def cluster() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    pg.start()
    try:
        yield pg
    finally:
        pg.close()


def _call(n: int, *, abandoned: bool) -> list[DomainEvent]:
    """One inbound call's events as the tracker publishes them. Callers 0-9 call twice."""
    cid = CallId(f"17961{n:05d}.{n}")
    number = f"1390000{n % 10:04d}" if n < 20 else f"1380000{n:04d}"
    at = T0 + timedelta(minutes=n)
    out: list[DomainEvent] = [
        CallOffered(
            at=at,
            event_id=EventId(f"{cid}:offered"),
            call_id=cid,
            channel="PJSIP/x",
            caller_number=number,
            dialed="12348",
        ),
        CallQueued(
            at=at,
            event_id=EventId(f"{cid}:queued:q-city-other"),
            call_id=cid,
            queue="q-city-other",
            position=1,
            caller_number=number,
        ),
    ]
    end = at + timedelta(seconds=40)
    if abandoned:
        out.append(
            CallAbandoned(
                at=end,
                event_id=EventId(f"{cid}:abandoned"),
                call_id=cid,
                queue="q-city-other",
                wait_seconds=40.0,
                position=1,
                original_position=1,
                caller_number=number,
            )
        )
    else:
        out.append(
            CallAnswered(
                at=at + timedelta(seconds=5),
                event_id=EventId(f"{cid}:answered"),
                call_id=cid,
                seat_id=SeatId("1001"),
                interface="PJSIP/1001",
                queue="q-city-other",
                wait_seconds=5.0,
            )
        )
    out.append(
        CallEnded(
            at=end,
            event_id=EventId(f"{cid}:ended"),
            call_id=cid,
            direction=CallDirection.INBOUND,
            hung_up_by=HangupParty.CALLER,
            answered=not abandoned,
            talk_seconds=None if abandoned else 35.0,
            duration_seconds=40.0,
            cause=16,
        )
    )
    return out


@dataclass
class _NoSeats:
    def seat(self, seat_id: SeatId) -> None:
        return None

    async def available_seats(self, team_id: TeamId) -> Sequence[Any]:
        return []


@dataclass
class _NoCalls:
    originates: list[str] = field(default_factory=list)

    async def originate(self, channel: str, **kwargs: Any) -> None:
        self.originates.append(channel)


class Process:
    """What one app process holds: the bus, the recorder and the callback policy, journaled."""

    def __init__(self, db: Database, journal_dir: Path) -> None:
        self.bus = EventBus()
        self.journal = EventJournal(journal_dir)
        self.guards: list[JournaledHandler] = []
        service = CallbackService(
            store=WorkOrderRepository(db),
            ledger=CallbackLedgerRepository(db),
            calls=_NoCalls(),  # type: ignore[arg-type]
            bus=self.bus,
            clock=ManualClock(T0),
            seats=_NoSeats(),
            sla=SlaPolicy(calendar=load_holidays()),
        )
        self.recorder = TrailRecorder(self.bus, CallRepository(db), guard=self._guard)
        subscribe_callbacks(self.bus, service, guard=self._guard)

    def _guard(self, name: str, handler: Handler) -> Handler:
        guarded = JournaledHandler(name, handler, self.journal, base_delay=0.05, max_delay=0.5)
        guarded.start()
        self.guards.append(guarded)
        return guarded

    async def start(self) -> None:
        await self.recorder.start()
        await self.bus.start()

    async def publish(self, events: list[DomainEvent]) -> None:
        for e in events:
            await self.bus.publish(e)
        await self.bus.drain()

    def backlog(self) -> int:
        return sum(g.backlog for g in self.guards)

    async def kill(self) -> None:
        """Gone without a goodbye: tasks cancelled, nothing flushed (the journal is on disk)."""
        for g in self.guards:
            await g.stop()
        await self.bus.stop(drain_timeout=0.1)


def _count(db: Database, model: Any) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.slow
async def test_given_the_database_stopped_mid_traffic_and_the_process_restarted_when_it_comes_back_then_nothing_is_lost_or_doubled(
    cluster: PrivatePostgres, tmp_path: Path
) -> None:
    db = Database(cluster.url)
    upgrade(db.url, engine=db.engine)
    journal_dir = tmp_path / "journal"
    before = [e for n in range(0, 10) for e in _call(n, abandoned=n % 2 == 0)]
    during = [e for n in range(10, 30) for e in _call(n, abandoned=n % 3 != 0)]
    first = Process(db, journal_dir)
    await first.start()
    await first.publish(before)

    await asyncio.to_thread(cluster.stop)  # the outage
    await first.publish(during[: len(during) // 2])
    assert first.backlog() > 0
    await first.kill()  # and the app is killed during it, then started again
    second = Process(db, journal_dir)
    await second.start()
    assert second.backlog() > 0  # the backlog came back from the journal files
    await second.publish(during[len(during) // 2 :])
    await asyncio.sleep(0.3)  # the replay keeps failing while the server is down...
    assert second.backlog() > 0
    await asyncio.to_thread(cluster.start)  # ...and applies everything once it is back
    await until(lambda: second.backlog() == 0, timeout=60.0)
    await second.kill()

    all_events = before + during
    calls = {e.call_id for e in all_events if isinstance(e, CallOffered)}
    abandoned = [e for e in all_events if isinstance(e, CallAbandoned)]
    numbers = {e.caller_number for e in abandoned}
    assert _count(db, CallRow) == len(calls)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(CallRow).where(CallRow.ended_at.is_(None))) == 0
    with db.session() as s:  # the whole trail, each line once (work-order events join it too)
        trail = list(s.scalars(select(CallEventRow.event_id)))
    ours = {e.event_id for e in all_events}
    assert len(trail) == len(set(trail)) and len([t for t in trail if t in ours]) == len(ours)
    assert _count(db, WorkOrderCallRow) == len(abandoned)  # every missed call, once
    assert _count(db, WorkOrderRow) == len(numbers)  # one open order per caller
    assert EventJournal(journal_dir).dead_letters() == []
    db.dispose()


@pytest.mark.slow
def test_given_the_database_down_when_health_is_asked_then_503_names_it_and_200_once_it_is_back(
    cluster: PrivatePostgres, tmp_path: Path
) -> None:
    settings = demo_settings(
        database={"url": cluster.url, "auto_migrate": True},
        sim={"enabled": False},
        ami={"enabled": False},
        agi={"port": 0},
        audiosocket={"enabled": False},
        journal={"dir": str(tmp_path / "journal")},
    )
    with TestClient(build_app(settings), base_url="http://127.0.0.1") as client:
        assert client.get("/healthz").json() == {"ok": True}
        cluster.stop()
        wait_until(
            lambda: client.get("/healthz").status_code == 503, 30, "/healthz to answer 503", interval=0.1
        )
        body = client.get("/healthz").json()
        assert body["ok"] is False and [f["name"] for f in body["failing"]] == ["database"]
        assert "数据库不可用" in body["message"] and "database unavailable" in body["message"]
        # The API answers 503 with the reason instead of a bare 500.
        login = client.post("/api/login", json={"username": "admin", "password": "demo12348"})
        assert login.status_code == 503 and login.json()["error_id"] == "backend.unavailable"
        cluster.start()
        wait_until(
            lambda: client.get("/healthz").status_code == 200, 30, "/healthz to answer 200", interval=0.1
        )
