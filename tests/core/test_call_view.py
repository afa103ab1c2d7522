"""`CallViews`: the consoles' in-memory projection keeps only the calls it saw opening, at most
`keep` of them, and leaves the others to the database (trace 02 of the shared recordings, cut
around its mid-call snapshot as `tests/pbx/test_tracker_rebuild.py` does)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.call_events import CallOffered
from core.call_view import CallViews
from core.calls import CallStatus
from core.ids import CallId, EventId
from pbx.tracker import CallTracker
from tests.pbx.test_tracker_rebuild import apply_all, split_02

CALL = CallId("1795299094.0")


def test_given_a_call_seen_from_its_offer_when_the_ami_resyncs_then_its_view_stays_and_follows() -> None:
    before, channels, queue_status, after = split_02()
    tracker, views = CallTracker(), CallViews()
    events = apply_all(tracker, before)
    events += tracker.rebuild(channels, queue_status, before[-1].at + timedelta(seconds=1))
    events += apply_all(tracker, after)
    for event in events:
        views.apply(event)

    view = views.get(CALL)
    assert view is not None and view.record.ended_at is not None
    assert view.record.status is CallStatus.ANSWERED
    for event in events:  # any one event again (the same id) changes nothing, as in the recorder
        views.apply(event)
        assert views.get(CALL) == view, event


def test_given_a_restart_mid_call_when_the_snapshot_offers_the_call_again_then_it_is_left_to_the_database() -> (
    None
):
    before, channels, queue_status, after = split_02()
    tracker, views = CallTracker(), CallViews()  # a fresh process: the call's first events went unseen
    resync = tracker.rebuild(channels, queue_status, before[-1].at + timedelta(seconds=1))
    assert any(isinstance(e, CallOffered) and e.call_id == CALL for e in resync)
    for event in [*resync, *apply_all(tracker, after)]:
        views.apply(event)

    assert views.get(CALL) is None  # the screen pop reads the database


def test_given_more_calls_than_kept_then_the_oldest_goes() -> None:
    at = datetime(2026, 11, 23, 2, tzinfo=UTC)
    views = CallViews(keep=2)
    offers = [
        CallOffered(
            at=at,
            event_id=EventId(f"o{n}"),
            call_id=CallId(f"c{n}"),
            channel="",
            caller_number="1",
            dialed="",
        )
        for n in range(3)
    ]
    for offer in offers:
        views.apply(offer)
    assert (len(views), views.get(CallId("c0"))) == (2, None)

    views.apply(offers[0])  # forgotten with its call: opens it again, and c1 is now the oldest
    assert views.get(CallId("c0")) is not None and views.get(CallId("c1")) is None
