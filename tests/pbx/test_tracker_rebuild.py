"""`CallTracker.rebuild`: state from a CoreShowChannels + QueueStatus snapshot after a (re)login."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.call_events import CallAbandoned, CallAnswered, CallEnded, HangupParty, SeatDeviceStatus
from core.events import DomainEvent, StateResynced
from core.ids import CallId
from pbx.ami_event import AmiEvent, parse_trace
from pbx.tracker import CallTracker

TRACES = Path(__file__).resolve().parents[2].parent / "shared" / "asterisk-traces"
TRACE_02 = "02_answered_via_ivr_queue.ami"


def trace_events(name: str) -> list[AmiEvent]:
    out: list[AmiEvent] = []
    last = datetime(2026, 1, 1, tzinfo=UTC)
    for kind, headers in parse_trace((TRACES / name).read_bytes()):
        if kind == "event":
            out.append(AmiEvent.from_headers(headers, received_at=last))
            last = out[-1].at
    return out


def split_02() -> tuple[list[AmiEvent], list[AmiEvent], list[AmiEvent], list[AmiEvent]]:
    """Trace 02 cut around its mid-call snapshot: (before, channels, queue status, after)."""
    events = trace_events(TRACE_02)
    snap = {
        "CoreShowChannel",
        "CoreShowChannelsComplete",
        "QueueParams",
        "QueueMember",
        "QueueStatusComplete",
    }
    first = next(i for i, e in enumerate(events) if e.name in snap)
    last = max(i for i, e in enumerate(events) if e.name in snap)
    middle = events[first : last + 1]
    return (
        events[:first],
        [e for e in middle if e.name == "CoreShowChannel"],
        [e for e in middle if e.name in ("QueueParams", "QueueMember")],
        events[last + 1 :],
    )


def apply_all(tracker: CallTracker, events: list[AmiEvent]) -> list[DomainEvent]:
    return [d for e in events for d in tracker.apply(e)]


def test_given_a_snapshot_matching_the_state_when_rebuilt_then_only_a_resync_is_reported() -> None:
    before, channels, queue_status, _ = split_02()
    tracker = CallTracker()
    apply_all(tracker, before)
    at = before[-1].at + timedelta(seconds=1)

    events = tracker.rebuild(channels, queue_status, at)

    assert [e.event_type for e in events] == ["StateResynced"]
    resync = events[0]
    assert isinstance(resync, StateResynced)
    assert (resync.calls, resync.seats, resync.at) == (1, 1, at)


def test_given_a_hangup_missed_while_disconnected_when_rebuilt_then_the_call_ends() -> None:
    before, _, queue_status, _ = split_02()
    tracker = CallTracker()
    apply_all(tracker, before)
    at = before[-1].at + timedelta(seconds=30)

    events = tracker.rebuild([], queue_status, at)

    ended = [e for e in events if isinstance(e, CallEnded)]
    assert len(ended) == 1
    assert (ended[0].call_id, ended[0].event_id, ended[0].answered, ended[0].inferred) == (
        "1795299094.0",
        "1795299094.0:ended",
        True,
        True,
    )
    assert (ended[0].hung_up_by, ended[0].at, ended[0].cause) == (HangupParty.UNKNOWN, at, None)
    assert dict(tracker.calls) == {}
    assert events[-1].event_type == "StateResynced"


def test_given_a_queued_call_gone_while_disconnected_when_rebuilt_then_it_counts_as_abandoned() -> None:
    events = trace_events("03_abandoned_in_queue.ami")
    join = next(i for i, e in enumerate(events) if e.name == "QueueCallerJoin")
    tracker = CallTracker()
    apply_all(tracker, events[: join + 1])
    at = events[join].at + timedelta(seconds=40)

    out = tracker.rebuild([], [], at)

    assert [e.event_type for e in out] == ["SeatLeftQueue", "CallAbandoned", "CallEnded", "StateResynced"]
    abandoned = out[1]
    assert isinstance(abandoned, CallAbandoned)
    assert (abandoned.event_id, abandoned.wait_seconds, abandoned.caller_number, abandoned.inferred) == (
        "1795299105.2:abandoned",
        40.0,
        "caller1",
        True,
    )


def test_given_a_fresh_tracker_when_rebuilt_mid_call_then_the_live_call_is_recovered() -> None:
    _, channels, queue_status, after = split_02()
    tracker = CallTracker()
    at = channels[-1].at

    events = tracker.rebuild(channels, queue_status, at)

    assert [e.event_type for e in events] == [
        "SeatJoinedQueue",
        "SeatDeviceStatusChanged",
        "CallOffered",
        "CallAnswered",
        "CallLegAnswered",
        "StateResynced",
    ]
    answered = events[3]
    assert isinstance(answered, CallAnswered)
    assert (
        answered.event_id,
        answered.seat_id,
        answered.queue,
        answered.wait_seconds,
        answered.inferred,
    ) == (
        "1795299094.0:answered",
        "1001",
        "q-general",
        None,
        True,
    )
    assert events[1].event_type == "SeatDeviceStatusChanged"
    assert tracker.members[("q-general", "PJSIP/1001")].status is SeatDeviceStatus.IN_USE
    assert tracker.calls[CallId("1795299094.0")].offered_at == at - timedelta(seconds=2)

    rest = apply_all(tracker, after)

    ended = [e for e in rest if isinstance(e, CallEnded)]
    assert [(e.event_id, e.hung_up_by, e.talk_seconds) for e in ended] == [
        ("1795299094.0:ended", HangupParty.SEAT, 4.02)
    ]


def test_given_live_and_resynced_trackers_when_the_call_ends_then_the_end_has_one_id() -> None:
    before, channels, queue_status, after = split_02()
    live = CallTracker()
    live_events = apply_all(live, before + after)
    resynced = CallTracker()
    resynced.rebuild(channels, queue_status, channels[-1].at)
    resynced_events = apply_all(resynced, after)

    def ended_ids(events: list[DomainEvent]) -> list[str]:
        return [e.event_id for e in events if e.event_type == "CallEnded"]

    assert ended_ids(live_events) == ended_ids(resynced_events) == ["1795299094.0:ended"]


def test_given_a_seat_paused_while_disconnected_when_rebuilt_then_the_pause_is_reported_once() -> None:
    events = trace_events("01_seat_login_pause_status.ami")
    added = next(e for e in events if e.name == "QueueMemberAdded")
    queue_status = [e for e in events if e.name in ("QueueParams", "QueueMember")]
    live = CallTracker()
    live_pause = [
        d for d in apply_all(live, events[: events.index(queue_status[0])]) if d.event_type == "SeatPaused"
    ]
    tracker = CallTracker()
    tracker.apply(added)

    out = tracker.rebuild([], queue_status, added.at + timedelta(seconds=5))

    paused = [e for e in out if e.event_type == "SeatPaused"]
    assert len(paused) == 1
    # Same fact, same id, whether seen live or recovered from QueueStatus.
    assert paused[0].event_id == live_pause[0].event_id
