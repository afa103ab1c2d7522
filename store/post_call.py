"""Post-call transcripts in the store (issue 18): which kept recordings still need one, and the
lines once made.

`PostCallTranscriptStore` implements `asr.post_call_worker.TranscriptJobs` (structurally: `store`
does not import `asr`). A recording needs a transcript when its row is `ok`, the call was
answered, its file holds audio, and `recording_transcripts` has no row for it; the lines go to
`transcripts` with leg `mixed` (`core.asr_events.Leg.MIXED`: the MixMonitor file mixes both
voices) in the same transaction as the `done` row, so a restart between the two cannot store a
transcript twice or lose one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, select

from core.access import queue_district
from core.calls import TranscriptLine
from core.ids import CallId, SeatId
from core.recordings import PendingTranscript, RecordingFolder, RecordingStatus, TranscriptState
from store.db import Database
from store.models import CallRow, RecordingRow, RecordingTranscriptRow, TranscriptRow
from store.rows import row_values

WAV_HEADER_BYTES = 44


class PostCallTranscriptStore:
    def __init__(self, db: Database, folder: RecordingFolder) -> None:
        self._db = db
        self._folder = folder

    def pending(self, *, limit: int = 100) -> list[PendingTranscript]:
        """Recordings still to transcribe, oldest first."""
        done = exists().where(
            RecordingTranscriptRow.call_id == RecordingRow.call_id,
            RecordingTranscriptRow.segment == RecordingRow.segment,
        )
        q = (
            select(RecordingRow.call_id, RecordingRow.segment)
            .where(
                RecordingRow.status == RecordingStatus.OK.value,
                RecordingRow.answered.is_(True),
                RecordingRow.size > WAV_HEADER_BYTES,
                ~done,
            )
            .order_by(RecordingRow.started_at, RecordingRow.call_id, RecordingRow.segment)
            .limit(limit)
        )
        with self._db.session() as s:
            keys = [(CallId(c), int(n)) for c, n in s.execute(q)]
        found = [self.pending_one(c, n) for c, n in keys]
        return [p for p in found if p is not None]

    def pending_one(self, call_id: CallId, segment: int) -> PendingTranscript | None:
        """The recording (call, segment) if it still needs its transcript, else None (not kept
        yet, missing, deleted, unanswered, or done / failed already)."""
        with self._db.session() as s:
            rec = s.get(RecordingRow, (call_id, segment))
            if (
                rec is None
                or rec.status != RecordingStatus.OK.value
                or not rec.answered
                or (rec.size or 0) <= WAV_HEADER_BYTES
                or s.get(RecordingTranscriptRow, (call_id, segment)) is not None
            ):
                return None
            first = s.scalar(
                select(RecordingRow.started_at)
                .where(RecordingRow.call_id == call_id)
                .order_by(RecordingRow.segment)
                .limit(1)
            )
            call = s.get(CallRow, call_id)
            local = self._folder.local(rec.path)
            seat = (call.final_seat_id or call.seat_id) if call is not None else None
            district = (call.district_code or queue_district(call.queue)[0]) if call is not None else None
            offset = (rec.started_at - first).total_seconds() if first is not None else 0.0
            return PendingTranscript(
                call_id=call_id,
                segment=segment,
                local_path=str(local) if local is not None else None,
                offset_s=max(0.0, round(offset, 3)),
                seat_id=SeatId(seat) if seat else None,
                district_code=district or None,
            )

    def save(self, job: PendingTranscript, lines: Sequence[TranscriptLine], at: datetime) -> bool:
        """Store the lines and mark the recording done, in one transaction; False (nothing written)
        when it was done already (a second worker, a replay)."""
        return self._settle(job, TranscriptState.DONE, lines, "", at)

    def fail(self, job: PendingTranscript, detail: str, at: datetime) -> None:
        """Mark the recording as one that cannot be transcribed (never tried again)."""
        self._settle(job, TranscriptState.FAILED, (), detail[:500], at)

    def _settle(
        self,
        job: PendingTranscript,
        state: TranscriptState,
        lines: Sequence[TranscriptLine],
        detail: str,
        at: datetime,
    ) -> bool:
        """The recording's transcript row (`state`) and its lines, in one transaction, unless it
        has one already (then False: nothing written)."""
        with self._db.session() as s:
            if s.get(RecordingTranscriptRow, (job.call_id, job.segment)) is not None:
                return False
            for line in lines:
                s.add(TranscriptRow(**row_values(line)))
            s.add(
                RecordingTranscriptRow(
                    call_id=job.call_id,
                    segment=job.segment,
                    status=state.value,
                    lines=len(lines),
                    detail=detail,
                    at=at,
                )
            )
            return True

    def state(self, call_id: CallId, segment: int) -> tuple[TranscriptState, int, str] | None:
        """The recording's transcript state, its line count and why it failed (None: still to do)."""
        with self._db.session() as s:
            row = s.get(RecordingTranscriptRow, (call_id, segment))
            return None if row is None else (TranscriptState(row.status), row.lines, row.detail)
