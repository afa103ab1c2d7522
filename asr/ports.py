"""The recogniser port: what the AudioSocket server needs from a speech engine.

Both methods of a session are blocking and CPU-bound; the server calls them from worker threads,
one call at a time per session, never on the event loop. `asr.vosk_engine.VoskRecognizer` is the
real implementation, `asr.fake.ScriptedRecognizer` the hand-written fake for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Recognition:
    """One result. `start_s`/`end_s` (seconds of audio from the session start) when the engine
    knows them; otherwise the server times the segment itself."""

    text: str
    final: bool
    start_s: float | None = None
    end_s: float | None = None


class RecognizerSession(Protocol):
    def accept(self, pcm: bytes) -> Recognition | None:
        """Feed one chunk of PCM; return a new partial, a final (utterance boundary), or None."""
        ...

    def finish(self) -> Recognition:
        """End of audio: the final result for what is left (text may be empty)."""
        ...


class Recognizer(Protocol):
    def new_session(self, sample_rate: int, grammar: list[str] | None = None) -> RecognizerSession:
        """A fresh recognition stream; `grammar` limits the result to these phrases."""
        ...


def is_streaming(recognizer: Recognizer | None) -> bool:
    """Whether the engine gives partial results as audio arrives (Vosk) or only whole utterances."""
    return recognizer is not None and bool(getattr(recognizer, "streaming", True))
