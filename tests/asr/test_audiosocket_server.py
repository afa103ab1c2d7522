"""The AudioSocket server over real sockets, with the hand-written fake recogniser."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from asr.audiosocket import StreamRegistry, recognize_utterance
from asr.audiosocket_codec import FrameKind
from asr.endpointing import EndpointConfig
from asr.errors import AsrOverloadedError, AsrUnavailable, UtteranceTimedOut
from asr.fake import ScriptedRecognizer
from core.asr_events import AsrOverloaded, AsrStreamEnded, Leg, StreamEndReason, TranscriptSegment
from core.errors import ServiceOverloaded
from core.events import from_wire, to_wire
from core.ids import CallId, SeatId

RECORDED_UUID = "6b113515-13c9-40a6-bd09-95dcba94ed38"


def new_uuid() -> str:
    return str(uuid.uuid4())


async def test_given_recorded_stream_when_replayed_byte_for_byte_then_transcribed_to_eof(
    make_server: Any, asterisk: Any, bus: Any, recorded_bytes: bytes
) -> None:
    _, rec = bus
    fake = ScriptedRecognizer(["请问 离婚 财产 怎么 分割"])
    server = await make_server(fake)

    await asterisk.replay_raw(server.port, recorded_bytes)
    (ended,) = await rec.wait_for(AsrStreamEnded)

    assert ended.stream_id == RECORDED_UUID
    assert ended.call_id == RECORDED_UUID  # nobody registered the uuid: it stands for the call
    assert ended.reason is StreamEndReason.EOF
    assert ended.audio_s == 5.0
    assert ended.transcribed is True
    assert ended.text == "请问 离婚 财产 怎么 分割"
    assert fake.sessions[0].fed_bytes == 250 * 320
    assert fake.sessions[0].sample_rate == 8000
    segments = rec.of(TranscriptSegment)
    assert [s.seq for s in segments] == list(range(1, len(segments) + 1))
    assert segments[-1].final and segments[-1].end_s == 5.0
    assert all(not s.final for s in segments[:-1])
    assert server.active_streams == 0


async def test_given_registered_uuid_when_stream_arrives_then_events_carry_our_call_and_seat(
    make_server: Any, asterisk: Any, bus: Any, recorded_audio: list[bytes]
) -> None:
    _, rec = bus
    server = await make_server(ScriptedRecognizer(["您好"]))
    stream_id = new_uuid()
    server.registry.register(
        stream_id.upper(), call_id=CallId("1795299162.12"), leg=Leg.SEAT, seat_id=SeatId("1001")
    )

    await asterisk.play(server.port, stream_id, recorded_audio[:50])
    (ended,) = await rec.wait_for(AsrStreamEnded)

    segments = rec.of(TranscriptSegment)
    assert {(s.call_id, s.leg, s.seat_id) for s in segments} == {("1795299162.12", Leg.SEAT, "1001")}
    assert segments[-1].audience() == frozenset({"seat:1001"})
    assert (ended.call_id, ended.reason) == ("1795299162.12", StreamEndReason.HANGUP)
    assert stream_id not in server.registry  # released once the stream is over


async def test_given_caller_hangs_up_mid_stream_when_served_then_partials_kept_and_final_published(
    make_server: Any, asterisk: Any, bus: Any, recorded_audio: list[bytes]
) -> None:
    _, rec = bus
    fake = ScriptedRecognizer(["我想 咨询 劳动 合同 纠纷"], partial_every_ms=400)
    server = await make_server(fake)

    result = await asterisk.play(server.port, new_uuid(), recorded_audio[:100], hangup=True)
    (ended,) = await rec.wait_for(AsrStreamEnded)

    assert result.audio_frames_sent == 100
    partials = [s.text for s in rec.of(TranscriptSegment) if not s.final]
    finals = [s for s in rec.of(TranscriptSegment) if s.final]
    assert partials  # what was heard before the hang-up was shown live
    assert all("我想 咨询 劳动 合同 纠纷".startswith(p) for p in partials)
    assert [f.text for f in finals] == ["我想 咨询 劳动 合同 纠纷"]
    assert finals[0].start_s == 0.0 and finals[0].end_s == 2.0
    assert (ended.reason, ended.audio_s, ended.text) == (
        StreamEndReason.HANGUP,
        2.0,
        "我想 咨询 劳动 合同 纠纷",
    )
    assert fake.sessions[0].finished


async def test_given_engine_closes_an_utterance_when_more_audio_follows_then_times_follow_the_audio(
    make_server: Any, asterisk: Any, bus: Any, pcm: Any
) -> None:
    _, rec = bus
    server = await make_server(ScriptedRecognizer(["甲乙"], final_after_ms=1000))

    await asterisk.play(server.port, new_uuid(), pcm.tone(1500))
    await rec.wait_for(AsrStreamEnded)

    finals = [s for s in rec.of(TranscriptSegment) if s.final]
    assert [(f.text, f.start_s, f.end_s) for f in finals] == [("甲乙", 0.0, 1.0)]


async def test_given_stream_cut_mid_frame_when_socket_closes_then_protocol_error_and_final_kept(
    make_server: Any, asterisk: Any, bus: Any, recorded_bytes: bytes
) -> None:
    _, rec = bus
    server = await make_server(ScriptedRecognizer(["半句话"]))

    await asterisk.replay_raw(server.port, recorded_bytes[:-100])
    (ended,) = await rec.wait_for(AsrStreamEnded)

    assert ended.reason is StreamEndReason.PROTOCOL_ERROR
    assert ended.audio_s == 4.98
    assert ended.text == "半句话"


async def test_given_garbage_after_the_uuid_when_received_then_stream_closed_as_protocol_error(
    make_server: Any, asterisk: Any, bus: Any, recorded_bytes: bytes
) -> None:
    _, rec = bus
    server = await make_server(ScriptedRecognizer(["x"]))

    await asterisk.replay_raw(
        server.port, recorded_bytes[: 19 + 10 * 323] + b"GET / HTTP/1.1\r\n\r\n" + bytes(20000)
    )
    (ended,) = await rec.wait_for(AsrStreamEnded)

    assert ended.reason is StreamEndReason.PROTOCOL_ERROR
    assert ended.audio_s == 0.2


async def test_given_connection_without_uuid_when_served_then_closed_without_events(
    make_server: Any, asterisk: Any, bus: Any
) -> None:
    _, rec = bus
    server = await make_server(ScriptedRecognizer(["x"]))

    await asterisk.replay_raw(server.port, b"\x10\x01\x40" + bytes(320))
    await asyncio.sleep(0.05)

    assert rec.events == []
    assert server.active_streams == 0


async def test_given_limit_one_when_two_streams_arrive_then_second_overloaded_and_both_served_to_the_end(
    make_server: Any, asterisk: Any, bus: Any, recorded_audio: list[bytes]
) -> None:
    _, rec = bus
    fake = ScriptedRecognizer(["第一路"])
    server = await make_server(fake, max_streams=1)
    first, second = new_uuid(), new_uuid()
    first_in, go = asyncio.Event(), asyncio.Event()

    call1 = asyncio.create_task(
        asterisk.play(server.port, first, recorded_audio, on_connected=first_in, go=go, pace_s=0.002)
    )
    await first_in.wait()
    while server.active_streams < 1:
        await asyncio.sleep(0.005)
    call2 = asyncio.create_task(asterisk.play(server.port, second, recorded_audio))
    (overloaded,) = await rec.wait_for(AsrOverloaded)
    go.set()
    results = await asyncio.gather(call1, call2)
    ended = {e.stream_id: e for e in await rec.wait_for(AsrStreamEnded, 2)}

    assert (overloaded.stream_id, overloaded.reason, overloaded.limit) == (second, "no_slot", 1)
    assert [r.audio_frames_sent for r in results] == [250, 250]
    assert not any(r.server_hung_up for r in results)  # a live tap is never cut off
    assert ended[first].transcribed and ended[first].text == "第一路"
    assert not ended[second].transcribed and ended[second].text == ""
    assert ended[first].audio_s == ended[second].audio_s == 5.0  # both read to the end
    assert {s.stream_id for s in rec.of(TranscriptSegment)} == {first}
    assert len(fake.sessions) == 1


async def test_given_slot_freed_when_next_stream_arrives_then_it_is_transcribed(
    make_server: Any, asterisk: Any, bus: Any, recorded_audio: list[bytes]
) -> None:
    _, rec = bus
    server = await make_server(ScriptedRecognizer(["一", "二"]), max_streams=1)

    await asterisk.play(server.port, new_uuid(), recorded_audio[:20])
    await rec.wait_for(AsrStreamEnded)
    await asterisk.play(server.port, new_uuid(), recorded_audio[:20])
    ended = await rec.wait_for(AsrStreamEnded, 2)

    assert [e.text for e in ended] == ["一", "二"]
    assert rec.of(AsrOverloaded) == []


async def test_given_engine_far_behind_real_time_when_backlog_exceeds_limit_then_dropped_as_lagging(
    make_server: Any, asterisk: Any, bus: Any, recorded_audio: list[bytes]
) -> None:
    _, rec = bus
    server = await make_server(ScriptedRecognizer(["慢"], accept_delay_s=0.02), max_lag_s=0.2)

    result = await asterisk.play(server.port, new_uuid(), recorded_audio, pace_s=0.004)
    (ended,) = await rec.wait_for(AsrStreamEnded)

    assert rec.of(AsrOverloaded)[0].reason == "lagging"
    assert result.audio_frames_sent == 250 and ended.audio_s == 5.0
    assert ended.transcribed is False
    assert server.active_streams == 0


async def test_given_engine_fails_mid_stream_when_served_then_call_read_to_the_end_and_slot_freed(
    make_server: Any, asterisk: Any, bus: Any, recorded_audio: list[bytes]
) -> None:
    _, rec = bus
    server = await make_server(ScriptedRecognizer(["坏"], fail_after_ms=1000), max_streams=1)

    result = await asterisk.play(server.port, new_uuid(), recorded_audio)
    (ended,) = await rec.wait_for(AsrStreamEnded)

    assert result.audio_frames_sent == 250
    assert (ended.transcribed, ended.audio_s) == (False, 5.0)
    assert server.active_streams == 0


async def test_given_no_recognizer_when_stream_arrives_then_hung_up_at_once_so_the_dialplan_goes_on(
    make_server: Any, asterisk: Any, bus: Any, recorded_audio: list[bytes]
) -> None:
    _, rec = bus
    server = await make_server(None)

    result = await asterisk.play(server.port, new_uuid(), recorded_audio, pace_s=0.001)
    (ended,) = await rec.wait_for(AsrStreamEnded)

    assert result.server_hung_up
    assert result.audio_frames_sent < 250
    assert ended.transcribed is False


async def test_given_server_stopping_when_stream_is_live_then_hung_up_and_final_published(
    make_server: Any, asterisk: Any, bus: Any, pcm: Any
) -> None:
    _, rec = bus
    server = await make_server(ScriptedRecognizer(["再见"]))
    connected = asyncio.Event()
    call = asyncio.create_task(
        asterisk.play(server.port, new_uuid(), pcm.tone(60_000), pace_s=0.01, on_connected=connected)
    )
    await connected.wait()
    while server.active_streams < 1:
        await asyncio.sleep(0.005)

    await server.stop()
    result = await call
    (ended,) = await rec.wait_for(AsrStreamEnded)

    assert result.server_hung_up
    assert ended.reason is StreamEndReason.SERVER_STOPPED
    assert ended.text == "再见"


async def test_given_hang_up_requested_when_stream_is_live_then_asterisk_gets_0x00(
    make_server: Any, asterisk: Any, bus: Any, pcm: Any
) -> None:
    _, rec = bus
    server = await make_server(ScriptedRecognizer(["好"]))
    stream_id = new_uuid()
    connected = asyncio.Event()
    call = asyncio.create_task(
        asterisk.play(server.port, stream_id, pcm.tone(60_000), pace_s=0.01, on_connected=connected)
    )
    await connected.wait()
    while not await server.hang_up(stream_id):
        await asyncio.sleep(0.005)

    result = await call
    (ended,) = await rec.wait_for(AsrStreamEnded)

    assert [f.kind for f in result.received] == [FrameKind.HANGUP]
    assert ended.reason is StreamEndReason.EOF
    assert await server.hang_up(stream_id) is False


async def test_given_ivr_utterance_when_caller_falls_silent_then_stream_ended_and_text_returned(
    make_server: Any, asterisk: Any, bus: Any, pcm: Any
) -> None:
    _, rec = bus
    fake = ScriptedRecognizer(["南京市 鼓楼区"])
    server = await make_server(fake)
    stream_id = new_uuid()
    grammar = ["南京市", "鼓楼区", "玄武区"]

    answer = asyncio.create_task(
        recognize_utterance(
            server,
            stream_id,
            call_id=CallId("c-1"),
            grammar=grammar,
            endpointing=EndpointConfig(trailing_silence_ms=600),
        )
    )
    await asyncio.sleep(0)
    result = await asterisk.play(server.port, stream_id, pcm.tone(1000) + pcm.silence(5000), pace_s=0.001)
    text = await answer
    (ended,) = await rec.wait_for(AsrStreamEnded)

    assert text == "南京市 鼓楼区"
    assert result.server_hung_up
    assert result.audio_frames_sent == 80  # 1 s speech + 0.6 s silence, then Asterisk stops
    assert (ended.call_id, ended.reason) == ("c-1", StreamEndReason.ENDPOINT)
    assert fake.sessions[0].grammar == grammar
    assert fake.sessions[0].fed_bytes == 80 * 320


async def test_given_ivr_utterance_when_caller_says_nothing_then_empty_text(
    make_server: Any, asterisk: Any, pcm: Any
) -> None:
    server = await make_server(ScriptedRecognizer([""]))
    stream_id = new_uuid()

    answer = asyncio.create_task(
        recognize_utterance(
            server, stream_id, call_id=CallId("c-2"), endpointing=EndpointConfig(no_speech_timeout_s=1.0)
        )
    )
    await asyncio.sleep(0)
    result = await asterisk.play(server.port, stream_id, pcm.silence(5000), pace_s=0.001)

    assert await answer == ""
    assert result.audio_frames_sent == 50


async def test_given_all_slots_busy_when_ivr_asks_for_an_utterance_then_overloaded_error_and_hung_up(
    make_server: Any, asterisk: Any, pcm: Any
) -> None:
    server = await make_server(ScriptedRecognizer(["占线"]), max_streams=1)
    busy = asyncio.Event()
    tap_id = new_uuid()
    tap = asyncio.create_task(
        asterisk.play(server.port, tap_id, pcm.tone(60_000), pace_s=0.01, on_connected=busy)
    )
    await busy.wait()
    while server.active_streams < 1:
        await asyncio.sleep(0.005)
    stream_id = new_uuid()

    answer = asyncio.create_task(recognize_utterance(server, stream_id, call_id=CallId("c-3")))
    await asyncio.sleep(0)
    result = await asterisk.play(server.port, stream_id, pcm.tone(3000), pace_s=0.001)

    with pytest.raises(AsrOverloadedError) as caught:
        await answer
    assert isinstance(caught.value, ServiceOverloaded)
    assert result.server_hung_up
    await server.hang_up(tap_id)
    await tap


async def test_given_no_recognizer_when_ivr_asks_for_an_utterance_then_unavailable(make_server: Any) -> None:
    server = await make_server(None)

    with pytest.raises(AsrUnavailable):
        await recognize_utterance(server, new_uuid(), call_id=CallId("c-4"))


async def test_given_stream_never_arrives_when_waiting_for_an_utterance_then_timed_out(
    make_server: Any,
) -> None:
    server = await make_server(ScriptedRecognizer(["x"]))
    stream_id = new_uuid()

    with pytest.raises(UtteranceTimedOut):
        await recognize_utterance(server, stream_id, call_id=CallId("c-5"), timeout_s=0.05)
    assert stream_id not in server.registry


def test_given_unknown_uuid_when_resolved_then_the_uuid_is_the_call_id() -> None:
    registry = StreamRegistry()

    binding = registry.resolve(RECORDED_UUID.upper())

    assert binding.call_id == RECORDED_UUID
    assert binding.leg is Leg.CALLER


def test_given_registry_full_when_registering_then_the_oldest_is_dropped() -> None:
    registry = StreamRegistry(max_entries=2)
    ids = [new_uuid() for _ in range(3)]
    for i, stream_id in enumerate(ids):
        registry.register(stream_id, call_id=CallId(f"call-{i}"))

    assert [s in registry for s in ids] == [False, True, True]
    assert registry.resolve(ids[2]).call_id == "call-2"


def test_given_non_uuid_when_registering_then_value_error() -> None:
    with pytest.raises(ValueError):
        StreamRegistry().register("not-a-uuid", call_id=CallId("x"))


def test_given_asr_events_when_sent_over_the_wire_then_they_come_back_equal() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 11, 21, 22, 12, 42, tzinfo=UTC)
    events = [
        TranscriptSegment(
            at=at,
            call_id=CallId("c"),
            stream_id=RECORDED_UUID,
            leg=Leg.CALLER,
            text="你好",
            start_s=0.0,
            end_s=1.2,
            final=True,
            seq=1,
            seat_id=SeatId("1001"),
        ),
        AsrOverloaded(
            at=at,
            call_id=CallId("c"),
            stream_id=RECORDED_UUID,
            leg=Leg.SEAT,
            reason="no_slot",
            active_streams=4,
            limit=4,
        ),
        AsrStreamEnded(
            at=at,
            call_id=CallId("c"),
            stream_id=RECORDED_UUID,
            leg=Leg.CALLER,
            reason=StreamEndReason.ENDPOINT,
            audio_s=3.2,
            segments=2,
            transcribed=True,
            text="你好",
            lag_p95_ms=40.0,
        ),
    ]

    assert [from_wire(to_wire(e)) for e in events] == events


async def _silent_peer(port: int, stream_id: str) -> list[Any]:
    """A connection that sends its uuid and then nothing; returns what the server sent until it
    closed the socket."""
    from asr.audiosocket_codec import FrameDecoder, encode_uuid

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(encode_uuid(stream_id))
    await writer.drain()
    received = []
    decoder = FrameDecoder()
    while data := await reader.read(4096):
        received.extend(decoder.feed(data))
    writer.close()
    return received


async def test_given_silent_connections_holding_every_slot_when_the_idle_limit_passes_then_slots_free_and_a_real_stream_is_recognised(
    make_server: Any, asterisk: Any, bus: Any, recorded_audio: list[bytes]
) -> None:
    _, rec = bus
    server = await make_server(
        ScriptedRecognizer(["您好 我想 咨询"]), max_streams=2, idle_timeout_s=0.3, drain_timeout_s=0.2
    )
    silent = [new_uuid(), new_uuid()]
    peers = [asyncio.create_task(_silent_peer(server.port, sid)) for sid in silent]
    while server.active_streams < 2:
        await asyncio.sleep(0.005)
    # While they hold both slots, a real stream cannot be recognised.
    turned_away = new_uuid()
    await asterisk.play(server.port, turned_away, recorded_audio[:10])
    (overloaded,) = await rec.wait_for(AsrOverloaded)
    assert (overloaded.stream_id, overloaded.reason) == (turned_away, "no_slot")

    received = await asyncio.wait_for(asyncio.gather(*peers), 10)
    ended = {e.stream_id: e for e in await rec.wait_for(AsrStreamEnded, 3)}
    assert server.active_streams == 0
    for sid, frames in zip(silent, received, strict=True):
        assert ended[sid].reason is StreamEndReason.IDLE_TIMEOUT and ended[sid].audio_s == 0
        # The peer got our 0x00: Asterisk leaves AudioSocket() and the call goes on.
        assert [f.kind for f in frames] == [FrameKind.HANGUP]

    real = new_uuid()
    result = await asterisk.play(server.port, real, recorded_audio)
    (last,) = [e for e in await rec.wait_for(AsrStreamEnded, 4) if e.stream_id == real]
    assert last.transcribed and last.text == "您好 我想 咨询" and last.reason is StreamEndReason.HANGUP
    assert not result.server_hung_up and len(rec.of(AsrOverloaded)) == 1


async def test_given_a_stream_longer_than_the_maximum_when_served_then_it_is_ended_and_its_slot_freed(
    make_server: Any, asterisk: Any, bus: Any, recorded_audio: list[bytes]
) -> None:
    _, rec = bus
    server = await make_server(ScriptedRecognizer(["前半段"]), max_streams=1, max_stream_s=0.3)
    # 250 frames paced at 5 ms: well over 0.3 s of wire time, with audio arriving all along.
    result = await asterisk.play(server.port, new_uuid(), recorded_audio, pace_s=0.005)
    (ended,) = await rec.wait_for(AsrStreamEnded)

    assert ended.reason is StreamEndReason.MAX_DURATION
    assert result.server_hung_up and result.audio_frames_sent < len(recorded_audio)
    assert ended.transcribed and ended.text == "前半段"  # what was heard is kept
    assert server.active_streams == 0


def test_given_non_positive_limits_when_building_the_server_then_refused() -> None:
    from asr.audiosocket import AudioSocketServer
    from core.bus import EventBus

    with pytest.raises(ValueError):
        AudioSocketServer(EventBus(), None, idle_timeout_s=0)
    with pytest.raises(ValueError):
        AudioSocketServer(EventBus(), None, max_stream_s=-1)
