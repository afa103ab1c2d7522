"""Recognition quality on real Mandarin (`../shared/speech`), only where a Chinese model exists.

The model is looked for at HOTLINE_ASR__MODEL_PATH, else ../shared/models/vosk-model-small-cn-0.22.
Audio goes the phone way: 16 kHz WAV -> 8 kHz -> 20 ms frames -> our AudioSocket pipeline.
"""

from __future__ import annotations

import csv
import os
import uuid
import wave
from pathlib import Path
from typing import Any

import pytest

from asr.pcm import downsample_2x
from asr.scoring import char_errors
from asr.vosk_engine import VoskRecognizer
from core.asr_events import AsrStreamEnded

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DEFAULT_MODEL = SHARED / "models" / "vosk-model-small-cn-0.22"


def chinese_model_dir() -> Path:
    configured = os.environ.get("HOTLINE_ASR__MODEL_PATH")
    return Path(configured) if configured else DEFAULT_MODEL


@pytest.fixture(scope="module")
def chinese_engine() -> VoskRecognizer:
    model = chinese_model_dir()
    if not model.is_dir():
        pytest.skip(f"未找到中文 Vosk 模型：{model}")
    return VoskRecognizer.load(model)


@pytest.mark.slow
async def test_given_human_transcribed_mandarin_when_recognised_over_the_phone_path_then_cer_is_usable(
    chinese_engine: VoskRecognizer, make_server: Any, asterisk: Any, bus: Any
) -> None:
    _, rec = bus
    server = await make_server(chinese_engine, max_streams=2)
    with (SHARED / "speech" / "manifest.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    # Model outputs are not ground truth: score only human and documented references.
    rows = [r for r in rows if not r["reference_type"].startswith("model output")]
    errors = total = 0
    for i, row in enumerate(rows, 1):
        with wave.open(str(SHARED / "speech" / row["file"])) as w:
            pcm8k = downsample_2x(w.readframes(w.getnframes()))
        frames = [pcm8k[j : j + 320] for j in range(0, len(pcm8k) - 319, 320)]
        await asterisk.play(server.port, str(uuid.uuid4()), frames)
        ended = (await rec.wait_for(AsrStreamEnded, i, timeout=120))[-1]
        edits, length = char_errors(ended.text, row["reference"])
        errors += edits
        total += length

    assert errors / total < 0.35
