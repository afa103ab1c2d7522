"""The Whisper adapter around a stand-in model: what it asks faster-whisper for, what it keeps.

These run without the 145 MB model (a fake `WhisperModel` records the calls); they need the
`whisper` extra's numpy and opencc. The real model's behaviour on silence, tones and speech is in
test_whisper_accuracy.py.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from asr.whisper_engine import (
    PROMPT_MAX_CHARS,
    AsrDecodeFailed,
    WhisperRecognizer,
    domain_prompt,
)
from routing.queues import LegalCategory

np = pytest.importorskip("numpy", reason="未安装 whisper 附加依赖（pip install -e '.[whisper]'）")
pytest.importorskip("opencc", reason="未安装 whisper 附加依赖（pip install -e '.[whisper]'）")


def seg(text: str, *, no_speech: float = 0.01, logprob: float = -0.2, ratio: float = 1.2) -> Any:
    return SimpleNamespace(text=text, no_speech_prob=no_speech, avg_logprob=logprob, compression_ratio=ratio)


@dataclass
class FakeModel:
    segments: list[Any] = field(default_factory=lambda: [seg("你好")])
    error: Exception | None = None
    calls: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)

    def transcribe(self, audio: Any, **kwargs: Any) -> tuple[Iterator[Any], Any]:
        self.calls.append((audio, kwargs))
        if self.error is not None:
            raise self.error
        return iter(self.segments), SimpleNamespace(language="zh")


def engine(model: FakeModel, **options: Any) -> WhisperRecognizer:
    return WhisperRecognizer(model, Path("fake"), **options)


def speechlike(seconds: float, rate: int = 8000, amplitude: int = 6000) -> bytes:
    n = int(seconds * rate)
    return array("h", (int(amplitude * math.sin(2 * math.pi * 300 * i / rate)) for i in range(n))).tobytes()


def test_given_8khz_phone_audio_when_a_session_finishes_then_whisper_gets_16khz_zh_beam1_vad() -> None:
    model = FakeModel()
    session = engine(model).new_session(8000)
    pcm = speechlike(1.0)
    for i in range(0, len(pcm), 320):
        assert session.accept(pcm[i : i + 320]) is None  # whole utterances only: no partials
    result = session.finish()

    assert result.text == "你好" and result.final
    audio, kwargs = model.calls[0]
    assert audio.dtype == np.float32 and audio.size == 16000
    assert kwargs["language"] == "zh" and kwargs["beam_size"] == 1
    assert kwargs["vad_filter"] is True and kwargs["temperature"] == 0.0
    assert kwargs["condition_on_previous_text"] is False


def test_given_traditional_characters_from_the_model_when_transcribed_then_simplified_come_back() -> None:
    model = FakeModel([seg("廣州市房地產中介協會"), seg("分析。")])
    assert engine(model).transcribe(speechlike(1.0), 8000) == "广州市房地产中介协会分析。"


def test_given_non_speech_and_phantom_segments_when_transcribed_then_they_are_dropped() -> None:
    model = FakeModel(
        [
            seg("请不吝点赞 订阅 转发"),
            seg("字幕由Amara.org社区提供"),
            seg("嗯嗯嗯嗯嗯嗯嗯嗯嗯嗯嗯嗯", ratio=3.1),
            seg("谢谢", no_speech=0.9, logprob=-1.2),
            seg("五里桥,五里桥,五里桥。", ratio=1.5),  # a decoding loop on synthetic speech
            seg("我没课,我只能课到1,2,3", logprob=-1.41),  # too unsure to route a call on
            seg("我住在徐汇区"),
        ]
    )
    assert engine(model).transcribe(speechlike(2.0), 8000) == "我住在徐汇区"


@pytest.mark.parametrize("pcm", [bytes(16000), b"", b"\x01", speechlike(1.0, amplitude=10)])
def test_given_silence_or_almost_nothing_when_transcribed_then_empty_without_decoding(pcm: bytes) -> None:
    model = FakeModel()
    assert engine(model).transcribe(pcm, 8000) == ""
    assert model.calls == []


def test_given_an_utterance_longer_than_the_cap_when_finished_then_only_its_start_is_decoded() -> None:
    model = FakeModel()
    session = engine(model, max_audio_s=3.0).new_session(8000)
    one_second = speechlike(1.0)
    for _ in range(10):
        session.accept(one_second)
    session.finish()
    audio, _ = model.calls[0]
    assert audio.size == 3 * 16000


def test_given_a_model_that_fails_when_transcribed_then_a_clear_error_not_a_crash() -> None:
    model = FakeModel(error=RuntimeError("std::bad_alloc"))
    with pytest.raises(AsrDecodeFailed) as err:
        engine(model).transcribe(speechlike(1.0), 8000)
    assert "语音识别失败" in err.value.message and "bad_alloc" in err.value.message


def test_given_odd_length_garbage_when_transcribed_then_no_crash() -> None:
    model = FakeModel([seg("")])
    garbage = bytes((i * 97 + 13) % 256 for i in range(8001))
    assert engine(model).transcribe(garbage, 8000) == ""
    audio, _ = model.calls[0]
    assert audio.size == 8000  # 4000 whole samples at 8 kHz, doubled


def test_given_the_time_limit_is_spent_when_segments_keep_coming_then_decoding_stops() -> None:
    model = FakeModel([seg("第一段"), seg("第二段"), seg("第三段")])
    assert engine(model, time_limit_s=1e-9).transcribe(speechlike(1.0), 8000) == "第一段"


def test_given_a_bad_sample_rate_when_a_session_is_asked_then_a_clear_error() -> None:
    with pytest.raises(ValueError, match="采样率"):
        engine(FakeModel()).new_session(0)


def test_given_the_address_grammar_when_a_session_starts_then_the_prompt_names_districts_and_is_short() -> (
    None
):
    from ivr.assembly import _shanghai

    grammar = _shanghai()[2]
    model = FakeModel()
    session = engine(model).new_session(8000, grammar)
    session.accept(speechlike(1.0))
    session.finish()
    prompt = model.calls[0][1]["initial_prompt"]
    assert len(prompt) <= PROMPT_MAX_CHARS
    for district in ("黄浦区", "浦东新区", "崇明区"):
        assert district in prompt
    assert "居委会" not in prompt  # committees are far too many for a prompt


def test_given_no_grammar_when_prompted_then_the_legal_categories_are_named() -> None:
    prompt = domain_prompt(None)
    assert len(prompt) <= PROMPT_MAX_CHARS
    named = [c.label for c in LegalCategory if c.label in prompt]
    assert len(named) >= 8, named
