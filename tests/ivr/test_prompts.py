"""Prompt audio: espeak-ng + sox into 8 kHz mono 16-bit WAV; recordings are never overwritten."""

from __future__ import annotations

import itertools
import shutil
import wave
from pathlib import Path

import pytest

from ivr.errors import PromptBuildError
from ivr.menu import DEFAULT_MENU_PATH
from ivr.prompts import EspeakSpeechSynth, build_prompts

pytestmark = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")), reason="espeak-ng and sox are needed"
)


def small_menu(tmp_path: Path, greeting: str = "您好，这里是12348公共法律服务热线。") -> Path:
    text = DEFAULT_MENU_PATH.read_text(encoding="utf-8")
    path = tmp_path / "menu.toml"
    path.write_text(
        text.replace("您好，这里是12348公共法律服务热线。本热线提供免费的法律咨询服务。", greeting),
        encoding="utf-8",
    )
    return path


def test_given_menu_when_built_then_every_prompt_is_8khz_mono_16bit_wav(tmp_path: Path):
    out = tmp_path / "prompts"

    report = build_prompts(small_menu(tmp_path), out)

    assert "greeting" in report.built
    for name in report.built:
        with wave.open(str(out / f"{name}.wav")) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
            assert w.getnframes() > 8000 * 0.5


def test_given_prompts_built_then_the_hold_music_is_a_melody_of_several_notes(tmp_path: Path):
    """[hotline-hold] loops `hold_music` to a held caller (保持): music, not one tone or silence."""
    out = tmp_path / "prompts"
    assert "hold_music" in build_prompts(small_menu(tmp_path), out).built
    with wave.open(str(out / "hold_music.wav")) as w:
        frames = w.readframes(w.getnframes())
        assert w.getframerate() == 8000 and w.getnframes() >= 8000 * 8
    samples = [int.from_bytes(frames[i : i + 2], "little", signed=True) for i in range(0, len(frames), 2)]
    pitches = set()
    for start in range(0, len(samples) - 800, 4000):  # the zero-crossing rate of each half second
        window = samples[start : start + 800]
        if max(abs(x) for x in window) > 1000:
            crossings = sum(1 for a, b in itertools.pairwise(window) if (a < 0) != (b < 0))
            pitches.add(round(crossings * 10 / 2, -1))  # Hz, to 10 Hz
    assert len(pitches) >= 4, pitches


def test_given_built_prompts_when_rebuilt_then_changed_text_rebuilt_and_recordings_kept(tmp_path: Path):
    out = tmp_path / "prompts"
    build_prompts(small_menu(tmp_path), out)
    recording = (out / "goodbye.wav").read_bytes()[:-2] + b"\x01\x01"
    (out / "goodbye.wav").write_bytes(recording)

    report = build_prompts(small_menu(tmp_path, greeting="您好，欢迎致电12348。"), out)

    assert report.built == ("greeting",)
    assert "goodbye" in report.kept_recordings
    assert (out / "goodbye.wav").read_bytes() == recording


def test_given_missing_tool_when_building_then_clear_error(tmp_path: Path):
    with pytest.raises(PromptBuildError, match="no-such-tts"):
        build_prompts(None, tmp_path, espeak="no-such-tts")


async def test_given_dynamic_text_when_synthesised_then_cached_prompt_name(tmp_path: Path):
    synth = EspeakSpeechSynth(tmp_path, "hotline")

    name = await synth.prompt_for("静安区公共法律服务中心")

    assert name.startswith("hotline/dyn/")
    assert (tmp_path / "dyn" / f"{name.rsplit('/', 1)[1]}.wav").exists()
    assert await synth.prompt_for("静安区公共法律服务中心") == name
