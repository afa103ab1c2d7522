"""录音 end to end against the PBX simulator (nothing of ours mocked): the demo's seats answer a
simulated caller; the rendered dialplan's MixMonitor writes the call's WAV, the tracker's
CallRecordingStarted/Stopped reach the keeper, and the recording is kept with its size and checksum,
linked to the call, holding what the caller said."""

from __future__ import annotations

import asyncio
import hashlib
import wave
from pathlib import Path

import pytest

from app.runtime import Runtime
from app.settings import demo_settings
from core.calls import CallStatus
from core.ids import CallId
from core.recordings import RecordingStatus
from core.seat_events import SeatStatus
from pbx.sim import DEFAULT_AUDIO_DIR, CallerSpec
from store.recordings import RecordingRepository
from tests.support.app import WorkdayClock
from tests.support.polling import until

pytestmark = pytest.mark.slow

SPEECH = "speech-fireredasr-BAC009S0764W0121.wav"


async def test_given_the_demo_when_a_seat_answers_a_call_then_its_recording_is_kept_and_holds_the_caller(
    tmp_path: Path,
) -> None:
    settings = demo_settings(
        database={"url": f"sqlite:///{tmp_path / 'rec.db'}"},
        ami={"port": 0},
        agi={"port": 0},
        audiosocket={"enabled": False},
        sim={"enabled": True, "calls_per_hour": 0.0, "time_scale": 10.0},
        recordings={"pbx_dir": str(tmp_path / "pbx-recordings"), "settle_s": 0.2},
    )
    runtime = Runtime(settings, clock=WorkdayClock())
    await runtime.start()
    try:
        assert runtime.simulator is not None
        board = runtime.board
        assert board is not None
        await until(
            lambda: any(s.status is SeatStatus.AVAILABLE for s in board.states.values()),
            20.0,
            "the demo seats in",
        )
        runtime.simulator.place_call(
            CallerSpec(number="13912340000", dtmf="12", district="310106", talk_time=20.0, speech=SPEECH)
        )
        repos, recordings = runtime.repos, RecordingRepository(runtime.repos.db)

        def kept() -> bool:
            calls = [c for c in repos.calls.recent(limit=5) if c.caller_number == "13912340000"]
            return bool(calls) and bool(recordings.for_call(calls[0].id))

        await until(kept, 30.0, "the call's recording kept")
        (call,) = [c for c in repos.calls.recent(limit=5) if c.caller_number == "13912340000"]
        assert call.status is CallStatus.ANSWERED and call.talk_seconds
        (rec,) = recordings.for_call(CallId(call.id))
        assert rec.status is RecordingStatus.OK and rec.answered and rec.segment == 1
        assert rec.path == str(tmp_path / "pbx-recordings" / f"{call.id}.wav")
        data = await asyncio.to_thread(Path(rec.path).read_bytes)
        assert rec.size == len(data) and rec.sha256 == hashlib.sha256(data).hexdigest()
        said, spoken = (
            await asyncio.to_thread(_frames, Path(rec.path)),
            await asyncio.to_thread(_frames, DEFAULT_AUDIO_DIR / SPEECH),
        )
        assert abs(len(said) / 16000 - call.talk_seconds) < 1.5
        assert said[:16000] == spoken[:16000]
        assert runtime.recordings.probe()[0] is True
    finally:
        await runtime.stop()


def _frames(path: Path) -> bytes:
    with wave.open(str(path)) as w:
        return w.readframes(w.getnframes())
