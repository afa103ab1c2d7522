"""Speech recognition in a process of its own (`--role speech`, asr/remote.py) on a real Asterisk 22.

The application runs with `HOTLINE_ASR__REMOTE=true`: it opens no AudioSocket server; the
rendered dialplan's IVR EXECs AudioSocket to the speech process's address. The speech process is
built here as `hotline serve --role speech` builds its speech side (`SpeechServer` with the
Redis directory, its heartbeat, the Whisper engine) on an event bus of its own, sharing only Redis
with the application, as another host would. A pyVoIP caller keys 4 (就近服务点查询) and says a
committed address clip into the call (μ-law over RTP, through Asterisk's AudioSocket to the speech
process); the IVR must get the speech process's text and resolve the caller's district from it.
"""

from __future__ import annotations

import asyncio
import struct
import uuid
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from realpbx_app import Hotline, until
from realpbx_asterisk import CALLER
from realpbx_phones import CallState

from asr.remote import WorkerDirectory, WorkerHeartbeat
from asr.settings import AsrSettings, AudioSocketSettings
from asr.speech import SpeechServer
from core.asr_events import AsrStreamEnded
from core.bus import EventBus
from core.clock import SystemClock
from core.events import DomainEvent
from core.ivr_events import IvrRouted
from pbx.sim import DEFAULT_AUDIO_DIR
from store.redis_mailbox import RedisMailbox
from tests.conftest import REDIS_URL

REPO = Path(__file__).resolve().parents[2]
CLIP = "address-03-xuhui-tianlin.wav"  # 我在徐汇区田林街道
XUHUI = "310104"
CHANNEL = f"hotline:test-realpbx-speech:{uuid.uuid4().hex}"


@pytest.fixture
def hotline_overrides(redis_url: str) -> dict[str, Any]:
    return {"asr": {"remote": True}, "redis": {"url": redis_url, "channel": CHANNEL}}


@pytest.fixture
async def speech_process(hotline: Hotline) -> AsyncIterator[tuple[SpeechServer, list[DomainEvent]]]:
    model = REPO / "models" / "faster-whisper-base"
    if not (model / "model.bin").is_file():
        pytest.skip(f"Whisper 模型不可用（make install 安装）：{model}")
    bus, heard = EventBus(), []

    async def keep(event: DomainEvent) -> None:
        heard.append(event)

    bus.subscribe("test-speech-process", keep)
    await bus.start()
    mailbox = RedisMailbox(REDIS_URL, prefix=f"{CHANNEL}:asr")
    await mailbox.start()
    sock = AudioSocketSettings(host="127.0.0.1", port=hotline.pbx.ports.audiosocket)
    asr = AsrSettings(engine="whisper", whisper_model_path=str(model), post_call=False)
    server = SpeechServer(bus, asr, sock, SystemClock(), directory=WorkerDirectory(mailbox))
    await server.start()
    beat = WorkerHeartbeat(mailbox, lambda: server.server)
    await beat.start()
    try:
        yield server, heard
    finally:
        await beat.stop()
        await server.stop()
        await mailbox.stop()
        await bus.stop()


def address_audio(clip: str) -> bytes:
    """The clip as pyVoIP writes audio: 8 kHz, 8-bit unsigned (silence 0x80)."""
    with wave.open(str(DEFAULT_AUDIO_DIR / clip), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        frames = w.readframes(w.getnframes())
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    return bytes((s >> 8) + 128 for s in samples)


async def test_the_ivr_hears_the_callers_address_through_a_speech_process_on_a_real_asterisk(
    hotline: Hotline, speech_process: tuple[SpeechServer, list[DomainEvent]]
) -> None:
    h = hotline
    server, heard = speech_process
    routed: list[IvrRouted] = []

    async def note(event: DomainEvent) -> None:
        if isinstance(event, IvrRouted):
            routed.append(event)

    h.runtime.bus.subscribe("test-routed", note, types=(IvrRouted,))
    speech = h.runtime.speech
    await until(lambda: bool(speech.recognising), 15, "the speech process's heartbeat")
    assert h.runtime.settings.audiosocket.port == server.server.port  # Asterisk connects there

    caller = await h.phone(CALLER)
    call = await asyncio.to_thread(caller.dial, "12348")
    await asyncio.sleep(2.0)
    call.press("4")  # 就近公共法律服务点查询: the IVR asks for the address
    await asyncio.to_thread(call.wait_keys_sent)
    # Asterisk's AudioSocket reaches the speech process, which found the application's entry.
    assert server.server is not None
    await until(lambda: server.server.active_streams > 0, 20, "Asterisk's AudioSocket stream")
    await asyncio.to_thread(call.write_audio, address_audio(CLIP) + bytes([128]) * 8000 * 3)

    await until(lambda: any(isinstance(e, AsrStreamEnded) for e in heard), 60, "the utterance to end")
    ended = next(e for e in heard if isinstance(e, AsrStreamEnded))
    assert "徐汇" in ended.text, ended
    # The IVR resolved the district from that text and reads back the office: confirm with 1.
    await asyncio.sleep(2.0)
    call.press("1")
    await asyncio.to_thread(call.wait_keys_sent)
    await until(lambda: bool(routed), 60, "the IVR to route the caller")
    assert routed[0].district_code == XUHUI, routed[0]
    assert "徐汇" in routed[0].spoken_address
    if call.state is CallState.ANSWERED:  # the IVR may have ended the call after the read-back
        await asyncio.to_thread(call.hangup)
