"""Speech recognition in its own process (asr.remote, issue 21's layout), over a real Redis.

The telephony side (`RemoteSpeech`: the IVR's capture, the live tap's registration) and the speech
side (an `AudioSocketServer` with `WorkerDirectory`, `WorkerHeartbeat`) each have their own
`RedisMailbox` on one prefix, as two processes would; a fake Asterisk connects to the speech side
the way app_audiosocket does.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from asr.audiosocket import AudioSocketServer
from asr.fake import ScriptedRecognizer
from asr.remote import HEARTBEAT_TTL_S, RemoteSpeech, WorkerDirectory, WorkerHeartbeat
from asr.speech import LiveTranscriptTap
from core.asr_events import AsrStreamEnded, Leg, StreamEndReason, TranscriptSegment
from core.bus import EventBus
from core.call_events import CallAnswered
from core.errors import BackendUnavailable
from core.events import DomainEvent
from core.ids import CallId, SeatId
from store.redis_mailbox import RedisMailbox
from tests.support.polling import until


@pytest.fixture
async def mailboxes(redis_url: str) -> AsyncIterator[tuple[RedisMailbox, RedisMailbox]]:
    """The telephony process's mailbox and the speech process's, on one fresh prefix."""
    prefix = f"hotline:test-asr:{uuid.uuid4().hex}"
    tel, worker = RedisMailbox(redis_url, prefix=prefix), RedisMailbox(redis_url, prefix=prefix)
    await tel.start()
    await worker.start()
    yield tel, worker
    await tel.stop()
    await worker.stop()


async def _worker(
    make_server: Any, mailbox: RedisMailbox, recognizer: Any
) -> tuple[AudioSocketServer, WorkerHeartbeat]:
    server: AudioSocketServer = await make_server(recognizer, directory=WorkerDirectory(mailbox))
    beat = WorkerHeartbeat(mailbox, lambda: server)
    await beat.start()
    return server, beat


async def _speech(mailbox: RedisMailbox, address: str) -> RemoteSpeech:
    speech = RemoteSpeech(mailbox, address)
    for _ in range(50):  # the heartbeat's first write
        await speech.refresh()
        if speech.recognising:
            break
        await asyncio.sleep(0.05)
    return speech


async def test_an_ivr_utterance_is_recognised_by_the_speech_process_and_its_text_comes_back(
    make_server: Any, asterisk: Any, bus: Any, pcm: Any, mailboxes: Any
) -> None:
    _, rec = bus
    tel, worker_box = mailboxes
    server, beat = await _worker(make_server, worker_box, ScriptedRecognizer(["徐汇区漕溪北路"]))
    speech = await _speech(tel, f"127.0.0.1:{server.port}")
    assert speech.probe() == (True, "1 个语音识别进程在线（实时转写），0 路识别中")

    stream_id = str(uuid.uuid4())
    heard = speech.capture(["徐汇区"]).expect(stream_id)
    # Asterisk connects at once, as the IVR's EXEC follows the registration without waiting.
    played = await asterisk.play(server.port, stream_id, pcm.tone(1000) + pcm.silence(3000), pace_s=0.001)

    assert played.server_hung_up  # the speech process's endpointing ended the utterance
    assert await asyncio.wait_for(heard, 10) == "徐汇区漕溪北路"
    (ended,) = await rec.wait_for(AsrStreamEnded)
    assert (ended.stream_id, ended.text) == (stream_id, "徐汇区漕溪北路")
    await beat.stop()


async def test_a_live_tap_registered_by_the_telephony_process_puts_the_transcript_on_that_call_and_seat(
    make_server: Any, asterisk: Any, bus: Any, recorded_audio: list[bytes], mailboxes: Any
) -> None:
    _, rec = bus
    tel, worker_box = mailboxes
    server, beat = await _worker(make_server, worker_box, ScriptedRecognizer(["您好 我想 咨询"]))
    speech = await _speech(tel, "10.0.0.7:9092")

    originated: list[tuple[str, dict[str, Any]]] = []

    class Control:
        async def originate(self, channel: str, **kwargs: Any) -> None:
            originated.append((channel, kwargs))

    calls = {CallId("1795299162.12"): type("C", (), {"channel": "PJSIP/caller-1"})()}
    tracker = type("T", (), {"call": staticmethod(calls.get)})()
    tap = LiveTranscriptTap(bus=EventBus(), control=Control(), tracker=tracker, streams=speech.tap_streams())  # type: ignore[arg-type]
    answered = CallAnswered(
        at=datetime.now(UTC), call_id=CallId("1795299162.12"), seat_id=SeatId("1001"), interface="",
        queue="q", wait_seconds=1.0,
    )  # fmt: skip
    await tap.handle(answered)

    ((_, kwargs),) = originated
    stream_id, address = kwargs["data"].split(",")
    assert address == "10.0.0.7:9092"  # where Asterisk reaches the speech processes
    await asterisk.play(server.port, stream_id, recorded_audio[:50])
    await rec.wait_for(AsrStreamEnded)
    segments = rec.of(TranscriptSegment)
    assert segments and {(s.call_id, s.leg, s.seat_id) for s in segments} == {
        ("1795299162.12", Leg.CALLER, "1001")
    }
    await beat.stop()


async def test_a_stream_nobody_registered_is_hung_up_at_once_and_not_transcribed(
    make_server: Any, asterisk: Any, bus: Any, pcm: Any, mailboxes: Any
) -> None:
    _, rec = bus
    _, worker_box = mailboxes
    server: AudioSocketServer = await make_server(
        ScriptedRecognizer(["不该出现"]), directory=WorkerDirectory(worker_box, lookup_wait_s=0.3)
    )
    played = await asyncio.wait_for(
        asterisk.play(server.port, str(uuid.uuid4()), pcm.tone(2000), pace_s=0.01), 10
    )
    assert played.server_hung_up  # the dialplan goes on (the IVR to its keypad)
    assert rec.of(TranscriptSegment) == [] and rec.of(AsrStreamEnded) == []


async def test_with_no_speech_process_alive_the_ivr_hears_nothing_at_once_and_no_tap_starts(
    mailboxes: Any,
) -> None:
    tel, _ = mailboxes
    speech = RemoteSpeech(tel, "127.0.0.1:9")
    await speech.refresh()
    up, detail = speech.probe()
    assert not up and "没有在线的语音识别进程" in detail
    assert await asyncio.wait_for(speech.capture(None).expect(str(uuid.uuid4())), 1.0) is None
    assert not speech.streaming()


async def test_a_speech_process_that_stopped_beating_is_no_longer_counted(
    make_server: Any, mailboxes: Any
) -> None:
    tel, worker_box = mailboxes
    server, beat = await _worker(make_server, worker_box, ScriptedRecognizer(["甲"]))
    speech = await _speech(tel, f"127.0.0.1:{server.port}")
    assert len(speech.recognising) == 1
    await beat.stop()
    await asyncio.sleep(HEARTBEAT_TTL_S + 0.5)
    await speech.refresh()
    assert speech.recognising == []


async def test_redis_unreachable_the_ivr_falls_back_and_the_tap_fails_alone() -> None:
    dead = RedisMailbox("redis://127.0.0.1:1/0", prefix="hotline:test-asr:dead")
    await dead.start()
    speech = RemoteSpeech(dead, "127.0.0.1:9092")
    await speech.refresh()
    assert speech.probe()[0] is False
    with pytest.raises(BackendUnavailable):
        await speech.tap_streams().register("s-1", call_id=CallId("c"), leg=Leg.CALLER, seat_id=None)
    assert await asyncio.wait_for(speech.capture(None).expect("s-2"), 5.0) is None
    await dead.stop()


async def test_the_recorder_takes_only_its_own_process_events() -> None:
    """A transcript that came in from a speech process through Redis (`local_only`) was recorded
    there: the telephony process's recorder (`own_only`) must not record it again."""
    bus, own, every = EventBus(), [], []

    async def keep_own(event: DomainEvent) -> None:
        own.append(event)

    async def keep_every(event: DomainEvent) -> None:
        every.append(event)

    bus.subscribe("recorder", keep_own, own_only=True)
    bus.subscribe("hub", keep_every)
    await bus.start()
    mine = AsrStreamEnded(
        at=datetime.now(UTC), call_id=CallId("c-1"), stream_id="a", leg=Leg.CALLER, seat_id=None,
        reason=StreamEndReason.EOF, audio_s=1.0, segments=1, transcribed=True, text="甲", lag_p95_ms=None,
    )  # fmt: skip
    theirs = AsrStreamEnded(
        at=datetime.now(UTC), call_id=CallId("c-2"), stream_id="b", leg=Leg.CALLER, seat_id=None,
        reason=StreamEndReason.EOF, audio_s=1.0, segments=1, transcribed=True, text="乙", lag_p95_ms=None,
    )  # fmt: skip
    await bus.publish(mine)
    await bus.publish(theirs, local_only=True)
    await until(lambda: len(every) == 2)
    await bus.stop()
    assert [e.call_id for e in own] == ["c-1"]
    assert [e.call_id for e in every] == ["c-1", "c-2"]
