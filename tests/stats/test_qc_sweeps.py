"""How the QC queue's sweeps follow the calls' ends: after `settle_s`, one at a time, and spaced by
what the last one cost (a province's two weeks of calls must not keep a worker thread busy)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any, cast

from core.asr_events import PostCallTranscriptReady
from core.call_events import CallDirection, CallEnded, HangupParty
from core.clock import ManualClock
from core.ids import CallId
from stats.quality_service import SWEEP_SPACING, QualityService


def ended(n: int) -> CallEnded:
    return CallEnded(
        at=datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
        call_id=CallId(f"c-{n}"),
        direction=CallDirection.INBOUND,
        hung_up_by=HangupParty.CALLER,
        answered=True,
        talk_seconds=60.0,
        duration_seconds=70.0,
        cause=16,
    )


class Timed:
    """A QualityService whose sweep only sleeps `cost_s` (in its worker thread) and notes when it ran."""

    def __init__(self, cost_s: float) -> None:
        nothing = cast(Any, None)
        self.service = QualityService(
            nothing, nothing, nothing, nothing, nothing, ManualClock(datetime.now(UTC))
        )
        self.service.settle_s = 0.02
        self.runs: list[tuple[float, float]] = []
        self.checked: list[set[str]] = []
        self.cost_s = cost_s

        def sweep() -> int:
            started = time.monotonic()
            time.sleep(self.cost_s)
            self.runs.append((started, time.monotonic()))
            return 0

        def check(call_ids: set[str]) -> int:
            self.checked.append(set(call_ids))
            return 0

        self.service.sweep = sweep  # type: ignore[method-assign]
        self.service.check_transcripts = check  # type: ignore[method-assign,assignment]

    async def idle(self) -> None:
        while self.service._pending is not None:
            await asyncio.sleep(0.01)


async def test_events_while_a_sweep_runs_get_one_more_sweep_after_it_never_beside_it() -> None:
    rig = Timed(cost_s=0.15)
    await rig.service.follow(ended(1))
    await asyncio.sleep(0.08)  # the first sweep runs now
    for n in range(2, 6):
        await rig.service.follow(ended(n))
    await rig.idle()

    assert len(rig.runs) == 2
    (_, first_end), (second_start, _) = rig.runs
    assert second_start >= first_end  # one at a time
    assert rig.checked == [{"c-1"}, {"c-2", "c-3", "c-4", "c-5"}]  # every ended call checked once


async def test_sweeps_are_spaced_by_what_the_last_one_cost() -> None:
    rig = Timed(cost_s=0.1)
    await rig.service.follow(ended(1))
    await rig.idle()
    await rig.service.follow(ended(2))
    await rig.idle()

    (_, first_end), (second_start, _) = rig.runs
    # settle_s alone would start it 0.02 s after the event; the last sweep's cost spaces it.
    assert second_start - first_end >= SWEEP_SPACING * 0.1 * 0.95, second_start - first_end


async def test_a_post_call_transcript_ready_gets_its_call_checked() -> None:
    rig = Timed(cost_s=0.0)
    ready = PostCallTranscriptReady(
        at=datetime(2026, 12, 7, 9, 5, tzinfo=UTC), call_id=CallId("c-9"), segment=1, lines=3
    )
    await rig.service.follow(ready)
    await rig.idle()
    assert rig.checked == [{"c-9"}]  # its lines came after the call's end: checked now
