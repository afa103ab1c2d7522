"""Record() in the simulator against a real Asterisk's: the after-hours message (留言) over real FastAGI.

The simulator runs the rendered dialplan; the IVR is the project's own `IvrService` (after hours)
on a real `AgiServer`. The simulated caller presses 2, then speaks its conversation recording and
ends with `#` (or hangs up mid-message). What the simulator publishes of Record() is compared with
what Asterisk 22.10.1 published in the same scenarios (tests/data/asterisk-traces/voicemail, recorded
by tests/realpbx/test_real_asterisk.py with HOTLINE_RECORD_TRACES), and the file it wrote holds
what the caller said.
"""

from __future__ import annotations

import asyncio
import wave
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.clock import ManualClock
from core.ivr_events import IvrAbandoned, IvrRouted, VoicemailLeft
from ivr.agi_server import AgiServer
from ivr.fakes import (
    FakeAddressLookup,
    FakeQueueRouter,
    FakeSpeechCapture,
    FakeSpeechSynth,
    FakeWaitEstimator,
    FixedServiceHours,
    RecordingPublisher,
)
from ivr.menu import load_menu
from ivr.service import IvrService
from ivr.settings import VoicemailSettings
from ivr.variables import SCRIPT_IVR
from pbx.ami_event import parse_trace
from pbx.sim import DEFAULT_AUDIO_DIR, AgiTarget, CallerSpec, Dist, SimulatorConfig, run_simulator
from pbx.sim.model import Headers
from pbx.sim.voice import SAMPLE_RATE
from tests.support.polling import until

SCALE = 20.0
SPEECH = "speech-fireredasr-BAC009S0764W0121.wav"  # 4.2 s
TRACES = Path(__file__).resolve().parents[1] / "data" / "asterisk-traces" / "voicemail"
# The simulated caller keys at the first prompt that listens: the greeting takes any key, and after
# hours the IVR does not read it (the caller must hear the service hours first). The next key
# answers the after-hours question (2: 留言), the last one ends the message.
GREETING_KEY = "0"
EVENING = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # Monday 22:00 in Shanghai


def record_steps(events: list[dict[str, str]]) -> list[tuple[str, ...]]:
    """The caller channel's events from `EXEC Record` to its Hangup, each reduced to what
    Asterisk and the simulator must agree on (RTCP's QoS variables, set when the phone's RTP stops
    whatever the application, and the per-run file names are left out)."""
    out: list[tuple[str, ...]] = []
    started = False
    for e in events:
        command = e.get("Command", "")
        if e.get("Event") == "AGIExecStart" and command.startswith("EXEC Record"):
            started = True
        if not started:
            continue
        name = e.get("Event", "")
        if name in ("AGIExecStart", "AGIExecEnd"):
            out.append((name, command.split(" ")[0] + " " + command.split(" ")[1], e.get("ResultCode", "")))
        elif name == "VarSet" and e["Variable"] in ("RECORDED_FILE", "RECORD_STATUS", "AGISTATUS"):
            out.append((name, e["Variable"], "<file>" if e["Variable"] == "RECORDED_FILE" else e["Value"]))
        elif name in ("DTMFBegin", "DTMFEnd"):
            out.append((name, e["Digit"], e["Direction"]))
        elif name == "Newexten":
            out.append((name, e["Application"]))
        elif name in ("HangupRequest", "SoftHangupRequest", "Hangup"):
            out.append((name,))
        if name == "Hangup":
            break
    return out


def asterisk_steps(trace: str) -> list[tuple[str, ...]]:
    events = [h for kind, h in parse_trace((TRACES / f"{trace}.ami").read_bytes()) if kind == "event"]
    return record_steps(events)


@pytest.fixture
async def ivr(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[AgiServer, RecordingPublisher]]:
    """The IVR recording into tmp_path (or into the folder `request.param` names)."""
    folder = str(getattr(request, "param", tmp_path / "voicemail"))
    publisher = RecordingPublisher()
    service = IvrService(
        load_menu(),
        router=FakeQueueRouter(),
        hours=FixedServiceHours(False),
        waits=FakeWaitEstimator(30.0),
        lookup=FakeAddressLookup(),
        capture=FakeSpeechCapture(),
        synth=FakeSpeechSynth(),
        publisher=publisher,
        clock=ManualClock(EVENING),
        voicemail=VoicemailSettings(pbx_dir=folder),
    )
    server = AgiServer({SCRIPT_IVR: service.run}, command_timeout=10.0)
    await server.start("127.0.0.1", 0)
    try:
        yield server, publisher
    finally:
        await server.stop()


async def leave_message(
    server: AgiServer, spec: CallerSpec, *, hang_up_after_s: float | None = None
) -> list[dict[str, str]]:
    """Place the call; with `hang_up_after_s`, the caller hangs up that long (virtual seconds)
    into the recording (its phone's BYE: a hangup request on its channel)."""
    config = SimulatorConfig(
        ami_port=0,
        agi=AgiTarget("127.0.0.1", server.port, SCRIPT_IVR),
        time_scale=SCALE,
        audio_dir=DEFAULT_AUDIO_DIR,
        patience=Dist.never(),
    )
    sim = await run_simulator(config)
    events: list[Headers] = []
    sim.event_listeners.append(events.append)

    def hang_up_mid_message(headers: Headers) -> None:
        e = dict(headers)
        if hang_up_after_s is not None and e.get("Variable") == "RECORDED_FILE":
            caller = next(c for c in sim.pbx.channels if c.name == e["Channel"])
            asyncio.get_running_loop().call_later(hang_up_after_s / SCALE, caller.request_hangup, 16)

    sim.event_listeners.append(hang_up_mid_message)
    try:
        await asyncio.wait_for(sim.place_call(spec), timeout=20.0)
    finally:
        await sim.stop()
    return [dict(e) for e in events]


def pcm(path: Path) -> bytes:
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SAMPLE_RATE, 1, 2)
        return w.readframes(w.getnframes())


async def test_given_a_message_ended_with_hash_when_simulated_then_record_runs_as_asterisks(
    ivr: tuple[AgiServer, RecordingPublisher],
) -> None:
    server, publisher = ivr
    events = await leave_message(server, CallerSpec(dtmf=GREETING_KEY + "2#", speech=SPEECH))

    steps = record_steps(events)
    assert steps == asterisk_steps("voicemail_dtmf"), steps
    await until(lambda: bool(publisher.of(IvrRouted)), timeout=5.0)  # the IVR's session is over
    (message,) = publisher.of(VoicemailLeft)
    assert isinstance(message, VoicemailLeft) and (message.status, message.saved) == ("DTMF", True)
    said = pcm(Path(message.recording))
    spoken = pcm(DEFAULT_AUDIO_DIR / SPEECH)
    # The caller's voice, its last quarter second cut with the key (app_record's rewind).
    assert said == spoken[: len(said)] and len(spoken) - len(said) <= SAMPLE_RATE // 2 + 2 * 160 * 2


async def test_given_a_caller_hanging_up_mid_message_when_simulated_then_what_was_said_is_kept(
    ivr: tuple[AgiServer, RecordingPublisher],
) -> None:
    server, publisher = ivr
    events = await leave_message(
        server, CallerSpec(dtmf=GREETING_KEY + "2", speech=SPEECH), hang_up_after_s=2.0
    )

    # res_agi tells the FastAGI server HANGUP; Asterisk still answers the command the IVR had
    # already sent (GET VARIABLE, on the dead channel), the simulator's AGI ends at the HANGUP.
    real = [s for s in asterisk_steps("voicemail_hangup") if s[1:2] != ("GET VARIABLE",)]
    assert record_steps(events) == real, record_steps(events)
    await until(lambda: bool(publisher.of(IvrAbandoned)), timeout=5.0)  # the IVR's session is over
    (message,) = publisher.of(VoicemailLeft)
    assert isinstance(message, VoicemailLeft) and (message.status, message.saved) == ("HANGUP", True)
    said = pcm(Path(message.recording))
    assert 1.0 * SAMPLE_RATE * 2 <= len(said) <= 3.0 * SAMPLE_RATE * 2
    assert said == pcm(DEFAULT_AUDIO_DIR / SPEECH)[: len(said)]
    assert [e.where for e in publisher.of(IvrAbandoned) if isinstance(e, IvrAbandoned)] == ["voicemail"]


@pytest.mark.parametrize("ivr", ["/proc/hotline-voicemail"], indirect=True)
async def test_given_a_folder_asterisk_cannot_write_when_simulated_then_error_and_the_caller_is_told(
    ivr: tuple[AgiServer, RecordingPublisher],
) -> None:
    server, publisher = ivr
    events = await leave_message(server, CallerSpec(dtmf=GREETING_KEY + "2#", speech=SPEECH))

    await until(lambda: bool(publisher.of(IvrRouted)), timeout=5.0)
    (message,) = publisher.of(VoicemailLeft)
    assert isinstance(message, VoicemailLeft) and (message.status, message.saved, message.recording) == (
        "ERROR",
        False,
        "",
    )
    assert ("VarSet", "RECORD_STATUS", "ERROR") in record_steps(events)
    played = [
        e["Command"] for e in events if e.get("Event") == "AGIExecStart" and "STREAM FILE" in e["Command"]
    ]
    assert played[-1].startswith("STREAM FILE hotline/voicemail_failed")
