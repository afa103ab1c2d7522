"""The Vosk (Kaldi) implementation of `asr.ports.Recognizer`.

The model is loaded once (seconds, hundreds of MB) and shared by every session; each session is
one `vosk.KaldiRecognizer`. libvosk is called through cffi, which releases the GIL for the call,
so sessions on worker threads really run in parallel (see bench/asr_bench.py for the numbers).

Quirks found on vosk 0.3.45, kept here so nobody trips on them again:
* A grammar must be JSON with `ensure_ascii=False`: libvosk's JSON reader does not decode `\\uXXXX`
  escapes, so escaped Chinese phrases are "missing in vocabulary" and silently ignored.
* Results depend on how the audio is cut into `AcceptWaveform` calls (endpoint checks happen per
  call), so the server feeds Asterisk's 20 ms frames one by one even when it batches them.
* `vosk.Model(None)` tries to download a model from the internet; the path is always checked
  first here.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import vosk

from asr.ports import Recognition
from core.blocking import offload
from core.errors import ConfigurationError

log = logging.getLogger(__name__)

# Files every Vosk model directory has; a directory without them is not a model.
_REQUIRED = (("am", "final.mdl"), ("conf", "model.conf"))
UNKNOWN_WORD = "[unk]"


def _check_model_dir(model_path: str | Path | None) -> Path:
    if model_path is None or str(model_path).strip() == "":
        raise ConfigurationError("未配置 Vosk 模型目录（HOTLINE_ASR__MODEL_PATH）；语音识别不可用")
    path = Path(model_path).expanduser()
    if not path.is_dir():
        raise ConfigurationError(f"Vosk 模型目录不存在：{path}", model_path=str(path))
    missing = [str(Path(*parts)) for parts in _REQUIRED if not path.joinpath(*parts).is_file()]
    if missing:
        raise ConfigurationError(
            f"Vosk 模型目录不完整：{path}（缺少 {', '.join(missing)}）",
            model_path=str(path),
        )
    return path


def _clean(text: str, drop_unk: bool) -> str:
    if not drop_unk:
        return text
    return " ".join(w for w in text.split() if w != UNKNOWN_WORD)


class VoskSession:
    """One recognition stream. Not thread-safe: the server makes one call at a time."""

    def __init__(
        self, recognizer: Any, sample_rate: int, *, partial_interval_ms: int, grammar: bool = False
    ) -> None:
        self._rec = recognizer
        self._rate = sample_rate
        # In grammar mode Vosk says "[unk]" for out-of-grammar speech; callers want only phrases.
        self._drop_unk = grammar
        # Partials are asked for at most every `partial_interval_ms` of *audio* (not wall time),
        # which keeps results reproducible and saves a lattice traceback on every 20 ms frame.
        self._partial_every = partial_interval_ms / 1000.0
        self._fed_s = 0.0
        self._next_partial_at = 0.0
        self._last_partial = ""

    def accept(self, pcm: bytes) -> Recognition | None:
        self._fed_s += len(pcm) / (2 * self._rate)
        if self._rec.AcceptWaveform(pcm):
            self._last_partial = ""
            self._next_partial_at = self._fed_s + self._partial_every
            return self._final(self._rec.Result(), self._drop_unk)
        if self._fed_s + 1e-9 < self._next_partial_at:
            return None
        self._next_partial_at = self._fed_s + self._partial_every
        text = _clean(str(json.loads(self._rec.PartialResult()).get("partial", "")), self._drop_unk)
        if not text or text == self._last_partial:
            return None
        self._last_partial = text
        return Recognition(text=text, final=False)

    def finish(self) -> Recognition:
        result = self._final(self._rec.FinalResult(), self._drop_unk)
        return result if result is not None else Recognition(text="", final=True)

    @staticmethod
    def _final(raw: str, drop_unk: bool) -> Recognition | None:
        data = json.loads(raw)
        text = _clean(str(data.get("text", "")), drop_unk)
        if not text:
            return None  # Vosk closes silent stretches with empty results: nothing to say.
        words = [w for w in data.get("result") or [] if not (drop_unk and w.get("word") == UNKNOWN_WORD)]
        start = float(words[0]["start"]) if words else None
        end = float(words[-1]["end"]) if words else None
        return Recognition(text=text, final=True, start_s=start, end_s=end)


class VoskRecognizer:
    """Vosk engine: one model, many sessions. Build it with `load()` (blocks while loading)."""

    def __init__(self, model: Any, model_path: Path, *, partial_interval_ms: int = 200) -> None:
        self._model = model
        self.model_path = model_path
        self._partial_interval_ms = partial_interval_ms

    @classmethod
    def load(cls, model_path: str | Path | None, *, partial_interval_ms: int = 200) -> VoskRecognizer:
        """Load the model; a missing or broken model is a `ConfigurationError` (ASR shows as down,
        calls go on without transcripts)."""
        path = _check_model_dir(model_path)
        vosk.SetLogLevel(-1)  # Kaldi's LOG lines to stderr are noise; warnings still show.
        try:
            model = vosk.Model(str(path))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise ConfigurationError(f"Vosk 模型无法加载：{path}（{exc}）", model_path=str(path)) from exc
        log.info("vosk model loaded from %s", path)
        return cls(model, path, partial_interval_ms=partial_interval_ms)

    @classmethod
    async def aload(cls, model_path: str | Path | None, *, partial_interval_ms: int = 200) -> VoskRecognizer:
        """`load()` on a worker thread, for use inside the app's lifespan."""
        return await offload(cls.load, model_path, partial_interval_ms=partial_interval_ms)

    def new_session(self, sample_rate: int, grammar: list[str] | None = None) -> VoskSession:
        if grammar is None:
            rec = vosk.KaldiRecognizer(self._model, float(sample_rate))
        else:
            phrases = [p for p in grammar if p and p != UNKNOWN_WORD]
            rec = vosk.KaldiRecognizer(
                self._model, float(sample_rate), json.dumps([*phrases, UNKNOWN_WORD], ensure_ascii=False)
            )
        rec.SetWords(True)
        return VoskSession(
            rec, sample_rate, partial_interval_ms=self._partial_interval_ms, grammar=grammar is not None
        )
