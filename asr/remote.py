"""Speech recognition in its own processes (`hotline serve --role speech`, issue 21's layout).

A speech process runs the AudioSocket server and the engines (Vosk live, Whisper for utterances and
recordings) on a host of its own; the telephony process keeps the IVR and the live tap and talks
to the speech processes through Redis, never directly (`SpeechMailbox`, `store.redis_mailbox`):

* **Registration.** The telephony process writes what a stream is (`stream:<uuid>`: call, leg,
  seat, grammar, whether it is an IVR utterance): the live tap before its Originate; the IVR starts
  the write as it sends the `EXEC AudioSocket`, without waiting for it. Asterisk connects to the
  one address the telephony process is configured with (`HOTLINE_AUDIOSOCKET__HOST/PORT`): a
  speech process, or a TCP load balancer in front of several; whichever process takes the
  connection reads the entry (`WorkerDirectory.binding`, waiting up to `lookup_wait_s` for an
  entry the connection overtook). A stream with no entry by then is hung up at once.
* **An utterance's text** goes back on a list (`outcome:<uuid>`) the IVR blocks on (`BLPOP`): a
  list, not pub/sub, so a text that arrives before the IVR waits is not lost.
* **Live transcript segments** are events of the speech process: it records them itself (its own
  recorder, with its journal: nothing lost in a database outage) and publishes them through the
  event fan-out, so the consoles of every process get them. The telephony process does not record
  events that came from another process (`EventBus.subscribe(..., own_only=True)`).
* **Which processes are up.** Each speech process writes a heartbeat (`worker:<id>`, expiring in
  `HEARTBEAT_TTL_S`) with its engine, whether it streams and how busy it is. With none alive the
  IVR's capture hears nothing at once (no wait for a stream nobody takes): the IVR goes on as with
  no recogniser (asks again, then the keypad district menu); no tap is started; the status page
  says so.

Redis unreachable: the IVR falls back to keys, the tap is skipped, the calls go on (the status
page shows the Redis component down); transcripts already recognised are in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from asr.audiosocket import AudioSocketServer, StreamBinding, StreamOutcome
from asr.endpointing import EndpointConfig
from asr.ports import is_streaming
from core.asr_events import Leg
from core.errors import BackendUnavailable
from core.ids import CallId, SeatId, new_id
from core.ticker import Ticker

log = logging.getLogger(__name__)

HEARTBEAT_S = 2.0
HEARTBEAT_TTL_S = 6.0
STREAM_TTL_S = 600.0
"""How long a registration waits for Asterisk's connection (a tap on a long call connects at once;
an entry nobody used expires)."""
OUTCOME_TTL_S = 120.0
CLAIM_TTL_S = 900.0
"""A recording's post-call decode belongs to the speech process that claimed it for this long (one
that died with it leaves it to another's next scan after that)."""


class SpeechMailbox(Protocol):
    """Keys and lists shared by the telephony and speech processes (`store.redis_mailbox`). Every
    method raises `BackendUnavailable` when the store cannot be reached."""

    async def put(self, key: str, value: str, ttl_s: float) -> None: ...

    async def get(self, key: str) -> str | None: ...

    async def push(self, key: str, value: str, ttl_s: float) -> None: ...

    async def pop(self, key: str, timeout_s: float) -> str | None: ...

    async def values(self, prefix: str) -> list[str]: ...

    async def claim(self, key: str, ttl_s: float) -> bool:
        """True for the first to ask while the key lives (SET NX)."""
        ...


def _binding_json(binding: StreamBinding) -> str:
    return json.dumps(
        {
            "call_id": binding.call_id,
            "leg": binding.leg.value,
            "seat_id": binding.seat_id,
            "grammar": list(binding.grammar) if binding.grammar is not None else None,
            "utterance": binding.endpointing is not None,
        },
        ensure_ascii=False,
    )


def _binding_of(raw: str) -> StreamBinding:
    data = json.loads(raw)
    grammar = data.get("grammar")
    return StreamBinding(
        call_id=CallId(str(data["call_id"])),
        leg=Leg(data.get("leg", Leg.CALLER.value)),
        seat_id=SeatId(data["seat_id"]) if data.get("seat_id") else None,
        grammar=tuple(str(g) for g in grammar) if grammar is not None else None,
        endpointing=EndpointConfig() if data.get("utterance") else None,
    )


# --- the speech process's side ------------------------------------------------------------------


class WorkerDirectory:
    """`asr.audiosocket.StreamDirectory` over the mailbox: what the telephony process registered
    for a uuid, and where an utterance's text goes back."""

    def __init__(self, mailbox: SpeechMailbox, *, lookup_wait_s: float = 1.5, poll_s: float = 0.05) -> None:
        self._mailbox = mailbox
        self._wait = lookup_wait_s
        self._poll = poll_s

    async def binding(self, stream_id: str) -> StreamBinding | None:
        deadline = time.monotonic() + self._wait
        while True:
            try:
                raw = await self._mailbox.get(f"stream:{stream_id}")
            except BackendUnavailable as exc:
                log.warning("speech registry unreachable for stream %s: %s", stream_id, exc.message)
                return None
            if raw is not None:
                try:
                    return _binding_of(raw)
                except (ValueError, KeyError, TypeError) as exc:
                    log.warning("malformed registration for stream %s ignored: %r", stream_id, exc)
                    return None
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(self._poll)

    async def ended(self, stream_id: str, binding: StreamBinding, outcome: StreamOutcome) -> None:
        if binding.endpointing is None:
            return  # a live transcript: its segments are events, nobody waits for a text
        body = json.dumps({"text": outcome.text, "overloaded": outcome.overloaded}, ensure_ascii=False)
        try:
            await self._mailbox.push(f"outcome:{stream_id}", body, OUTCOME_TTL_S)
        except BackendUnavailable as exc:
            # The IVR's wait times out and it asks for the district by keypad.
            log.warning("utterance %s could not be handed back: %s", stream_id, exc.message)


def recording_claims(mailbox: SpeechMailbox) -> Callable[[CallId, int], Awaitable[bool]]:
    """`asr.post_call_worker`'s claim across speech processes: one decodes each recording. With
    Redis away each decodes what it finds (the store keeps one transcript: twice the work, none lost)."""

    async def claim(call_id: CallId, segment: int) -> bool:
        try:
            return await mailbox.claim(f"post-call:{call_id}:{segment}", CLAIM_TTL_S)
        except BackendUnavailable:
            return True

    return claim


class WorkerHeartbeat:
    """Says every `HEARTBEAT_S` that this speech process is up, and how busy it is."""

    def __init__(self, mailbox: SpeechMailbox, server: Callable[[], AudioSocketServer | None]) -> None:
        self._mailbox = mailbox
        self._server = server
        self.worker_id = new_id("asr_")
        self._ticker = Ticker("asr-heartbeat", HEARTBEAT_S, self.send)

    def beat(self) -> dict[str, Any]:
        server = self._server()
        recognizer = server.recognizer if server is not None else None
        return {
            "id": self.worker_id,
            "engine": type(recognizer).__name__ if recognizer is not None else "",
            "streaming": is_streaming(recognizer),
            "active": server.active_streams if server is not None else 0,
            "max_streams": server.max_streams if server is not None else 0,
        }

    async def send(self) -> None:
        with contextlib.suppress(BackendUnavailable):  # Redis away: beats again once it is back
            await self._mailbox.put(f"worker:{self.worker_id}", json.dumps(self.beat()), HEARTBEAT_TTL_S)

    async def start(self) -> None:
        await self._ticker.start(tick_first=True)

    async def stop(self) -> None:
        await self._ticker.stop()


# --- the telephony process's side ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkerBeat:
    worker_id: str
    engine: str
    streaming: bool
    active: int
    max_streams: int

    @property
    def recognises(self) -> bool:
        return bool(self.engine) and self.max_streams > 0


class RemoteSpeech:
    """The telephony process's view of the speech processes: the same face as
    `asr.speech.SpeechServer` (`capture`, `tap_streams`, `probe`, `utterance_engine`), over the
    mailbox."""

    def __init__(self, mailbox: SpeechMailbox, address: str, *, refresh_s: float = HEARTBEAT_S) -> None:
        self._mailbox = mailbox
        self.address = address  # where Asterisk connects: a speech process or its load balancer
        self.workers: list[WorkerBeat] = []
        self._error = ""
        self._ticker = Ticker("asr-workers", refresh_s, self.refresh)

    async def start(self) -> None:
        await self._ticker.start(tick_first=True)

    async def stop(self) -> None:
        await self._ticker.stop()

    async def refresh(self) -> None:
        try:
            raw = await self._mailbox.values("worker:")
        except BackendUnavailable as exc:
            self.workers, self._error = [], exc.message
            return
        beats = []
        for item in raw:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                d = json.loads(item)
                beat = WorkerBeat(
                    str(d["id"]), str(d["engine"]),
                    bool(d["streaming"]), int(d["active"]), int(d["max_streams"]),
                )  # fmt: skip
                beats.append(beat)
        self.workers, self._error = sorted(beats, key=lambda b: b.worker_id), ""

    @property
    def recognising(self) -> list[WorkerBeat]:
        return [w for w in self.workers if w.recognises]

    def streaming(self) -> bool:
        """Whether a live transcript can be had: some speech process up with a streaming engine."""
        return any(w.streaming for w in self.recognising)

    def probe(self) -> tuple[bool, str]:
        up = self.recognising
        if not up:
            return False, self._error or "没有在线的语音识别进程（--role speech）"
        busy = sum(w.active for w in up)
        live = "实时转写" if self.streaming() else "整句识别（无实时转写）"
        return True, f"{len(up)} 个语音识别进程在线（{live}），{busy} 路识别中"

    def capture(self, grammar: Sequence[str] | None, *, fallback: Any = None) -> RemoteCapture:
        """The IVR's spoken-address capture through the speech processes. The demo's scripted
        fallback is not used: a deployment with speech processes has a recogniser."""
        return RemoteCapture(self, grammar)

    def tap_streams(self) -> RemoteTapStreams:
        return RemoteTapStreams(self)

    def utterance_engine(self) -> None:
        return None  # post-call transcripts are the speech processes' work

    async def register(self, stream_id: str, binding: StreamBinding) -> None:
        await self._mailbox.put(f"stream:{stream_id}", _binding_json(binding), STREAM_TTL_S)

    async def outcome(self, stream_id: str, timeout_s: float) -> dict[str, Any] | None:
        raw = await self._mailbox.pop(f"outcome:{stream_id}", timeout_s)
        return None if raw is None else dict(json.loads(raw))


class RemoteCapture:
    """ivr.ports.SpeechCapture through the speech processes (see the module's docstring)."""

    def __init__(
        self, speech: RemoteSpeech, grammar: Sequence[str] | None, *, timeout_s: float = 20.0
    ) -> None:
        self._speech = speech
        self._grammar = tuple(grammar) if grammar else None
        self._timeout = timeout_s

    def expect(self, stream_id: str) -> Awaitable[str | None]:
        async def recognise() -> str | None:
            if not self._speech.recognising:
                return None  # nobody to hear it: the IVR's keypad
            binding = StreamBinding(
                call_id=CallId(stream_id), grammar=self._grammar, endpointing=EndpointConfig()
            )
            try:
                # Asterisk may connect before this lands: the speech process waits for it a while.
                await self._speech.register(stream_id, binding)
                body = await self._speech.outcome(stream_id, self._timeout)
            except BackendUnavailable as exc:
                log.info("spoken address not recognised (%s): %s", stream_id, exc.message)
                return None
            if body is None or body.get("overloaded"):
                return None
            return str(body.get("text") or "").strip() or None

        # A task, not a bare coroutine: the registration starts now, before the EXEC.
        return asyncio.ensure_future(recognise())


class RemoteTapStreams:
    """asr.speech.TapStreams through the speech processes."""

    def __init__(self, speech: RemoteSpeech) -> None:
        self._speech = speech
        self.address = speech.address

    def streaming(self) -> bool:
        return self._speech.streaming()

    async def register(self, stream_id: str, *, call_id: CallId, leg: Leg, seat_id: SeatId | None) -> None:
        await self._speech.register(stream_id, StreamBinding(call_id=call_id, leg=leg, seat_id=seat_id))
