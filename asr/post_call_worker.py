"""The post-call transcript worker (issue 18, item 1): every kept recording of an answered call is
decoded once with the whole-utterance engine (Whisper) and its pieces stored as the call's
transcript lines (leg `mixed`, `core.asr_events.Leg.MIXED`), then `PostCallTranscriptReady` is
published so an open console reloads the call's transcript.

Why it is shaped so:
* Off the event loop, one decode at a time: decoding is CPU-bound and takes seconds per piece on
  the 2-core server; it runs on its own one-thread executor, so it never holds the loop nor the
  worker threads the database calls use. The IVR's spoken address shares the engine's lock
  (`WhisperRecognizer.transcribe`): a post-call decode delays it by at most one piece, and the
  IVR's own time limit falls back to keypad choice when the wait is longer (bench/whisper_bench.py
  --queue measures it).
* A bounded queue of recording keys: a stopped recording is enqueued once its keeper had time to
  keep it (`settle_s`); when the queue is full the key is dropped, and the periodic rescan finds
  it in the store. The store is the source of truth: a recording with no `recording_transcripts`
  row still needs its transcript, so after a restart the first scan picks up what was left.
* A file that cannot be read or decoded is marked `failed` with the reason and never retried; a
  database outage only leaves the recording pending (the next scan tries again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Protocol

from asr.post_call import RecordingLine, UtteranceEngine, transcribe_recording
from core.asr_events import Leg, PostCallTranscriptReady
from core.bus import EventBus
from core.call_events import CallRecordingStopped
from core.calls import TranscriptLine
from core.clock import Clock
from core.errors import BackendUnavailable, HotlineError
from core.events import DomainEvent
from core.ids import CallId, EventId
from core.recordings import PendingTranscript

log = logging.getLogger(__name__)

SEQ_PER_SEGMENT = 100_000
"""Line `seq` = segment × this + index: a three-way call's segments never share a (call, leg, seq)."""


class TranscriptJobs(Protocol):
    """What the worker needs from the store (`store.post_call.PostCallTranscriptStore`)."""

    def pending(self, *, limit: int = 100) -> list[PendingTranscript]: ...

    def pending_one(self, call_id: CallId, segment: int) -> PendingTranscript | None: ...

    def save(self, job: PendingTranscript, lines: Sequence[TranscriptLine], at: datetime) -> bool: ...

    def fail(self, job: PendingTranscript, detail: str, at: datetime) -> None: ...


def transcript_lines(
    job: PendingTranscript, pieces: Sequence[RecordingLine], at: datetime
) -> list[TranscriptLine]:
    """The stored lines of one recording's pieces: leg `mixed`, final, on the call's clock."""
    return [
        TranscriptLine(
            call_id=job.call_id,
            leg=Leg.MIXED.value,
            seq=job.segment * SEQ_PER_SEGMENT + i,
            text=piece.text,
            start_s=round(job.offset_s + piece.start_s, 3),
            end_s=round(job.offset_s + piece.end_s, 3),
            final=True,
            at=at,
        )
        for i, piece in enumerate(pieces)
    ]


class PostCallTranscriber:
    """Subscribed to `CallRecordingStopped`; `start()` scans the store and runs the one consumer."""

    def __init__(
        self,
        *,
        bus: EventBus,
        jobs: TranscriptJobs,
        engine: Callable[[], UtteranceEngine | None],
        clock: Clock,
        settle_s: float = 3.0,
        queue_size: int = 200,
        rescan_s: float = 300.0,
        claim: Callable[[CallId, int], Awaitable[bool]] | None = None,
    ) -> None:
        self._bus = bus
        # Several speech processes (asr.remote): one decodes each recording, the one that claims it.
        self._claim = claim
        self._jobs = jobs
        self._engine = engine  # read at each decode: the speech server loads it at its start
        self._clock = clock
        self._settle_s = settle_s
        self._rescan_s = rescan_s
        self._queue: asyncio.Queue[tuple[CallId, int, float]] = asyncio.Queue(maxsize=queue_size)
        self._queued: set[tuple[CallId, int]] = set()
        self._executor: ThreadPoolExecutor | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._backlog = False  # the store holds recordings the queue had no room for
        self.done = 0
        self.failed = 0
        self.dropped = 0

    # --- the bus -------------------------------------------------------------------------------

    def subscribe(self) -> None:
        self._bus.subscribe("post-call-transcripts", self.handle, types=(CallRecordingStopped,))

    async def handle(self, event: DomainEvent) -> None:
        if isinstance(event, CallRecordingStopped) and event.answered:
            self.enqueue(event.call_id, event.segment, delay_s=self._settle_s)

    def enqueue(self, call_id: CallId, segment: int, *, delay_s: float = 0.0) -> bool:
        """Queue one recording (after `delay_s`); False when it is queued already or the queue is
        full (the rescan finds it later)."""
        key = (call_id, segment)
        if key in self._queued:
            return False
        try:
            self._queue.put_nowait((call_id, segment, time.monotonic() + delay_s))
        except asyncio.QueueFull:
            self.dropped += 1
            self._backlog = True
            log.info("post-call transcript queue full: %s segment %d left to the next scan", call_id, segment)
            return False
        self._queued.add(key)
        return True

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="post-call-asr")
        self._tasks = [
            asyncio.create_task(self._consume(), name="post-call-transcripts"),
            asyncio.create_task(self._rescan(), name="post-call-rescan"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def scan(self) -> int:
        """Queue the recordings the store says still need a transcript (a restart's leftovers, the
        keys a full queue dropped): how many were queued."""
        if self._engine() is None:
            return 0
        room = self._queue.maxsize - self._queue.qsize()
        if room <= 0:
            self._backlog = True
            return 0
        limit = room + len(self._queued)
        try:
            found = await asyncio.to_thread(self._jobs.pending, limit=limit)
        except BackendUnavailable as exc:
            log.warning("post-call transcripts: cannot scan the recordings (%s)", exc.message)
            return 0
        self._backlog = len(found) >= limit  # a full page: there may be more behind it
        return sum(self.enqueue(job.call_id, job.segment) for job in found)

    async def _rescan(self) -> None:
        while True:
            try:
                await self.scan()
            except Exception:  # the next round tries again
                log.exception("post-call transcripts: scan failed")
            await asyncio.sleep(self._rescan_s)

    async def _consume(self) -> None:
        while True:
            call_id, segment, ready_at = await self._queue.get()
            try:
                wait = ready_at - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                await self.run_one(call_id, segment)
            except asyncio.CancelledError:
                raise
            except Exception:  # one recording's trouble never stops the worker
                log.exception("post-call transcript of %s segment %d failed", call_id, segment)
            finally:
                self._queued.discard((call_id, segment))
            if self._backlog and self._queue.empty():
                try:
                    await self.scan()  # what a full queue left in the store, without waiting for the timer
                except Exception:
                    log.exception("post-call transcripts: scan failed")

    # --- one recording -------------------------------------------------------------------------

    async def run_one(self, call_id: CallId, segment: int) -> PostCallTranscriptReady | None:
        """Transcribe one recording if it still needs it, store its lines, publish the fact."""
        engine = self._engine()
        if engine is None:
            return None
        try:
            job = await asyncio.to_thread(self._jobs.pending_one, call_id, segment)
        except BackendUnavailable as exc:
            log.warning("post-call transcript of %s left for later: %s", call_id, exc.message)
            return None
        if job is None:
            return None  # not kept (yet), gone, or done already
        if self._claim is not None and not await self._claim(call_id, segment):
            return None  # another speech process is decoding it
        if job.local_path is None:
            await asyncio.to_thread(self._jobs.fail, job, "录音文件不在录音目录内", self._clock.now())
            self.failed += 1
            return None
        loop = asyncio.get_running_loop()
        try:
            pieces = await loop.run_in_executor(self._executor, transcribe_recording, engine, job.local_path)
        except HotlineError as exc:
            log.warning("post-call transcript of %s segment %d failed: %s", call_id, segment, exc.message)
            await asyncio.to_thread(self._jobs.fail, job, exc.message, self._clock.now())
            self.failed += 1
            return None
        except Exception as exc:  # the engine's own failures: marked, never retried
            log.exception("post-call transcript of %s segment %d failed", call_id, segment)
            detail = f"转写失败：{type(exc).__name__}: {exc}"
            await asyncio.to_thread(self._jobs.fail, job, detail, self._clock.now())
            self.failed += 1
            return None
        now = self._clock.now()
        lines = transcript_lines(job, pieces, now)
        try:
            saved = await asyncio.to_thread(self._jobs.save, job, lines, now)
        except BackendUnavailable as exc:
            log.warning("post-call transcript of %s not stored, left for later: %s", call_id, exc.message)
            return None
        if not saved:
            return None
        self.done += 1
        event = PostCallTranscriptReady(
            event_id=EventId(f"{call_id}:post-call-transcript:{segment}"),
            at=now,
            call_id=call_id,
            segment=segment,
            lines=len(lines),
            seat_id=job.seat_id,
            district_code=job.district_code,
        )
        await self._bus.publish(event)
        return event

    @property
    def queued(self) -> int:
        return len(self._queued)


class PostCallPart:
    """The worker as a runtime component: built at start (the database is open by then), subscribed
    to the stopped recordings, its status line for the status page."""

    def __init__(
        self,
        *,
        bus: EventBus,
        clock: Clock,
        jobs: Callable[[], TranscriptJobs],
        engine: Callable[[], UtteranceEngine | None],
        settle_s: float,
        claim: Callable[[CallId, int], Awaitable[bool]] | None = None,
    ) -> None:
        self._bus = bus
        self._clock = clock
        self._jobs = jobs
        self._engine = engine
        self._settle_s = settle_s
        self._claim = claim
        self.worker: PostCallTranscriber | None = None

    async def start(self) -> None:
        self.worker = PostCallTranscriber(
            bus=self._bus,
            jobs=self._jobs(),
            engine=self._engine,
            clock=self._clock,
            settle_s=self._settle_s,
            claim=self._claim,
        )
        self.worker.subscribe()
        await self.worker.start()

    async def stop(self) -> None:
        if self.worker is not None:
            await self.worker.stop()

    def probe(self) -> tuple[bool, str]:
        if self.worker is None:
            return False, "未启动"
        if self._engine() is None:
            return False, "没有整句识别引擎（Whisper 模型未安装或当前为 Vosk）：不生成录音转写"
        w = self.worker
        return True, f"已转写 {w.done} 段录音，无法转写 {w.failed} 段，排队 {w.queued} 段"
