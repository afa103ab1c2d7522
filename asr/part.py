"""The speech side of one process, by its role (what the runtime lists, in order):

* `all` / `telephony`, recognition here: the AudioSocket server with its engine, the post-call
  transcripts (`asr.speech.SpeechServer`, `asr.post_call_worker`);
* `all` / `telephony` with `HOTLINE_ASR__REMOTE=true`: no server here; the speech processes
  reached through the shared mailbox (`asr.remote.RemoteSpeech`);
* `speech`: the server taking streams the telephony process registered, its heartbeat, and the
  post-call transcripts (the transcripts' recorder and the event fan-out are the store's parts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from asr.post_call import UtteranceEngine
from asr.post_call_worker import PostCallPart, TranscriptJobs
from asr.remote import RemoteSpeech, SpeechMailbox, WorkerDirectory, WorkerHeartbeat, recording_claims
from asr.settings import AsrSettings, AudioSocketSettings
from asr.speech import SpeechServer
from core.bus import EventBus
from core.clock import Clock
from core.components import Component, Part


class MailboxPart(SpeechMailbox, Part, Protocol):
    """The mailbox as the store builds it: with its own start and stop."""


class SpeechPart:
    def __init__(
        self,
        bus: EventBus,
        asr: AsrSettings,
        sock: AudioSocketSettings,
        clock: Clock,
        *,
        role: str,
        mailbox: MailboxPart | None,
        jobs: Callable[[], TranscriptJobs],
        settle_s: float,
    ) -> None:
        self._asr, self._sock, self._mailbox = asr, sock, mailbox
        self.worker = role == "speech"
        self.speech: SpeechServer | RemoteSpeech
        if asr.remote and not self.worker and mailbox is not None:
            self.speech = RemoteSpeech(mailbox, f"{sock.host}:{sock.port}")
        else:
            directory = WorkerDirectory(mailbox) if self.worker and mailbox is not None else None
            self.speech = SpeechServer(bus, asr, sock, clock, directory=directory)
        engine: Callable[[], UtteranceEngine | None] = self.speech.utterance_engine
        # Post-call transcripts of the recordings (issue 18), with the server's Whisper engine.
        claim = recording_claims(mailbox) if self.worker and mailbox is not None else None
        self.post_call = PostCallPart(
            bus=bus, clock=clock, jobs=jobs, engine=engine, settle_s=settle_s, claim=claim
        )

    @property
    def enabled(self) -> bool:
        """Whether this process has speech at all (a web process never has)."""
        return self._sock.enabled or isinstance(self.speech, RemoteSpeech)

    def components(self) -> list[Component]:
        speech, mailbox, out = self.speech, self._mailbox, []
        if mailbox is not None:
            out.append(Component.of("asr-link", "语音流登记（Redis）", mailbox, required=self.worker))
        if isinstance(speech, RemoteSpeech):
            return [
                *out,
                Component.of("asr", "语音识别（识别进程）", speech, probe=speech.probe, required=False),
            ]
        label = "语音识别（Vosk 实时 / Whisper 整句）"
        out.append(Component.of("asr", label, speech, probe=speech.probe, required=self.worker))
        if self.worker and mailbox is not None:
            beat = WorkerHeartbeat(mailbox, lambda: speech.server)
            out.append(Component.of("asr-heartbeat", "识别进程心跳", beat))
        if self._asr.post_call:
            part = self.post_call
            out.append(
                Component.of("post-call", "录音转写（通话后）", part, probe=part.probe, required=False)
            )
        return out
