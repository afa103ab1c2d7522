"""Signed 16-bit little-endian PCM helpers (the AudioSocket `slin` payload).

Pure Python on purpose (`audioop` is deprecated and gone in 3.13; numpy is not a dependency):
the work per 20 ms frame is 160 samples, which is cheap next to recognition.
"""

from __future__ import annotations

import math
import sys
from array import array

SAMPLE_WIDTH = 2
FULL_SCALE = 32768.0
SILENCE_DBFS = -120.0


def _samples(pcm: bytes) -> array[int]:
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % SAMPLE_WIDTH])
    if sys.byteorder == "big":  # pragma: no cover - the wire format is little-endian
        samples.byteswap()
    return samples


def frame_dbfs(pcm: bytes) -> float:
    """RMS level of a PCM chunk in dB relative to full scale; digital silence is -120 dBFS."""
    samples = _samples(pcm)
    if not samples:
        return SILENCE_DBFS
    energy = sum(s * s for s in samples) / len(samples)
    if energy <= 0:
        return SILENCE_DBFS
    return max(SILENCE_DBFS, 10.0 * math.log10(energy / (FULL_SCALE * FULL_SCALE)))


def pcm_seconds(nbytes: int, sample_rate: int) -> float:
    return nbytes / (SAMPLE_WIDTH * sample_rate)


# A 31-tap windowed-sinc half-band low-pass (cut-off a quarter of the input rate, Hamming window):
# enough to keep aliasing out of the 0-4 kHz phone band when taking 16 kHz audio down to 8 kHz.
def _halfband_taps(n: int = 31) -> tuple[float, ...]:
    mid = (n - 1) / 2
    taps = []
    for i in range(n):
        x = i - mid
        sinc = 0.5 if x == 0 else math.sin(math.pi * x / 2) / (math.pi * x)
        window = 0.54 - 0.46 * math.cos(2 * math.pi * i / (n - 1))
        taps.append(sinc * window)
    total = sum(taps)
    return tuple(t / total for t in taps)


_TAPS = _halfband_taps()


def downsample_2x(pcm: bytes) -> bytes:
    """Halve the sample rate (16 kHz to 8 kHz for the phone path) with a low-pass first."""
    src = _samples(pcm)
    n = len(_TAPS)
    half = n // 2
    padded = [0] * half + list(src) + [0] * half
    out = array("h")
    for i in range(0, len(src), 2):
        acc = 0.0
        for k in range(n):
            acc += _TAPS[k] * padded[i + k]
        out.append(max(-32768, min(32767, round(acc))))
    if sys.byteorder == "big":  # pragma: no cover
        out.byteswap()
    return out.tobytes()
