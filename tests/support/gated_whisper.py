"""A stand-in faster-whisper model for tests of the decode line (`asr.turns`): each decode is
picked by a word of its prompt and lets its segments out one at a time, when the test opens their
gates, lazily as faster-whisper's generator does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any


@dataclass
class Decode:
    """One scripted decode: its segments' texts, each let out by its gate."""

    texts: list[str]
    open: bool = False  # every gate open from the start
    gates: list[threading.Event] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)
    yielded: int = 0
    closed: bool = False

    def __post_init__(self) -> None:
        self.gates = [threading.Event() for _ in self.texts]
        if self.open:
            for gate in self.gates:
                gate.set()


class GatedModel:
    """A stand-in `WhisperModel`: the decode is picked by a word of its prompt (the address grammar
    or the test's own prompt); its segments are decoded lazily, as faster-whisper's are."""

    def __init__(self, decodes: dict[str, Decode]) -> None:
        self.decodes = decodes
        self.ran: list[str] = []

    def transcribe(self, audio: Any, **kwargs: Any) -> tuple[Iterator[Any], Any]:
        key = next(k for k in self.decodes if k in kwargs["initial_prompt"])
        self.ran.append(key)
        decode = self.decodes[key]
        decode.started.set()

        def segments() -> Iterator[Any]:
            try:
                for text, gate in zip(decode.texts, decode.gates, strict=True):
                    assert gate.wait(60), "the test never let this segment out"
                    decode.yielded += 1
                    yield SimpleNamespace(
                        text=text, no_speech_prob=0.01, avg_logprob=-0.2, compression_ratio=1.2
                    )
            finally:
                decode.closed = True

        return segments(), SimpleNamespace(language="zh")
