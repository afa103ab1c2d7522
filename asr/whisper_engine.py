"""The faster-whisper implementation of `asr.ports.Recognizer`, for whole utterances (issue 18).

Whisper does not stream: a session buffers the audio it is fed and decodes it all in `finish()`
(the IVR's spoken address after endpointing, a post-call recording). `accept()` never returns a
partial, so the live transcript stays a Vosk feature (`streaming = False` tells the live tap).

Settings chosen for a 2-core phone server (measured in bench/whisper_bench.py): CTranslate2 int8,
beam 1, language zh, one temperature (no fallback re-decodes, so the time is bounded), no
conditioning on earlier text, Silero voice-activity filtering on. The initial prompt is a short
list of the city's districts and the legal categories in simplified characters: it biases the
decoder to those words and towards simplified output; OpenCC's t2s then guarantees simplified
characters (Whisper base writes traditional ones for some clips). OpenCC (`opencc` on PyPI,
the reference implementation, Apache-2.0) rather than zhconv, which is GPL.

Whisper invents text on silence and noise; three guards make silence, hold music, DTMF and noise
come back as "": a level gate before decoding (nothing above `min_dbfs`), the VAD filter, and
dropping segments the model itself marks as non-speech or that are known subtitle phantoms.

Limits: at most `max_audio_s` seconds of audio are decoded (the start of a longer utterance), and
decoding stops at the first segment boundary after `time_limit_s`. A decode that fails raises
`AsrDecodeFailed` (clear message); the AudioSocket server logs it and the call goes on.

Decodes take turns on the model (`asr.turns.DecodeTurns`, first come first served). A decode given
an `Abandon` flag that is set (the IVR stopped waiting, the caller hung up) leaves the line without
running, or stops at the next segment boundary, and raises `DecodeAbandoned`: its text is dropped.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from asr.errors import DecodeAbandoned
from asr.pcm import SILENCE_DBFS
from asr.ports import Recognition
from asr.turns import Abandon, DecodeTurns
from asr.whisper_model import verify_model_dir
from core.blocking import offload
from core.errors import ConfigurationError, HotlineError
from routing.queues import LegalCategory

log = logging.getLogger(__name__)

WHISPER_RATE = 16_000
MAX_NEW_TOKENS = 200  # leaves room for the prompt within Whisper's 448-token window
# The hotline's legal categories (routing.queues), "其他" left out: it biases towards nothing.
LEGAL_TERMS = ("法律咨询", *(c.label for c in LegalCategory if c is not LegalCategory.OTHER))
PROMPT_MAX_CHARS = 120
PROMPT_LEAD = "以下是普通话的句子，"
# Subtitle credits and video outros Whisper is known to produce from silence or music.
_PHANTOMS = re.compile(
    r"字幕|訂閱|订阅|點贊|点赞|打赏|打賞|明镜|明鏡|感谢观看|感謝觀看|谢谢观看|謝謝觀看|请不吝"
)
# A phrase of two or more characters said three times in a row: a decoding loop, not a caller.
_REPEATED = re.compile(r"(\w{2,}?)(?:\W*\1){2,}")
_SUFFIXES = ("街道", "镇", "区", "县")


class AsrDecodeFailed(HotlineError):
    """The audio could not be decoded (broken model, runtime error): no text for it."""

    error_id = "asr.whisper.decode_failed"


def domain_prompt(grammar: Sequence[str] | None, *, max_chars: int = PROMPT_MAX_CHARS) -> str:
    """A short simplified-Chinese prompt, at most `max_chars` characters: a plain-Mandarin lead-in,
    then either the place names of the address grammar (an IVR address session: districts come
    first there, then streets and towns) or the legal categories (everything else).

    Only full administrative names (…区, …街道, …镇) are taken from the grammar: it also holds bare
    forms and filler words, which would spend the budget without adding information. On the six
    shared clips the lead-in plus legal categories gave the lowest error at 16 kHz
    (bench/whisper_bench.py --prompt compares)."""
    places: list[str] = []
    budget = max_chars - len(PROMPT_LEAD) - len("上海市。")
    for phrase in grammar or ():
        if not phrase.endswith(_SUFFIXES) or phrase in places:
            continue
        if sum(len(p) + 1 for p in places) + len(phrase) > budget:
            break
        places.append(phrase)
    if places:
        return f"{PROMPT_LEAD}上海市" + "、".join(places) + "。"
    return f"{PROMPT_LEAD}关于" + "、".join(LEGAL_TERMS) + "。"


_CONVERTER: Any = None
_CONVERTER_LOCK = threading.Lock()


def to_simplified(text: str) -> str:
    """Simplified characters: OpenCC's `t2s` (character and phrase tables, Apache-2.0)."""
    global _CONVERTER
    with _CONVERTER_LOCK:
        if _CONVERTER is None:
            import opencc

            _CONVERTER = opencc.OpenCC("t2s")
        return str(_CONVERTER.convert(text))


def _pcm_to_float16k(pcm: bytes, sample_rate: int) -> Any:
    import numpy as np

    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float32) / 32768.0
    if sample_rate == WHISPER_RATE or samples.size == 0:
        return samples
    n_out = round(samples.size * WHISPER_RATE / sample_rate)
    src = np.arange(samples.size, dtype=np.float64) * (WHISPER_RATE / sample_rate)
    return np.interp(np.arange(n_out, dtype=np.float64), src, samples).astype(np.float32)


def _peak_dbfs(audio: Any) -> float:
    """Level of the loudest 100 ms of 16 kHz float audio, in dBFS."""
    import numpy as np

    window = WHISPER_RATE // 10
    usable = audio[: audio.size - audio.size % window] if audio.size >= window else audio
    if usable.size == 0:
        return SILENCE_DBFS
    power = np.square(usable.astype(np.float64)).reshape(-1, min(window, usable.size)).mean(axis=1)
    peak = float(power.max())
    return SILENCE_DBFS if peak <= 0 else max(SILENCE_DBFS, 10.0 * math.log10(peak))


def _plausible(seg: Any) -> bool:
    """Whether a decoded segment is speech rather than one of Whisper's inventions.

    Calibrated on the shared clips (real speech: compression ratio <= 1.5, average log-probability
    >= -0.35) against what base makes of hold music, tones and espeak-ng's synthetic Mandarin
    ("五里桥,五里桥,五里桥…", "4-4-4-4…", the prompt's words over and over: ratio >= 2, or a
    log-probability under -1). A wrong district is worse than none: the IVR then asks for keys."""
    if seg.no_speech_prob > 0.6 and seg.avg_logprob < -0.7:
        return False
    if seg.avg_logprob < -1.0 or seg.compression_ratio > 2.0:
        return False
    text = seg.text
    return not (_PHANTOMS.search(text) or _REPEATED.search(text))


class WhisperSession:
    """Buffers one utterance; `finish()` decodes it. One call at a time (the server's rule).
    `abandon()` (any thread) gives the decode up: see `asr.turns`."""

    def __init__(self, engine: WhisperRecognizer, sample_rate: int, prompt: str) -> None:
        self._engine = engine
        self._rate = sample_rate
        self._prompt = prompt
        self._max_bytes = int(engine.max_audio_s * sample_rate) * 2
        self._buf = bytearray()
        self._fed_bytes = 0
        self._abandon = Abandon()

    def abandon(self) -> None:
        self._abandon.set()

    def accept(self, pcm: bytes) -> Recognition | None:
        self._fed_bytes += len(pcm)
        room = self._max_bytes - len(self._buf)
        if room > 0:
            self._buf += pcm[:room]
        return None

    def finish(self) -> Recognition:
        if self._fed_bytes > self._max_bytes:
            log.info(
                "utterance of %.1f s cut to its first %.0f s for recognition",
                self._fed_bytes / (2 * self._rate),
                self._engine.max_audio_s,
            )
        text = self._engine.transcribe(
            bytes(self._buf), self._rate, prompt=self._prompt, abandon=self._abandon
        )
        self._buf.clear()
        if not text:
            return Recognition(text="", final=True)
        return Recognition(text=text, final=True, start_s=0.0, end_s=self._fed_bytes / (2 * self._rate))


class WhisperRecognizer:
    """faster-whisper engine: one model shared by all sessions. Build it with `load()`."""

    streaming = False  # no partials: the live tap needs a streaming engine (Vosk)

    def __init__(
        self,
        model: Any,
        model_path: Path,
        *,
        max_audio_s: float = 30.0,
        time_limit_s: float = 15.0,
        min_dbfs: float = -45.0,
        default_prompt: str | None = None,
    ) -> None:
        self._model = model
        self.model_path = model_path
        self.max_audio_s = max_audio_s
        self.time_limit_s = time_limit_s
        self.min_dbfs = min_dbfs
        self.default_prompt = default_prompt if default_prompt is not None else domain_prompt(None)
        # CTranslate2 runs one decode per model replica at a time: decodes take turns, and one
        # nobody waits for any more leaves the line (asr.turns).
        self.turns = DecodeTurns()

    @classmethod
    def load(
        cls,
        model_path: str | Path | None,
        *,
        cpu_threads: int = 2,
        verify_checksum: bool = True,
        **options: Any,
    ) -> WhisperRecognizer:
        """Load the model (verified against its checksum first); problems are `ConfigurationError`."""
        if model_path is None or str(model_path).strip() == "":
            raise ConfigurationError("未配置 Whisper 模型目录（HOTLINE_ASR__WHISPER_MODEL_PATH）")
        path = verify_model_dir(model_path, checksum=verify_checksum)
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise ConfigurationError(
                "未安装 faster-whisper：请运行 pip install -e '.[whisper]' 或 make install",
                model_path=str(path),
            ) from exc
        try:
            model = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=cpu_threads)
        except Exception as exc:  # ctranslate2 raises RuntimeError/ValueError on a bad model
            raise ConfigurationError(f"Whisper 模型无法加载：{path}（{exc}）", model_path=str(path)) from exc
        log.info("whisper model loaded from %s", path)
        return cls(model, path, **options)

    @classmethod
    async def aload(cls, model_path: str | Path | None, **options: Any) -> WhisperRecognizer:
        return await offload(cls.load, model_path, **options)

    def new_session(self, sample_rate: int, grammar: list[str] | None = None) -> WhisperSession:
        if sample_rate <= 0:
            raise ValueError(f"采样率无效：{sample_rate}")
        prompt = domain_prompt(grammar) if grammar else self.default_prompt
        return WhisperSession(self, sample_rate, prompt)

    def transcribe(
        self, pcm: bytes, sample_rate: int, *, prompt: str | None = None, abandon: Abandon | None = None
    ) -> str:
        """Text of one utterance (16-bit mono PCM at `sample_rate`), "" when nothing was said.
        Blocking and CPU-bound: call it from a worker thread. `DecodeAbandoned` when `abandon` is
        set before the decode's turn comes (it never runs) or while it runs (it stops at the next
        segment boundary)."""
        if sample_rate <= 0:
            raise ValueError(f"采样率无效：{sample_rate}")
        pcm = pcm[: int(self.max_audio_s * sample_rate) * 2]
        if len(pcm) < sample_rate // 5:
            return ""  # under 0.1 s of audio: nothing to recognise
        audio = _pcm_to_float16k(pcm, sample_rate)
        if _peak_dbfs(audio) < self.min_dbfs:
            return ""  # nothing above the noise floor (silence, a dead line)
        started = time.monotonic()
        texts: list[str] = []
        try:
            with self.turns.turn(abandon):
                segments, _info = self._model.transcribe(
                    audio,
                    language="zh",
                    task="transcribe",
                    beam_size=1,
                    temperature=0.0,
                    condition_on_previous_text=False,
                    initial_prompt=prompt if prompt is not None else self.default_prompt,
                    vad_filter=True,
                    without_timestamps=True,
                    # Mandarin is under ~10 tokens a second; a decoding loop on noise is cut short.
                    max_new_tokens=min(MAX_NEW_TOKENS, 20 + int(12 * audio.size / WHISPER_RATE)),
                )
                for seg in segments:
                    if abandon is not None and abandon.is_set():
                        close = getattr(segments, "close", None)
                        if close is not None:
                            close()  # the rest of the audio is not decoded
                        raise DecodeAbandoned("识别已无人等待，中途停止")
                    if not _plausible(seg):
                        continue
                    texts.append(seg.text)
                    if time.monotonic() - started > self.time_limit_s:
                        log.warning("whisper decode stopped at its %.0f s limit", self.time_limit_s)
                        break
        except DecodeAbandoned:
            raise
        except Exception as exc:
            raise AsrDecodeFailed(f"语音识别失败：{type(exc).__name__}: {exc}") from exc
        return to_simplified("".join(t.strip() for t in texts)).strip()
