"""Energy-based end-of-utterance detection for the IVR's spoken prompts ("请说出您所在的区县").

Pure and clock-free: time is counted in audio, frame by frame, so a replay decides exactly as the
live call did. A frame is speech when its RMS level is above `threshold_dbfs`. The utterance
starts once `min_speech_ms` of speech frames have been heard, and ends after `trailing_silence_ms`
of consecutive non-speech frames. Isolated digital-silence frames (Asterisk fills lost RTP with
zeros; the recorded trace has many single ones) are far shorter than the trailing silence, so
they do not end an utterance.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from asr.pcm import frame_dbfs, pcm_seconds


class EndpointReason(enum.StrEnum):
    SPEECH_ENDED = "speech_ended"
    MAX_DURATION = "max_duration"
    NO_SPEECH = "no_speech"


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    threshold_dbfs: float = -40.0
    min_speech_ms: int = 200
    trailing_silence_ms: int = 800
    max_duration_s: float = 10.0
    no_speech_timeout_s: float = 5.0


class EnergyEndpointer:
    def __init__(self, config: EndpointConfig | None = None, *, sample_rate: int = 8000) -> None:
        self.config = config or EndpointConfig()
        self._rate = sample_rate
        self._elapsed = 0.0
        self._speech = 0.0
        self._silence_run = 0.0
        self._started = False
        self.decision: EndpointReason | None = None

    @property
    def elapsed_s(self) -> float:
        return self._elapsed

    @property
    def speech_started(self) -> bool:
        return self._started

    def push(self, pcm: bytes) -> EndpointReason | None:
        """Feed one frame; returns the reason once the utterance is over (then keeps returning it)."""
        if self.decision is not None:
            return self.decision
        cfg = self.config
        duration = pcm_seconds(len(pcm), self._rate)
        self._elapsed += duration
        if frame_dbfs(pcm) >= cfg.threshold_dbfs:
            self._speech += duration
            self._silence_run = 0.0
            if self._speech * 1000 >= cfg.min_speech_ms:
                self._started = True
        else:
            self._silence_run += duration
        # Small epsilon: 40 frames of 20 ms must count as 800 ms despite float sums.
        if self._started and self._silence_run * 1000 >= cfg.trailing_silence_ms - 1e-6:
            self.decision = EndpointReason.SPEECH_ENDED
        elif self._elapsed >= cfg.max_duration_s - 1e-9:
            self.decision = EndpointReason.MAX_DURATION
        elif not self._started and self._elapsed >= cfg.no_speech_timeout_s - 1e-9:
            self.decision = EndpointReason.NO_SPEECH
        return self.decision
