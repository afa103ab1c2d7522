"""The tracker's waiting-callers index (issue 21: every routed call counted a queue's callers by
building a view of every live call) always equals the count over every call, after every AMI
event of the real Asterisk 22 sessions (restarts, snapshots and outages included)."""

from __future__ import annotations

from collections import Counter

from core.calls import CallStatus
from pbx.tracker import CallTracker
from tests.pbx.real_traces_22 import RUNS, read_session


def _brute(tracker: CallTracker) -> Counter[str]:
    return Counter(c.queue for c in tracker.calls.values() if c.status is CallStatus.QUEUED and c.queue)


def _check(tracker: CallTracker, queues: set[str]) -> int:
    expected = _brute(tracker)
    queues |= set(expected)
    for q in queues:
        assert tracker.waiting_in(q) == expected.get(q, 0), q
    return sum(expected.values())


def test_given_the_real_sessions_when_replayed_then_the_index_counts_what_the_calls_say_after_every_event() -> (
    None
):
    most = 0
    for run, names in RUNS.items():
        tracker, queues = CallTracker(), set[str]()
        for session in (read_session(n) for n in names):
            tracker.rebuild(session.channels, session.queue_status, session.login_at)
            _check(tracker, queues)
            for event in session.live:
                tracker.apply(event)
                most = max(most, _check(tracker, queues))
        assert queues, run
        for call_id, view in tracker.calls.items():
            assert tracker.call(call_id) == view
    assert most >= 1  # the sessions do have callers waiting, so the check can fail
