"""Post-call transcripts of recordings (asr.post_call): cutting at pauses, reading WAV files,
bad files. A stand-in engine records what it is given; the real model is in
test_whisper_accuracy.py."""

from __future__ import annotations

import math
import wave
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from asr.post_call import RecordingUnreadable, read_wav, speech_pieces, transcribe_recording

pytest.importorskip("numpy", reason="未安装 whisper 附加依赖（pip install -e '.[whisper]'）")

RATE = 8000


def tone(seconds: float, amplitude: int = 6000) -> bytes:
    n = int(seconds * RATE)
    return array("h", (int(amplitude * math.sin(2 * math.pi * 300 * i / RATE)) for i in range(n))).tobytes()


def quiet(seconds: float) -> bytes:
    return bytes(2 * int(seconds * RATE))


def write_wav(path: Path, pcm: bytes, *, channels: int = 1, width: int = 2, rate: int = RATE) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(pcm)
    return path


@dataclass
class CountingEngine:
    pieces: list[int] = field(default_factory=list)

    def transcribe(self, pcm: bytes, sample_rate: int, *, prompt: str | None = None) -> str:
        self.pieces.append(len(pcm) // 2)
        return f"第{len(self.pieces)}句"


def test_given_speech_with_pauses_when_cut_then_one_piece_per_stretch_with_its_times() -> None:
    pcm = quiet(1.0) + tone(2.0) + quiet(0.3) + tone(1.0) + quiet(2.0) + tone(1.5) + quiet(1.0)
    pieces = speech_pieces(pcm, RATE)
    assert len(pieces) == 2  # the 0.3 s pause is inside a sentence, the 2 s one is not
    (a1, b1), (a2, b2) = pieces
    assert a1 == pytest.approx(0.8, abs=0.05) and b1 == pytest.approx(4.5, abs=0.05)
    assert a2 == pytest.approx(6.1, abs=0.05) and b2 == pytest.approx(8.0, abs=0.05)  # 0.2 s padding


def test_given_a_minute_without_pause_when_cut_then_no_piece_is_longer_than_the_limit() -> None:
    pieces = speech_pieces(tone(60.0), RATE, max_piece_s=25.0)
    assert len(pieces) == 3
    assert all(b - a <= 25.0 for a, b in pieces)
    assert pieces[0][0] == 0.0 and pieces[-1][1] == pytest.approx(60.0)


def test_given_a_recording_when_transcribed_then_lines_carry_the_pieces_times(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "call.wav", quiet(1.0) + tone(2.0) + quiet(2.0) + tone(1.0))
    engine = CountingEngine()
    lines = transcribe_recording(engine, path)
    assert [line.text for line in lines] == ["第1句", "第2句"]
    assert lines[0].start_s < 1.0 < lines[0].end_s < lines[1].start_s
    assert engine.pieces[0] == pytest.approx((lines[0].end_s - lines[0].start_s) * RATE, abs=2)


def test_given_a_stereo_recording_when_read_then_it_is_mixed_to_mono(tmp_path: Path) -> None:
    left, right = array("h", [1000, 3000, -2000]), array("h", [3000, 1000, -4000])
    both = array("h", [s for pair in zip(left, right, strict=True) for s in pair]).tobytes()
    pcm, rate = read_wav(write_wav(tmp_path / "s.wav", both, channels=2))
    assert rate == RATE and array("h", pcm).tolist() == [2000, 2000, -3000]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p, "录音文件不存在"),
        (lambda p: (p.write_text("不是声音"), p)[1], "不是有效的 WAV"),
        (lambda p: write_wav(p, bytes(800), width=1), "需 16 位 PCM"),
    ],
)
def test_given_a_bad_file_when_transcribed_then_a_clear_error(
    tmp_path: Path, make: object, message: str
) -> None:
    path = make(tmp_path / "bad.wav")  # type: ignore[operator]
    with pytest.raises(RecordingUnreadable, match=message):
        transcribe_recording(CountingEngine(), path)


def test_given_a_recording_cut_short_when_transcribed_then_what_is_there_is_used(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "call.wav", quiet(0.5) + tone(2.0) + quiet(0.5))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 1])  # the header promises more than there is
    lines = transcribe_recording(CountingEngine(), path)
    assert len(lines) == 1
