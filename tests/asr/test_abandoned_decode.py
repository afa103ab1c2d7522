"""A decode nobody waits for any more is dropped (issue 18): the IVR gave up after its
`speech_timeout_s`, or the caller hung up mid-utterance.

A stand-in Whisper model whose segments come out only when the test lets them
(`tests.support.gated_whisper.GatedModel`) makes a decode "slow" at will; the real `WhisperRecognizer`, its sessions, the decode line
(`asr.turns`) and the AudioSocket server run as in production. A decode queued behind a slow one
and abandoned never runs; a running one stops at the next segment, its text is not published, and
the worker goes on with the next decode.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from asr.audiosocket import recognize_utterance
from asr.endpointing import EndpointConfig
from asr.errors import DecodeAbandoned
from asr.speech import AsrSpeechCapture
from asr.turns import Abandon
from asr.whisper_engine import WhisperRecognizer
from core.asr_events import AsrStreamEnded, StreamEndReason, TranscriptSegment
from core.ids import CallId
from tests.support.gated_whisper import Decode, GatedModel
from tests.support.polling import until, wait_until

pytest.importorskip("numpy", reason="未安装 whisper 附加依赖（pip install -e '.[whisper]'）")
pytest.importorskip("opencc", reason="未安装 whisper 附加依赖（pip install -e '.[whisper]'）")


def speechlike(seconds: float = 1.0, rate: int = 8000) -> bytes:
    import math
    from array import array

    n = int(seconds * rate)
    return array("h", (int(6000 * math.sin(2 * math.pi * 300 * i / rate)) for i in range(n))).tobytes()


# -- the engine and its decode line ------------------------------------------------------------


def test_a_decode_queued_behind_a_slow_one_and_abandoned_never_runs() -> None:
    model = GatedModel({"甲": Decode(["第一句"]), "乙": Decode(["第二句"], open=True)})
    engine = WhisperRecognizer(model, Path("fake"))
    abandon = Abandon()
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(engine.transcribe, speechlike(), 8000, prompt="甲")
        assert model.decodes["甲"].started.wait(5)
        queued = pool.submit(engine.transcribe, speechlike(), 8000, prompt="乙", abandon=abandon)
        wait_until(lambda: engine.turns.waiting == 1, what="the second decode in line")

        abandon.set()
        with pytest.raises(DecodeAbandoned):
            queued.result(timeout=5)
        assert not slow.done()  # it left the line without waiting for the slow decode to end

        model.decodes["甲"].gates[0].set()
        assert slow.result(timeout=5) == "第一句"
    assert model.ran == ["甲"]
    assert (engine.turns.ran, engine.turns.dropped, engine.turns.waiting) == (1, 1, 0)


def test_a_running_decode_abandoned_stops_at_the_next_segment_and_the_next_decode_runs() -> None:
    model = GatedModel({"甲": Decode(["一", "二", "三"]), "乙": Decode(["下一位"], open=True)})
    engine = WhisperRecognizer(model, Path("fake"))
    abandon = Abandon()
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(engine.transcribe, speechlike(), 8000, prompt="甲", abandon=abandon)
        assert model.decodes["甲"].started.wait(5)
        following = pool.submit(engine.transcribe, speechlike(), 8000, prompt="乙")
        wait_until(lambda: engine.turns.waiting == 1, what="the second decode in line")

        abandon.set()  # while its first window is being decoded
        model.decodes["甲"].gates[0].set()
        with pytest.raises(DecodeAbandoned):
            running.result(timeout=5)
        assert following.result(timeout=5) == "下一位"
    first = model.decodes["甲"]
    assert (first.yielded, first.closed) == (1, True)  # windows 2 and 3 never decoded
    assert model.ran == ["甲", "乙"]


def test_an_abandoned_decode_first_in_line_does_not_start() -> None:
    model = GatedModel({"甲": Decode(["一"], open=True)})
    engine = WhisperRecognizer(model, Path("fake"))
    abandon = Abandon()
    abandon.set()
    with pytest.raises(DecodeAbandoned):
        engine.transcribe(speechlike(), 8000, prompt="甲", abandon=abandon)
    assert model.ran == [] and engine.turns.dropped == 1
    assert engine.transcribe(speechlike(), 8000, prompt="甲") == "一"  # the line is not stuck


# -- through the AudioSocket server, as the IVR uses it ----------------------------------------

UTTERANCE = EndpointConfig(trailing_silence_ms=600)


async def _speak(asterisk: Any, port: int, stream_id: str, pcm: Any) -> None:
    result = await asterisk.play(port, stream_id, pcm.tone(1000) + pcm.silence(3000), pace_s=0.001)
    assert result.server_hung_up  # endpointing ended the utterance: its decode is next


def _ended(rec: Any, stream_id: str) -> AsrStreamEnded | None:
    return next((e for e in rec.of(AsrStreamEnded) if e.stream_id == stream_id), None)


async def _ivr_gives_up(waiter: Any, after_s: float = 0.05) -> None:
    """What `ivr.service._hear` does when no text comes within `speech_timeout_s`."""
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(waiter, after_s)


async def test_an_utterance_the_ivr_gave_up_on_leaves_the_decode_line_without_running(
    make_server: Any, asterisk: Any, bus: Any, pcm: Any
) -> None:
    _, rec = bus
    model = GatedModel({"黄浦区": Decode(["黄浦区南京东路"]), "徐汇区": Decode(["徐汇区"], open=True)})
    engine = WhisperRecognizer(model, Path("fake"))
    server = await make_server(engine, max_streams=2)

    slow_id, late_id = str(uuid.uuid4()), str(uuid.uuid4())
    slow = asyncio.create_task(
        recognize_utterance(server, slow_id, call_id=CallId("c-1"), grammar=["黄浦区"], endpointing=UTTERANCE)
    )
    await asyncio.sleep(0)
    await _speak(asterisk, server.port, slow_id, pcm)
    await until(model.decodes["黄浦区"].started.is_set)

    late = AsrSpeechCapture(server, ["徐汇区"]).expect(late_id)
    await asyncio.sleep(0)
    await _speak(asterisk, server.port, late_id, pcm)
    await until(lambda: engine.turns.waiting == 1, what="the second decode in line")
    await _ivr_gives_up(late)

    await until(lambda: _ended(rec, late_id) is not None)
    ended = _ended(rec, late_id)
    assert ended is not None and (ended.transcribed, ended.text) == (False, "")
    assert not slow.done() and engine.turns.dropped == 1 and engine.turns.waiting == 0

    model.decodes["黄浦区"].gates[0].set()
    assert await slow == "黄浦区南京东路"
    assert model.ran == ["黄浦区"]  # the abandoned utterance was never decoded
    assert [s.text for s in rec.of(TranscriptSegment)] == ["黄浦区南京东路"]


async def test_a_running_decode_the_ivr_gave_up_on_is_discarded_and_the_next_utterance_is_decoded(
    make_server: Any, asterisk: Any, bus: Any, pcm: Any
) -> None:
    _, rec = bus
    model = GatedModel(
        {"黄浦区": Decode(["黄浦区", "南京东路", "一号"]), "徐汇区": Decode(["徐汇区"], open=True)}
    )
    engine = WhisperRecognizer(model, Path("fake"))
    server = await make_server(engine, max_streams=2)

    slow_id, next_id = str(uuid.uuid4()), str(uuid.uuid4())
    slow = AsrSpeechCapture(server, ["黄浦区"]).expect(slow_id)
    await asyncio.sleep(0)
    await _speak(asterisk, server.port, slow_id, pcm)
    await until(model.decodes["黄浦区"].started.is_set)

    following = asyncio.create_task(
        recognize_utterance(server, next_id, call_id=CallId("c-2"), grammar=["徐汇区"], endpointing=UTTERANCE)
    )
    await asyncio.sleep(0)
    await _speak(asterisk, server.port, next_id, pcm)
    await until(lambda: engine.turns.waiting == 1, what="the second decode in line")

    await _ivr_gives_up(slow)
    model.decodes["黄浦区"].gates[0].set()  # its first window ends; the other two are not decoded

    assert await asyncio.wait_for(following, 5) == "徐汇区"
    await until(lambda: _ended(rec, slow_id) is not None)
    ended = _ended(rec, slow_id)
    assert ended is not None and (ended.transcribed, ended.text) == (False, "")
    first = model.decodes["黄浦区"]
    assert (first.yielded, first.closed) == (1, True)
    assert model.ran == ["黄浦区", "徐汇区"]
    assert [s.text for s in rec.of(TranscriptSegment)] == ["徐汇区"]  # nothing of the abandoned one


async def test_a_caller_hanging_up_mid_utterance_drops_its_decode(
    make_server: Any, asterisk: Any, bus: Any, pcm: Any
) -> None:
    _, rec = bus
    model = GatedModel({"黄浦区": Decode(["黄浦区"], open=True)})
    engine = WhisperRecognizer(model, Path("fake"))
    server = await make_server(engine)
    stream_id = str(uuid.uuid4())

    answer = asyncio.create_task(
        recognize_utterance(
            server, stream_id, call_id=CallId("c-3"), grammar=["黄浦区"], endpointing=UTTERANCE
        )
    )
    await asyncio.sleep(0)
    result = await asterisk.play(server.port, stream_id, pcm.tone(1500), hangup=True, pace_s=0.001)

    assert not result.server_hung_up  # the caller left while still speaking
    assert await asyncio.wait_for(answer, 5) == ""
    (ended,) = await rec.wait_for(AsrStreamEnded)
    assert (ended.reason, ended.transcribed, ended.text) == (StreamEndReason.HANGUP, False, "")
    assert model.ran == [] and rec.of(TranscriptSegment) == []


async def test_a_live_transcript_stream_ended_by_a_hang_up_is_still_decoded(
    make_server: Any, asterisk: Any, bus: Any, pcm: Any
) -> None:
    """Only IVR utterances are dropped on a hang-up: a live or unregistered stream keeps its final."""
    _, rec = bus
    model = GatedModel({"以下是": Decode(["我想咨询"], open=True)})  # the default prompt's lead-in
    server = await make_server(WhisperRecognizer(model, Path("fake")))

    await asterisk.play(server.port, str(uuid.uuid4()), pcm.tone(1500), hangup=True, pace_s=0.001)

    (ended,) = await rec.wait_for(AsrStreamEnded)
    assert (ended.reason, ended.transcribed, ended.text) == (StreamEndReason.HANGUP, True, "我想咨询")
    assert model.ran == ["以下是"]


async def test_abandoning_an_unknown_stream_is_a_no_op(make_server: Any) -> None:
    server = await make_server(WhisperRecognizer(GatedModel({}), Path("fake")))
    assert server.abandon(str(uuid.uuid4())) is False
