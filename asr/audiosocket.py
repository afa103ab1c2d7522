"""The AudioSocket server: Asterisk's `AudioSocket(uuid,host:port)` connects here.

Protocol: `asr.audiosocket_codec` (first frame the uuid, then 20 ms slin frames, 0x00 to hang up).
Two uses, told apart by what was registered for the uuid before Asterisk connected:

* live transcript (the `[asr-tap]` ChanSpy channel, or any uuid nobody registered): the stream is
  transcribed until the caller hangs up;
* an IVR utterance (`recognize_utterance`): endpointing is on; when the caller stops speaking (or
  the maximum length is reached) we send 0x00, Asterisk leaves `AudioSocket()` and goes on with
  the dialplan (trace 07: our 0x00, then priority 4), and the IVR gets the final text.

Emits on the bus: `TranscriptSegment` (partials and finals), `AsrOverloaded`, `AsrStreamEnded`.

Recognition never runs on the event loop: each transcribed stream has one job at a time on a
bounded thread pool (libvosk releases the GIL; bench/asr_bench.py compares with processes). The
socket is always read at wire speed, whatever recognition does, so Asterisk is never blocked:
* more streams than `max_streams`: `AsrOverloaded` (reason `no_slot`) and the audio is read and
  discarded to the end; the call itself is never touched;
* a stream whose recognition falls more than `max_lag_s` behind: its backlog is dropped,
  `AsrOverloaded` (reason `lagging`), and the rest of it is discarded;
* no recogniser at all (model missing): we hang up the AudioSocket at once so the dialplan goes on.

Per-stream time limits, so that a connection cannot hold a recognition slot for ever: a stream
that sends no audio for `idle_timeout_s` (a stuck or silent peer) or lasts longer than
`max_stream_s` is ended from our side with 0x00 (Asterisk leaves `AudioSocket()` and the call goes
on), closed after `drain_timeout_s` if the peer does not close, and its slot is freed
(`AsrStreamEnded` reason `idle_timeout` / `max_duration`).

An IVR utterance nobody waits for any more is abandoned (`abandon`): when `recognize_utterance`
is given up (the IVR's `speech_timeout_s` passed, or the IVR left the step because the caller
hung up), and when the caller hangs up before the utterance ended (no endpoint: the IVR will not
use a half address). Its recogniser session is told (`abandon()`, where the engine has it:
Whisper's decode leaves the decode line if it has not started, or stops at the next segment
boundary, `asr.turns`), its final is not decoded or not published, and its `AsrStreamEnded` says
`transcribed=False` with no text; the decode worker goes on with the next decode.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypedDict

from asr.audiosocket_codec import (
    AUDIO_SAMPLE_RATE,
    AudioSocketErrorCode,
    Frame,
    FrameDecoder,
    FrameKind,
    encode_hangup,
)
from asr.endpointing import EndpointConfig, EndpointReason, EnergyEndpointer
from asr.errors import (
    AsrOverloadedError,
    AsrUnavailable,
    AudioSocketProtocolError,
    DecodeAbandoned,
    UtteranceTimedOut,
)
from asr.pcm import pcm_seconds
from asr.ports import Recognition, Recognizer, RecognizerSession
from core.asr_events import AsrOverloaded, AsrStreamEnded, Leg, StreamEndReason, TranscriptSegment
from core.bus import EventBus
from core.clock import Clock, SystemClock
from core.ids import CallId, SeatId
from core.ticker import cancel_and_wait

log = logging.getLogger(__name__)

READ_SIZE = 64 * 1024
MAX_PENDING_BYTES = 16_000 * 120
"""Two minutes of 8 kHz audio: a hard cap on one stream's backlog, whatever the timing."""
_ERROR_NAMES = {c.value: c.name for c in AudioSocketErrorCode}
# How a stream ends when the channel went away rather than we ended it (endpoint, time limit).
_CALLER_LEFT = frozenset(
    {
        StreamEndReason.HANGUP,
        StreamEndReason.EOF,
        StreamEndReason.ASTERISK_ERROR,
        StreamEndReason.PROTOCOL_ERROR,
    }
)


def normalize_stream_id(stream_id: str) -> str:
    """Asterisk's textual uuid form (lower case, hyphens); raises ValueError for a non-uuid."""
    return str(uuid.UUID(stream_id))


@dataclass(frozen=True, slots=True)
class StreamBinding:
    """What we know about an AudioSocket uuid before Asterisk connects with it."""

    call_id: CallId
    leg: Leg = Leg.CALLER
    seat_id: SeatId | None = None
    grammar: tuple[str, ...] | None = None
    endpointing: EndpointConfig | None = None
    """Set for IVR utterances: end the stream when the caller stops speaking."""

    def about(self, stream_id: str, at: datetime) -> StreamFacts:
        """What every event about the stream with this uuid says of it."""
        return {
            "at": at,
            "call_id": self.call_id,
            "stream_id": stream_id,
            "leg": self.leg,
            "seat_id": self.seat_id,
        }


class StreamFacts(TypedDict):
    """The fields `core.asr_events`' stream events share (`AsrOverloaded`, `AsrStreamEnded`,
    `TranscriptSegment`), as one stream's binding fills them."""

    at: datetime
    call_id: CallId
    stream_id: str
    leg: Leg
    seat_id: SeatId | None


class StreamRegistry:
    """AudioSocket uuid -> our call. The bridge registers the uuid it put in the dialplan or the
    Originate; an unknown uuid is transcribed under the uuid itself. Bounded (oldest dropped) so
    uuids that never connect do not pile up."""

    def __init__(self, *, max_entries: int = 10_000) -> None:
        self._entries: OrderedDict[str, StreamBinding] = OrderedDict()
        self._max = max_entries

    def register(
        self,
        stream_id: str,
        *,
        call_id: CallId,
        leg: Leg = Leg.CALLER,
        seat_id: SeatId | None = None,
        grammar: Sequence[str] | None = None,
        endpointing: EndpointConfig | None = None,
    ) -> StreamBinding:
        binding = StreamBinding(
            call_id=call_id,
            leg=leg,
            seat_id=seat_id,
            grammar=tuple(grammar) if grammar is not None else None,
            endpointing=endpointing,
        )
        return self.add(stream_id, binding)

    def add(self, stream_id: str, binding: StreamBinding) -> StreamBinding:
        """`binding` for the uuid as it is (one another process registered: `StreamDirectory`)."""
        key = normalize_stream_id(stream_id)
        self._entries[key] = binding
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return binding

    def resolve(self, stream_id: str) -> StreamBinding:
        key = normalize_stream_id(stream_id)
        return self._entries.get(key) or StreamBinding(call_id=CallId(key))

    def release(self, stream_id: str) -> None:
        self._entries.pop(normalize_stream_id(stream_id), None)

    def __contains__(self, stream_id: object) -> bool:
        return isinstance(stream_id, str) and normalize_stream_id(stream_id) in self._entries


@dataclass(frozen=True, slots=True)
class StreamOutcome:
    """How a stream ended; what `recognize_utterance` waits for."""

    stream_id: str
    text: str
    reason: StreamEndReason
    endpoint: EndpointReason | None
    audio_s: float
    transcribed: bool
    overloaded: bool


class StreamDirectory(Protocol):
    """Where a speech process (`asr.remote`) learns what another process registered for a uuid,
    and hands an IVR utterance's outcome back to it."""

    async def binding(self, stream_id: str) -> StreamBinding | None: ...

    async def ended(self, stream_id: str, binding: StreamBinding, outcome: StreamOutcome) -> None: ...


class _LagHistogram:
    """p95 of recognition lag (wall time from a frame's arrival to its result) in 10 ms buckets."""

    def __init__(self, bucket_ms: float = 10.0, buckets: int = 1000) -> None:
        self._bucket_ms = bucket_ms
        self._counts = [0] * buckets
        self._n = 0

    def add(self, lag_s: float) -> None:
        i = min(len(self._counts) - 1, max(0, int(lag_s * 1000 / self._bucket_ms)))
        self._counts[i] += 1
        self._n += 1

    def p95_ms(self) -> float | None:
        if not self._n:
            return None
        target = 0.95 * self._n
        seen = 0
        for i, count in enumerate(self._counts):
            seen += count
            if seen >= target:
                return (i + 1) * self._bucket_ms
        return len(self._counts) * self._bucket_ms  # pragma: no cover


def _accept_batch(
    session: RecognizerSession, frames: list[bytes], start_s: float, rate: int
) -> list[tuple[Recognition, float]]:
    """Runs on a worker thread. Frames go in one by one (Vosk's results depend on the cut);
    only finals and the last partial after them are worth publishing."""
    out: list[tuple[Recognition, float]] = []
    pos = start_s
    for pcm in frames:
        pos += pcm_seconds(len(pcm), rate)
        result = session.accept(pcm)
        if result is None:
            continue
        if out and not out[-1][0].final:
            out.pop()  # a newer partial or a final supersedes the previous partial
        out.append((result, pos))
    return out


@dataclass(eq=False)
class _Transcriber:
    """Feeds one stream's audio to its recogniser session, one executor job at a time."""

    server: AudioSocketServer
    stream_id: str
    binding: StreamBinding
    rate: int = AUDIO_SAMPLE_RATE
    pending: list[tuple[bytes, float]] = field(default_factory=list)
    pending_bytes: int = 0
    fed_s: float = 0.0
    utterance_start_s: float = 0.0
    finals: list[str] = field(default_factory=list)
    segments: int = 0
    dropped: bool = False
    failed: bool = False
    closing: bool = False
    abandoned: bool = False
    session: RecognizerSession | None = None
    lag: _LagHistogram = field(default_factory=_LagHistogram)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"asr:{self.stream_id}")

    @property
    def active(self) -> bool:
        return not (self.dropped or self.failed or self.closing or self.abandoned)

    def push(self, pcm: bytes) -> None:
        if self.dropped or self.failed or self.abandoned:
            return
        now = time.monotonic()
        self.pending.append((pcm, now))
        self.pending_bytes += len(pcm)
        # Lag is measured in wall time (age of the oldest frame not yet recognised), not in
        # audio queued: a replay may deliver minutes of audio in one burst, Asterisk never does.
        lag = now - self.pending[0][1]
        if lag > self.server.max_lag_s or self.pending_bytes > MAX_PENDING_BYTES:
            # Recognition is too far behind real time to be of use live: give this stream up
            # rather than let the backlog (and the lag of every other stream) grow.
            self.dropped = True
            self.pending.clear()
            self.pending_bytes = 0
        self.wake.set()

    def abandon(self) -> None:
        """Nobody waits for this stream's text any more: no final is decoded (or, if its decode
        is under way, published), and the engine is told to drop or stop the decode."""
        if self.abandoned:
            return
        self.abandoned = True
        self.pending.clear()
        self.pending_bytes = 0
        self._stop_session()
        self.wake.set()

    def _stop_session(self) -> None:
        stop = getattr(self.session, "abandon", None)
        if callable(stop):
            stop()

    async def close(self) -> None:
        self.closing = True
        self.wake.set()
        if self.task is not None:
            await self.task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        server = self.server
        grammar = list(self.binding.grammar) if self.binding.grammar is not None else None
        try:
            session = self.session = await loop.run_in_executor(
                server.executor, server.recognizer_new_session, self.rate, grammar
            )
            if self.abandoned:
                self._stop_session()  # abandoned while the session was being made
            while True:
                if not self.pending and not self.closing and not self.dropped and not self.abandoned:
                    await self.wake.wait()
                    self.wake.clear()
                if self.abandoned:
                    log.info("recognition of AudioSocket stream %s abandoned before its end", self.stream_id)
                    return
                if self.dropped:
                    await server.publish_overloaded(self.stream_id, self.binding, "lagging")
                    return
                if self.pending:
                    batch, self.pending, self.pending_bytes = self.pending, [], 0
                    start = self.fed_s
                    self.fed_s += sum(pcm_seconds(len(p), self.rate) for p, _ in batch)
                    results = await loop.run_in_executor(
                        server.executor, _accept_batch, session, [p for p, _ in batch], start, self.rate
                    )
                    done = time.monotonic()
                    for _, arrived in batch:
                        self.lag.add(done - arrived)
                    for result, pos in results:
                        await self._emit(result, pos)
                    continue
                if self.closing:
                    break
            if self.abandoned:
                return
            final = await loop.run_in_executor(server.executor, session.finish)
            if self.abandoned:
                log.info("result of AudioSocket stream %s discarded: nobody waits for it", self.stream_id)
                return
            await self._emit(final, self.fed_s)
        except DecodeAbandoned as exc:
            log.info("decode of AudioSocket stream %s abandoned: %s", self.stream_id, exc.message)
        except Exception:
            self.failed = True
            log.exception("recognition failed on AudioSocket stream %s; transcript stops", self.stream_id)
        finally:
            server.release_slot()

    async def _emit(self, result: Recognition, pos: float) -> None:
        if not result.text:
            return
        start = result.start_s if result.start_s is not None else self.utterance_start_s
        end = result.end_s if result.end_s is not None else pos
        if result.final:
            self.finals.append(result.text)
            self.utterance_start_s = pos
        self.segments += 1
        await self.server.bus.publish(
            TranscriptSegment(
                **self.binding.about(self.stream_id, self.server.clock.now()),
                text=result.text,
                start_s=round(start, 3),
                end_s=round(end, 3),
                final=result.final,
                seq=self.segments,
            )
        )


@dataclass(eq=False)
class _Connection:
    writer: asyncio.StreamWriter
    stream_id: str | None = None
    hung_up_by_us: bool = False

    async def hang_up(self) -> None:
        if self.hung_up_by_us or self.writer.is_closing():
            return
        self.hung_up_by_us = True
        with contextlib.suppress(ConnectionError):
            self.writer.write(encode_hangup())
            await self.writer.drain()


class AudioSocketServer:
    """asyncio TCP server for Asterisk's AudioSocket. `port=0` picks a free port (tests)."""

    def __init__(
        self,
        bus: EventBus,
        recognizer: Recognizer | None,
        *,
        host: str = "127.0.0.1",
        port: int = 9092,
        max_streams: int = 4,
        registry: StreamRegistry | None = None,
        clock: Clock | None = None,
        max_lag_s: float = 3.0,
        drain_timeout_s: float = 2.0,
        first_frame_timeout_s: float = 5.0,
        idle_timeout_s: float = 15.0,
        max_stream_s: float = 7200.0,
        directory: StreamDirectory | None = None,
    ) -> None:
        if max_streams < 1:
            raise ValueError("max_streams must be at least 1")
        if idle_timeout_s <= 0 or max_stream_s <= 0:
            raise ValueError("idle_timeout_s and max_stream_s must be positive")
        self.bus = bus
        self.recognizer = recognizer
        self.host = host
        self._port = port
        self.max_streams = max_streams
        self.registry = registry or StreamRegistry()
        self.clock: Clock = clock or SystemClock()
        self.max_lag_s = max_lag_s
        self.drain_timeout_s = drain_timeout_s
        self.first_frame_timeout_s = first_frame_timeout_s
        self.idle_timeout_s = idle_timeout_s
        self.max_stream_s = max_stream_s
        self.directory = directory
        self.executor: ThreadPoolExecutor | None = None
        self._server: asyncio.Server | None = None
        self._active = 0
        self._connections: dict[asyncio.Task[None], _Connection] = {}
        self._waiters: dict[str, asyncio.Future[StreamOutcome]] = {}
        self._transcribers: dict[str, _Transcriber] = {}
        self._stopping = False

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        self._stopping = False
        # One thread per slot: each transcribed stream has at most one job in flight, so a job
        # never waits in the pool's queue behind another stream's.
        self.executor = ThreadPoolExecutor(max_workers=self.max_streams, thread_name_prefix="asr")
        self._server = await asyncio.start_server(self._serve, self.host, self._port)
        log.info("AudioSocket server listening on %s:%s", self.host, self.port)

    async def stop(self, *, timeout_s: float = 5.0) -> None:
        """Hang up every stream (0x00), let their finals be published, then shut down."""
        self._stopping = True
        if self._server is not None:
            self._server.close()
        for conn in list(self._connections.values()):
            await conn.hang_up()
            conn.writer.close()
        tasks = list(self._connections)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=timeout_s)
            await cancel_and_wait(*late)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = None

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            return self._port
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def active_streams(self) -> int:
        return self._active

    async def hang_up(self, stream_id: str) -> bool:
        """End a stream from our side (0x00); Asterisk leaves AudioSocket() and the call goes on."""
        key = normalize_stream_id(stream_id)
        for conn in self._connections.values():
            if conn.stream_id == key:
                await conn.hang_up()
                return True
        return False

    def expect(self, stream_id: str) -> asyncio.Future[StreamOutcome]:
        """A future resolved with the outcome of the stream with this uuid (for the IVR)."""
        key = normalize_stream_id(stream_id)
        fut: asyncio.Future[StreamOutcome] = asyncio.get_running_loop().create_future()
        self._waiters[key] = fut
        return fut

    def abandon(self, stream_id: str) -> bool:
        """Nobody waits for this stream's text any more (see the module's docstring): its
        recognition is dropped. False when no such stream is being recognised."""
        transcriber = self._transcribers.get(normalize_stream_id(stream_id))
        if transcriber is None:
            return False
        transcriber.abandon()
        return True

    def forget(self, stream_id: str) -> None:
        key = normalize_stream_id(stream_id)
        self._waiters.pop(key, None)
        self.registry.release(key)

    # -- used by _Transcriber ----------------------------------------------------------------
    def recognizer_new_session(self, rate: int, grammar: list[str] | None) -> RecognizerSession:
        if self.recognizer is None:  # pragma: no cover - no transcriber is made without one
            raise AsrUnavailable("语音识别不可用")
        return self.recognizer.new_session(rate, grammar)

    def release_slot(self) -> None:
        self._active -= 1

    async def publish_overloaded(self, stream_id: str, binding: StreamBinding, reason: str) -> None:
        log.warning(
            "ASR overloaded (%s): stream %s of call %s not transcribed", reason, stream_id, binding.call_id
        )
        await self.bus.publish(
            AsrOverloaded(
                **binding.about(stream_id, self.clock.now()),
                reason=reason,
                active_streams=self._active,
                limit=self.max_streams,
            )
        )

    # -- one connection ----------------------------------------------------------------------
    async def _end_for_limit(
        self, conn: _Connection, stream_id: str, binding: StreamBinding, limit: StreamEndReason
    ) -> None:
        log.warning(
            "AudioSocket stream %s of call %s ended by us (%s); the call goes on",
            stream_id,
            binding.call_id,
            limit.value,
        )
        await conn.hang_up()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        conn = _Connection(writer)
        self._connections[task] = conn
        try:
            await self._serve_stream(reader, conn)
        except Exception:
            log.exception("AudioSocket connection failed")
        finally:
            self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _read_first(self, reader: asyncio.StreamReader, decoder: FrameDecoder) -> list[Frame]:
        frames: list[Frame] = []
        async with asyncio.timeout(self.first_frame_timeout_s):
            while not frames:
                data = await reader.read(READ_SIZE)
                if not data:
                    decoder.close()
                    return []
                frames = decoder.feed(data)
        return frames

    async def _serve_stream(self, reader: asyncio.StreamReader, conn: _Connection) -> None:
        decoder = FrameDecoder()
        try:
            frames = await self._read_first(reader, decoder)
        except (AudioSocketProtocolError, TimeoutError, ConnectionError) as exc:
            log.warning("AudioSocket connection dropped before its uuid: %s", exc)
            return
        if not frames:
            return
        if frames[0].kind is not FrameKind.UUID:
            log.warning("AudioSocket stream did not start with a uuid frame (%s)", frames[0].kind.name)
            return
        stream_id = conn.stream_id = frames[0].uuid
        if self.directory is not None and stream_id not in self.registry:
            # A speech process: the telephony process registered the uuid in the shared directory.
            found = await self.directory.binding(stream_id)
            if found is None:
                # Nobody registered it (or the directory is unreachable): no call to put it on and
                # nobody waiting for its text. Let the dialplan go on at once.
                log.warning("AudioSocket stream %s is not registered: hung up", stream_id)
                await conn.hang_up()
                return
            self.registry.add(stream_id, found)
        binding = self.registry.resolve(stream_id)
        endpointer = EnergyEndpointer(binding.endpointing) if binding.endpointing is not None else None

        transcriber: _Transcriber | None = None
        overloaded = False
        if self.recognizer is None:
            # ASR is down: end the AudioSocket at once so the dialplan (IVR) goes on to its fallback.
            await conn.hang_up()
        elif self._active >= self.max_streams:
            overloaded = True
            await self.publish_overloaded(stream_id, binding, "no_slot")
            if endpointer is not None:
                await conn.hang_up()  # nobody would hear this utterance: let the IVR fall back now
        else:
            self._active += 1
            transcriber = _Transcriber(self, stream_id, binding)
            self._transcribers[stream_id] = transcriber
            transcriber.start()

        reason: StreamEndReason | None = None
        endpoint: EndpointReason | None = None
        limit: StreamEndReason | None = None  # a time limit we ended the stream for
        audio_bytes = 0
        loop = asyncio.get_running_loop()
        started = last_audio = loop.time()
        pending = frames[1:]
        try:
            while reason is None:
                for frame in pending:
                    if frame.kind is FrameKind.AUDIO:
                        last_audio = loop.time()
                        audio_bytes += len(frame.payload)
                        if conn.hung_up_by_us:
                            continue  # after our 0x00: Asterisk may still send a few frames
                        if transcriber is not None:
                            transcriber.push(frame.payload)
                        if endpointer is not None and (endpoint := endpointer.push(frame.payload)):
                            await conn.hang_up()
                    elif frame.kind is FrameKind.HANGUP:
                        reason = StreamEndReason.HANGUP
                        break
                    elif frame.kind is FrameKind.ERROR:
                        code = frame.error_code
                        name = _ERROR_NAMES.get(code, hex(code))
                        log.warning("Asterisk reported AudioSocket error %s on stream %s", name, stream_id)
                        reason = StreamEndReason.ASTERISK_ERROR
                        break
                    elif frame.kind is FrameKind.UUID:
                        log.warning("second uuid frame on AudioSocket stream %s ignored", stream_id)
                    # DTMF: the IVR reads digits through AGI, not here.
                if reason is not None:
                    break
                decoder.check()  # garbage right after good frames in the same read
                if not conn.hung_up_by_us and loop.time() >= started + self.max_stream_s:
                    limit = StreamEndReason.MAX_DURATION  # audio keeps coming: no read times out
                    await self._end_for_limit(conn, stream_id, binding, limit)
                if conn.hung_up_by_us:
                    deadline = loop.time() + self.drain_timeout_s
                else:
                    deadline = min(last_audio + self.idle_timeout_s, started + self.max_stream_s)
                try:
                    async with asyncio.timeout_at(deadline):
                        data = await reader.read(READ_SIZE)
                except TimeoutError:
                    if conn.hung_up_by_us:
                        data = b""
                    else:
                        limit = (
                            StreamEndReason.MAX_DURATION
                            if loop.time() >= started + self.max_stream_s
                            else StreamEndReason.IDLE_TIMEOUT
                        )
                        await self._end_for_limit(conn, stream_id, binding, limit)
                        pending = []
                        continue
                if not data:
                    decoder.close()
                    reason = StreamEndReason.EOF
                    break
                pending = decoder.feed(data)
        except AudioSocketProtocolError as exc:
            log.warning("AudioSocket stream %s: %s", stream_id, exc)
            reason = StreamEndReason.PROTOCOL_ERROR
        except ConnectionError:
            reason = StreamEndReason.EOF
        if endpoint is not None:
            reason = StreamEndReason.ENDPOINT
        elif limit is not None:
            reason = limit
        elif self._stopping:
            reason = StreamEndReason.SERVER_STOPPED

        # The wire part is over: let Asterisk go now, recognition of the backlog can take longer.
        conn.writer.close()
        text, segments, transcribed, lag = "", 0, False, None
        if transcriber is not None:
            if endpointer is not None and reason in _CALLER_LEFT:
                # An IVR utterance cut by the caller's hang-up: nobody will use a half address.
                log.info("caller left during IVR utterance %s: its recognition is dropped", stream_id)
                transcriber.abandon()
            try:
                await transcriber.close()
            finally:
                self._transcribers.pop(stream_id, None)
            text = "" if transcriber.abandoned else " ".join(transcriber.finals)
            segments = transcriber.segments
            transcribed = not (transcriber.dropped or transcriber.failed or transcriber.abandoned)
            lag = transcriber.lag.p95_ms()
        audio_s = round(pcm_seconds(audio_bytes, AUDIO_SAMPLE_RATE), 3)
        await self.bus.publish(
            AsrStreamEnded(
                **binding.about(stream_id, self.clock.now()),
                reason=reason,
                audio_s=audio_s,
                segments=segments,
                transcribed=transcribed,
                text=text,
                lag_p95_ms=lag,
            )
        )
        outcome = StreamOutcome(
            stream_id=stream_id,
            text=text,
            reason=reason,
            endpoint=endpoint,
            audio_s=audio_s,
            transcribed=transcribed,
            overloaded=overloaded or (transcriber is not None and transcriber.dropped),
        )
        waiter = self._waiters.pop(stream_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(outcome)
        if self.directory is not None:
            await self.directory.ended(stream_id, binding, outcome)
        self.registry.release(stream_id)


async def recognize_utterance(
    server: AudioSocketServer,
    stream_id: str,
    *,
    call_id: CallId,
    grammar: Sequence[str] | None = None,
    endpointing: EndpointConfig | None = None,
    timeout_s: float = 30.0,
) -> str:
    """For the IVR: register `stream_id` with endpointing, wait for Asterisk's AudioSocket stream
    with that uuid to end (caller fell silent, max length, or hang-up) and return the final text.

    Start this before the dialplan runs `AudioSocket(stream_id,host:port)`. An empty string
    means the caller said nothing recognisable. Raises `AsrUnavailable` (no model),
    `AsrOverloadedError` (no slot) or `UtteranceTimedOut`; the IVR then falls back to keys.
    """
    if server.recognizer is None:
        raise AsrUnavailable("语音识别不可用（未加载模型）")
    key = normalize_stream_id(stream_id)
    server.registry.register(
        key,
        call_id=call_id,
        leg=Leg.CALLER,
        grammar=grammar,
        endpointing=endpointing or EndpointConfig(),
    )
    waiter = server.expect(key)
    outcome: StreamOutcome | None = None
    try:
        outcome = await asyncio.wait_for(waiter, timeout_s)
    except TimeoutError:
        raise UtteranceTimedOut(f"未在 {timeout_s:g} 秒内收到语音流 {key}", stream_id=key) from None
    finally:
        if outcome is None:
            # Timed out, or cancelled (the IVR stopped waiting): the decode is of no use now.
            server.abandon(key)
        server.forget(key)
    if outcome.overloaded:
        raise AsrOverloadedError("语音识别繁忙，本次未识别", stream_id=key)
    return outcome.text
