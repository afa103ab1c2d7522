"""The simulator's MixMonitor (pbx/sim/mixmonitor.py) against a real Asterisk 22.10.1: the events
of tests/data/asterisk-traces/recording_answered.ami.jsonl (tests/realpbx's answered-call
recording test) and a real WAV of what the caller said while bridged."""

from __future__ import annotations

import json
import logging
import wave
from pathlib import Path

import pytest

from pbx.sim import CallerSpec, Dist, PhoneConfig, SimulatorConfig, run_simulator
from pbx.sim.asterisk_files import render_project_conf
from pbx.sim.model import Channel
from pbx.sim.simulator import Simulator
from tests.support.polling import until

TRACE = Path(__file__).parents[1] / "data" / "asterisk-traces" / "recording_answered.ami.jsonl"
Event = dict[str, str]


def _real_events() -> list[Event]:
    return [json.loads(line) for line in TRACE.read_text(encoding="utf-8").splitlines()]


async def _answered_call(tmp_path: Path, recordings: Path, talk: float) -> tuple[list[Event], bytes, str]:
    conf = render_project_conf(
        SimulatorConfig(queues=(), default_queue="q-city-other", recordings_dir=recordings), tmp_path / "conf"
    )
    sim = await run_simulator(
        SimulatorConfig(
            ami_port=0,
            time_scale=20.0,
            asterisk_conf=conf,
            default_queue="q-city-other",
            seats=(PhoneConfig("1001", answer_delay=Dist.fixed(1.0)),),
        )
    )
    events: list[Event] = []
    sim.event_listeners.append(lambda h: events.append(dict(h)))
    try:
        sim.pbx.add_member("q-city-other", "PJSIP/1001", "seat-1001", "PJSIP/1001", 0)
        sim.place_call(CallerSpec("caller1", "13900139000", talk_time=talk))
        caller = await _caller(sim, events)
        speech = sim.pbx.speech_pcm(caller)
        await until(lambda: any(e["Event"] == "Hangup" and e["Channel"] == caller.name for e in events), 20.0)
    finally:
        await sim.stop()
    return [e for e in events if e.get("Channel") == caller.name], speech, caller.uniqueid


async def _caller(sim: Simulator, events: list[Event]) -> Channel:
    await until(lambda: any(e["Event"] == "MixMonitorStart" for e in events), 20.0)
    start = next(e for e in events if e["Event"] == "MixMonitorStart")
    return next(c for c in sim.pbx.channels if c.name == start["Channel"])


def _samples(path: Path) -> bytes:
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        return w.readframes(w.getnframes())


async def test_an_answered_call_is_recorded_with_what_the_caller_said_while_bridged(tmp_path: Path) -> None:
    recordings = tmp_path / "rec"
    events, speech, uid = await _answered_call(tmp_path, recordings, talk=6.0)

    real = _real_events()
    real_caller = real[[e["Event"] for e in real].index("MixMonitorStart")]["Channel"]
    real_seq = [
        (e["Event"], e.get("Variable", ""))
        for e in real
        if e.get("Channel") == real_caller
        and e["Event"] in ("VarSet", "MixMonitorStart", "Newexten")
        and (e["Event"] != "VarSet" or e["Variable"] == "MIXMONITOR_FILENAME")
    ]
    sim_seq = [
        (e["Event"], e.get("Variable", ""))
        for e in events
        if e["Event"] in ("VarSet", "MixMonitorStart", "Newexten")
        and (e["Event"] != "VarSet" or e["Variable"] == "MIXMONITOR_FILENAME")
    ]
    # What a real Asterisk says around it: the Newexten of MixMonitor, its VarSet, MixMonitorStart.
    at = real_seq.index(("MixMonitorStart", ""))
    assert sim_seq[sim_seq.index(("MixMonitorStart", "")) - 2 :][:3] == real_seq[at - 2 : at + 1]
    for name in ("MixMonitorStart", "VarSet"):
        (real_event,) = [
            e for e in real if e["Event"] == name and e.get("Variable", "") in ("", "MIXMONITOR_FILENAME")
        ]
        (sim_event,) = [
            e for e in events if e["Event"] == name and e.get("Variable", "") in ("", "MIXMONITOR_FILENAME")
        ]
        assert list(sim_event) == list(real_event) and sim_event["Privilege"] == real_event["Privilege"]
    path = recordings / f"{uid}.wav"
    (filename,) = [e["Value"] for e in events if e.get("Variable") == "MIXMONITOR_FILENAME"]
    assert filename == str(path)

    audio = _samples(path)
    # Bridged for the caller's 6 s of talk (the ring and the queue are not recorded).
    assert 5.0 <= len(audio) / 16000 <= 6.6, len(audio) / 16000
    # The caller's voice, as the simulator streams it, from the start of the conversation.
    assert speech and audio[:16000] == speech[:16000]
    assert any(audio[i : i + 2] != b"\x00\x00" for i in range(0, 16000, 2))


async def test_an_unwritable_recordings_folder_loses_the_recording_never_the_call(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="pbx.sim.mixmonitor"):
        events, _speech, _uid = await _answered_call(tmp_path, blocked / "rec", talk=2.0)

    assert "Cannot open" in caplog.text
    names = [e["Event"] for e in events]
    assert "MixMonitorStart" in names and "BridgeEnter" in names
    (hangup,) = [e for e in events if e["Event"] == "Hangup"]
    assert hangup["Cause"] == "16"
