"""Replays every recorded Asterisk 22 trace through `CallTracker` and checks the exact events."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.call_events import (
    CallbackLeg,
    CallbackOutcome,
    CallDirection,
    HangupParty,
    LegKind,
    SeatDeviceStatus,
    TransferKind,
    TransferStatus,
)
from core.events import DomainEvent, from_wire, to_wire
from pbx.ami_event import AmiEvent, parse_trace
from pbx.tracker import CallTracker

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
TRACES = SHARED / "asterisk-traces"


def trace_events(name: str) -> list[AmiEvent]:
    """The trace's events (actions and responses skipped). List items of CoreShowChannels and
    QueueStatus carry no Timestamp: they are stamped with the previous event's time so that the
    replay never depends on the wall clock."""
    out: list[AmiEvent] = []
    last = datetime(2026, 1, 1, tzinfo=UTC)
    for kind, headers in parse_trace((TRACES / name).read_bytes()):
        if kind != "event":
            continue
        event = AmiEvent.from_headers(headers, received_at=last)
        last = event.at
        out.append(event)
    return out


def replay(tracker: CallTracker, events: list[AmiEvent]) -> list[DomainEvent]:
    out: list[DomainEvent] = []
    for event in events:
        produced = tracker.apply(event)
        for domain_event in produced:
            # Every fact is stamped with the AMI event that revealed it, never the wall clock.
            assert domain_event.at == event.at
        out += produced
    return out


def ts(value: str) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)


def summary(events: list[DomainEvent], expected: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Each event's type and only the fields the expectation names (so the lists compare exactly)."""
    out: list[Any] = []
    for i, event in enumerate(events):
        keys = expected[i][1].keys() if i < len(expected) else ()
        out.append((event.event_type, {k: getattr(event, k) for k in keys}))
    return out


SEAT = {"seat_id": "1001", "queue": "q-general", "interface": "PJSIP/1001"}

EXPECTED: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "01_seat_login_pause_status.ami": [
        ("SeatJoinedQueue", {**SEAT, "member_name": "seat-1001", "paused": False}),
        ("SeatPaused", {**SEAT, "reason": "lunch"}),
        ("SeatResumed", SEAT),
    ],
    "02_answered_via_ivr_queue.ami": [
        ("CallOffered", {"call_id": "1795299094.0", "caller_number": "caller1", "dialed": "12348"}),
        ("IvrEntered", {"call_id": "1795299094.0", "script": "agi://127.0.0.1:4573/ivr"}),
        ("IvrLeft", {"call_id": "1795299094.0", "completed": True}),
        ("CallQueued", {"call_id": "1795299094.0", "queue": "q-general", "position": 1}),
        ("SeatRinging", {**SEAT, "call_id": "1795299094.0", "channel": "PJSIP/1001-00000001"}),
        ("SeatDeviceStatusChanged", {**SEAT, "status": SeatDeviceStatus.RINGING, "in_call": False}),
        ("CallAnswered", {**SEAT, "call_id": "1795299094.0", "wait_seconds": 1.011, "ring_seconds": 1.0}),
        ("CallLegAnswered", {"seat_id": "1001", "kind": LegKind.SEAT, "party": "1001", "transfer_seq": 0}),
        ("SeatDeviceStatusChanged", {**SEAT, "status": SeatDeviceStatus.IN_USE, "in_call": True}),
        # The seat sent BYE: AgentComplete `Reason: agent` (1795299099.855115) ends its leg, 4.020 s
        # after AgentConnect (1795299095.834628).
        ("CallLegEnded", {"seat_id": "1001", "kind": LegKind.SEAT, "talk_seconds": 4.02, "inferred": False}),
        (
            "CallEnded",
            {
                "call_id": "1795299094.0",
                "direction": CallDirection.INBOUND,
                "hung_up_by": HangupParty.SEAT,
                "answered": True,
                # The leg's measure, not AgentComplete's whole-second TalkTime 4 (they agree).
                "talk_seconds": 4.02,
                "cause": 16,
                "cause_text": "Normal Clearing",
                "seat_id": "1001",
            },
        ),
        ("SeatDeviceStatusChanged", {**SEAT, "status": SeatDeviceStatus.NOT_IN_USE, "in_call": False}),
    ],
    "03_abandoned_in_queue.ami": [
        ("SeatPaused", {**SEAT, "reason": "meeting"}),
        ("CallOffered", {"call_id": "1795299105.2", "caller_number": "caller1"}),
        ("IvrEntered", {"call_id": "1795299105.2"}),
        ("IvrLeft", {"call_id": "1795299105.2"}),
        ("CallQueued", {"call_id": "1795299105.2", "queue": "q-general", "position": 1}),
        (
            "CallAbandoned",
            {
                "call_id": "1795299105.2",
                "queue": "q-general",
                "wait_seconds": 6.1,
                "position": 1,
                "original_position": 1,
                "caller_number": "caller1",
                "inferred": False,
            },
        ),
        (
            "CallEnded",
            {
                "call_id": "1795299105.2",
                "hung_up_by": HangupParty.CALLER,
                "answered": False,
                "talk_seconds": None,
                "cause": 0,
                "seat_id": None,
            },
        ),
        ("SeatResumed", SEAT),
    ],
    "04_ring_no_answer_timeout.ami": [
        ("CallOffered", {"call_id": "1795299114.3"}),
        ("IvrEntered", {"call_id": "1795299114.3"}),
        ("IvrLeft", {"call_id": "1795299114.3"}),
        ("CallQueued", {"call_id": "1795299114.3", "queue": "q-general"}),
        ("SeatRinging", {**SEAT, "call_id": "1795299114.3"}),
        ("SeatDeviceStatusChanged", {**SEAT, "status": SeatDeviceStatus.RINGING}),
        ("SeatRingNoAnswer", {**SEAT, "call_id": "1795299114.3", "ring_seconds": 10.0}),
        ("SeatDeviceStatusChanged", {**SEAT, "status": SeatDeviceStatus.NOT_IN_USE}),
        # Queue(...,14) expired: app_queue says QueueCallerAbandon, but nobody had hung up.
        (
            "CallTimedOut",
            {
                "call_id": "1795299114.3",
                "queue": "q-general",
                "wait_seconds": 15.001,
                "caller_number": "caller1",
            },
        ),
        ("CallEnded", {"call_id": "1795299114.3", "hung_up_by": HangupParty.SYSTEM, "answered": False}),
    ],
    "05_callback_originate.ami": [
        (
            "CallbackOriginated",
            {
                "call_id": "1795299184.8",
                "work_order_id": "wo-42",
                "seat_id": "1001",
                "interface": "PJSIP/1001",
            },
        ),
        ("SeatDeviceStatusChanged", {**SEAT, "status": SeatDeviceStatus.RINGING}),
        (
            "CallbackLegOutcome",
            {
                "call_id": "1795299184.8",
                "leg": CallbackLeg.SEAT,
                "outcome": CallbackOutcome.ANSWERED,
                "work_order_id": "wo-42",
                "action_id": "d1",
            },
        ),
        ("CallLegAnswered", {"kind": LegKind.SEAT, "party": "1001", "seat_id": "1001"}),
        ("SeatDeviceStatusChanged", {**SEAT, "status": SeatDeviceStatus.IN_USE}),
        (
            "CallbackLegOutcome",
            {
                "call_id": "1795299184.8",
                "leg": CallbackLeg.CUSTOMER,
                "outcome": CallbackOutcome.ANSWERED,
                "work_order_id": "wo-42",
                "detail": "ANSWER",
            },
        ),
        (
            "CallLegAnswered",
            {"kind": LegKind.CUSTOMER, "party": "caller1", "leg_id": "1795299184.8:customer"},
        ),
        # Both legs talked from the citizen's answer to the end.
        ("CallLegEnded", {"kind": LegKind.SEAT, "talk_seconds": 4.016}),
        ("CallLegEnded", {"kind": LegKind.CUSTOMER, "talk_seconds": 4.016}),
        (
            "CallEnded",
            {
                "call_id": "1795299184.8",
                "direction": CallDirection.CALLBACK,
                "hung_up_by": HangupParty.CALLER,
                "answered": True,
                "talk_seconds": 4.016,
                "seat_id": "1001",
                "caller_number": "caller1",
            },
        ),
        ("SeatDeviceStatusChanged", {**SEAT, "status": SeatDeviceStatus.NOT_IN_USE}),
    ],
    "06_transfer_redirect_12345.ami": [
        ("CallOffered", {"call_id": "1795299148.5"}),
        ("IvrEntered", {"call_id": "1795299148.5"}),
        ("IvrLeft", {"call_id": "1795299148.5"}),
        ("CallQueued", {"call_id": "1795299148.5"}),
        ("SeatRinging", {"seat_id": "1001"}),
        ("SeatDeviceStatusChanged", {"status": SeatDeviceStatus.RINGING}),
        ("CallAnswered", {"seat_id": "1001", "wait_seconds": 1.008}),
        ("CallLegAnswered", {"seat_id": "1001"}),
        ("SeatDeviceStatusChanged", {"status": SeatDeviceStatus.IN_USE}),
        # The caller left the seat at the redirect: the seat's leg ends there.
        ("CallLegEnded", {"seat_id": "1001", "talk_seconds": 4.983}),
        (
            "CallTransferred",
            {
                "call_id": "1795299148.5",
                "context": "transfer",
                "exten": "12345",
                "seat_id": "1001",
                "kind": TransferKind.EXTERNAL,
                "target": "12345",
                # The trace's stub answers 12345 itself and hangs up: nobody outside was dialled.
                "status": TransferStatus.PENDING,
                "seq": 1,
            },
        ),
        ("SeatDeviceStatusChanged", {"status": SeatDeviceStatus.NOT_IN_USE}),
        # Talk time stops at the transfer (AgentComplete would say 8 s: it runs to the caller's end).
        (
            "CallEnded",
            {
                "call_id": "1795299148.5",
                "hung_up_by": HangupParty.SYSTEM,
                "answered": True,
                "talk_seconds": 4.983,
            },
        ),
    ],
    "07_audiosocket_stream.ami": [
        ("CallOffered", {"call_id": "1795299162.7", "dialed": "12349"}),
        (
            "AudioStreamStarted",
            {"stream_id": "6b113515-13c9-40a6-bd09-95dcba94ed38", "address": "127.0.0.1:9092"},
        ),
        ("CallEnded", {"hung_up_by": HangupParty.SYSTEM, "answered": False, "duration_seconds": 5.029}),
    ],
    "08_callback_caller_unreachable.ami": [
        ("CallbackOriginated", {"call_id": "1795299197.10", "work_order_id": "wo-43", "seat_id": "1001"}),
        ("SeatDeviceStatusChanged", {"status": SeatDeviceStatus.RINGING}),
        ("CallbackLegOutcome", {"leg": CallbackLeg.SEAT, "outcome": CallbackOutcome.ANSWERED}),
        ("CallLegAnswered", {"kind": LegKind.SEAT, "party": "1001"}),
        ("SeatDeviceStatusChanged", {"status": SeatDeviceStatus.IN_USE}),
        (
            "CallbackLegOutcome",
            {
                "leg": CallbackLeg.CUSTOMER,
                "outcome": CallbackOutcome.UNREACHABLE,
                "detail": "CHANUNAVAIL",
                "work_order_id": "wo-43",
            },
        ),
        # The seat picked up but never reached the citizen: no talk.
        ("CallLegEnded", {"kind": LegKind.SEAT, "talk_seconds": 0.0}),
        (
            "CallEnded",
            {
                "direction": CallDirection.CALLBACK,
                "hung_up_by": HangupParty.SYSTEM,
                "answered": False,
                "cause": 3,
                "cause_text": "No route to destination",
            },
        ),
        ("SeatDeviceStatusChanged", {"status": SeatDeviceStatus.NOT_IN_USE}),
    ],
}


def test_given_the_shared_trace_folder_when_listed_then_every_trace_has_an_expectation() -> None:
    assert TRACES.is_dir(), f"shared traces missing: {TRACES}"
    assert sorted(p.name for p in TRACES.glob("*.ami")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_given_a_recorded_trace_when_replayed_then_the_exact_domain_events_come_out(name: str) -> None:
    events = replay(CallTracker(), trace_events(name))

    assert summary(events, EXPECTED[name]) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_given_a_recorded_trace_when_replayed_then_no_call_is_left_open(name: str) -> None:
    tracker = CallTracker()
    replay(tracker, trace_events(name))

    assert dict(tracker.calls) == {}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_given_a_trace_when_replayed_twice_into_fresh_trackers_then_ids_and_events_are_identical(
    name: str,
) -> None:
    first = [to_wire(e) for e in replay(CallTracker(), trace_events(name))]
    second = [to_wire(e) for e in replay(CallTracker(), trace_events(name))]

    assert first == second
    ids = [w["data"]["event_id"] for w in first]
    assert len(ids) == len(set(ids)), "two facts share one event id"


def test_given_all_traces_back_to_back_when_replayed_then_every_event_id_is_unique_and_wire_safe() -> None:
    tracker = CallTracker()
    events = [e for name in sorted(EXPECTED) for e in replay(tracker, trace_events(name))]

    ids = [e.event_id for e in events]
    assert len(ids) == len(set(ids))
    for event in events:
        assert from_wire(to_wire(event)) == event


def test_given_trace_02_when_replayed_then_stamps_and_durations_come_from_asterisk_timestamps() -> None:
    events = {e.event_type: e for e in replay(CallTracker(), trace_events("02_answered_via_ivr_queue.ami"))}

    assert events["CallOffered"].at == ts("1795299094.817523")
    assert events["CallAnswered"].at == ts("1795299095.834628")
    ended = events["CallEnded"]
    assert ended.at == ts("1795299099.855385")
    assert dataclasses.asdict(ended)["duration_seconds"] == 5.038


def test_given_call_events_when_audience_taken_then_seat_events_reach_the_seat() -> None:
    events = replay(CallTracker(), trace_events("02_answered_via_ivr_queue.ami"))
    by_type = {e.event_type: e for e in events}

    assert by_type["CallAnswered"].audience() == frozenset({"seat:1001"})
    assert by_type["SeatRinging"].audience() == frozenset({"seat:1001"})
    assert by_type["CallQueued"].audience() == frozenset()
