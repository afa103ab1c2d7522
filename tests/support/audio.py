"""Recorded audio for tests: a WAV tone where Asterisk would have written a file, and a call's
recording (录音) kept as the keeper keeps it (file and row)."""

from __future__ import annotations

import hashlib
import math
import struct
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.runtime import Runtime
from core.ids import CallId
from core.recordings import Recording, RecordingAlert, RecordingAlertKind, RecordingStatus
from store.recordings import RecordingRepository


def write_tone(path: Path, seconds: float = 1.0, hz: float = 440.0) -> None:
    """`seconds` of an 8 kHz mono 16-bit tone at `path` (its folder made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * n / 8000)))
        for n in range(int(8000 * seconds))
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(frames)


def add_recording(rt: Runtime, call_id: str, segment: int = 1, *, seconds: float = 1.0) -> Path:
    """Segment `segment` of the call's recording: a tone in the runtime's recordings folder (as the
    PBX names it) and its `ok` row with size and checksum. Returns the file."""
    folder = rt.settings.recordings.folder()
    pbx_path = f"{folder.pbx_dir}/{call_id}-{segment}.wav"
    local = folder.local(pbx_path)
    assert local is not None
    write_tone(local, seconds)
    data = local.read_bytes()
    ended = datetime.now(UTC) - timedelta(minutes=1)
    RecordingRepository(rt.repos.db).save(
        Recording(
            call_id=CallId(call_id),
            segment=segment,
            path=pbx_path,
            started_at=ended - timedelta(seconds=seconds),
            ended_at=ended,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            status=RecordingStatus.OK,
        )
    )
    return local


def add_recording_alert(
    rt: Runtime,
    call_id: str,
    segment: int,
    *,
    district: str | None,
    kind: RecordingAlertKind = RecordingAlertKind.MISSING,
) -> RecordingAlert:
    """An open recording alert (录音告警) about the call, as the keeper keeps it."""
    alert = RecordingAlert(
        call_id=CallId(call_id),
        segment=segment,
        kind=kind,
        district_code=district,
        raised_at=datetime.now(UTC),
        detail=f"{rt.settings.recordings.folder().pbx_dir}/{call_id}-{segment}.wav",
    )
    assert RecordingRepository(rt.repos.db).raise_alert(alert)
    return alert
