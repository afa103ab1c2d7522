"""The tracker's reading of a recorded call (录音) from a real Asterisk 22.10.1: the answered call of
tests/data/asterisk-traces/recording_answered.ami.jsonl (tests/realpbx, MixMonitor on the caller's
channel): one CallRecordingStarted with MIXMONITOR_FILENAME's path, one CallRecordingStopped at the
caller's hangup, answered, linked to the call."""

from __future__ import annotations

import json
from pathlib import Path

from core.call_events import CallEnded, CallRecordingStarted, CallRecordingStopped
from core.events import DomainEvent
from pbx.ami_event import AmiEvent
from pbx.tracker import CallTracker

TRACE = Path(__file__).parents[1] / "data" / "asterisk-traces" / "recording_answered.ami.jsonl"


def _replay(lines: list[dict[str, str]]) -> list[DomainEvent]:
    tracker = CallTracker()
    out: list[DomainEvent] = []
    for headers in lines:
        out += tracker.apply(AmiEvent.from_headers(headers))
    return out


def _lines() -> list[dict[str, str]]:
    return [json.loads(line) for line in TRACE.read_text(encoding="utf-8").splitlines()]


def test_given_a_real_recorded_call_when_replayed_then_one_segment_starts_and_stops_with_the_call() -> None:
    lines = _lines()
    events = _replay(lines)

    (started,) = [e for e in events if isinstance(e, CallRecordingStarted)]
    (stopped,) = [e for e in events if isinstance(e, CallRecordingStopped)]
    (ended,) = [e for e in events if isinstance(e, CallEnded)]
    (filename,) = [e["Value"] for e in lines if e.get("Variable") == "MIXMONITOR_FILENAME"]
    assert started.call_id == stopped.call_id == ended.call_id
    assert (started.segment, started.path) == (1, filename) and filename.endswith(f"/{ended.call_id}.wav")
    assert (stopped.segment, stopped.path, stopped.answered) == (1, filename, True)
    assert stopped.started_at == started.at and stopped.at == ended.at
    assert events.index(stopped) < events.index(ended)
    assert len({e.event_id for e in events}) == len(events)


def test_given_no_mixmonitor_filename_when_mixmonitor_starts_then_no_recording_is_made_up() -> None:
    lines = [e for e in _lines() if e.get("Variable") != "MIXMONITOR_FILENAME"]

    events = _replay(lines)

    assert not [e for e in events if isinstance(e, CallRecordingStarted | CallRecordingStopped)]


def test_given_a_second_recorded_channel_of_the_call_then_each_file_is_a_segment_linked_to_it() -> None:
    # The real run, with the seat's channel recorded too (as a dialplan recording a Dial()ed
    # party would): its VarSet and MixMonitorStart copied from the caller's onto the seat's
    # channel right after AgentConnect.
    lines = _lines()
    start = next(e for e in lines if e["Event"] == "MixMonitorStart")
    caller = start["Uniqueid"]
    connect = next(i for i, e in enumerate(lines) if e["Event"] == "AgentConnect")
    seat = {k: lines[connect][k] for k in ("DestChannel", "DestUniqueid", "DestLinkedid")}
    seat_file = f"/recordings/{seat['DestUniqueid']}.wav"
    copied = [
        {
            **e,
            "Channel": seat["DestChannel"],
            "Uniqueid": seat["DestUniqueid"],
            "Linkedid": seat["DestLinkedid"],
        }
        | ({"Value": seat_file} if e["Event"] == "VarSet" else {})
        for e in lines
        if e.get("Uniqueid") == caller
        and (e["Event"] == "MixMonitorStart" or e.get("Variable") == "MIXMONITOR_FILENAME")
    ]
    events = _replay(lines[: connect + 1] + copied + lines[connect + 1 :])

    started = [e for e in events if isinstance(e, CallRecordingStarted)]
    stopped = [e for e in events if isinstance(e, CallRecordingStopped)]
    (ended,) = [e for e in events if isinstance(e, CallEnded)]
    assert [(e.segment, e.path.endswith(f"/{ended.call_id}.wav")) for e in started] == [(1, True), (2, False)]
    assert started[1].path == seat_file and started[1].channel == seat["DestChannel"]
    assert {e.call_id for e in started + stopped} == {ended.call_id}
    assert sorted(e.segment for e in stopped) == [1, 2] and all(e.answered for e in stopped)
