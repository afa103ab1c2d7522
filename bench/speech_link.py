"""What a speech process of its own costs the IVR (issue 21's layout, `asr/remote.py`): the time
from the end of a caller's utterance (the server's 0x00) to the IVR holding its text, with the
AudioSocket server in the same process (`AsrSpeechCapture`) and in a speech process reached
through Redis (`RemoteCapture`: the registration before Asterisk connects, the speech process's
look-up of it, the text back on a Redis list). The recogniser is the scripted fake, so the
figures are the link's own cost, not decoding; the fake Asterisk speaks 0.6 s of tone and silence
as fast as the socket takes it.

    PYTHONPATH=$PWD .venv/bin/python bench/speech_link.py [--redis redis://127.0.0.1:6379/0] [--n 200]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import time
import uuid
from array import array

from asr.audiosocket import AudioSocketServer
from asr.audiosocket_codec import FrameDecoder, FrameKind, encode_audio, encode_uuid
from asr.fake import ScriptedRecognizer
from asr.remote import RemoteSpeech, WorkerDirectory, WorkerHeartbeat
from asr.speech import AsrSpeechCapture
from core.bus import EventBus
from store.redis_mailbox import RedisMailbox


def _frames() -> list[bytes]:
    tone = array("h", (int(8000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(160)))
    return [tone.tobytes()] * 20 + [bytes(320)] * 60  # 0.4 s of speech, then silence


async def _speak(port: int, stream_id: str, frames: list[bytes]) -> float:
    """Play until the server hangs up (its endpointing); the time of that 0x00."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(encode_uuid(stream_id))
    for pcm in frames:
        writer.write(encode_audio(pcm))
    await writer.drain()
    decoder, at = FrameDecoder(), 0.0
    while data := await reader.read(4096):
        if any(f.kind is FrameKind.HANGUP for f in decoder.feed(data)) and not at:
            at = time.perf_counter()
            break
    writer.close()
    return at


async def _run(capture: object, port: int, n: int) -> list[float]:
    frames, lags = _frames(), []
    for _ in range(n):
        stream_id = str(uuid.uuid4())
        heard = capture.expect(stream_id)  # type: ignore[attr-defined]
        ended = await _speak(port, stream_id, frames)
        text = await asyncio.wait_for(heard, 10)
        assert text, "nothing recognised"
        lags.append((time.perf_counter() - ended) * 1000)
    return lags


def _line(name: str, lags: list[float]) -> str:
    q = statistics.quantiles(lags, n=100)
    return f"{name}: p50 {statistics.median(lags):.1f} ms, p99 {q[98]:.1f} ms ({len(lags)} utterances)"


async def main(redis_url: str, n: int) -> None:
    bus = EventBus()
    await bus.start()
    recognizer = ScriptedRecognizer(["徐汇区田林街道"] * (2 * n + 10))
    local = AudioSocketServer(bus, recognizer, host="127.0.0.1", port=0, max_streams=4)
    await local.start()
    print(_line("同一进程（AsrSpeechCapture）", await _run(AsrSpeechCapture(local, None), local.port, n)))
    await local.stop()

    prefix = f"hotline:bench-speech:{uuid.uuid4().hex}:asr"
    tel, worker = RedisMailbox(redis_url, prefix=prefix), RedisMailbox(redis_url, prefix=prefix)
    await tel.start()
    await worker.start()
    remote = AudioSocketServer(
        bus, recognizer, host="127.0.0.1", port=0, max_streams=4, directory=WorkerDirectory(worker)
    )
    await remote.start()
    beat = WorkerHeartbeat(worker, lambda: remote)
    await beat.start()
    speech = RemoteSpeech(tel, f"127.0.0.1:{remote.port}")
    while not speech.recognising:
        await speech.refresh()
        await asyncio.sleep(0.05)
    print(_line("识别进程经 Redis（RemoteCapture）", await _run(speech.capture(None), remote.port, n)))
    await beat.stop()
    await remote.stop()
    await tel.stop()
    await worker.stop()
    await bus.stop()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    p.add_argument("--n", type=int, default=200)
    a = p.parse_args()
    asyncio.run(main(a.redis, a.n))
