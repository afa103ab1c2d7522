"""A PBX restart while seats talk (issue 12): Asterisk forgets its dynamic queue members, so the
seats must be put back from our own record, and the board must not show a seat available while the
PBX has it in no queue. Whole system against the simulator; the restart is the old simulator
stopped and a fresh one (no members, no calls) started on the same AMI port.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.runtime import Runtime
from app.seed import DEMO_SEATS
from app.settings import demo_settings
from core.call_events import CallAnswered
from core.events import DomainEvent, StateResynced
from core.ids import SeatId
from seats.state import SeatStatus
from store.db import Database
from tests.support.polling import until

pytestmark = pytest.mark.slow

DEMO = [SeatId(sid) for sid, *_ in DEMO_SEATS]


async def test_given_seats_talking_when_the_pbx_restarts_then_they_are_put_back_and_calls_are_answered_again(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'restart.db'}")
    settings = demo_settings(
        database={"url": db.url, "auto_migrate": True},
        ami={"port": 0, "action_timeout_s": 5.0},
        agi={"port": 0},
        audiosocket={"enabled": False},
        seats={"wrap_up_s": 2.0},
        callbacks={"tick_s": 3600.0},
        sim={
            "enabled": True,
            "calls_per_hour": 900.0,
            "time_scale": 8.0,
            "mean_talk_s": 40.0,
            "mean_patience_s": 60.0,
            "seed": 11,
        },
    )
    runtime = Runtime(settings)
    answered_after: list[CallAnswered] = []
    resyncs: list[StateResynced] = []
    restarted = False

    async def watch(event: DomainEvent) -> None:
        if isinstance(event, StateResynced):
            resyncs.append(event)
        elif isinstance(event, CallAnswered) and restarted:
            answered_after.append(event)

    runtime.bus.subscribe("test-watch", watch, types=(StateResynced, CallAnswered))
    await runtime.start()
    try:
        board, old = runtime.board, runtime.simulator
        assert board is not None and old is not None and runtime.ivr.server is not None
        await until(lambda: all(board.queues[s] for s in DEMO), 20, "demo seats logged in")
        await until(
            lambda: any(board.state(s).status is SeatStatus.TALKING for s in DEMO), 40, "a seat talking"
        )
        talking = [s for s in DEMO if board.state(s).status is SeatStatus.TALKING]

        # The PBX restarts: calls and queue members are gone; it comes back on the same port.
        port = old.port
        seats = [runtime.repos.seats.get(s) for s in DEMO]
        await old.stop()
        restarted = True
        new = runtime.sim.simulator = await runtime.sim.launch(
            seats, agi_port=runtime.ivr.port, ami_port=port
        )

        def pbx_members() -> dict[str, set[str]]:
            out: dict[str, set[str]] = {}
            for q in new.pbx.queues.values():
                for m in q.members:
                    out.setdefault(m.name, set()).add(q.config.name)
            return out

        assert runtime.seats.service is not None
        expected = {f"seat-{s}": set(runtime.seats.service.queues_of(s)) for s in DEMO}
        await until(lambda: pbx_members() == expected, 30, "every seat back in all its queues in the PBX")
        await until(lambda: len(answered_after) >= 3, 60, "calls answered after the restart")
        await runtime.bus.drain()

        assert len(resyncs) >= 2
        assert talking, "the restart must hit seats mid-call"
        # The board shows the truth: a seat shown available is in the PBX's queues.
        members = pbx_members()
        for s in DEMO:
            if board.state(s).status is SeatStatus.AVAILABLE:
                assert members.get(f"seat-{s}"), s
        assert {e.seat_id for e in answered_after} <= set(DEMO)
    finally:
        await runtime.stop()
        db.dispose()
