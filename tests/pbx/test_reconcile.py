"""The pure part of the reconciliation: what Asterisk's records say, and what to publish."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.call_events import CallAbandoned, CallReconciled, CallTimedOut, HangupParty
from core.calls import CallRecord, CallStatus, KnownCall
from core.ids import CallId, SeatId
from pbx.reconcile import CallFromRecords, ReconcileReport, plan, summarise
from pbx.record_files import RecordFile
from pbx.records import parse_cdr, parse_queue_log, parse_queue_log_line

AFTER = datetime(2026, 12, 2, tzinfo=UTC)


@pytest.fixture
def real_calls(shared_dir: Path) -> dict[CallId, CallFromRecords]:
    d = shared_dir / "asterisk-traces" / "project-dialplan-22.10.1"
    entries = parse_queue_log(RecordFile("queue_log", d / "queue_log").read_since(None).lines)
    rows = parse_cdr(RecordFile("cdr", d / "Master.csv").read_since(None).lines)
    return summarise(entries, rows, cdr_expected=True, now=AFTER)


def test_given_the_real_records_when_summarised_then_each_call_matches_the_readme_table(
    real_calls: dict[CallId, CallFromRecords],
) -> None:
    c = real_calls
    # Callbacks (the seat leg first, context `callback`) and the tap's Local channels are not calls.
    assert CallId("1796162067.5") not in c and CallId("1796163493.56") not in c
    assert not any(cid.startswith("1796162238") for cid in c)
    assert len(c) == 17 and all(call.complete for call in c.values())
    # Talk 16, caller hung up at 22:06:56 during the AMI outage (issue 11).
    outage = c[CallId("1796162752.29")]
    assert outage.status is CallStatus.ANSWERED and outage.seat_id == SeatId("1001")
    assert outage.talk_seconds == 16.0 and outage.wait_seconds == 3.0
    assert outage.ended_at == datetime(2026, 12, 1, 22, 6, 56, tzinfo=UTC)
    assert outage.hung_up_by is HangupParty.CALLER
    # ABANDON wait 12 and wait 13: missed calls, with app_queue's positions.
    for cid, wait in (("1796161931.4", 12.0), ("1796163462.55", 13.0)):
        call = c[CallId(cid)]
        assert call.status is CallStatus.ABANDONED and isinstance(call.miss, CallAbandoned)
        assert call.miss.wait_seconds == wait and call.miss.caller_number == "13900139000"
        assert call.miss.event_id == f"{cid}:abandoned"  # the tracker's own id
    # Queue transfers: each seat's talk, not app_queue's calltime that runs to the caller's hang-up.
    assert c[CallId("1796162553.20")].talk_seconds == 6.0 + 19.0
    assert c[CallId("1796163251.46")].talk_seconds == 11.0 + 14.0
    assert c[CallId("1796163251.46")].seat_id == SeatId("1002")
    # The seat hung up first: COMPLETEAGENT; the call itself ends after the survey (CDR).
    survey = c[CallId("1796161796.2")]
    assert survey.hung_up_by is HangupParty.SEAT and survey.talk_seconds == 12.0
    assert survey.ended_at == datetime(2026, 12, 1, 21, 51, 51, tzinfo=UTC)
    # IVR only: no queue log lines, the CDR alone.
    ivr = c[CallId("1796161656.0")]
    assert not ivr.queued and ivr.miss is None and ivr.status is None
    assert ivr.offered_at == datetime(2026, 12, 1, 21, 47, 36, tzinfo=UTC)


def _q(at: int, call: str, queue: str, agent: str, event: str, *data: str, offset: int = 0):  # type: ignore[no-untyped-def]
    return parse_queue_log_line("|".join([str(at), call, queue, agent, event, *data]), offset=offset)


def test_given_a_timeout_and_an_empty_queue_when_summarised_then_both_are_misses_as_timeouts() -> None:
    entries = [
        _q(1796170000, "9.1", "q-310106-labor", "NONE", "ENTERQUEUE", "", "13700000001", "1"),
        _q(1796170300, "9.1", "q-310106-labor", "NONE", "EXITWITHTIMEOUT", "2", "1", "300"),
        _q(1796170010, "9.2", "q-city-other", "NONE", "ENTERQUEUE", "", "13700000002", "1"),
        _q(1796170011, "9.2", "q-city-other", "NONE", "EXITEMPTY", "1", "1", "1"),
    ]
    calls = summarise(entries, [], cdr_expected=False, now=AFTER)
    timed_out = calls[CallId("9.1")]
    assert timed_out.status is CallStatus.TIMED_OUT and isinstance(timed_out.miss, CallTimedOut)
    assert timed_out.miss.wait_seconds == 300.0 and timed_out.miss.position == 2
    assert timed_out.miss.event_id == "9.1:timed-out:q-310106-labor"
    assert timed_out.hung_up_by is HangupParty.SYSTEM
    assert isinstance(calls[CallId("9.2")].miss, CallTimedOut)


def test_given_a_call_still_waiting_or_without_its_cdr_when_summarised_then_it_is_not_complete() -> None:
    entries = [
        _q(1796170000, "9.1", "q-city-other", "NONE", "ENTERQUEUE", "", "13700000001", "1"),
        _q(1796170000, "9.2", "q-city-other", "NONE", "ENTERQUEUE", "", "13700000002", "1"),
        _q(1796170020, "9.2", "q-city-other", "NONE", "ABANDON", "1", "1", "20"),
    ]
    now = datetime.fromtimestamp(1796170030, UTC)
    calls = summarise(entries, [], cdr_expected=True, now=now)
    assert not calls[CallId("9.1")].complete  # still in the queue
    assert not calls[CallId("9.2")].complete  # its CDR is not written yet
    later = summarise(entries, [], cdr_expected=True, now=now + timedelta(hours=2))
    assert later[CallId("9.2")].complete  # the records settled: go with what they say


def _record(call_id: str, status: CallStatus, *, ended: datetime | None = None) -> CallRecord:
    return CallRecord(
        id=CallId(call_id),
        caller_number="13900139000",
        offered_at=datetime(2026, 12, 1, 21, 52, 11, tzinfo=UTC),
        status=status,
        queue="q-afterhours",
        ended_at=ended,
    )


def test_given_the_databases_view_when_planned_then_only_what_is_missing_or_guessed_is_published(
    real_calls: dict[CallId, CallFromRecords],
) -> None:
    reconnect = datetime(2026, 12, 1, 22, 7, 23, tzinfo=UTC)
    known = {
        # left queued forever (the app was killed), though its order was made live
        CallId("1796161931.4"): KnownCall(
            record=_record("1796161931.4", CallStatus.QUEUED), miss_recorded=True
        ),
        # closed at reconnect time by the resync, talk unknown
        CallId("1796162752.29"): KnownCall(
            record=_record("1796162752.29", CallStatus.ANSWERED, ended=reconnect), end_guessed=True
        ),
        # seen live from end to end
        CallId("1796162190.7"): KnownCall(
            record=_record("1796162190.7", CallStatus.ANSWERED, ended=reconnect)
        ),
    }
    live = {"1796163374.51"}  # the tracker follows it: left alone
    report = ReconcileReport()
    events = plan(real_calls, known, live, queue_log_read=True, report=report)
    by_call: dict[str, list[str]] = {}
    for e in events:
        by_call.setdefault(str(e.call_id), []).append(type(e).__name__)
    assert by_call["1796161931.4"] == ["CallReconciled"]  # closed; its order exists: no second miss
    assert by_call["1796163462.55"] == ["CallAbandoned", "CallReconciled"]  # never known: created + miss
    assert by_call["1796162752.29"] == ["CallReconciled"]
    assert "1796162190.7" not in by_call and "1796163374.51" not in by_call
    corrected = next(e for e in events if isinstance(e, CallReconciled) and e.call_id == "1796162752.29")
    assert corrected.at == datetime(2026, 12, 1, 22, 6, 56, tzinfo=UTC) and corrected.talk_seconds == 16.0
    ivr_only = next(e for e in events if isinstance(e, CallReconciled) and e.call_id == "1796161656.0")
    assert ivr_only.status == CallStatus.ENDED.value
    assert (report.closed, report.corrected, report.live, report.misses) == (1, 1, 1, 1)
    assert report.created == len(real_calls) - 3 - 1
    # The same records again give the same ids: consumers keep each once.
    again = plan(real_calls, known, live, queue_log_read=True)
    assert [e.event_id for e in again] == [e.event_id for e in events]


def test_given_only_a_cdr_row_for_a_caller_the_database_saw_waiting_when_planned_then_it_is_a_miss() -> None:
    ended = datetime(2026, 12, 1, 21, 53, 8, tzinfo=UTC)
    call = CallFromRecords(
        call_id=CallId("1796161931.4"),
        caller_number="13900139000",
        offered_at=ended - timedelta(seconds=57),
        ended_at=ended,
        status=None,
        complete=True,
    )
    known = {CallId("1796161931.4"): KnownCall(record=_record("1796161931.4", CallStatus.QUEUED))}
    events = plan({call.call_id: call}, known, set(), queue_log_read=False)
    assert [type(e) for e in events] == [CallAbandoned, CallReconciled]
    assert events[0].event_id == "1796161931.4:abandoned"
    assert isinstance(events[1], CallReconciled) and events[1].status == CallStatus.ABANDONED.value


def test_given_only_the_tail_of_a_stay_when_summarised_then_the_miss_and_the_answer_are_still_known() -> None:
    """After a rotation the ENTERQUEUE may be in a file no longer read: the later lines suffice."""
    entries = [
        _q(1796170040, "9.1", "q-city-other", "NONE", "ABANDON", "1", "1", "30"),
        _q(1796170080, "9.2", "q-city-other", "seat-1002", "COMPLETEAGENT", "4", "60", "1"),
    ]
    calls = summarise(entries, [], cdr_expected=False, now=AFTER)
    abandoned = calls[CallId("9.1")]
    assert isinstance(abandoned.miss, CallAbandoned) and abandoned.miss.wait_seconds == 30.0
    assert abandoned.status is CallStatus.ABANDONED
    answered = calls[CallId("9.2")]
    assert answered.status is CallStatus.ANSWERED and answered.seat_id == SeatId("1002")
    assert answered.talk_seconds == 60.0 and answered.wait_seconds == 4.0
    assert answered.answered_at == datetime.fromtimestamp(1796170020, UTC)
    # The miss has no number in the queue log alone: the database's is used.
    known = {CallId("9.1"): KnownCall(record=_record("9.1", CallStatus.QUEUED))}
    events = plan(calls, known, set(), queue_log_read=True)
    miss = next(e for e in events if isinstance(e, CallAbandoned))
    assert miss.caller_number == "13900139000"


def test_given_cdr_rows_of_callbacks_and_seats_own_calls_when_summarised_then_they_are_not_citizens_calls() -> (
    None
):
    from pbx.records import parse_cdr_line

    def row(context: str, uid: str) -> str:
        return (
            f'"","1001","13900139000","{context}","","PJSIP/1001-1","","Dial","PJSIP/x",'
            f'"2026-12-01 21:54:27","2026-12-01 21:54:30","2026-12-01 21:54:45",18,14,"ANSWERED","DOCUMENTATION","{uid}",""'
        )

    rows = [
        parse_cdr_line(row("hotline-callback", "1.1")),
        parse_cdr_line(row("seats-out", "1.2")),
        parse_cdr_line(row("hotline-incoming", "1.3")),
    ]
    assert list(summarise([], rows, cdr_expected=True, now=AFTER)) == [CallId("1.3")]


def _answered_in_the_records(talk: int) -> dict[CallId, CallFromRecords]:
    """A caller answered after 3 s in the queue who hung up `talk` s later, as app_queue logs it."""
    t = 1796170000
    entries = [
        _q(t, "9.1", "q-city-labor", "NONE", "ENTERQUEUE", "", "13900139000", "1"),
        _q(t + 3, "9.1", "q-city-labor", "seat-1001", "CONNECT", "3", "9.2", "2"),
        _q(t + 3 + talk, "9.1", "q-city-labor", "seat-1001", "COMPLETECALLER", "3", str(talk), "1"),
    ]
    return summarise(entries, [], cdr_expected=False, now=AFTER)


def _closed_live(talk: float | None, end: datetime) -> KnownCall:
    """The summary as the AMI view closed it, its end once taken from the records (a pass that
    ran before the live end was stored): the records may still correct it."""
    record = replace(
        _record("9.1", CallStatus.ANSWERED, ended=end),
        offered_at=datetime.fromtimestamp(1796170000.2, UTC),
        talk_seconds=talk,
        seat_id=SeatId("1001"),
    )
    return KnownCall(record=record, end_guessed=True)


def test_given_a_measured_talk_within_the_records_second_when_planned_again_then_nothing_is_corrected() -> (
    None
):
    """The AMI view measured 3.025 s (AgentConnect to the caller's Hangup); app_queue logs whole
    seconds, 4 here: the same call, nothing to correct. 7 is another talk: corrected."""
    calls = _answered_in_the_records(4)
    measured_end = datetime.fromtimestamp(1796170007.38, UTC)  # the CDR would say ...:07
    known = {CallId("9.1"): _closed_live(3.025, measured_end)}
    report = ReconcileReport()
    assert plan(calls, known, set(), queue_log_read=True, report=report) == []
    assert report.corrected == 0

    contradicted = _answered_in_the_records(7)
    report = ReconcileReport()
    (event,) = plan(contradicted, known, set(), queue_log_read=True, report=report)
    assert isinstance(event, CallReconciled) and event.talk_seconds == 7.0 and report.corrected == 1

    # no measure (a resync closed the call, talk unknown), or an end 2 s away: corrected
    for guess in (_closed_live(None, measured_end), _closed_live(3.025, measured_end + timedelta(seconds=2))):
        (event,) = plan(calls, {CallId("9.1"): guess}, set(), queue_log_read=True)
        assert isinstance(event, CallReconciled) and event.talk_seconds == 4.0
        assert event.at == datetime.fromtimestamp(1796170007, UTC)


def test_given_the_real_records_when_summarised_then_a_talk_over_two_stays_counts_two_whole_second_parts(
    real_calls: dict[CallId, CallFromRecords],
) -> None:
    assert real_calls[CallId("1796162553.20")].talk_parts == 2  # transferred into q-city-labor
    assert real_calls[CallId("1796162463.16")].talk_parts == 1
