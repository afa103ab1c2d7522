"""The consultation records' questions for 热点: submitted records of the calls offered in a span."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.calls import CallRecord, CallStatus
from core.ids import CallId, SeatId
from seats.records import CheckedRecord
from store.consultations import ConsultationRepository
from store.db import Database
from store.repositories import CallRepository

START = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 2026-11-25 00:00 China time
END = START + timedelta(days=1)


def test_only_submitted_records_of_calls_offered_in_the_span(db: Database) -> None:
    calls, records = CallRepository(db), ConsultationRepository(db)
    for cid, at in (
        ("before", START - timedelta(seconds=1)),
        ("first", START),
        ("draft", START + timedelta(hours=3)),
        ("last", END - timedelta(seconds=1)),
        ("after", END),
    ):
        calls.save(
            CallRecord(id=CallId(cid), caller_number="13812348000", offered_at=at, status=CallStatus.ANSWERED)
        )
        fields = CheckedRecord(question=f"{cid}的问题")
        # a record submitted after the span still counts for its call's day
        records.save(CallId(cid), SeatId("1001"), fields, END + timedelta(hours=1), final=cid != "draft")
    got = sorted((r.call_id, r.question) for r in records.of_calls_between(START, END))
    assert got == [("first", "first的问题"), ("last", "last的问题")]
