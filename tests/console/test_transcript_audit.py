"""Who read which call's transcript is in the audit log; so is every refused try."""

from __future__ import annotations

from datetime import UTC, datetime

from core.asr_events import Leg, TranscriptSegment
from core.ids import CallId, SeatId, UserId
from tests.console.conftest import Harness


def _segment(call: str) -> TranscriptSegment:
    return TranscriptSegment(
        at=datetime.now(UTC),
        call_id=CallId(call),
        stream_id="s1",
        leg=Leg.CALLER,
        text="我想咨询劳动争议",
        start_s=0.0,
        end_s=1.5,
        final=True,
        seq=1,
        seat_id=SeatId("1001"),
    )


def test_given_a_seat_reading_its_calls_transcript_then_the_read_is_audited(harness: Harness) -> None:
    harness.seat_in_queue("1001")
    call = harness.call_to("1001")
    harness.login("seat1001")
    harness.publish(_segment(call))
    r = harness.client.get(f"/api/seat/calls/{call}/transcript")
    assert r.status_code == 200 and len(r.json()["segments"]) == 1
    reads = [
        e for e in harness.runtime.repos.audit.recent(actor=UserId("u-1001")) if "transcript" in e.action
    ]
    assert len(reads) == 1
    entry = reads[0]
    assert (entry.action, entry.target, dict(entry.detail)) == ("seat.transcript_read", call, {"segments": 1})
    assert entry.source_ip  # the client address is recorded


def test_given_another_seats_call_when_asking_for_its_transcript_then_404_and_the_try_is_audited(
    harness: Harness,
) -> None:
    harness.seat_in_queue("1001")
    harness.seat_in_queue("1002")
    call = harness.call_to("1001")
    harness.login("seat1002")
    assert harness.client.get(f"/api/seat/calls/{call}/transcript").status_code == 404
    entries = harness.runtime.repos.audit.recent(actor=UserId("u-1002"))
    assert [(e.action, e.target) for e in entries if "transcript" in e.action] == [
        ("seat.transcript_denied", call)
    ]
    assert not [e for e in entries if e.action == "seat.transcript_read"]
