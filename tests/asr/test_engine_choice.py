"""Which recogniser the speech server runs (asr.speech.load_recognizer) and what a whole-utterance
engine changes: the status line, and no live-transcript tap (Whisper cannot stream)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from asr import speech
from asr.settings import AsrSettings
from asr.speech import LiveTranscriptTap, LocalTapStreams, SpeechServer, load_recognizer
from asr.vosk_engine import VoskRecognizer
from core.bus import EventBus
from core.call_events import CallAnswered
from core.clock import SystemClock
from core.errors import ConfigurationError
from core.ids import CallId, SeatId


class StubWhisper:
    streaming = False

    def new_session(self, sample_rate: int, grammar: list[str] | None = None) -> Any:
        raise AssertionError("not used")


@pytest.fixture
def stub_whisper(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """WhisperRecognizer.aload replaced: records the path it was asked for, returns a stub."""
    asked: list[str | None] = []

    async def aload(model_path: str | None, **options: Any) -> StubWhisper:
        asked.append(model_path)
        return StubWhisper()

    monkeypatch.setattr(speech.WhisperRecognizer, "aload", aload)
    return asked


async def test_given_auto_and_no_vosk_model_when_loading_then_whisper_is_the_engine(
    stub_whisper: list[str | None], tmp_path: Path
) -> None:
    settings = AsrSettings(engine="auto", model_path=str(tmp_path / "no-vosk"), whisper_model_path="w")
    assert isinstance(await load_recognizer(settings), StubWhisper)
    assert stub_whisper == ["w"]


async def test_given_auto_and_a_vosk_model_when_loading_then_vosk_stays_the_engine(
    stub_whisper: list[str | None], korean_model_dir: Path
) -> None:
    settings = AsrSettings(engine="auto", model_path=str(korean_model_dir))
    assert isinstance(await load_recognizer(settings), VoskRecognizer)
    assert stub_whisper == []


async def test_given_vosk_only_when_its_model_is_missing_then_whisper_is_not_tried(
    stub_whisper: list[str | None], tmp_path: Path
) -> None:
    settings = AsrSettings(engine="vosk", model_path=str(tmp_path / "no-vosk"))
    with pytest.raises(ConfigurationError, match="Vosk 模型目录不存在"):
        await load_recognizer(settings)
    assert stub_whisper == []


async def test_given_auto_and_no_model_at_all_when_loading_then_both_reasons_are_given(
    tmp_path: Path,
) -> None:
    settings = AsrSettings(
        engine="auto", model_path=str(tmp_path / "no-vosk"), whisper_model_path=str(tmp_path / "no-whisper")
    )
    with pytest.raises(ConfigurationError) as err:
        await load_recognizer(settings)
    assert "Vosk 模型目录不存在" in err.value.message and "Whisper 模型不存在" in err.value.message


async def test_given_a_whisper_model_that_fails_its_checksum_when_loading_then_the_status_says_so(
    tmp_path: Path,
) -> None:
    model = tmp_path / "whisper"
    model.mkdir()
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        (model / name).write_bytes(b"{}")
    server = SpeechServer(
        EventBus(),
        AsrSettings(engine="whisper", whisper_model_path=str(model)),
        SimpleNamespace(host="127.0.0.1", port=0),  # type: ignore[arg-type]
        SystemClock(),
    )
    await server.start()
    try:
        up, detail = server.probe()
        assert not up and "大小不符" in detail  # ASR down with the reason; the server still runs
        assert server.capture(["黄浦区"]) is None  # the IVR falls back to keys
    finally:
        await server.stop()


async def test_given_whisper_as_the_engine_when_the_server_starts_then_the_status_says_whole_utterances(
    stub_whisper: list[str | None], tmp_path: Path
) -> None:
    server = SpeechServer(
        EventBus(),
        AsrSettings(engine="whisper"),
        SimpleNamespace(host="127.0.0.1", port=0),  # type: ignore[arg-type]
        SystemClock(),
    )
    await server.start()
    try:
        up, detail = server.probe()
        assert up and "整句识别" in detail and "无实时转写" in detail
        assert server.capture(["黄浦区"]) is not None  # the IVR's spoken address uses it
    finally:
        await server.stop()


class RecordingControl:
    def __init__(self) -> None:
        self.originated: list[str] = []

    async def originate(self, channel: str, **kwargs: Any) -> None:
        self.originated.append(channel)


@pytest.mark.parametrize(("streaming", "taps"), [(True, 1), (False, 0)])
async def test_given_an_answered_call_when_the_engine_cannot_stream_then_no_live_tap(
    streaming: bool, taps: int
) -> None:
    recognizer = SimpleNamespace(streaming=streaming)
    registry = SimpleNamespace(register=lambda *a, **k: None)
    server = SimpleNamespace(recognizer=recognizer, registry=registry)
    control = RecordingControl()
    calls = {CallId("c1"): SimpleNamespace(channel="PJSIP/caller-1")}
    tracker = SimpleNamespace(calls=calls, call=calls.get)
    tap = LiveTranscriptTap(
        bus=EventBus(),
        control=control,  # type: ignore[arg-type]
        tracker=tracker,  # type: ignore[arg-type]
        streams=LocalTapStreams(server, "127.0.0.1:9092"),  # type: ignore[arg-type]
    )
    event = CallAnswered(
        at=datetime.now(UTC),
        call_id=CallId("c1"),
        seat_id=SeatId("s1"),
        interface="",
        queue="q",
        wait_seconds=1.0,
    )
    await tap.handle(event)
    assert len(control.originated) == taps and tap.started == taps


class ScriptedCapture:
    """A capture that answers `text` after `delay_s` and remembers whether it was cancelled."""

    def __init__(self, text: str | None, delay_s: float = 0.0) -> None:
        self.text, self.delay_s = text, delay_s
        self.cancelled = False
        self.asked: list[str] = []

    def expect(self, stream_id: str) -> Any:
        self.asked.append(stream_id)

        async def answer() -> str | None:
            try:
                await asyncio.sleep(self.delay_s)
            except asyncio.CancelledError:
                self.cancelled = True
                raise
            return self.text

        return answer()


async def test_given_no_recogniser_when_a_capture_is_asked_with_a_fallback_then_the_fallback_itself(
    tmp_path: Path,
) -> None:
    server = SpeechServer(
        EventBus(),
        AsrSettings(engine="vosk", model_path=str(tmp_path / "none")),
        SimpleNamespace(host="127.0.0.1", port=0),  # type: ignore[arg-type]
        SystemClock(),
    )
    await server.start()
    try:
        script = ScriptedCapture("脚本")
        assert server.capture(["黄浦区"], fallback=script) is script
        assert server.capture(["黄浦区"]) is None
    finally:
        await server.stop()


def test_given_a_recogniser_when_a_capture_is_asked_with_a_fallback_then_only_the_recogniser_is_heard(
    tmp_path: Path,
) -> None:
    """The demo's scripted addresses never stand in for what a running recogniser did not make
    out: such a caller goes to the keypad district menu, as a real one would."""
    from asr.speech import AsrSpeechCapture

    server = SpeechServer(
        EventBus(),
        AsrSettings(engine="vosk", model_path=str(tmp_path / "none")),
        SimpleNamespace(host="127.0.0.1", port=0),  # type: ignore[arg-type]
        SystemClock(),
    )
    server.server = SimpleNamespace(recognizer=object())  # type: ignore[assignment]
    capture = server.capture(["黄浦区"], fallback=ScriptedCapture("脚本"))
    assert isinstance(capture, AsrSpeechCapture)
