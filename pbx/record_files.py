"""Reading Asterisk's record files (queue_log, cdr-csv/Master.csv) past a checkpoint.

Implements `core.ports.RecordLines` on a plain file that Asterisk appends to:

* only complete lines are returned: a last line still being written (no newline yet) is left
  for the next read, and the checkpoint stops before it;
* rotation (logrotate renames the file, Asterisk's `logger rotate` too): the inode differs from
  the checkpoint's, so the rest of the old file is read first when it can still be found beside
  it (`queue_log.1`, `queue_log.2026-12-01`...: a file of the same name prefix with the old
  inode), then the new file from its start;
* truncation (copytruncate, or a file rewritten in place): the file is shorter than the
  checkpoint, or the byte before the checkpoint is not a newline: read again from the start
  (the reconciler is idempotent, so reading a line twice changes nothing).

Lines are decoded as UTF-8 with replacement (Asterisk writes caller names as they came).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from core.ports import RecordCheckpoint, RecordChunk

log = logging.getLogger(__name__)

MAX_READ_BYTES = 64 * 1024 * 1024  # one pass reads at most this much; the rest comes next pass


class RecordFile:
    """One record file, read incrementally from a checkpoint."""

    def __init__(self, source: str, path: str | os.PathLike[str], *, max_bytes: int = MAX_READ_BYTES) -> None:
        self._source = source
        self.path = Path(path)
        self._max = max_bytes

    @property
    def source(self) -> str:
        return self._source

    def read_since(self, checkpoint: RecordCheckpoint | None) -> RecordChunk:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            keep = checkpoint or RecordCheckpoint(self._source, 0, 0)
            # Asterisk creates Master.csv / queue_log with the first record: a file never read yet
            # in a folder that exists is "not written yet", not missing. A missing folder, or a
            # file we had read before, is (a wrong path, or records gone).
            never_read = checkpoint is None or checkpoint.offset == 0
            return RecordChunk(lines=[], end=keep, missing=not (never_read and self.path.parent.is_dir()))
        lines: list[tuple[int, str]] = []
        restarted = False
        start = 0
        if checkpoint is not None and checkpoint.inode == st.st_ino:
            if st.st_size >= checkpoint.offset and self._at_line_start(checkpoint.offset):
                start = checkpoint.offset
            else:
                log.warning("%s was truncated or rewritten: reading it again from the start", self.path)
                restarted = True
        elif checkpoint is not None and checkpoint.inode:
            restarted = True
            old = self._rotated(checkpoint.inode)
            if old is not None:
                log.info("%s was rotated: reading the rest of %s first", self.path, old)
                lines += [(-1, text) for _, text in _read_lines(old, checkpoint.offset, self._max)[0]]
            else:
                log.warning("%s was rotated and the old file is gone: records may be missing", self.path)
        new_lines, end = _read_lines(self.path, start, self._max)
        lines += new_lines
        last_at = checkpoint.last_at if checkpoint is not None else None
        return RecordChunk(
            lines=lines, end=RecordCheckpoint(self._source, st.st_ino, end, last_at), restarted=restarted
        )

    def _at_line_start(self, offset: int) -> bool:
        if offset == 0:
            return True
        with self.path.open("rb") as f:
            f.seek(offset - 1)
            return f.read(1) == b"\n"

    def _rotated(self, inode: int) -> Path | None:
        folder = self.path.parent
        try:
            candidates = [p for p in folder.iterdir() if p.name.startswith(self.path.name) and p != self.path]
        except OSError:
            return None
        for p in sorted(candidates):
            try:
                if p.is_file() and p.stat().st_ino == inode:
                    return p
            except OSError:
                continue
        return None


def _read_lines(path: Path, start: int, max_bytes: int) -> tuple[list[tuple[int, str]], int]:
    """Complete lines from byte `start`, with their offsets; and the offset after the last one."""
    with path.open("rb") as f:
        f.seek(start)
        data = f.read(max_bytes)
    out: list[tuple[int, str]] = []
    pos = 0
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            break  # a partial last line (still being written): left for the next read
        out.append((start + pos, data[pos:nl].decode("utf-8", errors="replace")))
        pos = nl + 1
    return out, start + pos
