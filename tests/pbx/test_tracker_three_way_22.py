"""The console's three-way call (三方通话) as a real Asterisk 22.10.1 reported it, fed through
`CallTracker` (tests/data/asterisk-traces/three_way_barge.ami.jsonl: seat 1001's console invited
seat 1002, who answered and barged in; then 移出第三方, an AMI Hangup of the ChannelId).

The recording kept only the events naming the conference's Local channels or the channel they
dialled; the call they barged into (its caller, and seat 1001's leg, as `ChanSpyStart` names
them) is given to the tracker the way it learns a call after a (re)login: a `CoreShowChannels` +
`QueueStatus` snapshot."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.call_events import (
    CallEnded,
    CallOffered,
    CallRecordingStarted,
    CallRecordingStopped,
    LegKind,
    ThirdPartyJoined,
    ThirdPartyLeft,
)
from core.events import DomainEvent
from pbx.ami_event import AmiEvent
from pbx.tracker import CallTracker

TRACE = Path(__file__).resolve().parents[1] / "data" / "asterisk-traces" / "three_way_barge.ami.jsonl"


def recorded() -> list[AmiEvent]:
    lines = TRACE.read_text(encoding="utf-8").splitlines()
    return [AmiEvent.from_headers(json.loads(line)) for line in lines]


def the(name: str) -> AmiEvent:
    return next(e for e in recorded() if e.name == name)


def _snapshot_item(name: str, **headers: str) -> AmiEvent:
    return AmiEvent.from_headers({"Event": name, **headers}, received_at=datetime(2026, 1, 1, tzinfo=UTC))


def call_channels(call_id: str, caller_s: int) -> list[AmiEvent]:
    """The `CoreShowChannel` items of the call `ChanSpyStart` names: its caller in q-city-labor for
    `caller_s` seconds, bridged with seat 1001's leg."""
    spy = the("ChanSpyStart")
    common = {"Context": "hotline-queue", "Exten": "s", "BridgeId": "b-1", "ChannelStateDesc": "Up"}
    return [
        _snapshot_item(
            "CoreShowChannel",
            Channel="PJSIP/trunk-00000000",
            Uniqueid=call_id,
            Linkedid=call_id,
            CallerIDNum="13900139000",
            Application="Queue",
            ApplicationData="q-city-labor,c",
            Duration=f"00:00:{caller_s:02d}",
            **common,
        ),
        _snapshot_item(
            "CoreShowChannel",
            Channel=spy.get("SpyeeChannel"),
            Uniqueid=spy.get("SpyeeUniqueid"),
            Linkedid=call_id,
            Application="AppQueue",
            **common,
        ),
    ]


def tracker_in_the_call() -> tuple[CallTracker, str, list[DomainEvent]]:
    """A tracker that knows the call `ChanSpyStart` names (seats 1001 and 1002 logged in, 1001
    talking). Returns it, the call id and what it learnt from the snapshot."""
    spy = the("ChanSpyStart")
    call_id = spy.get("SpyeeLinkedid")
    tracker = CallTracker()
    opened = tracker.rebuild(call_channels(call_id, 7), members(), spy.at - timedelta(seconds=3))
    return tracker, call_id, opened


def members() -> list[AmiEvent]:
    """The `QueueStatus` members: seats 1001 (talking) and 1002 logged in."""
    return [
        _snapshot_item(
            "QueueMember",
            Queue="q-city-labor",
            Name=f"seat-{seat}",
            Location=f"PJSIP/{seat}",
            Status=status,
            InCall="1" if status == "2" else "0",
            Paused="0",
        )
        for seat, status in (("1001", "2"), ("1002", "1"))
    ]


def caller_hangs_up(call_id: str, at: datetime) -> AmiEvent:
    """The caller's channel (the call's primary) hangs up at `at`."""
    headers = {"Event": "Hangup", "Uniqueid": call_id, "Linkedid": call_id, "Cause": "16"}
    return AmiEvent.from_headers({**headers, "Timestamp": f"{at.timestamp():.6f}"})


def feed(tracker: CallTracker, events: list[AmiEvent]) -> list[DomainEvent]:
    return [d for e in events for d in tracker.apply(e)]


def test_given_the_recorded_three_way_call_when_replayed_then_the_third_party_joins_and_leaves_once() -> None:
    tracker, call_id, _ = tracker_in_the_call()

    out = feed(tracker, recorded())

    start, stop = the("ChanSpyStart"), the("ChanSpyStop")
    joined = [e for e in out if isinstance(e, ThirdPartyJoined)]
    left = [e for e in out if isinstance(e, ThirdPartyLeft)]
    dialled = next(
        e for e in recorded() if e.name == "DialBegin" and e.get("DestChannel").startswith("PJSIP/")
    )
    key = start.get("SpyerChannel").removeprefix("Local/").split("@", 1)[0]
    assert [(e.call_id, e.seat_id, e.party, e.party_kind, e.at, e.channel) for e in joined] == [
        (call_id, "1001", "1002", LegKind.SEAT, start.at, dialled.get("DestChannel"))
    ]
    assert [(e.call_id, e.seat_id, e.party, e.at, e.inferred) for e in left] == [
        (call_id, "1001", "1002", stop.at, False)
    ]
    assert left[0].talk_seconds == round((stop.at - start.at).total_seconds(), 3)
    assert left[0].joined_at == start.at
    assert joined[0].leg_id == left[0].leg_id == f"{call_id}:{key}"
    # 录音: ;2's MixMonitor is a segment of the call from the join to the leave (never segment 1:
    # the caller's channel's, which this tracker, knowing the call from a snapshot, did not see).
    named = next(e for e in recorded() if e.name == "VarSet" and e.get("Variable") == "MIXMONITOR_FILENAME")
    assert named.get("Channel").endswith(";2") and named.get("Value").endswith(f"/{call_id}-{key}.wav")
    (began,) = [e for e in out if isinstance(e, CallRecordingStarted)]
    (ended,) = [e for e in out if isinstance(e, CallRecordingStopped)]
    assert (began.call_id, began.segment, began.path, began.channel, began.at) == (
        call_id,
        2,
        named.get("Value"),
        named.get("Channel"),
        start.at,
    )
    assert (ended.segment, ended.path, ended.started_at, ended.at) == (
        2,
        named.get("Value"),
        start.at,
        stop.at,
    )
    # Nothing else: the conference's own channels are no call and no leg of the caller's.
    assert [e.event_type for e in out] == [
        "ThirdPartyJoined",
        "CallRecordingStarted",
        "ThirdPartyLeft",
        "CallRecordingStopped",
    ]
    assert set(tracker.calls) == {call_id}


def test_given_a_third_party_in_the_call_when_the_caller_hangs_up_then_it_leaves_before_the_call_ends() -> (
    None
):
    tracker, call_id, _ = tracker_in_the_call()
    events = recorded()
    stop = next(i for i, e in enumerate(events) if e.name == "ChanSpyStop")
    feed(tracker, events[:stop])
    at = events[stop].at
    caller_gone = caller_hangs_up(call_id, at)
    out = feed(tracker, [caller_gone, *events[stop:]])

    assert [
        e.event_type for e in out if isinstance(e, ThirdPartyLeft | CallEnded | CallRecordingStopped)
    ] == [
        "ThirdPartyLeft",
        "CallRecordingStopped",  # the conference's segment: it ends with the third party, before the call
        "CallEnded",
    ]
    (left,) = [e for e in out if isinstance(e, ThirdPartyLeft)]
    assert (left.at, left.inferred) == (at, False)


def test_given_a_third_party_that_left_while_the_link_was_down_when_rebuilt_then_its_leaving_is_inferred() -> (
    None
):
    tracker, call_id, _ = tracker_in_the_call()
    events = recorded()
    stop = next(i for i, e in enumerate(events) if e.name == "ChanSpyStop")
    feed(tracker, events[:stop])
    later = events[stop].at + timedelta(seconds=5)
    # The call goes on (caller and seat 1001 still bridged); the conference's channels are gone.
    snapshot = call_channels(call_id, 30)

    out = tracker.rebuild(snapshot, [], later)

    left = [e for e in out if isinstance(e, ThirdPartyLeft)]
    assert [(e.call_id, e.party, e.at, e.inferred, e.talk_seconds) for e in left] == [
        (call_id, "1002", later, True, None)
    ]
    assert not [e for e in out if isinstance(e, CallEnded)]  # the call itself goes on
    assert feed(tracker, events[stop:]) == []  # the late ChanSpyStop and hangups add nothing


def conference_channels() -> list[AmiEvent]:
    """The `CoreShowChannel` items of the conference while it barges in: ;1 running ChanSpy, ;2
    Dial, the third party's channel (named as their `Newchannel`s recorded them)."""
    spied = the("ChanSpyStart").get("SpyeeChannel")
    apps = {";1": ("ChanSpy", f"{spied},qBE"), ";2": ("Dial", "PJSIP/1002,30")}
    events = recorded()
    barged = next(i for i, e in enumerate(events) if e.name == "ChanSpyStart")
    where = {e.uniqueid: e.get("Exten") for e in events[:barged] if e.name == "Newexten"}
    out = []
    for e in events:
        if e.name != "Newchannel":
            continue
        channel = e.get("Channel")
        out.append(
            _snapshot_item(
                "CoreShowChannel",
                Channel=channel,
                Uniqueid=e.uniqueid,
                Linkedid=e.linkedid,
                Context=e.get("Context"),
                Exten=where.get(e.uniqueid, e.get("Exten")),
                ChannelStateDesc="Up",
                Application=apps.get(channel[-2:], ("AppDial", ""))[0],
                ApplicationData=apps.get(channel[-2:], ("AppDial", ""))[1],
                Duration="00:00:05",
            )
        )
    return out


def test_given_a_reconnect_during_the_three_way_call_when_rebuilt_then_nothing_new_and_it_leaves_once_after() -> (
    None
):
    tracker, call_id, _ = tracker_in_the_call()
    events = recorded()
    stop = next(i for i, e in enumerate(events) if e.name == "ChanSpyStop")
    feed(tracker, events[:stop])

    resync = tracker.rebuild(call_channels(call_id, 20) + conference_channels(), members(), events[stop].at)

    assert [e.event_type for e in resync if e.event_type.startswith(("Call", "Third"))] == []
    assert set(tracker.calls) == {call_id}  # the conference's own channels are no call
    out = feed(tracker, events[stop:])
    assert [(e.event_type, getattr(e, "inferred", None)) for e in out] == [
        ("ThirdPartyLeft", False),
        ("CallRecordingStopped", None),
    ]


def test_given_a_restart_during_the_three_way_call_when_rebuilt_then_the_third_party_is_found_and_leaves_after() -> (
    None
):
    spy, stop = the("ChanSpyStart"), the("ChanSpyStop")
    call_id = spy.get("SpyeeLinkedid")
    tracker = CallTracker()
    back = spy.at + timedelta(seconds=2)

    resync = tracker.rebuild(call_channels(call_id, 20) + conference_channels(), members(), back)

    offered = [e.call_id for e in resync if isinstance(e, CallOffered)]
    assert offered == [call_id]  # the caller's; the conference's own channels are no call
    assert set(tracker.calls) == {call_id}
    dialled = next(
        e for e in recorded() if e.name == "DialBegin" and e.get("DestChannel").startswith("PJSIP/")
    )
    joined = [e for e in resync if isinstance(e, ThirdPartyJoined)]
    assert [(e.call_id, e.seat_id, e.party, e.channel, e.at, e.inferred) for e in joined] == [
        (call_id, "1001", "1002", dialled.get("DestChannel"), back, True)
    ]
    events = recorded()
    out = feed(tracker, events[next(i for i, e in enumerate(events) if e.name == "ChanSpyStop") :])
    left = [e for e in out if isinstance(e, ThirdPartyLeft)]
    assert [(e.leg_id, e.at, e.talk_seconds) for e in left] == [
        (joined[0].leg_id, stop.at, round((stop.at - back).total_seconds(), 3))
    ]
