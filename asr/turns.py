"""The decode line of a whole-utterance engine (Whisper): one decode at a time, first come first
served, and a decode nobody waits for any more leaves it.

CTranslate2 runs one decode per model replica at a time, so the decodes of the IVR's spoken
addresses and of the post-call transcripts take turns (`DecodeTurns`). Each decode may carry an
`Abandon` flag, set by the side that stopped waiting for its text (the IVR gave up after
`speech_timeout_s`, the caller hung up mid-utterance):

* set while the decode waits for its turn: it leaves the line at once and never runs
  (`DecodeAbandoned`); the decodes behind it move up;
* set while it runs: the engine checks the flag between segments and stops there; its text is
  discarded either way. (faster-whisper decodes a 30-second window at a time and cannot be
  interrupted inside one: an utterance of up to 30 s is one window, so for the IVR's spoken
  address "stops early" means its text is dropped as soon as the window is done.)
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from asr.errors import DecodeAbandoned


class Abandon:
    """Set once, from any thread, when nobody waits for a decode's text any more."""

    def __init__(self) -> None:
        self._set = False
        self._lock = threading.Lock()
        self._wakers: list[Callable[[], None]] = []

    def set(self) -> None:
        with self._lock:
            if self._set:
                return
            self._set = True
            wakers, self._wakers = self._wakers, []
        for wake in wakers:
            wake()

    def is_set(self) -> bool:
        return self._set

    def on_set(self, wake: Callable[[], None]) -> None:
        """Call `wake` when the flag is set (at once if it already is)."""
        with self._lock:
            if not self._set:
                self._wakers.append(wake)
                return
        wake()


class DecodeTurns:
    """One decode at a time, in order of arrival (`turn()`); an abandoned waiter leaves the line.
    `ran` and `dropped` count the decodes that got a turn and those that left without one."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._line: deque[object] = deque()  # the head is the decode that runs
        self.ran = 0
        self.dropped = 0

    @property
    def waiting(self) -> int:
        """Decodes in line behind the one running."""
        with self._cond:
            return max(0, len(self._line) - 1)

    def _wake_all(self) -> None:
        with self._cond:
            self._cond.notify_all()

    @contextmanager
    def turn(self, abandon: Abandon | None = None) -> Iterator[None]:
        """Wait for this decode's turn (blocking: a worker thread's) and hold it for the block.
        `DecodeAbandoned` when `abandon` is set before the turn comes: the decode never runs."""
        me = object()
        with self._cond:
            self._line.append(me)
        if abandon is not None:
            abandon.on_set(self._wake_all)
        with self._cond:
            while self._line[0] is not me or (abandon is not None and abandon.is_set()):
                if abandon is not None and abandon.is_set():
                    self._line.remove(me)
                    self.dropped += 1
                    self._cond.notify_all()
                    raise DecodeAbandoned("无人等待的识别已撤出队列")
                self._cond.wait()
            self.ran += 1
        try:
            yield
        finally:
            with self._cond:
                self._line.popleft()
                self._cond.notify_all()
