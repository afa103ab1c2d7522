from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.bus import EventBus
from core.call_view import project_call
from core.calls import CallStatus
from core.events import DomainEvent
from core.ids import CallId, EventId
from store.db import Database
from store.recorder import TrailRecorder
from store.repositories import CallRepository


@dataclass(frozen=True, slots=True, kw_only=True)
class TrailProbed(DomainEvent):
    call_id: str
    step: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NotAboutACall(DomainEvent):
    x: int


async def test_given_call_events_published_twice_when_recorded_then_the_trail_has_each_once(
    db: Database,
) -> None:
    bus = EventBus()
    calls = CallRepository(db)
    rec = TrailRecorder(bus, calls)
    await rec.start()
    await bus.start()
    at = datetime(2026, 11, 23, 2, tzinfo=UTC)
    events = [TrailProbed(at=at, call_id="c1", step=i, event_id=EventId(f"c1:{i}")) for i in range(5)]
    for e in events + events:  # a replay after a reconnect
        await bus.publish(e)
    await bus.publish(NotAboutACall(at=at, x=1))
    await bus.drain()
    await bus.stop()
    trail = calls.trail(CallId("c1"))
    assert [t.data["step"] for t in trail] == [0, 1, 2, 3, 4]
    assert rec.recorded == 5


def _trace_events(shared: Path, name: str) -> list[DomainEvent]:
    from pbx.ami_event import AmiEvent, parse_trace
    from pbx.tracker import CallTracker

    tracker = CallTracker()
    out: list[DomainEvent] = []
    for kind, headers in parse_trace((shared / "asterisk-traces" / name).read_bytes()):
        if kind == "event":
            out += tracker.apply(AmiEvent.from_headers(headers))
    return out


async def _record_all(db: Database, events: list[DomainEvent]) -> CallRepository:
    bus = EventBus()
    calls = CallRepository(db)
    rec = TrailRecorder(bus, calls)
    await rec.start()
    await bus.start()
    for e in events:
        await bus.publish(e)
    await bus.drain()
    await bus.stop()
    return calls


@pytest.mark.parametrize(
    ("trace", "status", "seat", "wait", "talk", "hung_up_by"),
    [
        ("02_answered_via_ivr_queue.ami", CallStatus.ANSWERED, "1001", 1.011, 4.02, "seat"),
        ("03_abandoned_in_queue.ami", CallStatus.ABANDONED, None, 6.1, None, "caller"),
        ("04_ring_no_answer_timeout.ami", CallStatus.TIMED_OUT, None, 15.001, None, "system"),
        ("06_transfer_redirect_12345.ami", CallStatus.TRANSFERRED, "1001", 1.008, 4.983, "system"),
    ],
)
async def test_given_a_recorded_trace_when_its_events_are_recorded_then_the_call_row_sums_it_up(
    db: Database,
    shared_dir: Path,
    trace: str,
    status: CallStatus,
    seat: str | None,
    wait: float,
    talk: float | None,
    hung_up_by: str,
) -> None:
    events = _trace_events(shared_dir, trace)
    calls = await _record_all(db, events + events)  # the replay changes nothing
    (call,) = calls.recent()
    assert call.status is status
    assert call.seat_id == seat
    assert call.wait_seconds == pytest.approx(wait)
    assert call.talk_seconds == (pytest.approx(talk) if talk is not None else None)
    assert call.hung_up_by == hung_up_by
    assert call.caller_number == "caller1" and call.queue == "q-general"
    assert call.ended_at is not None and call.ended_at > call.offered_at
    trail = calls.trail(call.id)
    assert len(trail) == len({e.event_id for e in events if getattr(e, "call_id", None) == call.id})
    assert trail[0].event_type == "CallOffered" and trail[-1].event_type == "CallEnded"


def test_given_the_ivrs_routed_event_when_projected_then_category_district_and_path_are_taken() -> None:
    from core.calls import CallRecord
    from core.ivr_events import IvrOutcome, IvrReason, IvrRouted

    at = datetime(2026, 11, 23, 2, tzinfo=UTC)
    routed = IvrRouted(
        at=at,
        call_id=CallId("c1"),
        caller_number="1",
        outcome=IvrOutcome.QUEUE,
        reason=IvrReason.MENU_CHOICE,
        why="静安区·劳动争议",
        category="labor",
        district_code="310106",
        queue="q-310106-labor",
        path=("main:1", "consult:2"),
    )
    rec = CallRecord(id=CallId("c1"), caller_number="1", offered_at=at)
    got = project_call(rec, routed)
    assert got is not None
    assert (got.category, got.district_code, got.queue, got.ivr_path) == (
        "labor",
        "310106",
        "q-310106-labor",
        ("main:1", "consult:2"),
    )
    assert project_call(None, routed) is None


async def test_given_partial_and_final_transcript_segments_when_recorded_then_stored_once_and_only_finals_in_the_trail(
    db: Database,
) -> None:
    from core.asr_events import Leg, TranscriptSegment
    from store.repositories import TranscriptRepository

    bus = EventBus()
    calls, transcripts = CallRepository(db), TranscriptRepository(db)
    rec = TrailRecorder(bus, calls, transcripts)
    await rec.start()
    await bus.start()
    at = datetime(2026, 11, 23, 2, tzinfo=UTC)

    def seg(text: str, final: bool, n: int) -> TranscriptSegment:
        return TranscriptSegment(
            at=at,
            call_id=CallId("c7"),
            stream_id="u",
            leg=Leg.CALLER,
            text=text,
            start_s=0.0,
            end_s=1.0,
            final=final,
            seq=0,
            event_id=EventId(f"c7:t:{n}"),
        )

    for e in (seg("我想", False, 1), seg("我想咨询", False, 2), seg("我想咨询劳动合同", True, 3)):
        await bus.publish(e)
    await bus.drain()
    await bus.stop()
    assert [(t.text, t.final) for t in transcripts.for_call(CallId("c7"))] == [("我想咨询劳动合同", True)]
    assert [t.event_type for t in calls.trail(CallId("c7"))] == ["TranscriptSegment"]


async def test_an_event_from_another_process_is_left_to_the_process_that_recorded_it(db: Database) -> None:
    """A speech process records its transcripts itself and publishes them (asr.remote); what the
    fan-out hands this process's bus from Redis (`local_only`) must not be written a second time."""
    from core.asr_events import Leg, TranscriptSegment
    from store.repositories import TranscriptRepository

    bus = EventBus()
    calls, transcripts = CallRepository(db), TranscriptRepository(db)
    rec = TrailRecorder(bus, calls, transcripts)
    await rec.start()
    await bus.start()
    at = datetime(2026, 11, 23, 2, tzinfo=UTC)

    def segment(call_id: str) -> TranscriptSegment:
        return TranscriptSegment(
            at=at, call_id=CallId(call_id), stream_id="s", leg=Leg.CALLER, seat_id=None,
            seq=1, text="您好", final=True, start_s=0.0, end_s=1.0,
        )  # fmt: skip

    await bus.publish(segment("mine"))
    await bus.publish(segment("theirs"), local_only=True)
    await bus.drain()
    await bus.stop()
    assert [line.text for line in transcripts.for_call(CallId("mine"))] == ["您好"]
    assert transcripts.for_call(CallId("theirs")) == [] and calls.trail(CallId("theirs")) == []
    assert rec.recorded == 1
