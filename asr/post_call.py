"""Post-call transcript of a recording with the whole-utterance engine (issue 18, item 1).

    python -m asr.post_call RECORDING.wav [--model DIR]

Whisper decodes at most 30 s at a time, so a call recording is first cut at its pauses: 20 ms
frames above `threshold_dbfs` are speech, stretches of speech closer than `min_gap_s` are one
piece, and a piece longer than `max_piece_s` is cut evenly. Each piece is decoded on its own
(`WhisperRecognizer.transcribe`, with its guards: silence, tones and hold music give nothing) and
becomes one line with its times in the recording.

A file that is not a 16-bit PCM WAV, or is cut short, is a `RecordingUnreadable` with a clear
message; a truncated data chunk is read as far as it goes (wave does so) and says nothing worse.
The running system does this for every kept recording in `asr.post_call_worker` (lines of leg
`mixed`: a MixMonitor recording holds both voices mixed).
"""

from __future__ import annotations

import argparse
import sys
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from core.errors import ConfigurationError, HotlineError

FRAME_S = 0.02


class RecordingUnreadable(HotlineError):
    error_id = "asr.recording_unreadable"


class UtteranceEngine(Protocol):
    def transcribe(self, pcm: bytes, sample_rate: int, *, prompt: str | None = None) -> str: ...


@dataclass(frozen=True, slots=True)
class RecordingLine:
    start_s: float
    end_s: float
    text: str


def read_wav(path: Path) -> tuple[bytes, int]:
    """Mono 16-bit PCM and its rate (a stereo file is mixed down); clear errors otherwise."""
    try:
        with wave.open(str(path)) as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            pcm = w.readframes(w.getnframes())
    except FileNotFoundError:
        raise RecordingUnreadable(f"录音文件不存在：{path}", path=str(path)) from None
    except (wave.Error, EOFError, OSError) as exc:
        why = str(exc) or type(exc).__name__
        raise RecordingUnreadable(
            f"录音文件无法读取（不是有效的 WAV）：{path}（{why}）", path=str(path)
        ) from exc
    if width != 2 or rate <= 0:
        raise RecordingUnreadable(
            f"录音格式不支持：{path}（需 16 位 PCM，实为 {8 * width} 位、{rate} Hz）", path=str(path)
        )
    if channels == 1:
        return pcm, rate
    import numpy as np

    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % (2 * channels)], dtype="<i2").reshape(-1, channels)
    return samples.mean(axis=1).astype("<i2").tobytes(), rate


def speech_pieces(
    pcm: bytes,
    rate: int,
    *,
    threshold_dbfs: float = -40.0,
    min_gap_s: float = 0.6,
    pad_s: float = 0.2,
    max_piece_s: float = 25.0,
) -> list[tuple[float, float]]:
    """(start_s, end_s) of the stretches worth decoding, in order."""
    import numpy as np

    frame = max(1, int(rate * FRAME_S))
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64) / 32768.0
    n = samples.size // frame
    if n == 0:
        return []
    power = np.square(samples[: n * frame]).reshape(n, frame).mean(axis=1)
    loud = 10.0 * np.log10(np.maximum(power, 1e-12)) >= threshold_dbfs
    pieces: list[tuple[float, float]] = []
    start = last = -1
    for i in (int(k) for k in np.flatnonzero(loud)):
        if start < 0:
            start = last = i
        elif (i - last) * FRAME_S > min_gap_s:
            pieces.append((start * FRAME_S, (last + 1) * FRAME_S))
            start = last = i
        else:
            last = i
    if start >= 0:
        pieces.append((start * FRAME_S, (last + 1) * FRAME_S))
    total = n * FRAME_S
    out: list[tuple[float, float]] = []
    for a, b in pieces:
        a, b = max(0.0, a - pad_s), min(total, b + pad_s)
        parts = max(1, int((b - a) // max_piece_s) + (1 if (b - a) % max_piece_s else 0))
        step = (b - a) / parts
        out += [(round(a + k * step, 3), round(a + (k + 1) * step, 3)) for k in range(parts)]
    return out


def transcribe_pcm(engine: UtteranceEngine, pcm: bytes, rate: int, **options: Any) -> list[RecordingLine]:
    lines = []
    for a, b in speech_pieces(pcm, rate, **options):
        piece = pcm[int(a * rate) * 2 : int(b * rate) * 2]
        text = engine.transcribe(piece, rate)
        if text:
            lines.append(RecordingLine(a, b, text))
    return lines


def transcribe_recording(engine: UtteranceEngine, path: str | Path, **options: Any) -> list[RecordingLine]:
    """The transcript of one recording file: blocking and CPU-bound (a worker thread's job)."""
    pcm, rate = read_wav(Path(path))
    return transcribe_pcm(engine, pcm, rate, **options)


def main(argv: list[str] | None = None) -> int:
    from asr.whisper_engine import WhisperRecognizer

    parser = argparse.ArgumentParser(description="用 Whisper 转写一个通话录音（WAV）")
    parser.add_argument("recording")
    parser.add_argument("--model", default="models/faster-whisper-base")
    args = parser.parse_args(argv)
    try:
        engine = WhisperRecognizer.load(args.model)
        t0 = time.monotonic()
        lines = transcribe_recording(engine, args.recording)
    except (ConfigurationError, HotlineError) as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 1
    for line in lines:
        print(f"[{line.start_s:7.2f}–{line.end_s:7.2f}] {line.text}")
    print(f"共 {len(lines)} 段，转写用时 {time.monotonic() - t0:.1f} 秒")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
