"""A supervisor's monitor (班长监听, `pbx.monitors`) as the tracker reads it.

The shapes are a real Asterisk 22.10.1's: the recorded three-way call
(tests/data/asterisk-traces/three_way_barge.ami.jsonl) is the same Originate of a Local channel
running ChanSpy on a seat's leg after ;2's Dial was answered; here its channels are named as the
supervisor's console names a monitor (`Local/m-<id>.<call>@hotline-monitor`, ChannelId the same)."""

from __future__ import annotations

from core import dialplan
from core.call_events import MonitorConnected, MonitorEnded
from pbx.ami_event import AmiEvent
from pbx.monitors import monitor_of
from pbx.tracker import CallTracker
from tests.pbx.test_tracker_three_way_22 import (
    call_channels,
    caller_hangs_up,
    feed,
    members,
    recorded,
    the,
    tracker_in_the_call,
)

CONFERENCE_ID = the("Newchannel").get("Exten")  # c-<id>: the recorded conference's ChannelId


def _recording(e: AmiEvent) -> bool:
    """The conference's own recording (MixMonitor on ;2): [hotline-monitor] records nothing."""
    return (
        e.name == "MixMonitorStart"
        or (e.name == "Newexten" and e.get("Application") == "MixMonitor")
        or (e.name == "VarSet" and e.get("Variable") == "MIXMONITOR_FILENAME")
    )


def as_monitor(events: list[AmiEvent], call_id: str) -> tuple[list[AmiEvent], str]:
    """The recorded events with the conference's Local pair renamed to a monitor of `call_id`."""
    key = f"{dialplan.MONITOR_PREFIX}{CONFERENCE_ID.removeprefix(dialplan.CONFERENCE_PREFIX)}.{call_id}"

    def rename(value: str) -> str:
        return value.replace(CONFERENCE_ID, key).replace(dialplan.CONFERENCE, dialplan.MONITOR)

    out = [
        AmiEvent.from_headers({k: rename(v) for k, v in e.headers.items()}, received_at=e.at)
        for e in events
        if not _recording(e)
    ]
    return out, key


def test_given_monitor_channel_names_when_read_then_the_key_and_call_come_out_and_others_are_none() -> None:
    assert monitor_of("Local/m-7f.1796571440.1@hotline-monitor-0000000a;1") == (
        "m-7f.1796571440.1",
        "1796571440.1",
    )
    assert monitor_of("Local/c-7f@hotline-conference-00000000;1") is None
    assert monitor_of("Local/m-7f.1.2@hotline-conference-00000000;1") is None  # another context
    assert monitor_of("PJSIP/1001-00000001") is None


def test_given_a_monitor_answered_when_replayed_then_it_connects_and_ends_once_and_nothing_else() -> None:
    tracker, call_id, _ = tracker_in_the_call()
    events, key = as_monitor(recorded(), call_id)

    out = feed(tracker, events)

    start = the("ChanSpyStart")
    gone = next(e for e in events if e.name == "Hangup" and e.get("Channel").endswith(";1"))
    assert [(type(e), e.call_id, e.monitor_id, e.at) for e in out if isinstance(e, MonitorConnected)] == [
        (MonitorConnected, call_id, key, start.at)
    ]
    assert [(e.call_id, e.monitor_id, e.at, e.connected) for e in out if isinstance(e, MonitorEnded)] == [
        (call_id, key, gone.at, True)
    ]
    # No third party, no call, no leg: the monitor's pair and the supervisor's phone are not the call's.
    assert [e.event_type for e in out] == ["MonitorConnected", "MonitorEnded"]
    assert set(tracker.calls) == {call_id}


def test_given_a_monitor_whose_phone_never_answered_when_replayed_then_it_ends_not_connected() -> None:
    tracker, call_id, _ = tracker_in_the_call()
    events, key = as_monitor(recorded(), call_id)
    unanswered = [e for e in events if e.name not in ("ChanSpyStart", "ChanSpyStop")]

    out = feed(tracker, unanswered)

    assert [(e.event_type, e.monitor_id, getattr(e, "connected", None)) for e in out] == [
        ("MonitorEnded", key, False)
    ]


def test_given_a_monitor_connected_when_the_caller_hangs_up_then_the_call_ends_and_the_monitor_with_it() -> (
    None
):
    tracker, call_id, _ = tracker_in_the_call()
    events, _key = as_monitor(recorded(), call_id)
    upto = next(i for i, e in enumerate(events) if e.name == "ChanSpyStop")

    out = feed(tracker, [*events[:upto], caller_hangs_up(call_id, events[upto].at)])
    out += feed(tracker, events[upto:])

    names = [e.event_type for e in out]
    assert names.index("MonitorConnected") < names.index("CallEnded") < names.index("MonitorEnded")
    assert names.count("MonitorEnded") == 1


def test_given_a_connected_monitor_when_the_link_comes_back_without_it_then_it_ended_while_away() -> None:
    tracker, call_id, _ = tracker_in_the_call()
    events, key = as_monitor(recorded(), call_id)
    upto = next(i for i, e in enumerate(events) if e.name == "ChanSpyStop")
    feed(tracker, events[:upto])
    back = events[upto].at

    out = tracker.rebuild(call_channels(call_id, 30), members(), back)  # the monitor's ;1 is gone

    assert [
        (e.event_type, e.monitor_id, e.at, getattr(e, "connected", None))
        for e in out
        if "Monitor" in e.event_type
    ] == [("MonitorEnded", key, back, True)]


def test_given_a_monitor_running_when_the_tracker_starts_then_it_is_connected_and_its_end_is_read() -> None:
    spy = the("ChanSpyStart")
    call_id = spy.get("SpyeeLinkedid")
    events, key = as_monitor(recorded(), call_id)
    one = next(e for e in events if e.name == "ChanSpyStart").get("SpyerChannel")
    monitor_item = AmiEvent.from_headers(
        {
            "Event": "CoreShowChannel",
            "Channel": one,
            "Uniqueid": key,
            "Linkedid": key,
            "Context": dialplan.MONITOR,
            "Application": "ChanSpy",
            "ApplicationData": f"{spy.get('SpyeeChannel')},qE",
        },
        received_at=spy.at,
    )
    tracker = CallTracker()

    out = tracker.rebuild([*call_channels(call_id, 7), monitor_item], members(), spy.at)
    out += feed(tracker, [e for e in events if e.at > spy.at and e.name != "ChanSpyStart"])

    monitors = [
        (e.event_type, e.monitor_id, getattr(e, "connected", None)) for e in out if "Monitor" in e.event_type
    ]
    assert monitors == [("MonitorConnected", key, None), ("MonitorEnded", key, True)]


def test_given_a_monitor_still_ringing_when_the_link_comes_back_without_it_then_it_ended_unanswered() -> None:
    tracker, call_id, _ = tracker_in_the_call()
    events, key = as_monitor(recorded(), call_id)
    upto = next(i for i, e in enumerate(events) if e.name == "DialBegin" and e.get("DestChannel"))
    assert not [e for e in feed(tracker, events[:upto]) if "Monitor" in e.event_type]  # ringing: nothing yet
    back = events[upto].at

    out = tracker.rebuild(call_channels(call_id, 30), members(), back)

    assert [
        (e.event_type, e.monitor_id, getattr(e, "connected", None)) for e in out if "Monitor" in e.event_type
    ] == [("MonitorEnded", key, False)]
