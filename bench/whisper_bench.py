"""Whisper (faster-whisper base, int8) on the shared Mandarin clips: prints figures, asserts nothing.

    .venv/bin/python bench/whisper_bench.py [--model DIR] [--threads N] [--prompt TEXT]
    .venv/bin/python bench/whisper_bench.py --queue N [--threads 1] [--limit S]

For each clip of ../shared/speech, at 16 kHz and at 8 kHz phone band (the project's 2x low-pass
downsampler, then back up to 16 kHz inside the engine): the recognised text, its character errors
against the reference and the decode time; then CER over all clips and over the human/documented
references only, and decode-time figures (real-time factor, p95 per utterance, utterances per
minute with `--threads`, e.g. `--threads 1` for one core). Skips with a message when the model
(`python -m asr.whisper_model` installs it) or faster-whisper is missing.

`--queue N`: capacity under queueing. N callers say their address at the same moment (the shared
clips at 8 kHz, phone band, taken in turn), each decode on its own thread as the AudioSocket server
runs them; they queue in the engine's decode line (asr.turns: one decode at a time per model).
Prints decodes per minute, each caller's wait (queue + decode) and its p95, and how many waited past
the IVR's `speech_timeout_s` (ivr/menu.toml, or `--limit`): those callers are offered the keypad
district menu (按键选择区). Run twice: once with the given-up decodes kept to the end (as before
abandoning existed), once with them abandoned at the limit as the IVR now does (a queued one
leaves the line, a running one's text is dropped when its window is done), so the figures show
what abandoning saves the callers behind.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from asr.errors import DecodeAbandoned  # noqa: E402
from asr.pcm import downsample_2x  # noqa: E402
from asr.scoring import Clip, char_errors, load_clips  # noqa: E402
from asr.turns import Abandon  # noqa: E402
from asr.whisper_engine import WhisperRecognizer  # noqa: E402
from core.errors import ConfigurationError  # noqa: E402
from ivr.menu import load_menu  # noqa: E402

SPEECH = REPO.parent / "shared" / "speech"


def main() -> int:
    parser = argparse.ArgumentParser(description="Whisper 中文识别基准：逐条文本、字错误率、解码时间")
    default_model = os.environ.get("HOTLINE_ASR__WHISPER_MODEL_PATH") or str(
        REPO / "models" / "faster-whisper-base"
    )
    parser.add_argument("--model", default=default_model)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prompt", default=None, help="初始提示（默认：引擎的领域提示）")
    parser.add_argument("--queue", type=int, default=0, help="N 个来电同时说地址：排队时延与超时回退")
    parser.add_argument("--limit", type=float, default=None, help="语音导航等待上限（秒），默认 menu.toml")
    args = parser.parse_args()
    try:
        t0 = time.monotonic()
        engine = WhisperRecognizer.load(args.model, cpu_threads=args.threads)
        load_s = time.monotonic() - t0
    except ConfigurationError as exc:
        print(f"跳过 Whisper 基准：{exc.message}")
        return 0
    print(f"模型 {engine.model_path}，加载 {load_s:.2f} s，线程 {args.threads}")
    print(f"提示：{args.prompt if args.prompt is not None else engine.default_prompt}")
    clips = load_clips(SPEECH)
    if args.queue > 0:
        return queue_bench(engine, clips, args.queue, args.threads, args.limit)
    totals: dict[str, list[float]] = {}
    latencies: dict[str, list[float]] = {}
    for clip in clips:
        print(f"\n{clip.file.relative_to(SPEECH)}（{clip.duration_s:.2f} s，{clip.reference_type[:20]}）")
        print(f"  参考     {clip.reference}")
        for label, rate, pcm in (("16k", 16000, clip.pcm16k), ("8k", 8000, downsample_2x(clip.pcm16k))):
            t0 = time.monotonic()
            text = engine.transcribe(pcm, rate, prompt=args.prompt)
            took = time.monotonic() - t0
            errors, n = char_errors(text, clip.reference)
            print(f"  {label:>3} {took:5.2f} s  CER {errors / n:6.1%}  {text}")
            t = totals.setdefault(label, [0.0] * 6)
            t[0] += errors
            t[1] += n
            if clip.human:
                t[2] += errors
                t[3] += n
            t[4] += took
            t[5] += clip.duration_s
            latencies.setdefault(label, []).append(took)
    print()
    for label, (e_all, n_all, e_human, n_human, decode_s, audio_s) in totals.items():
        print(
            f"{label:>3}: CER {e_all / n_all:.1%}（{int(e_all)}/{int(n_all)} 字，全部 {len(clips)} 条）；"
            f"人工/文档参考 CER {e_human / n_human:.1%}（{int(e_human)}/{int(n_human)}）；"
            f"解码 {decode_s:.1f} s / 音频 {audio_s:.1f} s，实时率 {decode_s / audio_s:.2f}"
        )
        each = sorted(latencies[label])
        p95 = each[min(len(each) - 1, math.ceil(0.95 * len(each)) - 1)]
        print(
            f"     单句解码 p95 {p95:.2f} s（最长 {each[-1]:.2f} s）；按平均 {decode_s / len(each):.2f} s/句，"
            f"{args.threads} 线程约每分钟 {60 * len(each) / decode_s:.0f} 句（一次一句，后到的排队）"
        )
    return 0


def queue_bench(
    engine: WhisperRecognizer, clips: list[Clip], n: int, threads: int, limit_s: float | None
) -> int:
    """N concurrent spoken addresses in the engine's decode line (see the module docstring)."""
    settings = load_menu().settings
    limit = limit_s if limit_s is not None else settings.speech_timeout_s
    utterances = [downsample_2x(clips[i % len(clips)].pcm16k) for i in range(n)]
    engine.transcribe(utterances[0], 8000)  # warm-up, not counted
    t0 = time.monotonic()
    for pcm in utterances:  # one after the other: the engine's throughput alone
        engine.transcribe(pcm, 8000)
    serial_s = time.monotonic() - t0
    core = "，即单核" if threads == 1 else ""
    print(f"\n{n} 个来电同时说地址（8 kHz 电话音质，{threads} 线程{core}；引擎一次解码一句，其余排队）")
    print(f"  逐句解码：平均 {serial_s / n:.2f} s/句，每分钟 {60 * n / serial_s:.0f} 句")
    for abandoning in (False, True):
        _queue_run(engine, utterances, limit, abandoning)
    print(
        f"  超过上限的来电改为按键选区（按键选择区），按错或不按 {settings.max_tries} 次后转全市人工；"
        "不按猜测的地址转接。"
    )
    return 0


def _queue_run(engine: WhisperRecognizer, utterances: list[bytes], limit: float, abandoning: bool) -> None:
    n = len(utterances)
    waits = [0.0] * n
    given_up = [False] * n
    decoded = [False] * n

    def caller(i: int) -> None:
        started = time.monotonic()
        abandon = Abandon()
        timer = threading.Timer(limit, abandon.set) if abandoning else None
        if timer is not None:
            timer.start()
        try:
            engine.transcribe(utterances[i], 8000, abandon=abandon)
            decoded[i] = True
        except DecodeAbandoned:
            pass
        finally:
            if timer is not None:
                timer.cancel()
        waits[i] = time.monotonic() - started
        given_up[i] = waits[i] > limit or not decoded[i]

    t0 = time.monotonic()
    callers = [threading.Thread(target=caller, args=(i,)) for i in range(n)]
    for c in callers:
        c.start()
    for c in callers:
        c.join()
    total = time.monotonic() - t0
    heard = sorted(w for w, late in zip(waits, given_up, strict=True) if not late)
    how = "放弃的解码撤出队列或丢弃结果（现行）" if abandoning else "放弃的解码仍解到底（旧）"
    print(f"  [{how}] 全部结束 {total:.1f} s，解码 {sum(decoded)} 句")
    if heard:
        p95 = heard[min(len(heard) - 1, math.ceil(0.95 * len(heard)) - 1)]
        print(
            f"    按时识别 {len(heard)} / {n}，等待（排队 + 解码）p50 {heard[len(heard) // 2]:.2f} s，"
            f"p95 {p95:.2f} s，最长 {heard[-1]:.2f} s"
        )
    print(f"    超过语音导航等待上限 {limit:g} s 的：{sum(given_up)} / {n}")


if __name__ == "__main__":
    raise SystemExit(main())
