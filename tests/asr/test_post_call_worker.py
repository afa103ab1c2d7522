"""The post-call transcript worker (asr/post_call_worker.py) with a fake engine and a fake store:
lines stored with leg `mixed` on the call's clock, the fact published, one decode at a time, a
failed recording marked and never retried, a full queue left to the rescan, a restart's leftovers
picked up."""

from __future__ import annotations

import asyncio
import math
import struct
import threading
import time
import uuid
import wave
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from asr.post_call_worker import SEQ_PER_SEGMENT, PostCallTranscriber
from core.asr_events import PostCallTranscriptReady
from core.bus import EventBus
from core.call_events import CallRecordingStopped
from core.calls import TranscriptLine
from core.clock import ManualClock
from core.errors import BackendUnavailable
from core.events import DomainEvent
from core.ids import CallId, EventId, SeatId
from core.recordings import PendingTranscript

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
RATE = 8000


def write_bursts(path: Path, bursts: Sequence[tuple[float, float]], total_s: float) -> None:
    """A WAV of silence with a loud tone over each (start, end): the pieces the worker cuts."""
    samples = [0] * int(total_s * RATE)
    for a, b in bursts:
        for n in range(int(a * RATE), int(b * RATE)):
            samples[n] = int(8000 * math.sin(2 * math.pi * 300 * n / RATE))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(struct.pack(f"<{len(samples)}h", *samples))


class CountingEngine:
    """Says how long each piece is (`2.0秒`); records how many decodes ran at once."""

    def __init__(self, delay_s: float = 0.0, fail: bool = False) -> None:
        self.delay_s = delay_s
        self.fail = fail
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def transcribe(self, pcm: bytes, sample_rate: int, *, prompt: str | None = None) -> str:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            time.sleep(self.delay_s)
            if self.fail:
                raise RuntimeError("模型损坏")
            return f"{len(pcm) / 2 / sample_rate:.1f}秒"
        finally:
            with self._lock:
                self.running -= 1


@dataclass
class FakeJobs:
    """The store's side, in memory: recordings known, and their states once the worker is through."""

    recordings: dict[tuple[str, int], PendingTranscript] = field(default_factory=dict)
    lines: list[TranscriptLine] = field(default_factory=list)
    states: dict[tuple[str, int], str] = field(default_factory=dict)
    details: dict[tuple[str, int], str] = field(default_factory=dict)

    def add(self, path: Path, call: str, segment: int = 1, offset_s: float = 0.0) -> None:
        self.recordings[(call, segment)] = PendingTranscript(
            call_id=CallId(call),
            segment=segment,
            local_path=str(path),
            offset_s=offset_s,
            seat_id=SeatId("1001"),
            district_code="310106",
        )

    def pending(self, *, limit: int = 100) -> list[PendingTranscript]:
        return [j for k, j in self.recordings.items() if k not in self.states][:limit]

    def pending_one(self, call_id: CallId, segment: int) -> PendingTranscript | None:
        key = (str(call_id), segment)
        return None if key in self.states else self.recordings.get(key)

    def save(self, job: PendingTranscript, lines: Sequence[TranscriptLine], at: datetime) -> bool:
        key = (str(job.call_id), job.segment)
        if key in self.states:
            return False
        self.lines += lines
        self.states[key] = "done"
        return True

    def fail(self, job: PendingTranscript, detail: str, at: datetime) -> None:
        key = (str(job.call_id), job.segment)
        self.states[key] = "failed"
        self.details[key] = detail


def _worker(
    jobs: FakeJobs, engine: CountingEngine | None, bus: EventBus, **kw: object
) -> PostCallTranscriber:
    return PostCallTranscriber(
        bus=bus,
        jobs=jobs,
        engine=lambda: engine,
        clock=ManualClock(NOW),
        settle_s=0.0,
        **kw,  # type: ignore[arg-type]
    )


async def _published(bus: EventBus) -> list[DomainEvent]:
    seen: list[DomainEvent] = []

    async def keep(event: DomainEvent) -> None:
        seen.append(event)

    bus.subscribe("test", keep, types=(PostCallTranscriptReady,))
    return seen


async def _until(check: object, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_given_a_recording_when_run_then_its_pieces_are_stored_as_mixed_lines_and_announced(
    tmp_path: Path,
) -> None:
    bus = EventBus()
    await bus.start()
    seen = await _published(bus)
    wav = tmp_path / "c1-c-1.wav"
    write_bursts(wav, [(1.0, 3.0), (5.0, 6.0)], total_s=8.0)
    jobs = FakeJobs()
    jobs.add(wav, "c1", segment=2, offset_s=30.0)  # a three-way call's segment, 30 s into the call
    worker = _worker(jobs, CountingEngine(), bus)

    event = await worker.run_one(CallId("c1"), 2)
    await bus.drain()

    assert [line.leg for line in jobs.lines] == ["mixed", "mixed"]
    assert [line.seq for line in jobs.lines] == [2 * SEQ_PER_SEGMENT, 2 * SEQ_PER_SEGMENT + 1]
    assert [line.text for line in jobs.lines] == ["2.4秒", "1.4秒"]  # each burst, padded 0.2 s a side
    assert [round(line.start_s, 1) for line in jobs.lines] == [30.8, 34.8]  # on the call's clock
    assert all(line.final for line in jobs.lines)
    assert isinstance(event, PostCallTranscriptReady) and event.lines == 2 and event.segment == 2
    assert seen == [event] and event.audience() == {"seat:1001", "district:310106"}
    assert await worker.run_one(CallId("c1"), 2) is None  # done: not again
    await bus.stop()


async def test_given_a_broken_engine_or_file_when_run_then_marked_failed_and_never_retried(
    tmp_path: Path,
) -> None:
    bus = EventBus()
    wav = tmp_path / "c1.wav"
    write_bursts(wav, [(0.5, 1.5)], total_s=2.0)
    garbage = tmp_path / "c2.wav"
    garbage.write_bytes(b"RIFF\x00\x00garbage, not a wave file")
    jobs = FakeJobs()
    jobs.add(wav, "c1")
    jobs.add(garbage, "c2")
    engine = CountingEngine(fail=True)
    worker = _worker(jobs, engine, bus)

    await worker.run_one(CallId("c1"), 1)
    await worker.run_one(CallId("c2"), 1)

    assert jobs.states == {("c1", 1): "failed", ("c2", 1): "failed"}
    assert "模型损坏" in jobs.details[("c1", 1)]
    assert "无法读取" in jobs.details[("c2", 1)]
    assert jobs.lines == []
    calls = engine.calls
    assert await worker.scan() == 0  # a rescan finds nothing left to do
    await worker.run_one(CallId("c1"), 1)
    assert engine.calls == calls  # never decoded again


async def test_given_many_recordings_when_the_worker_runs_then_one_decode_at_a_time(tmp_path: Path) -> None:
    bus = EventBus()
    await bus.start()
    jobs = FakeJobs()
    for n in range(4):
        wav = tmp_path / f"c{n}.wav"
        write_bursts(wav, [(0.2, 0.8), (2.0, 2.6)], total_s=3.0)
        jobs.add(wav, f"c{n}")
    engine = CountingEngine(delay_s=0.05)
    worker = _worker(jobs, engine, bus)
    worker.subscribe()
    await worker.start()
    try:
        for n in range(4):
            event = CallRecordingStopped(
                at=NOW,
                event_id=EventId(f"c{n}:stopped"),
                call_id=CallId(f"c{n}"),
                segment=1,
                path=f"/x/c{n}.wav",
                channel="PJSIP/x",
                answered=True,
            )
            await bus.publish(event)
        await _until(lambda: len(jobs.states) == 4)
    finally:
        await worker.stop()
        await bus.stop()
    assert engine.calls == 8 and engine.most_at_once == 1
    assert set(jobs.states.values()) == {"done"}


async def test_given_a_full_queue_when_more_stop_then_the_rescan_picks_them_up(tmp_path: Path) -> None:
    bus = EventBus()
    jobs = FakeJobs()
    for n in range(3):
        wav = tmp_path / f"c{n}.wav"
        write_bursts(wav, [(0.2, 0.8)], total_s=1.0)
        jobs.add(wav, f"c{n}")
    worker = _worker(jobs, CountingEngine(), bus, queue_size=1)
    assert worker.enqueue(CallId("c0"), 1) is True
    assert worker.enqueue(CallId("c1"), 1) is False and worker.dropped == 1  # bounded: left to the store
    await worker.start()  # its first scan and the consumer
    try:
        await _until(lambda: len(jobs.states) == 3)
    finally:
        await worker.stop()
    assert set(jobs.states) == {("c0", 1), ("c1", 1), ("c2", 1)}


async def test_given_recordings_left_by_a_restart_when_a_new_worker_starts_then_it_does_them(
    tmp_path: Path,
) -> None:
    bus = EventBus()
    jobs = FakeJobs()
    wav = tmp_path / "c9.wav"
    write_bursts(wav, [(0.2, 1.0)], total_s=1.5)
    jobs.add(wav, "c9")
    first = _worker(jobs, None, bus)  # no engine (Whisper not loaded yet): nothing is done
    assert await first.scan() == 0 and jobs.states == {}
    engine = CountingEngine()
    second = _worker(jobs, engine, bus)
    await second.start()
    try:
        await _until(lambda: ("c9", 1) in jobs.states)
    finally:
        await second.stop()
    assert jobs.states[("c9", 1)] == "done" and [line.text for line in jobs.lines] == ["1.2秒"]


async def test_given_the_database_down_when_storing_then_the_recording_stays_pending_not_failed(
    tmp_path: Path,
) -> None:
    class DownOnce(FakeJobs):
        down = True

        def save(self, job: PendingTranscript, lines: Sequence[TranscriptLine], at: datetime) -> bool:
            if self.down:
                self.down = False
                raise BackendUnavailable("数据库暂时不可用")
            return super().save(job, lines, at)

    jobs = DownOnce()
    wav = tmp_path / "c1.wav"
    write_bursts(wav, [(0.2, 1.0)], total_s=1.5)
    jobs.add(wav, "c1")
    worker = _worker(jobs, CountingEngine(), EventBus())

    assert await worker.run_one(CallId("c1"), 1) is None
    assert jobs.states == {}  # not marked failed: the next scan offers it again
    assert [j.call_id for j in jobs.pending()] == ["c1"]
    assert await worker.run_one(CallId("c1"), 1) is not None
    assert jobs.states == {("c1", 1): "done"}


async def test_given_two_speech_processes_when_both_find_a_recording_then_only_the_claimer_decodes_it(
    tmp_path: Path, redis_url: str
) -> None:
    """Speech processes of their own (asr.remote): each scans the store, one decodes each recording
    (the claim is a Redis key that expires, so one that died with it leaves it to the others)."""
    from asr.remote import recording_claims
    from store.redis_mailbox import RedisMailbox

    bus = EventBus()
    await bus.start()
    prefix = f"hotline:test-claims:{uuid.uuid4().hex}"
    boxes = [RedisMailbox(redis_url, prefix=prefix), RedisMailbox(redis_url, prefix=prefix)]
    for box in boxes:
        await box.start()
    wav = tmp_path / "c1.wav"
    write_bursts(wav, [(1.0, 2.0)], total_s=3.0)
    jobs = FakeJobs()
    jobs.add(wav, "c1", segment=0, offset_s=0.0)
    engines = [CountingEngine(), CountingEngine()]
    workers = [_worker(jobs, e, bus, claim=recording_claims(b)) for e, b in zip(engines, boxes, strict=True)]

    first, second = await asyncio.gather(*(w.run_one(CallId("c1"), 0) for w in workers))

    assert [first is None, second is None].count(True) == 1  # one stored it, the other let it be
    assert sum(e.calls for e in engines) == 1
    assert [line.text for line in jobs.lines] == ["1.4秒"]
    for box in boxes:
        await box.stop()
    # Redis away: each decodes what it finds rather than nothing (the store keeps one transcript).
    dead = RedisMailbox("redis://127.0.0.1:1/0", prefix=prefix)
    await dead.start()
    assert await recording_claims(dead)(CallId("c2"), 0) is True
    await dead.stop()
    await bus.stop()
