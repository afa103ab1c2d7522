"""Speech in the runtime: the AudioSocket/Vosk server, the IVR's spoken address, the live tap.

* `SpeechServer`: the AudioSocket server with the recogniser from the settings (`load_recognizer`:
  Vosk where its model is installed, else the whole-utterance Whisper engine); no loadable model
  leaves it up without recognition (calls go on without transcripts) and the status page says why.

* `AsrSpeechCapture` (ivr.ports.SpeechCapture): registers the AudioSocket uuid with the ASR server
  *before* the IVR runs `EXEC AudioSocket`, with the address grammar and endpointing, and yields
  the recognised text (None when nothing usable was heard or ASR is down: the IVR falls back).
* `LiveTranscriptTap`: when a seat answers (and the engine streams: Whisper does not, so there is
  no live tap without Vosk) an inbound call, Originate `Local/tap@asr-tap` running
  AudioSocket to our server with `SPY=<caller channel>` (the tap shown to work on Asterisk 22 in
  the traces' README). ChanSpy's `E` option ends the tap when the caller hangs up, so nothing has
  to stop it. The uuid is registered to the call, the caller leg and the seat, so transcript
  segments reach exactly that seat's console.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Sequence
from typing import Protocol

from asr.audiosocket import AudioSocketServer, StreamDirectory, recognize_utterance
from asr.ports import Recognizer, is_streaming
from asr.settings import AsrSettings, AudioSocketSettings
from asr.vosk_engine import VoskRecognizer
from asr.whisper_engine import WhisperRecognizer
from core import dialplan
from core.asr_events import Leg
from core.bus import EventBus
from core.call_events import CallAnswered
from core.clock import Clock
from core.errors import ConfigurationError, HotlineError
from core.events import DomainEvent
from core.ids import CallId, SeatId
from core.ports import CallControl, LiveCalls

log = logging.getLogger(__name__)


async def load_recognizer(asr: AsrSettings) -> Recognizer:
    """The engine the settings ask for. `auto`: Vosk when its model loads (it streams, so the live
    transcript works), else Whisper (whole utterances: the IVR's spoken address, post-call
    transcripts). Raises `ConfigurationError` saying why each candidate failed."""
    reasons: list[str] = []
    if asr.engine in ("auto", "vosk"):
        try:
            return await VoskRecognizer.aload(asr.model_path)
        except ConfigurationError as exc:
            reasons.append(exc.message)
    if asr.engine in ("auto", "whisper"):
        try:
            return await WhisperRecognizer.aload(
                asr.whisper_model_path,
                cpu_threads=asr.whisper_threads,
                verify_checksum=asr.whisper_verify_checksum,
                time_limit_s=asr.whisper_time_limit_s,
                max_audio_s=asr.whisper_max_audio_s,
            )
        except ConfigurationError as exc:
            reasons.append(exc.message)
    raise ConfigurationError("；".join(reasons) or "未选择识别引擎", engine=asr.engine)


class SpeechServer:
    """The AudioSocket server and its recogniser, as a component: start, stop, probe."""

    def __init__(
        self,
        bus: EventBus,
        asr: AsrSettings,
        sock: AudioSocketSettings,
        clock: Clock,
        *,
        directory: StreamDirectory | None = None,
    ) -> None:
        self._bus = bus
        self._directory = directory  # a speech process: streams registered by the telephony process
        self._asr = asr
        self._sock = sock
        self._clock = clock
        self.server: AudioSocketServer | None = None
        self._detail = ""

    async def start(self) -> None:
        recognizer = None
        try:
            recognizer = await load_recognizer(self._asr)
            self._detail = ""
        except ConfigurationError as exc:
            # Calls go on without transcripts; the status page says why.
            self._detail = exc.message
            log.error("ASR is down: %s", exc.message)
        self.server = AudioSocketServer(
            self._bus,
            recognizer,
            host=self._sock.host,
            port=self._sock.port,
            max_streams=self._asr.max_streams,
            idle_timeout_s=self._asr.idle_timeout_s,
            max_stream_s=self._asr.max_stream_s,
            clock=self._clock,
            directory=self._directory,
        )
        await self.server.start()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()

    def capture(
        self, grammar: Sequence[str] | None, *, fallback: Capture | None = None
    ) -> AsrSpeechCapture | Capture | None:
        """The IVR's spoken-address capture over the server (None: ASR is off or has no model, the
        IVR uses keys). `fallback` (the demo's scripted addresses) stands in only when there is no
        recogniser: with one, what it heard is all the IVR gets, and an address it cannot make out
        goes to the keypad district menu as a real caller's would."""
        if self.server is None or self.server.recognizer is None:
            return fallback
        return AsrSpeechCapture(self.server, grammar)

    def tap_streams(self) -> LocalTapStreams:
        """Where the live tap registers its streams: this process's server (call it once it is up)."""
        assert self.server is not None
        return LocalTapStreams(self.server, f"{self._sock.host}:{self.server.port}")

    def utterance_engine(self) -> WhisperRecognizer | None:
        """The whole-utterance engine for post-call transcripts: the loaded recogniser when it is
        Whisper (it is shared with the IVR's spoken address, one decode at a time); None with Vosk
        (the live transcript is there) or with no engine."""
        if not self._asr.post_call or self.server is None:
            return None
        recognizer = self.server.recognizer
        return recognizer if isinstance(recognizer, WhisperRecognizer) else None

    def probe(self) -> tuple[bool, str]:
        if self.server is None or self.server.recognizer is None:
            return False, self._detail or "未启动"
        if not is_streaming(self.server.recognizer):
            return True, f"Whisper 整句识别（无实时转写），{self.server.active_streams} 路识别中"
        return True, f"{self.server.active_streams} 路转写中"


class Capture(Protocol):
    """ivr.ports.SpeechCapture, structurally (asr does not import ivr)."""

    def expect(self, stream_id: str) -> Awaitable[str | None]: ...


class AsrSpeechCapture:
    """ivr.ports.SpeechCapture over the AudioSocket server (see the module's docstring)."""

    def __init__(
        self, server: AudioSocketServer, grammar: Sequence[str] | None, *, timeout_s: float = 20.0
    ) -> None:
        self._server = server
        self._grammar = list(grammar) if grammar else None
        self._timeout = timeout_s

    def expect(self, stream_id: str) -> Awaitable[str | None]:
        async def recognise() -> str | None:
            try:
                text = await recognize_utterance(
                    self._server,
                    stream_id,
                    call_id=CallId(stream_id),
                    grammar=self._grammar,
                    timeout_s=self._timeout,
                )
            except HotlineError as exc:
                log.info("spoken address not recognised (%s): %s", exc.error_id, exc.message)
                return None
            return text.strip() or None

        # A task, not a bare coroutine: the registration must happen now, before the EXEC.
        return asyncio.ensure_future(recognise())


class TapStreams(Protocol):
    """Where the live tap registers a stream and sends Asterisk: this process's AudioSocket server
    (`LocalTapStreams`) or the speech processes (`asr.remote.RemoteTapStreams`)."""

    address: str

    def streaming(self) -> bool: ...

    async def register(
        self, stream_id: str, *, call_id: CallId, leg: Leg, seat_id: SeatId | None
    ) -> None: ...


class LocalTapStreams:
    """TapStreams over this process's server."""

    def __init__(self, server: AudioSocketServer, address: str) -> None:
        self._server = server
        self.address = address

    def streaming(self) -> bool:
        return is_streaming(self._server.recognizer)

    async def register(self, stream_id: str, *, call_id: CallId, leg: Leg, seat_id: SeatId | None) -> None:
        self._server.registry.register(stream_id, call_id=call_id, leg=leg, seat_id=seat_id)


class LiveTranscriptTap:
    """Bus subscriber: a seat answered, so tap the caller's audio into ASR (see the docstring)."""

    def __init__(
        self, *, bus: EventBus, control: CallControl, tracker: LiveCalls, streams: TapStreams
    ) -> None:
        self._bus = bus
        self._control = control
        self._tracker = tracker
        self._streams = streams
        self.started = 0

    def subscribe(self) -> None:
        self._bus.subscribe("live-transcript-tap", self.handle, types=(CallAnswered,))

    async def handle(self, event: DomainEvent) -> None:
        if not isinstance(event, CallAnswered) or event.inferred or not self._streams.streaming():
            return  # no engine, or one that cannot stream (Whisper): no live transcript
        call = self._tracker.call(event.call_id)
        if call is None or not call.channel:
            return
        stream_id = str(uuid.uuid4())
        try:
            await self._streams.register(
                stream_id, call_id=event.call_id, leg=Leg.CALLER, seat_id=event.seat_id
            )
            await self._control.originate(
                f"Local/{dialplan.TAP_EXTEN}@{dialplan.ASR_TAP}",
                context=dialplan.ASR_TAP,
                exten=dialplan.TAP_EXTEN,
                application="AudioSocket",
                data=f"{stream_id},{self._streams.address}",
                variables={dialplan.VAR_SPY: call.channel},
                action_id=f"tap-{stream_id}",
            )
            self.started += 1
        except HotlineError as exc:
            # No transcript for this call; the call itself is not affected.
            log.warning("live transcript tap for %s failed: %s", event.call_id, exc.message)
