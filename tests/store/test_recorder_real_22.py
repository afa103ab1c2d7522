"""The call record of the real Asterisk 22.10.1 runs: every call of the README's table gets a
`calls` row (callbacks included) whose seats, legs and transfers are what Asterisk's own records
say (queue_log, CDR, full log), on each database backend."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pbx"))

from real_traces_22 import FOLDER, all_events, readme_linkedids, truth

from core.calls import CallStatus
from core.ids import CallId
from store.db import Database
from tests.support.recording import record

pytestmark = pytest.mark.skipif(not FOLDER.is_dir(), reason="shared traces missing")

TOLERANCE = 1.0


async def test_given_the_real_runs_when_recorded_then_every_call_has_a_row_with_its_legs_and_transfers(
    db: Database,
) -> None:
    events = all_events()
    calls = await record(db, events + events)  # a replay changes nothing

    for linkedid in readme_linkedids():
        t = truth(linkedid)
        row = calls.find(CallId(linkedid))
        assert row is not None, f"{linkedid}: no calls row"
        legs = calls.legs(CallId(linkedid))
        seat_legs = [leg for leg in legs if leg.kind == "seat"]
        assert [leg.seat_id for leg in seat_legs] == [leg.party for leg in t.seat_legs], linkedid
        for got, true_leg in zip(seat_legs, t.seat_legs, strict=True):
            assert got.ended_at is not None, linkedid
            if got.inferred:
                # Ended while the AMI link was down: unknown, never a made-up figure.
                assert got.talk_seconds is None
                continue
            assert got.talk_seconds is not None
            assert abs(got.talk_seconds - (true_leg.talk or 0.0)) <= TOLERANCE, (linkedid, got)
        assert [(tr["kind"], tr["status"]) for tr in row.transfers] == t.transfers, linkedid
        assert row.ended_at is not None
        if t.outcome == "callback":
            assert row.direction == "callback"
            assert row.work_order_id, linkedid  # the Originate carried WORK_ORDER_ID
            assert row.seat_id == t.seat_legs[0].party
            assert row.caller_number == "13900139000"
            assert row.customer_outcome == ("answered" if t.customer_answered else "no_answer")
            assert row.status is (CallStatus.ANSWERED if t.customer_answered else CallStatus.ENDED)
            customer = [leg for leg in legs if leg.kind == "customer"]
            assert len(customer) == (1 if t.customer_answered else 0)
            continue
        assert row.direction == "inbound"
        if t.outcome == "answered":
            # Transferred or not, the caller was answered; a failed transfer is marked failed.
            assert row.status is CallStatus.ANSWERED, linkedid
            assert row.seat_id == t.seat_legs[0].party
            assert row.final_seat_id == t.seat_legs[-1].party
            assert row.transfer_status == (t.transfers[-1][1] if t.transfers else None)
            if not any(leg.inferred for leg in seat_legs):
                total = sum(leg.talk or 0.0 for leg in t.seat_legs)
                assert row.talk_seconds is not None
                assert abs(row.talk_seconds - total) <= TOLERANCE * len(t.seat_legs), linkedid
        elif t.outcome == "abandoned":
            assert row.status is CallStatus.ABANDONED
        else:
            assert row.status is CallStatus.ENDED and row.seat_id is None


async def test_given_callbacks_in_the_calls_table_when_reading_a_period_then_kpis_see_citizens_calls_only(
    db: Database,
) -> None:
    calls = await record(db, all_events())
    rows = calls.recent(limit=100)
    start = min(r.offered_at for r in rows)
    end = max(r.offered_at for r in rows) + timedelta(seconds=1)

    inbound = calls.between(start, end)
    everything = calls.between(start, end, direction=None)

    callbacks = {r.id for r in everything if r.direction == "callback"}
    assert callbacks == {lid for lid in readme_linkedids() if truth(lid).outcome == "callback"}
    assert callbacks
    assert {r.id for r in inbound} == {r.id for r in everything} - callbacks
