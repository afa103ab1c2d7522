"""A three-way call (三方通话) in the call record: the real Asterisk 22.10.1 trace of seat 1001
inviting seat 1002 (tests/data/asterisk-traces/three_way_barge.ami.jsonl, fed as in
tests/pbx/test_tracker_three_way_22.py), recorded by the TrailRecorder."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pbx"))

from test_tracker_three_way_22 import caller_hangs_up, feed, recorded, the, tracker_in_the_call

from core.call_events import CallReconciled
from core.ids import CallId, EventId
from store.db import Database
from tests.support.recording import record


async def test_given_the_recorded_three_way_call_when_recorded_then_the_third_party_is_a_leg_of_the_call(
    db: Database,
) -> None:
    tracker, call_id, opened = tracker_in_the_call()
    events = opened + feed(tracker, recorded())
    end = the("Hangup").at + timedelta(seconds=4)
    events += feed(tracker, [caller_hangs_up(call_id, end)])

    calls = await record(db, events)

    start, stop = the("ChanSpyStart"), the("ChanSpyStop")
    legs = calls.legs(CallId(call_id))
    assert [(leg.kind, leg.party, leg.seat_id) for leg in legs] == [
        ("seat", "1001", "1001"),
        ("third_party", "1002", "1002"),
    ]
    third = legs[1]
    assert (third.answered_at, third.ended_at, third.inferred) == (start.at, stop.at, False)
    assert third.talk_seconds == pytest.approx((stop.at - start.at).total_seconds(), abs=0.001)
    assert third.channel.startswith("PJSIP/1002-")
    assert calls.third_parties([CallId(call_id), CallId("another")]) == [third]
    trail = [e.event_type for e in calls.trail(CallId(call_id))]
    assert "ThirdPartyJoined" in trail and "ThirdPartyLeft" in trail


async def test_given_the_link_down_while_the_three_way_call_ended_when_the_records_give_the_talk_then_it_is_the_seats(
    db: Database,
) -> None:
    tracker, call_id, opened = tracker_in_the_call()
    events = recorded()
    stop = next(i for i, e in enumerate(events) if e.name == "ChanSpyStop")
    opened += feed(tracker, events[:stop])
    # The AMI link was down while the call ended: the snapshot after it has none of its channels.
    back = events[stop].at + timedelta(seconds=20)
    opened += tracker.rebuild([], [], back)
    calls = await record(db, opened)
    guessed = calls.legs(CallId(call_id))
    assert [(leg.kind, leg.inferred, leg.talk_seconds) for leg in guessed] == [
        ("seat", True, None),
        ("third_party", True, None),
    ]

    # Asterisk's records give the call's talk: it is the seat's leg's (the only seat leg guessed);
    # the third party talked alongside the seat, so its leg neither takes nor shares it.
    reconciled = CallReconciled(
        at=back, event_id=EventId(f"{call_id}:reconciled"), call_id=CallId(call_id), talk_seconds=30.0
    )
    calls = await record(db, [reconciled])

    seat, third = calls.legs(CallId(call_id))
    assert (seat.talk_seconds, seat.inferred) == (pytest.approx(30.0), False)
    assert third == guessed[1]
