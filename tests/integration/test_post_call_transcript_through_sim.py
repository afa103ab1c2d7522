"""Post-call transcripts end to end (issue 18): no Vosk model, the Whisper engine only; the demo's
seat answers a simulated caller who speaks a real Mandarin recording (AISHELL-1, from
../shared/speech, as pbx/sim/audio holds it at 8 kHz); the rendered dialplan's MixMonitor writes
the call's WAV, the keeper keeps it, the post-call worker decodes it with the real engine and the
call gets transcript lines of leg `mixed`, announced by `PostCallTranscriptReady` (the seat's
console reloads on it) and shown by the seat's transcript view."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.main import build_seat_workspace
from app.runtime import Runtime
from app.settings import demo_settings
from asr.scoring import char_errors
from asr.whisper_model import verify_model_dir
from core.asr_events import PostCallTranscriptReady
from core.errors import ConfigurationError
from core.events import DomainEvent
from core.ids import CallId
from core.seat_events import SeatStatus
from pbx.sim import CallerSpec
from tests.support.app import WorkdayClock
from tests.support.polling import until

pytestmark = [pytest.mark.slow, pytest.mark.whisper_model]

REPO = Path(__file__).resolve().parents[2]
SPEECH = "speech-fireredasr-BAC009S0764W0121.wav"
REFERENCE = "甚至出现交易几乎停滞的情况"  # AISHELL-1's human transcript (pbx/sim/audio/speech.tsv)


def _model_dir() -> Path:
    configured = os.environ.get("HOTLINE_ASR__WHISPER_MODEL_PATH")
    path = Path(configured) if configured else REPO / "models" / "faster-whisper-base"
    try:
        verify_model_dir(path, checksum=False)
    except ConfigurationError as exc:
        pytest.skip(f"Whisper 模型不可用（make install 安装到 models/faster-whisper-base）：{exc.message}")
    return path


async def test_given_no_vosk_when_a_recorded_call_ends_then_its_post_call_transcript_is_stored_and_announced(
    tmp_path: Path,
) -> None:
    model = _model_dir()
    settings = demo_settings(
        database={"url": f"sqlite:///{tmp_path / 'post-call.db'}"},
        ami={"port": 0},
        agi={"port": 0},
        audiosocket={"port": 0},
        asr={"engine": "whisper", "whisper_model_path": str(model), "model_path": str(tmp_path / "no-vosk")},
        sim={"enabled": True, "calls_per_hour": 0.0, "time_scale": 10.0},
        recordings={"pbx_dir": str(tmp_path / "pbx-recordings"), "settle_s": 0.2},
    )
    runtime = Runtime(settings, clock=WorkdayClock())
    ready: list[PostCallTranscriptReady] = []

    async def keep(event: DomainEvent) -> None:
        if isinstance(event, PostCallTranscriptReady):
            ready.append(event)

    runtime.bus.subscribe("test-post-call", keep, types=(PostCallTranscriptReady,))
    await runtime.start()
    try:
        assert runtime.speech.utterance_engine() is not None, runtime.speech.probe()
        assert runtime.simulator is not None and runtime.board is not None
        board = runtime.board
        await until(
            lambda: any(s.status is SeatStatus.AVAILABLE for s in board.states.values()), 20.0, "the seats in"
        )
        runtime.simulator.place_call(
            CallerSpec(number="13912345678", dtmf="12", district="310106", talk_time=6.0, speech=SPEECH)
        )
        await until(lambda: bool(ready), 120.0, "the post-call transcript")
        (event,) = ready
        lines = runtime.repos.transcripts.for_call(CallId(event.call_id))
        assert lines and {line.leg for line in lines} == {"mixed"} and event.lines == len(lines)
        assert event.seat_id is not None  # pushed to the seat that took the call
        first = lines[0].text
        errors, n = char_errors(first, REFERENCE)
        assert errors / n <= 0.3, f"{first!r} vs {REFERENCE!r}"
        shown = await build_seat_workspace(runtime).transcript(event.seat_id, CallId(event.call_id))
        assert [(e.leg_label, e.text) for e in shown] == [("录音转写（通话后）", line.text) for line in lines]
    finally:
        await runtime.stop()
