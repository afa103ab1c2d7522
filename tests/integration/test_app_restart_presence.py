"""The hotline restarts (issue 14): what the seats and calls were in before must come back from
the database and the PBX, not be forgotten. Whole system against the embedded simulator, the
database kept across the two runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.runtime import Runtime
from app.seed import DEMO_SEATS
from app.settings import Settings, demo_settings
from core.calls import CallStatus
from core.ids import CallId, SeatId
from seats.state import PauseReason, SeatStatus
from store.db import Database
from store.repositories import CallRepository
from tests.support.net import free_port
from tests.support.polling import until

pytestmark = pytest.mark.slow

DEMO = [SeatId(sid) for sid, *_ in DEMO_SEATS]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """The hotline's database, kept across its restarts."""
    database = Database(f"sqlite:///{tmp_path / 'restart.db'}")
    yield database
    database.dispose()


def _settings(db: Database, ami_port: int = 0, **sim: object) -> Settings:
    return demo_settings(
        database={"url": db.url, "auto_migrate": True},
        ami={"port": ami_port, "action_timeout_s": 5.0},
        agi={"port": 0},
        audiosocket={"enabled": False},
        callbacks={"tick_s": 3600.0},
        sim={"enabled": True, "calls_per_hour": 0.0, "seed": 3} | sim,
    )


async def test_given_a_seat_paused_for_a_meal_when_the_hotline_restarts_then_it_comes_back_paused_for_a_meal(
    db: Database,
) -> None:
    seat = DEMO[0]
    first = Runtime(_settings(db))
    await first.start()
    try:
        board = first.board
        assert board is not None and first.seats.service is not None
        await until(lambda: all(board.queues[s] for s in DEMO), 20, "demo seats logged in")
        await first.seats.service.pause(seat, PauseReason.MEAL)
        await until(lambda: board.state(seat).status is SeatStatus.PAUSED, 10, "the seat paused")
    finally:
        await first.stop()

    second = Runtime(_settings(db))
    await second.start()
    try:
        board = second.board
        assert board is not None
        await until(lambda: all(board.queues[s] for s in DEMO), 20, "demo seats back in their queues")
        await second.bus.drain()
        await until(lambda: board.state(seat).status is SeatStatus.PAUSED, 10, "the seat paused again")
        state = board.state(seat)
        assert state.pause_reason is PauseReason.MEAL, state
        assert all(board.state(s).status is SeatStatus.AVAILABLE for s in DEMO if s != seat)
    finally:
        await second.stop()


async def test_given_calls_talking_when_the_hotline_and_its_pbx_restart_then_those_calls_are_closed(
    db: Database,
) -> None:
    busy = {"calls_per_hour": 1800.0, "time_scale": 1.0, "mean_talk_s": 600.0, "mean_patience_s": 600.0}
    first = Runtime(_settings(db, **busy))
    await first.start()
    calls = CallRepository(db)

    def talking() -> list[CallId]:
        return [c.id for c in calls.recent(limit=200) if c.status is CallStatus.TALKING]

    try:
        await until(lambda: bool(talking()), 60, "a call talking")
    finally:
        await first.stop()
    cut_off = talking()
    assert cut_off and all(calls.get(c).ended_at is None for c in cut_off)

    second = Runtime(_settings(db))
    await second.start()
    try:
        await until(
            lambda: all(calls.get(c).ended_at is not None for c in cut_off),
            20,
            "the cut-off calls closed",
        )
        for c in cut_off:
            closed = calls.get(c)
            assert closed.status is CallStatus.ANSWERED and closed.hung_up_by == "unknown", closed
        assert not set(cut_off) & set(second.tracker.calls)
    finally:
        await second.stop()


async def test_given_a_seat_paused_for_a_meal_when_only_the_hotline_restarts_then_it_comes_back_paused_for_a_meal(
    db: Database,
) -> None:
    # The PBX keeps running (and keeps its members) while the hotline restarts.
    port = free_port()
    settings = _settings(db, port, enabled=False)
    seat = DEMO[0]
    first = Runtime(settings)
    await first.start()
    pbx = await first.sim.launch([first.repos.seats.get(s) for s in DEMO], agi_port=None, ami_port=port)
    try:
        try:
            board, service = first.board, first.seats.service
            assert board is not None and service is not None
            await until(lambda: first.bridge is not None and first.bridge.status.connected, 20, "AMI up")
            await service.login(seat)
            await until(lambda: board.state(seat).status is SeatStatus.AVAILABLE, 10, "the seat in")
            await service.pause(seat, PauseReason.MEAL)
            await until(lambda: board.state(seat).status is SeatStatus.PAUSED, 10, "the seat paused")
        finally:
            await first.stop()
        second = Runtime(settings)
        await second.start()
        try:
            board = second.board
            assert board is not None
            await until(lambda: bool(board.queues[seat]), 20, "the seat's queues read from the PBX")
            await second.bus.drain()
            await until(lambda: board.state(seat).status is SeatStatus.PAUSED, 10, "the seat paused again")
            assert board.state(seat).pause_reason is PauseReason.MEAL, board.state(seat)
        finally:
            await second.stop()
    finally:
        await pbx.stop()
