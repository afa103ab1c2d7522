"""A hand-written fake `Recognizer` for tests of other packages (and of the AudioSocket server).

`ScriptedRecognizer(["江苏省南京市鼓楼区"])` hands each new session the next scripted text. A
session reveals its text as partials, one more character (or space-separated word) every
`partial_every_ms` of audio fed, and `finish()` returns the whole text as final, so a hang-up in
the middle still yields the part heard so far as partials and the full text as the final.
`final_after_ms` makes it close an utterance by itself, like Vosk does at a pause;
`fail_after_ms` makes it raise, `accept_delay_s` makes it slow (overload tests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from asr.ports import Recognition


@dataclass
class FakeSession:
    text: str
    sample_rate: int
    grammar: list[str] | None
    partial_every_ms: int = 200
    final_after_ms: int | None = None
    fail_after_ms: int | None = None
    accept_delay_s: float = 0.0
    fed_bytes: int = 0
    finished: bool = False
    _units: list[str] = field(default_factory=list)
    _shown: int = 0
    _final_sent: bool = False

    def __post_init__(self) -> None:
        self._units = self.text.split() if " " in self.text else list(self.text)

    @property
    def fed_ms(self) -> float:
        return self.fed_bytes * 1000 / (2 * self.sample_rate)

    def _join(self, units: Sequence[str]) -> str:
        return (" " if " " in self.text else "").join(units)

    def accept(self, pcm: bytes) -> Recognition | None:
        if self.finished:
            raise RuntimeError("accept() after finish()")
        if self.accept_delay_s:
            time.sleep(self.accept_delay_s)  # a slow engine (runs on a worker thread)
        self.fed_bytes += len(pcm)
        fed = self.fed_ms
        if self.fail_after_ms is not None and fed >= self.fail_after_ms:
            raise RuntimeError("scripted recogniser failure")
        if self._final_sent:
            return None
        if self.final_after_ms is not None and fed >= self.final_after_ms:
            self._final_sent = True
            return Recognition(text=self.text, final=True)
        want = min(len(self._units), int(fed // self.partial_every_ms))
        if want > self._shown:
            self._shown = want
            return Recognition(text=self._join(self._units[:want]), final=False)
        return None

    def finish(self) -> Recognition:
        self.finished = True
        return Recognition(text="" if self._final_sent else self.text, final=True)


class ScriptedRecognizer:
    """Returns scripted texts, one per session (the last one repeats when the script runs out)."""

    def __init__(
        self,
        texts: Sequence[str] = ("测试",),
        *,
        partial_every_ms: int = 200,
        final_after_ms: int | None = None,
        fail_after_ms: int | None = None,
        accept_delay_s: float = 0.0,
    ) -> None:
        if not texts:
            raise ValueError("at least one scripted text is needed")
        self._texts = list(texts)
        self._partial_every_ms = partial_every_ms
        self._final_after_ms = final_after_ms
        self._fail_after_ms = fail_after_ms
        self._accept_delay_s = accept_delay_s
        self._lock = threading.Lock()  # sessions are created from worker threads
        self.sessions: list[FakeSession] = []

    def new_session(self, sample_rate: int, grammar: list[str] | None = None) -> FakeSession:
        with self._lock:
            index = min(len(self.sessions), len(self._texts) - 1)
            session = FakeSession(
                text=self._texts[index],
                sample_rate=sample_rate,
                grammar=list(grammar) if grammar is not None else None,
                partial_every_ms=self._partial_every_ms,
                final_after_ms=self._final_after_ms,
                fail_after_ms=self._fail_after_ms,
                accept_delay_s=self._accept_delay_s,
            )
            self.sessions.append(session)
            return session
