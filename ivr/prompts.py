"""Prompt audio: the texts of ivr/menu.toml turned into WAV files Asterisk can play.

`build_prompts` (the `hotline prompts build` command) speaks each prompt with espeak-ng (voice
`cmn`, Mandarin) and converts it with sox to 8 kHz, mono, 16-bit WAV, Asterisk's native `wav`
format (no transcoding at play time). `EspeakSpeechSynth` does the same at call time for dynamic
text (office name and address), caching by text.

A manifest (`prompts.json`) remembers the hash of each file it wrote: a file whose content no
longer matches was replaced by hand (a recorded voice) and is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.blocking import offload
from ivr.errors import PromptBuildError
from ivr.menu import MenuBook, load_menu
from routing.calendar import load_holidays
from routing.hours_text import service_hours_text
from routing.queues import QueueRules, load_queue_rules

log = logging.getLogger(__name__)

MANIFEST = "prompts.json"
_MELODY = (  # (seconds, Hz): a slow pentatonic phrase of about 12 s, soft, that loops cleanly
    (0.6, 523), (0.6, 587), (0.6, 659), (0.9, 784), (0.6, 880), (0.6, 784), (0.6, 659), (1.2, 587),
    (0.6, 523), (0.6, 659), (0.6, 587), (1.2, 523), (0.6, 392), (0.6, 440), (1.5, 523), (0.8, 0),
)  # fmt: skip


def _melody(notes: tuple[tuple[float, int], ...]) -> tuple[str, ...]:
    """sox effect chains (`:` between them), one plucked note (or a rest) each, concatenated."""
    chains: list[str] = []
    for seconds, hz in notes:
        chains += [":"] if chains else []
        voice = ("pluck", str(hz)) if hz else ("sine", "1", "vol", "0")
        chains += ["synth", str(seconds), *voice, "fade", "q", "0.02", str(seconds), "0.15", "gain", "-9"]
    return tuple(chains)


TONES: dict[str, tuple[str, ...]] = {
    "beep": ("synth", "0.6", "sine", "1000"),
    "hold_music": _melody(_MELODY),
}
"""Prompts that are tones, not texts (sox `synth` effects): the beep before a message (留言), and
the music a held caller hears (保持, looped by the dialplan's [hotline-hold])."""
VOICE = "cmn"
SPEED_WPM = 150


@dataclass(frozen=True, slots=True)
class PromptBuildReport:
    built: tuple[str, ...]
    unchanged: tuple[str, ...]
    kept_recordings: tuple[str, ...]

    def summary(self, out: Path) -> str:
        return (
            f"提示音已生成：新建 {len(self.built)} 个，未变 {len(self.unchanged)} 个，"
            f"保留录音 {len(self.kept_recordings)} 个 → {out}"
        )


def _commands(text: str, raw: Path, out: Path, *, voice: str, espeak: str, sox: str) -> list[list[str]]:
    return [
        [espeak, "-v", voice, "-s", str(SPEED_WPM), "-w", str(raw), text],
        [sox, str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(out)],
    ]


def _tools(espeak: str, sox: str) -> tuple[str, str]:
    found = shutil.which(espeak), shutil.which(sox)
    if not all(found):
        missing = [n for n, f in zip((espeak, sox), found, strict=True) if not f]
        raise PromptBuildError(f"找不到语音合成工具：{'、'.join(missing)}（请安装 espeak-ng 与 sox）")
    return str(found[0]), str(found[1])


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def synthesize(
    text: str, out: Path, *, voice: str = VOICE, espeak: str = "espeak-ng", sox: str = "sox"
) -> None:
    """Speak `text` into `out` (8 kHz mono 16-bit WAV), atomically."""
    espeak_bin, sox_bin = _tools(espeak, sox)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="prompt-") as tmp:
        raw, cooked = Path(tmp) / "raw.wav", Path(tmp) / "out.wav"
        for cmd in _commands(text, raw, cooked, voice=voice, espeak=espeak_bin, sox=sox_bin):
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise PromptBuildError(f"{Path(cmd[0]).name} 合成失败：{done.stderr.strip()}", text=text)
        os.replace(cooked, out)


def _tone(out: Path, effect: tuple[str, ...], sox: str) -> None:
    cmd = [sox, "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(out), *effect]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PromptBuildError(f"sox 生成提示音失败：{done.stderr.strip()}", tone=out.stem)


def prompt_texts(book: MenuBook, rules: QueueRules | None = None) -> dict[str, str]:
    """The prompts as spoken: {service_hours} from the routing rules the IVR decides by
    (routing/queue_rules.toml [city_hours] on the calendar's working days)."""
    if rules is None:
        rules = load_queue_rules(load_holidays())
    return book.prompt_texts(service_hours=service_hours_text(rules))


def build_prompts(
    menu_path: Path | None,
    out_dir: Path,
    *,
    voice: str = VOICE,
    espeak: str = "espeak-ng",
    sox: str = "sox",
) -> PromptBuildReport:
    """Write `<out_dir>/<name>.wav` for every text in the menu file's [prompts] table.

    `menu_path=None` uses the packaged ivr/menu.toml. Unchanged texts are skipped; files replaced
    by recordings are kept. Raises MenuFileError (bad menu) or PromptBuildError (tools).
    """
    book = load_menu(menu_path)
    texts = prompt_texts(book)
    _tools(espeak, sox)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / MANIFEST
    manifest: dict[str, dict[str, str]] = {}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    built, unchanged, kept = [], [], []
    for name, text in sorted(texts.items()):
        target = out_dir / f"{name}.wav"
        source = hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()
        entry = manifest.get(name)
        if target.exists():
            current = _sha(target)
            if entry is None or current != entry.get("wav"):
                kept.append(name)  # not ours (anymore): a recording
                continue
            if entry.get("source") == source:
                unchanged.append(name)
                continue
        synthesize(text, target, voice=voice, espeak=espeak, sox=sox)
        manifest[name] = {"source": source, "wav": _sha(target), "text": text}
        built.append(name)
    for name, effect in TONES.items():
        target = out_dir / f"{name}.wav"
        if target.exists():
            unchanged.append(name)
            continue
        _tone(target, effect, _tools(espeak, sox)[1])
        built.append(name)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    if kept:
        log.info("kept recorded prompts: %s", ", ".join(kept))
    return PromptBuildReport(tuple(built), tuple(unchanged), tuple(kept))


class EspeakSpeechSynth:
    """`SpeechSynth` for development: espeak-ng into `<prompts_dir>/dyn/<hash>.wav`.

    `prompt_base` is how Asterisk names `prompts_dir` (the same value as settings.prompt_base),
    so the returned name plays on the same host. Synthesis runs in a worker thread.
    """

    def __init__(self, prompts_dir: Path, prompt_base: str, *, voice: str = VOICE) -> None:
        self._dir = prompts_dir / "dyn"
        self._base = prompt_base
        self._voice = voice

    @property
    def speaks_text(self) -> bool:
        return True

    async def prompt_for(self, text: str) -> str:
        name = hashlib.sha256(f"{self._voice}\n{text}".encode()).hexdigest()[:20]
        target = self._dir / f"{name}.wav"
        if not target.exists():
            await offload(synthesize, text, target, voice=self._voice)
        return f"{self._base}/dyn/{name}"
