"""Synthesize the simulator's spoken addresses with espeak-ng, offline (issue 18).

    .venv/bin/python scripts/make_address_clips.py                 # renew pbx/sim/audio/address-*.wav
    .venv/bin/python scripts/make_address_clips.py --devset 40     # write bench/data/spoken_addresses.tsv

Why pinyin: espeak-ng 1.51 as Debian ships it has a reduced Mandarin dictionary. Given Chinese
characters, the `cmn` voice reads most of them as something else (`espeak-ng -v cmn -x 我住在静安区`
prints English-like "fo@" syllables: Whisper heard "4-4-4-4…" and "五里桥,五里桥…"). So the text is
turned into numbered-tone pinyin with pypinyin (already a dependency of routing/) and spoken by
the `cmn-latn-pinyin` voice, which reads pinyin as Mandarin syllables with their tones.

Settings measured with bench/spoken_address_bench.py (Whisper base int8, 8 kHz): variant `+f3`,
speed 130 words a minute, amplitude 80 (no clipping after resampling), 0.3 s of silence each side;
then sox resamples espeak's 22.05 kHz to 8 kHz mono 16-bit with its anti-alias filter, which is
what Asterisk hands an AudioSocket server. Needs the `espeak-ng` and `sox` programs (Debian
packages of the same names); no network.

Also measured (8 clips, then the 40 of `--devset`; Whisper base, the IVR's prompt), none better:
speed 120/140/160 (130 best), word gap 5 or 10 (worse), pitch 30 or 70 (worse), variants `+m3`
(8/40 districts like `+f3`, higher CER), `+f5`, `+klatt3`, `+Andy` (worse); on the decode side beam 5
(slower, no better), no_repeat_ngram_size 3 and repetition_penalty 1.3 (worse or equal), VAD off
(CER 69 % but 6/40 districts), temperature fallback 0.2/0.4 (9 or 10 of 40 in two runs: sampling,
not reproducible, up to three decodes) and prompts without place names (0 districts). The engine's
decode settings are therefore unchanged.

`--devset N`: N addresses drawn (seeded) from the gazetteer, every district at least twice, each
said in one of a few everyday sentence shapes; the rows are marked `synthetic` and the bench
synthesizes them on the fly, so the figures are not tuned to the eight committed clips.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AUDIO = REPO / "pbx" / "sim" / "audio"
DEVSET = REPO / "bench" / "data" / "spoken_addresses.tsv"

VOICE = "cmn-latn-pinyin+f3"
SPEED = 130  # words a minute (espeak's default is 175: too fast for Whisper base)
AMPLITUDE = 80
PAD_S = 0.3
RATE = 8000

_PAUSE = re.compile(r"[，。、,.！？!?；;：:\s]+")
SHAPES = (
    "我住在{district}{street}",
    "我家在{district}{street}",
    "{district}{street}",
    "我在{district}{street}，麻烦帮我转一下",
    "我住上海市{district}{street}",
)


def pinyin_text(text: str) -> str:
    """Numbered-tone pinyin of `text`, pauses kept as commas: 我住在静安区 -> wo3 zhu4 zai4 jing4 an1 qu1."""
    from pypinyin import Style, lazy_pinyin

    parts: list[str] = []
    for i, chunk in enumerate(_PAUSE.split(text)):
        if not chunk:
            continue
        syllables = lazy_pinyin(chunk, style=Style.TONE3, neutral_tone_with_five=True)
        parts.append(("" if i == 0 or not parts else ", ") + " ".join(syllables))
    return "".join(parts)


def synthesize(text: str, out: Path, *, voice: str = VOICE, speed: int = SPEED, rate: int = RATE) -> None:
    """One utterance as WAV, mono 16-bit at `rate`. Raises RuntimeError when a program is missing."""
    for program in ("espeak-ng", "sox"):
        if shutil.which(program) is None:
            raise RuntimeError(f"缺少程序 {program}：请安装（apt-get install espeak-ng sox）")
    spoken = pinyin_text(text) if "pinyin" in voice else text
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "espeak.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "-a", str(AMPLITUDE), "-w", str(raw), spoken],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                "sox",
                str(raw),
                "-r",
                str(rate),
                "-c",
                "1",
                "-b",
                "16",
                str(out),
                "pad",
                str(PAD_S),
                str(PAD_S),
            ],
            check=True,
            capture_output=True,
        )


def read_pcm(path: Path) -> tuple[bytes, int]:
    with wave.open(str(path)) as w:
        return w.readframes(w.getnframes()), w.getframerate()


def devset_rows(n: int, seed: int = 18) -> list[dict[str, str]]:
    """`n` synthetic address rows over every district of the gazetteer (seeded, reproducible)."""
    sys.path.insert(0, str(REPO))
    from routing.gazetteer import SHANGHAI_DIR, load_gazetteer

    gaz = load_gazetteer(SHANGHAI_DIR)
    rng = random.Random(seed)
    by_district: dict[str, list[str]] = {}
    for code in sorted(gaz.streets):
        by_district.setdefault(gaz.streets[code].district_code, []).append(code)
    order = sorted(by_district)
    picks: list[str] = []
    while len(picks) < n:
        for district_code in order:
            left = [c for c in by_district[district_code] if c not in picks]
            if left and len(picks) < n:
                picks.append(rng.choice(left))
    rows = []
    for i, code in enumerate(picks, 1):
        street = gaz.streets[code]
        place = gaz.districts[street.district_code]
        text = rng.choice(SHAPES).format(district=place.name, street=street.name)
        rows.append(
            {
                "id": f"syn{i:03d}",
                "text": text,
                "district_code": place.code,
                "district": place.name,
                "street_code": code,
                "street": street.name,
                "kind": "synthetic",
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description="用 espeak-ng（拼音）离线合成模拟来电者说的地址")
    parser.add_argument("--devset", type=int, default=0, help="改为生成 N 条合成地址的文本集")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.devset:
        out = args.out or DEVSET
        out.parent.mkdir(parents=True, exist_ok=True)
        rows = devset_rows(args.devset)
        with out.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter="\t", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        print(f"写入 {len(rows)} 条：{out}")
        return 0
    folder = args.out or AUDIO
    with (AUDIO / "addresses.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for row in rows:
        synthesize(row["text"], folder / row["file"])
        print(f"{row['file']}  {row['text']}  ({pinyin_text(row['text'])})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
