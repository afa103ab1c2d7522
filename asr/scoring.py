"""Character error rate on the shared Mandarin recordings (tests and bench/whisper_bench.py).

`../shared/speech/manifest.tsv` lists each 16 kHz WAV with its reference text and what kind of
reference it is (human transcript, documented output, another model's output).
"""

from __future__ import annotations

import csv
import unicodedata
import wave
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Clip:
    file: Path
    reference: str
    reference_type: str
    pcm16k: bytes

    @property
    def human(self) -> bool:
        """A human or documented reference (not another model's output)."""
        return not self.reference_type.startswith("model output")

    @property
    def duration_s(self) -> float:
        return len(self.pcm16k) / 32000


def chars(text: str) -> str:
    """The characters that count: no spaces, no punctuation."""
    return "".join(c for c in text if not c.isspace() and not unicodedata.category(c).startswith("P"))


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def char_errors(hypothesis: str, reference: str) -> tuple[int, int]:
    """(edits, reference length) after dropping spaces and punctuation."""
    ref = chars(reference)
    return edit_distance(chars(hypothesis), ref), len(ref)


def load_clips(speech_dir: Path) -> list[Clip]:
    """The manifest's 16-bit mono 16 kHz clips; a clip in another format is an error, not skipped."""
    with (speech_dir / "manifest.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    clips = []
    for row in rows:
        path = speech_dir / row["file"]
        with wave.open(str(path)) as w:
            if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (16000, 1, 2):
                raise ValueError(f"录音格式不是 16 kHz 单声道 16 位：{path}")
            pcm = w.readframes(w.getnframes())
        clips.append(Clip(path, row["reference"], row["reference_type"], pcm))
    return clips
