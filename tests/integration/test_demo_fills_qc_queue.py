"""Issue 15: the demo fills the quality-inspection queue (质检) with at least 5 % of each seat's
answered calls, as the calls end, without anyone asking for it.

The demo is composed as `hotline demo` composes it (the simulator behind AMI and FastAGI, the
demo's call rate and seats), the simulator 30 times faster than real time.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.runtime import Runtime
from core.calls import CallRecord
from stats.quality import QcReason, answered
from stats.quality_service import QualityService
from tests.support.app import TEST_BASE_URL, build_test_app, login
from tests.support.polling import wait_until

pytestmark = pytest.mark.slow

SCALE = 30.0


def test_given_demo_traffic_then_the_qc_queue_holds_at_least_5_percent_of_each_seats_answered_calls(
    tmp_path: Path,
) -> None:
    app = build_test_app(
        tmp_path,
        sim={"enabled": True, "time_scale": SCALE, "seed": 15},
        ami={"port": 0},
        callbacks={"tick_s": 3600.0},
    )
    with TestClient(app, base_url=TEST_BASE_URL) as client:
        runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        qc: QualityService = client.app.state.qc_backend  # type: ignore[attr-defined]

        def over() -> list[CallRecord]:
            return [c for c in runtime.repos.calls.recent(limit=5000) if answered(c)]

        def short_seats() -> dict[str, tuple[int, int]]:
            """(answered, drawn at random) of each seat whose draw is below 5 % now."""
            calls = over()
            answered_by = Counter(c.seat_id for c in calls)
            drawn = Counter(
                item.seat_id
                for item in (qc.store.find(c.id) for c in calls)
                if item is not None and QcReason.RANDOM in item.reasons
            )
            return {str(s): (n, drawn[s]) for s, n in answered_by.items() if drawn[s] < math.ceil(0.05 * n)}

        wait_until(lambda: len(over()) >= 25, 120, "25 answered calls of demo traffic")
        # Nobody sweeps by hand: the calls' ends ask for it.
        wait_until(lambda: not short_seats(), 30, "every seat's answered calls drawn at 5 % or more")
        calls = over()
        queued = [c for c in calls if qc.store.find(c.id) is not None]
        assert len(queued) >= 0.05 * len(calls)

        login(client, "zhijian")
        listed = client.get("/api/qc/items?reason=random").json()["items"]
        assert {i["seat_id"] for i in listed} >= {c.seat_id for c in calls}
