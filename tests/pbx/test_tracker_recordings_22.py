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
