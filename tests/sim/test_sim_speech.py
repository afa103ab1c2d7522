"""Simulated callers speak over real AudioSocket connections: the live-transcript tap (AMI Originate
of Local/tap@asr-tap running AudioSocket, ChanSpy on ${SPY}) and the IVR's EXEC AudioSocket.

A tiny AudioSocket server (asyncio, real socket) written here receives the streams; the AMI side
is a bare client on a real socket; the IVR is a fake FastAGI server. Time-scaled.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import random
import re
import struct
import sys
import uuid
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pbx.sim import (
    DEFAULT_AUDIO_DIR,
    AgiTarget,
    CallerSpec,
    Dist,
    PhoneConfig,
    SimulatorConfig,
    VoiceLibrary,
    run_simulator,
)
from pbx.sim.scenarios import INCOMING as TRACE_INCOMING
from pbx.sim.scenarios import TRACE_CONF
from pbx.sim.simulator import Simulator
from pbx.sim.voice import FRAME_BYTES, frames_of
from tests.support.polling import until

_spec = importlib.util.spec_from_file_location("sim_helpers", Path(__file__).with_name("sim_helpers.py"))
assert _spec is not None and _spec.loader is not None
helpers = sys.modules.get("sim_helpers") or importlib.util.module_from_spec(_spec)
if "sim_helpers" not in sys.modules:
    sys.modules["sim_helpers"] = helpers
    _spec.loader.exec_module(helpers)

SHORT_SPEECH = "speech-fireredasr-BAC009S0764W0121.wav"  # 4.2 s: a 7 s call loops it
ADDRESS = "address-03-xuhui-tianlin.wav"


def wav_pcm(name: str) -> bytes:
    with wave.open(str(DEFAULT_AUDIO_DIR / name), "rb") as w:
        return w.readframes(w.getnframes())


class Stream:
    """What one AudioSocket connection delivered."""

    def __init__(self) -> None:
        self.frames: list[tuple[int, bytes]] = []
        self.eof = asyncio.Event()
        self.sent_hangup_after: int | None = None  # audio frames received when 0x00 went out

    @property
    def audio(self) -> list[bytes]:
        return [p for k, p in self.frames if k == 0x10]


class AudioSocketServer:
    """Records every stream; sends 0x00 after `hangup_after` audio frames when set."""

    def __init__(self, hangup_after: int | None = None) -> None:
        self.hangup_after = hangup_after
        self.streams: list[Stream] = []
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._arrived = asyncio.Event()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def first_stream(self, within_s: float = 5.0) -> Stream:
        await asyncio.wait_for(self._arrived.wait(), within_s)
        return self.streams[0]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stream = Stream()
        self.streams.append(stream)
        self._arrived.set()
        try:
            while True:
                kind, length = struct.unpack(">BH", await reader.readexactly(3))
                stream.frames.append((kind, await reader.readexactly(length) if length else b""))
                if kind == 0x00:
                    break
                n = len(stream.audio)
                if self.hangup_after is not None and n == self.hangup_after:
                    stream.sent_hangup_after = n
                    writer.write(b"\x00\x00\x00")
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            stream.eof.set()
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


def expected_speech(pcm: bytes, gap_s: float = 1.0) -> bytes:
    cycle = frames_of(pcm) + [bytes(FRAME_BYTES)] * round(gap_s / 0.02)
    return b"".join(itertools.islice(itertools.cycle(cycle), 3 * len(cycle)))


def events(client: object, name: str) -> list[dict[str, str]]:
    return [dict(m) for m in client.messages if dict(m).get("Event") == name]  # type: ignore[attr-defined]


def originate_tap(
    action_id: str, spy: str, port: int, stream_id: str, channel: str = "Local/tap@asr-tap"
) -> list[tuple[str, str]]:
    return [
        ("Action", "Originate"),
        ("ActionID", action_id),
        ("Channel", channel),
        ("Application", "AudioSocket"),
        ("Data", f"{stream_id},127.0.0.1:{port}"),
        ("Variable", f"SPY={spy}"),
        ("Async", "true"),
    ]


@pytest.fixture
async def audio() -> AsyncIterator[AudioSocketServer]:
    server = AudioSocketServer()
    await server.start()
    yield server
    await server.stop()


async def _sim(**overrides: object) -> Simulator:
    settings: dict[str, object] = {
        "ami_port": 0,
        "time_scale": 10.0,
        "seats": (PhoneConfig("1001", answer_delay=Dist.fixed(0.5)),),
        # The recorded traces' dialplan: its 12349 streams the caller over AudioSocket.
        "asterisk_conf": TRACE_CONF,
        "incoming_context": TRACE_INCOMING,
        **overrides,
    }
    return await run_simulator(SimulatorConfig(**settings))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------- the tap
async def test_given_caller_talking_to_seat_when_tap_originated_then_server_hears_caller_until_hangup(
    audio: AudioSocketServer,
) -> None:
    sim = await _sim()
    sim.pbx.add_member("q-general", "PJSIP/1001", "seat-1001", "PJSIP/1001", 0)
    client = await helpers.AmiClient.connect(sim.port)
    try:
        await client.login()
        sim.place_call(CallerSpec("caller1", "13800000001", talk_time=7.0, speech=SHORT_SPEECH))
        await until(lambda: any(c.bridge is not None for c in sim.pbx.channels), timeout=5.0)
        caller = next(c for c in sim.pbx.channels if c.endpoint == "caller1")
        stream_id = str(uuid.uuid4())
        start = len(client.messages)

        client.send(originate_tap("tap1", caller.name, audio.port, stream_id))
        stream = await audio.first_stream()
        await asyncio.wait_for(stream.eof.wait(), 5.0)
        assert await client.wait_until(lambda: len(events(client, "Hangup")) >= 4)

        replies = [dict(m) for m in client.messages[start:] if dict(m).get("ActionID") == "tap1"]
        assert replies[0] == {
            "Response": "Success",
            "ActionID": "tap1",
            "Message": "Originate successfully queued",
        }
        (outcome,) = events(client, "OriginateResponse")
        assert outcome["ActionID"] == "tap1" and outcome["Response"] == "Success"
        assert re.fullmatch(r"Local/tap@asr-tap-[0-9a-f]{8};1", outcome["Channel"])
        half = outcome["Channel"][:-1]
        assert [e["Channel"] for e in events(client, "Newchannel") if e["Channel"].startswith(half)] == [
            half + "1",
            half + "2",
        ]
        hangups = [e["Channel"] for e in events(client, "Hangup")]
        assert hangups.index(caller.name) < hangups.index(half + "2") < hangups.index(half + "1")
        assert events(client, "ChanSpyStart")[0]["SpyeeChannel"] == caller.name
        # The stream: the UUID first, then 320-byte audio frames of the caller's recording
        # (looped after a 1 s pause), and the socket closed without a 0x00.
        assert stream.frames[0] == (0x01, uuid.UUID(stream_id).bytes)
        assert {k for k, _ in stream.frames[1:]} == {0x10}
        assert {len(p) for p in stream.audio} == {FRAME_BYTES}
        heard = b"".join(stream.audio)
        pcm = wav_pcm(SHORT_SPEECH)
        assert len(heard) > len(pcm) + 50 * FRAME_BYTES  # longer than one play: it looped
        assert heard == expected_speech(pcm)[: len(heard)]
        # It lasted as long as the call: from OriginateResponse to the caller's hangup (less the
        # connect time, which a loaded machine stretches), and not a frame longer.
        caller_gone = next(e for e in events(client, "Hangup") if e["Channel"] == caller.name)
        span = float(caller_gone["Timestamp"]) - float(outcome["Timestamp"])
        assert 0.85 * span / 0.02 <= len(stream.audio) <= span / 0.02 + 2
    finally:
        await client.close()
        await sim.stop()


async def test_given_server_sends_hangup_when_tapping_then_tap_ends_and_caller_stays(
    audio: AudioSocketServer,
) -> None:
    audio.hangup_after = 25
    sim = await _sim(audiosocket=None)
    client = await helpers.AmiClient.connect(sim.port)
    try:
        await client.login()
        sim.place_call(CallerSpec("caller1", "13800000001", exten="12349", talk_time=60.0))
        await until(lambda: bool(sim.pbx.channels), timeout=5.0)
        caller = sim.pbx.channels[0]

        client.send(originate_tap("tap2", caller.name, audio.port, str(uuid.uuid4())))
        stream = await audio.first_stream()
        await asyncio.wait_for(stream.eof.wait(), 5.0)
        assert await client.wait_until(lambda: len(events(client, "Hangup")) >= 2)

        assert stream.sent_hangup_after == 25
        # Only what was already in flight follows the 0x00 (ignoring it would stream for 60 s:
        # 3000 frames; the slack covers catch-up bursts on a loaded machine).
        assert len(stream.audio) <= 25 + 40
        assert sorted(e["Channel"][-2:] for e in events(client, "Hangup")) == [";1", ";2"]
        assert [c.name for c in sim.pbx.channels] == [caller.name]
    finally:
        await client.close()
        await sim.stop()


@pytest.mark.parametrize(
    ("channel", "spy"),
    [
        ("Local/tap@asr-tap", "PJSIP/nobody-000000ff"),  # no such channel to spy on
        ("Local/tap@not-a-tap", "<the caller>"),  # a Local channel that is not a tap
    ],
)
async def test_given_no_spied_channel_or_no_tap_context_when_originate_then_failure_and_no_connection(
    audio: AudioSocketServer, channel: str, spy: str
) -> None:
    sim = await _sim(audiosocket=None)
    client = await helpers.AmiClient.connect(sim.port)
    try:
        await client.login()
        sim.place_call(CallerSpec("caller1", "13800000001", exten="12349", talk_time=60.0))
        await until(lambda: bool(sim.pbx.channels), timeout=5.0)
        if spy == "<the caller>":
            spy = sim.pbx.channels[0].name

        client.send(originate_tap("tap3", spy, audio.port, str(uuid.uuid4()), channel=channel))
        assert await client.wait_until(lambda: bool(events(client, "OriginateResponse")))
        await asyncio.sleep(0.2)

        replies = [dict(m) for m in client.messages if dict(m).get("ActionID") == "tap3"]
        assert replies[0]["Response"] == "Success"
        (outcome,) = events(client, "OriginateResponse")
        assert outcome["ActionID"] == "tap3" and outcome["Response"] == "Failure"
        assert audio.streams == []
        assert not [e for e in events(client, "Newchannel") if e["Channel"].startswith("Local/")]
    finally:
        await client.close()
        await sim.stop()


# --------------------------------------------------------------------------- EXEC AudioSocket (IVR)
async def _exec_audiosocket(audio: AudioSocketServer, **overrides: object) -> tuple[str, Stream, str]:
    stream_id = str(uuid.uuid4())
    fake = helpers.FakeAgiServer([f"EXEC AudioSocket {stream_id},127.0.0.1:{audio.port}"])
    await fake.start()
    config = {"time_scale": 10.0, "agi": AgiTarget("127.0.0.1", fake.port, "ivr"), **overrides}
    sim = await _sim(**config)
    try:
        sim.place_call(CallerSpec("caller1", "13800000001", address=ADDRESS, patience=1.0))
        await until(lambda: bool(fake.replies), timeout=10.0)
        stream = await audio.first_stream()
        await asyncio.wait_for(stream.eof.wait(), 5.0)
        return fake.replies[0], stream, stream_id
    finally:
        await sim.stop()
        await fake.stop()


async def test_given_ivr_exec_audiosocket_when_server_sends_hangup_then_address_streamed_and_result_minus_1(
    audio: AudioSocketServer,
) -> None:
    utterance = frames_of(wav_pcm(ADDRESS))
    audio.hangup_after = len(utterance) + 25  # the address, then 0.5 s of silence: endpointing

    reply, stream, stream_id = await _exec_audiosocket(audio)

    assert reply == "200 result=-1"
    assert stream.frames[0] == (0x01, uuid.UUID(stream_id).bytes)
    assert {len(p) for p in stream.audio} == {FRAME_BYTES}
    assert stream.audio[: len(utterance)] == utterance
    assert set(stream.audio[len(utterance) :]) == {bytes(FRAME_BYTES)}
    assert stream.sent_hangup_after == len(utterance) + 25
    assert len(stream.audio) <= len(utterance) + 25 + 40  # it stopped at the 0x00, not at 15 s (750)


@pytest.mark.parametrize("say_address", [True, False])
async def test_given_server_never_hangs_up_when_exec_audiosocket_then_gives_up_after_15_s(
    audio: AudioSocketServer, say_address: bool
) -> None:
    reply, stream, _ = await _exec_audiosocket(audio, time_scale=50.0, callers_say_address=say_address)

    assert reply == "200 result=-1"
    assert abs(len(stream.audio) - 750) <= 2  # 15 s of 20 ms frames
    assert 0x00 not in {k for k, _ in stream.frames}  # the simulator just closes
    utterance = frames_of(wav_pcm(ADDRESS))
    said = stream.audio[: len(utterance)]
    assert (said == utterance) is say_address
    if not say_address:
        assert set(stream.audio) == {bytes(FRAME_BYTES)}


# ------------------------------------------------------------------------ AudioSocket on 12349
async def test_given_dialplan_audiosocket_when_caller_talks_then_speech_then_hangup_frame(
    audio: AudioSocketServer,
) -> None:
    sim = await _sim(audiosocket=("127.0.0.1", audio.port), time_scale=20.0)
    try:
        sim.place_call(
            CallerSpec("caller1", "13800000001", exten="12349", talk_time=2.0, speech=SHORT_SPEECH)
        )
        stream = await audio.first_stream()
        await asyncio.wait_for(stream.eof.wait(), 5.0)
    finally:
        await sim.stop()

    assert stream.frames[-1] == (0x00, b"")
    assert abs(len(stream.audio) - 100) <= 2
    assert b"".join(stream.audio) == wav_pcm(SHORT_SPEECH)[: 100 * FRAME_BYTES][: len(stream.audio) * 320]


# --------------------------------------------------------------------------------- the voices
async def test_given_same_seed_when_callers_placed_then_same_voices_drawn_from_packaged_files() -> None:
    async def voices(**overrides: object) -> list[tuple[str, str] | None]:
        sim = await _sim(audiosocket=None, seed=7, **overrides)
        try:
            for i in range(6):
                sim.place_call(CallerSpec(f"c{i}", f"1380000000{i}", exten="12349", talk_time=60.0))
            await until(lambda: len(sim.pbx.channels) == 6, timeout=5.0)
            return [(c.voice.speech, c.voice.address) if c.voice else None for c in sim.pbx.channels]
        finally:
            await sim.stop()

    first, second, silent = await voices(), await voices(), await voices(audio_dir=None)

    library = VoiceLibrary(DEFAULT_AUDIO_DIR)
    assert first == second
    assert all(v is not None for v in first)
    assert {v[0] for v in first if v} <= set(library.speech_files)
    assert {v[1] for v in first if v} <= set(library.address_files)
    assert len(set(first)) > 1
    assert silent == [None] * 6
    assert library.draw(random.Random(7)) == library.draw(random.Random(7))


def test_given_packaged_audio_then_small_8k_mono_16bit_wavs_with_texts() -> None:
    library = VoiceLibrary(DEFAULT_AUDIO_DIR)
    wavs = sorted(DEFAULT_AUDIO_DIR.glob("*.wav"))

    assert len(library.speech_files) == 6
    assert 6 <= len(library.address_files) <= 10
    assert sum(p.stat().st_size for p in wavs) < 1_500_000
    for path in wavs:
        with wave.open(str(path), "rb") as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2), path.name
            assert w.getnframes() > 8000, path.name
    texts = library.address_texts()
    assert sorted(texts) == library.address_files
    assert all("区" in t for t in texts.values())
    assert (DEFAULT_AUDIO_DIR / "README.md").is_file()


async def test_given_a_listener_when_the_caller_says_the_address_then_it_hears_the_scripts_text_for_that_stream(
    audio: AudioSocketServer,
) -> None:
    heard: list[tuple[str, str]] = []
    stream_id = str(uuid.uuid4())
    fake = helpers.FakeAgiServer([f"EXEC AudioSocket {stream_id},127.0.0.1:{audio.port}"])
    await fake.start()
    sim = await _sim(time_scale=10.0, agi=AgiTarget("127.0.0.1", fake.port, "ivr"))
    sim.pbx.address_listeners.append(lambda sid, text: heard.append((sid, text)))
    try:
        sim.place_call(CallerSpec("caller1", "13800000001", address=ADDRESS, patience=1.0))
        await until(lambda: bool(fake.replies), timeout=10.0)
    finally:
        await sim.stop()
        await fake.stop()

    assert heard == [(stream_id, VoiceLibrary(DEFAULT_AUDIO_DIR).address_texts()[ADDRESS])]
    assert heard[0][1] == "我在徐汇区田林街道"


async def test_given_keys_pressed_during_prompts_then_only_a_prompts_escape_digits_take_one(
    audio: AudioSocketServer,
) -> None:
    # The IVR's address step: "say your address" takes no key, the office read back takes 0/1/2,
    # so a caller keying 1 keeps it for the read-back, as with Asterisk's STREAM FILE.
    fake = helpers.FakeAgiServer(['STREAM FILE hotline/address_ask ""', 'STREAM FILE hotline/office "012"'])
    await fake.start()
    sim = await _sim(time_scale=10.0, agi=AgiTarget("127.0.0.1", fake.port, "ivr"))
    try:
        sim.place_call(CallerSpec("caller1", "13800000001", dtmf="1", patience=1.0))
        await until(lambda: len(fake.replies) == 2, timeout=10.0)
    finally:
        await sim.stop()
        await fake.stop()

    assert fake.replies == ["200 result=0 endpos=8000", f"200 result={ord('1')} endpos=8000"]
