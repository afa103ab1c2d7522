"""After-call work against the simulator: the member is really paused in the PBX (so app_queue
offers it no call) while the board shows wrap-up, and resumed afterwards."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from app.runtime import Runtime
from app.seed import DEMO_SEATS
from app.settings import demo_settings
from core.ids import SeatId
from seats.state import SeatStatus
from store.db import Database
from tests.support.polling import until

pytestmark = pytest.mark.slow

DEMO = [SeatId(sid) for sid, *_ in DEMO_SEATS]


async def test_given_after_call_work_when_a_seat_hangs_up_then_the_pbx_pauses_it_until_the_work_is_over(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'acw.db'}")
    settings = demo_settings(
        database={"url": db.url, "auto_migrate": True},
        ami={"port": 0},
        agi={"port": 0},
        audiosocket={"enabled": False},
        # Real time in the simulator: app_queue's wrapuptime (1 s) must outlast the pause's AMI
        # round trip, as on a real Asterisk; sped up, a waiting caller would be offered first.
        seats={"wrap_up_s": 1.0, "after_call_work_s": 3.0},
        callbacks={"tick_s": 3600.0},
        sim={"enabled": True, "calls_per_hour": 1200.0, "time_scale": 1.0, "mean_talk_s": 5.0, "seed": 5},
    )
    runtime = Runtime(settings)
    await runtime.start()
    try:
        board, sim = runtime.board, runtime.simulator
        assert board is not None and sim is not None

        def member_paused(seat: SeatId) -> set[tuple[bool, str]]:
            return {
                (m.paused, m.paused_reason)
                for q in sim.pbx.queues.values()
                for m in q.members
                if m.name == f"seat-{seat}"
            }

        def paused_in_wrap_up() -> SeatId | None:
            # Under load app_queue may offer a seat its next call (wrapuptime 1 s) before the pause
            # lands; the board then keeps it ringing (tests/seats/test_after_call.py). Watch a seat
            # whose pause the PBX confirmed while it was still in wrap-up.
            return next(
                (
                    s
                    for s in DEMO
                    if board.state(s).status is SeatStatus.WRAP_UP
                    and member_paused(s) == {(True, "after_call")}
                ),
                None,
            )

        await until(lambda: paused_in_wrap_up() is not None, 60, "a wrap-up paused in the PBX")
        seat = paused_in_wrap_up()
        assert seat is not None
        since = board.state(seat).since
        assert since is not None
        seen: set[SeatStatus] = set()
        async with asyncio.timeout(15):
            while member_paused(seat) == {(True, "after_call")}:
                seen.add(board.state(seat).status)
                await asyncio.sleep(0.05)
        # Past the 1 s wrap-up the seat stayed in wrap-up until the PBX resumed the member.
        assert seen == {SeatStatus.WRAP_UP}
        assert member_paused(seat) == {(False, "")}
        assert runtime.clock.now() - since >= timedelta(seconds=2)
        await until(lambda: board.state(seat).status is not SeatStatus.WRAP_UP, 5, "the wrap-up to end")
    finally:
        await runtime.stop()
        db.dispose()
