"""Energy endpointing and PCM helpers, in audio time (no clocks)."""

from __future__ import annotations

import math
from array import array
from typing import Any

import pytest

from asr.endpointing import EndpointConfig, EndpointReason, EnergyEndpointer
from asr.pcm import SILENCE_DBFS, downsample_2x, frame_dbfs


def run(endpointer: EnergyEndpointer, frames: list[bytes]) -> tuple[EndpointReason | None, float]:
    for frame in frames:
        if decision := endpointer.push(frame):
            return decision, round(endpointer.elapsed_s, 3)
    return None, round(endpointer.elapsed_s, 3)


def test_given_speech_then_trailing_silence_when_pushed_then_ends_after_the_silence(pcm: Any) -> None:
    endpointer = EnergyEndpointer(EndpointConfig(trailing_silence_ms=800))

    reason, at = run(endpointer, pcm.tone(600) + pcm.silence(2000))

    assert reason is EndpointReason.SPEECH_ENDED
    assert at == 1.4


def test_given_single_dropout_frames_inside_speech_when_pushed_then_utterance_goes_on(pcm: Any) -> None:
    frames = []
    for _ in range(20):
        frames += pcm.tone(200) + pcm.silence(20)

    reason, _ = run(EnergyEndpointer(EndpointConfig(max_duration_s=30)), frames)

    assert reason is None


def test_given_only_silence_when_pushed_then_no_speech_at_the_timeout(pcm: Any) -> None:
    reason, at = run(EnergyEndpointer(EndpointConfig(no_speech_timeout_s=3.0)), pcm.silence(10_000))

    assert (reason, at) == (EndpointReason.NO_SPEECH, 3.0)


def test_given_endless_speech_when_pushed_then_max_duration(pcm: Any) -> None:
    reason, at = run(EnergyEndpointer(EndpointConfig(max_duration_s=4.0)), pcm.tone(10_000))

    assert (reason, at) == (EndpointReason.MAX_DURATION, 4.0)


def test_given_a_click_shorter_than_min_speech_when_pushed_then_it_does_not_start_speech(pcm: Any) -> None:
    endpointer = EnergyEndpointer(EndpointConfig(min_speech_ms=200, no_speech_timeout_s=2.0))

    reason, _ = run(endpointer, pcm.tone(100) + pcm.silence(3000))

    assert reason is EndpointReason.NO_SPEECH


def test_given_recorded_caller_speech_then_silence_when_pushed_then_speech_ended(
    recorded_audio: list[bytes], pcm: Any
) -> None:
    endpointer = EnergyEndpointer()

    reason, at = run(endpointer, recorded_audio + pcm.silence(3000))

    assert reason is EndpointReason.SPEECH_ENDED
    assert 5.0 < at <= 5.0 + 0.8 + 0.02


def test_given_decision_made_when_more_audio_pushed_then_decision_is_kept(pcm: Any) -> None:
    endpointer = EnergyEndpointer(EndpointConfig(max_duration_s=0.1))
    run(endpointer, pcm.tone(200))

    assert endpointer.push(pcm.silence(20)[0]) is EndpointReason.MAX_DURATION


def test_given_digital_silence_when_measured_then_floor_level() -> None:
    assert frame_dbfs(bytes(320)) == SILENCE_DBFS
    assert frame_dbfs(b"") == SILENCE_DBFS


def test_given_full_scale_square_wave_when_measured_then_zero_dbfs() -> None:
    square = array("h", [32767, -32768] * 80).tobytes()

    assert frame_dbfs(square) == pytest.approx(0.0, abs=0.01)


def _sine_16k(freq: float, n: int = 1600) -> bytes:
    return array("h", (int(10000 * math.sin(2 * math.pi * freq * i / 16000)) for i in range(n))).tobytes()


def test_given_16k_audio_when_downsampled_then_half_the_samples_and_the_voice_band_kept() -> None:
    out = downsample_2x(_sine_16k(500))

    assert len(out) == 1600
    assert frame_dbfs(out[400:1200]) == pytest.approx(frame_dbfs(_sine_16k(500)[800:2400]), abs=0.5)


def test_given_tone_above_4khz_when_downsampled_then_it_is_filtered_out() -> None:
    assert frame_dbfs(downsample_2x(_sine_16k(6000))[400:1200]) < frame_dbfs(_sine_16k(6000)) - 20
