"""Post-call transcripts in the store (store/post_call.py), on each database: which kept recordings
still need a transcript, the lines stored with leg `mixed` beside the live ones, done and failed
recordings never offered again."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.calls import CallRecord, TranscriptLine
from core.ids import CallId, SeatId
from core.recordings import Recording, RecordingFolder, RecordingStatus, TranscriptState
from store.db import Database
from store.post_call import PostCallTranscriptStore
from store.recordings import RecordingRepository
from store.repositories import CallRepository, TranscriptRepository
from tests.support.audio import write_tone

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def _recording(
    db: Database,
    folder: Path,
    call: str,
    segment: int = 1,
    *,
    status: RecordingStatus = RecordingStatus.OK,
    answered: bool = True,
    started: datetime = NOW,
) -> None:
    path = folder / f"{call}-{segment}.wav"
    write_tone(path, 0.5)
    data = path.read_bytes()
    RecordingRepository(db).save(
        Recording(
            call_id=CallId(call),
            segment=segment,
            path=str(path),
            started_at=started,
            ended_at=started + timedelta(seconds=30),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            status=status,
            answered=answered,
        )
    )


def _line(call: str, leg: str, seq: int, text: str, start_s: float) -> TranscriptLine:
    return TranscriptLine(
        call_id=CallId(call),
        leg=leg,
        seq=seq,
        text=text,
        start_s=start_s,
        end_s=start_s + 2,
        final=True,
        at=NOW,
    )


def test_given_kept_recordings_then_only_those_owed_a_transcript_are_pending(
    db: Database, tmp_path: Path
) -> None:
    CallRepository(db).save(
        CallRecord(
            id=CallId("c1"),
            caller_number="13800138000",
            offered_at=NOW,
            seat_id=SeatId("1001"),
            queue="q-310106-labor",
        )
    )
    _recording(db, tmp_path, "c1", 1, started=NOW)
    _recording(db, tmp_path, "c1", 2, started=NOW + timedelta(seconds=40))  # a three-way call's
    _recording(db, tmp_path, "c2", status=RecordingStatus.MISSING)
    _recording(db, tmp_path, "c3", status=RecordingStatus.DELETED)
    _recording(db, tmp_path, "c4", answered=False)
    jobs = PostCallTranscriptStore(db, RecordingFolder(pbx_dir=str(tmp_path)))

    pending = jobs.pending()

    assert [(str(p.call_id), p.segment) for p in pending] == [("c1", 1), ("c1", 2)]
    assert pending[0].local_path == str(tmp_path / "c1-1.wav") and pending[0].offset_s == 0.0
    assert pending[1].offset_s == 40.0
    assert pending[0].seat_id == "1001" and pending[0].district_code == "310106"
    assert jobs.pending_one(CallId("c2"), 1) is None


def test_given_lines_saved_then_they_join_the_live_ones_and_the_recording_is_done(
    db: Database, tmp_path: Path
) -> None:
    _recording(db, tmp_path, "c1")
    _recording(db, tmp_path, "c2")
    transcripts = TranscriptRepository(db)
    transcripts.add(_line("c1", "caller", 0, "我想咨询劳动合同", 1.0))
    jobs = PostCallTranscriptStore(db, RecordingFolder(pbx_dir=str(tmp_path)))
    job = jobs.pending_one(CallId("c1"), 1)
    assert job is not None

    lines = [
        _line("c1", "mixed", 100_000, "您好，这里是法律服务热线", 0.5),
        _line("c1", "mixed", 100_001, "再见", 20.0),
    ]
    assert jobs.save(job, lines, NOW) is True
    assert jobs.save(job, lines, NOW) is False  # twice: nothing written the second time

    stored = transcripts.for_call(CallId("c1"))
    assert [(line.leg, line.text) for line in stored] == [
        ("mixed", "您好，这里是法律服务热线"),
        ("caller", "我想咨询劳动合同"),
        ("mixed", "再见"),
    ]
    assert jobs.state(CallId("c1"), 1) == (TranscriptState.DONE, 2, "")
    other = jobs.pending_one(CallId("c2"), 1)
    assert other is not None
    jobs.fail(other, "录音文件无法读取", NOW)
    assert jobs.state(CallId("c2"), 1) == (TranscriptState.FAILED, 0, "录音文件无法读取")
    assert jobs.pending() == []  # done and failed: never offered again
