"""Issue 14: the demo shows a healthy hotline at any hour of the viewer's day.

The demo is composed as `hotline demo` composes it (the simulator behind AMI and FastAGI, the
demo's default call rate and seats, no speech model) with the clock at 03:00 on a Sunday in
Shanghai, outside every production service hour, and the simulator 30 times faster than real time.
Within the first simulated minute every README seat account rings; after start-up (whose CPU work,
30 times compressed, would stall the simulated callers for minutes) the answer rate is healthy; and a caller who said an address and then asked for a person reaches a seat whose
screen pop shows the IVR path, the district and the demo office (marked as demo data). Callers
who rated a call 不满意 in the survey have their follow-up (回访) orders, none held by the rated seat.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.runtime import Runtime
from app.seed import DEMO_SEATS
from callbacks.models import MissReason, OrderFilter, WorkOrder
from core.call_events import SeatRinging
from core.calls import CallRecord
from core.ids import SeatId
from routing.offices import DEMO_MARK
from stats.kpi import ANSWER_RATE_TARGET, compute_kpis, sample_of
from stats.models import Satisfaction, SurveyAnswer
from tests.support.app import TEST_BASE_URL, ShiftedClock, build_test_app, login
from tests.support.polling import wait_until

pytestmark = pytest.mark.slow

SUNDAY_3AM = datetime(2026, 11, 28, 19, 0, tzinfo=UTC)  # 2026-11-29 03:00 in Shanghai
SCALE = 30.0
RUN_S = 80.0  # real seconds of traffic: 40 simulated minutes, some 90 calls at the demo rate
# (50 s gave some 56 calls, where three callers giving up is already below 95 %: a CI run on a busy
# machine failed at 53 of 56 answered. The target is unchanged; the sample is larger.)


def _rung(runtime: Runtime, calls: list[CallRecord], before: datetime) -> set[SeatId]:
    """The seats the system saw ringing for calls offered before `before` (the calls' trails)."""
    rung: set[SeatId] = set()
    for call in calls:
        if call.offered_at < before:
            for entry in runtime.repos.calls.trail(call.id):
                event = entry.event()
                if isinstance(event, SeatRinging):
                    rung.add(event.seat_id)
    return rung


def test_at_a_sunday_night_hour_every_demo_seat_rings_and_the_board_is_healthy(tmp_path: Path) -> None:
    clock = ShiftedClock(SUNDAY_3AM)
    app = build_test_app(
        tmp_path,
        clock=clock,
        sim={"enabled": True, "time_scale": SCALE, "seed": 14},
        ami={"port": 0},
        callbacks={"tick_s": 3600.0},
    )
    seats = {SeatId(sid) for sid, *_ in DEMO_SEATS}
    with TestClient(app, base_url=TEST_BASE_URL) as client:
        runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        assert runtime.simulator is not None
        start = runtime.simulator.clock.start  # calls are stamped with the PBX's (simulated) time

        def sim_now() -> datetime:  # SimClock.now() without its loop: it started at `start`
            return datetime.fromtimestamp(start + (time.time() - start) * SCALE, UTC)

        first_minute = datetime.fromtimestamp(start + 60.0, UTC)

        def recent() -> list[CallRecord]:
            return runtime.repos.calls.recent(limit=1000)

        wait_until(lambda: _rung(runtime, recent(), first_minute) >= seats, 30, "every demo seat ringing")
        measured_from = sim_now()
        time.sleep(RUN_S)
        calls = recent()
        kpis = compute_kpis(sample_of(c) for c in calls if c.offered_at >= measured_from)
        assert kpis.answered + kpis.abandoned >= 30, kpis
        assert kpis.answer_rate is not None and kpis.answer_rate >= ANSWER_RATE_TARGET, kpis

        popped = [c for c in calls if c.district_code and c.office_id and c.seat_id and c.ivr_path]
        assert popped, "no caller came to a seat through the address step"
        call = popped[0]
        headers = login(client, f"seat{call.seat_id}")
        r = client.get(f"/api/seat/calls/{call.id}/screenpop", headers=headers)
        assert r.status_code == 200, r.text
        pop = r.json()
        assert pop["ivr_path"] and pop["district_name"]
        assert pop["office"]["name"] and pop["office"]["address"].endswith(DEMO_MARK)

        # 回访: every 不满意 answer of the run (the database is fresh) has its follow-up order, of the
        # rated call, not the rated seat's (the tick that auto-assigns is off here: they wait in
        # their team's pool). The answers bear the app's clock, not the simulator's.
        def answers() -> list[SurveyAnswer]:
            return runtime.repos.surveys.between(
                datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
            )

        def dissatisfied() -> list[SurveyAnswer]:
            return [a for a in answers() if a.score is Satisfaction.DISSATISFIED]

        # The simulated callers draw their key (15 % press 3 = 不满意): some 20 answers in the run
        # hold none about once in 35 runs, so the traffic goes on until one comes (0.85^60: 6e-5).
        wait_until(lambda: bool(dissatisfied()), 2 * RUN_S, "a simulated caller rating a call 不满意")
        unsatisfied = dissatisfied()
        wait_until(
            lambda: len(_follow_ups(runtime)) >= len(unsatisfied), 10, "a follow-up order per 不满意 answer"
        )
        about = runtime.repos.follow_ups.of_orders([o.id for o in _follow_ups(runtime)])
        assert {f.call_id for f in about.values()} >= {a.call_id for a in unsatisfied}
        for order in _follow_ups(runtime):
            assert order.caller_number and order.owner_seat_id != about[order.id].rated_seat_id


def _follow_ups(runtime: Runtime) -> list[WorkOrder]:
    return [
        o
        for o in runtime.repos.work_orders.search(OrderFilter(limit=5000))
        if o.reason is MissReason.FOLLOW_UP
    ]
