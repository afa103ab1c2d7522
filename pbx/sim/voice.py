"""What simulated callers say: the WAV files of pbx/sim/audio and the 20 ms frames made from them.

A `VoiceLibrary` reads a directory of 8 kHz mono 16-bit WAV files: `speech-*.wav` (conversation
recordings) and `address-*.wav` (spoken addresses, their text in `addresses.tsv`). Each caller is
given a `Voice` (one of each, drawn with the simulator's seeded RNG). The frame generators yield
AudioSocket payloads of exactly 320 bytes (20 ms of slin at 8 kHz); the last piece of a recording
is padded with silence.
"""

from __future__ import annotations

import random
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SAMPLE_RATE = 8000
FRAME_BYTES = 320  # 20 ms of signed linear 16-bit at 8 kHz
FRAME_S = 0.02
SILENCE = bytes(FRAME_BYTES)


class VoiceFileError(ValueError):
    """A voice file is missing or is not 8 kHz mono 16-bit PCM WAV."""


@dataclass(frozen=True, slots=True)
class Voice:
    """A caller's voice: file names (inside the library's directory); "" is silence."""

    speech: str = ""
    address: str = ""


def read_pcm(path: Path) -> bytes:
    """The samples of an 8 kHz mono 16-bit WAV file (little endian, as WAV stores them)."""
    try:
        with wave.open(str(path), "rb") as w:
            if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (SAMPLE_RATE, 1, 2):
                raise VoiceFileError(f"{path}: not 8 kHz mono 16-bit")
            return w.readframes(w.getnframes())
    except (OSError, wave.Error, EOFError) as exc:
        raise VoiceFileError(f"{path}: {exc}") from exc


def frames_of(pcm: bytes) -> list[bytes]:
    """`pcm` cut into 320-byte frames, the last one padded with silence."""
    out = [pcm[i : i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)]
    if out and len(out[-1]) < FRAME_BYTES:
        out[-1] = out[-1] + bytes(FRAME_BYTES - len(out[-1]))
    return out


def looped_frames(pcm: bytes, gap_s: float) -> Iterator[bytes]:
    """The recording, `gap_s` of silence, the recording again, ... (endless; silence if empty)."""
    body = frames_of(pcm)
    gap = [SILENCE] * max(0, round(gap_s / FRAME_S))
    cycle = body + gap
    if not body:
        cycle = [SILENCE]
    while True:
        yield from cycle


def once_then_silence(pcm: bytes) -> Iterator[bytes]:
    """The utterance once, then silence for ever (the caller waits for the IVR)."""
    yield from frames_of(pcm)
    while True:
        yield SILENCE


class VoiceLibrary:
    """The voice files of one directory; PCM is read once and kept."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._pcm: dict[str, bytes] = {}
        names = sorted(p.name for p in directory.glob("*.wav")) if directory is not None else []
        self.speech_files = [n for n in names if n.startswith("speech-")]
        self.address_files = [n for n in names if n.startswith("address-")]

    def draw(self, rng: random.Random) -> Voice:
        """One conversation recording and one address utterance (two draws, in that order)."""
        speech = rng.choice(self.speech_files) if self.speech_files else ""
        address = rng.choice(self.address_files) if self.address_files else ""
        return Voice(speech, address)

    def pcm(self, name: str) -> bytes:
        """The samples of `name` (b"" for "" or when there is no directory)."""
        if not name or self.directory is None:
            return b""
        if name not in self._pcm:
            self._pcm[name] = read_pcm(self.directory / name)
        return self._pcm[name]

    def address_texts(self) -> dict[str, str]:
        """File name -> the text spoken, from `addresses.tsv` (empty when there is none)."""
        return {row[0]: row[1] for row in self._address_rows() if len(row) > 1}

    def address_districts(self) -> dict[str, str]:
        """File name -> the district code of the place spoken (the table's third column): what
        the caller knows of where they live, to judge what the IVR reads back."""
        return {row[0]: row[2] for row in self._address_rows() if len(row) > 2 and row[2]}

    def _address_rows(self) -> list[list[str]]:
        if self.directory is None:
            return []
        table = self.directory / "addresses.tsv"
        if not table.is_file():
            return []
        return [line.split("\t") for line in table.read_text(encoding="utf-8").splitlines()[1:] if line]
