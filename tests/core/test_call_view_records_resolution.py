"""A call's summary after Asterisk's records (`CallReconciled`) keeps what the AMI view measured
to the millisecond when it agrees with the records' whole seconds: app_queue logs 3.025 s of talk
as 3 or 4 (`time(NULL) - start`, both cut to the second), and the call's leg keeps its 3.025. A
measure the records contradict, or none, takes the records' figure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.call_events import CallReconciled, HangupParty
from core.call_view import project_call
from core.calls import CallRecord, CallStatus
from core.ids import CallId, EventId, SeatId

CALL = CallId("1796549937.0")
OFFERED = datetime(2026, 12, 6, 9, 39, 3, 417000, tzinfo=UTC)
ANSWERED = OFFERED + timedelta(seconds=10.2)
ENDED = ANSWERED + timedelta(seconds=3.025)


def _measured(*, talk: float | None = 3.025, wait: float | None = 3.014) -> CallRecord:
    """The summary as the live view closed it (AgentConnect / AgentComplete / Hangup stamps)."""
    return CallRecord(
        id=CALL,
        caller_number="13900139000",
        offered_at=OFFERED,
        status=CallStatus.ANSWERED,
        queue="q-city-labor",
        seat_id=SeatId("1001"),
        final_seat_id=SeatId("1001"),
        answered_at=ANSWERED,
        ended_at=ENDED,
        wait_seconds=wait,
        talk_seconds=talk,
        hung_up_by="caller",
    )


def _records(talk: float | None, *, end: datetime | None = None, parts: int = 1) -> CallReconciled:
    """What the queue log and CDR say: every time cut to the second, every duration whole."""
    end = end or ENDED.replace(microsecond=0)
    return CallReconciled(
        at=end,
        event_id=EventId(f"{CALL}:reconciled:x"),
        call_id=CALL,
        status=CallStatus.ANSWERED.value,
        caller_number="13900139000",
        offered_at=OFFERED.replace(microsecond=0),
        answered_at=ANSWERED.replace(microsecond=0),
        queue="q-city-labor",
        seat_id=SeatId("1001"),
        wait_seconds=3.0,
        talk_seconds=talk,
        talk_parts=parts,
        hung_up_by=HangupParty.CALLER,
    )


def test_given_a_measured_talk_within_the_records_second_when_reconciled_then_the_measure_stays() -> None:
    after = project_call(_measured(), _records(4.0))
    assert after is not None
    assert after.talk_seconds == 3.025
    # the times and the wait the records give to the second agree too: the finer ones stay
    assert (after.offered_at, after.answered_at, after.ended_at) == (OFFERED, ANSWERED, ENDED)
    assert after.wait_seconds == 3.014
    assert after == _measured()  # nothing the records say differs: the row is unchanged


def test_given_a_measured_talk_the_records_contradict_when_reconciled_then_the_records_talk_is_taken() -> (
    None
):
    end = ENDED.replace(microsecond=0) + timedelta(seconds=4)  # the CDR ends 4 s later (the survey)
    after = project_call(_measured(), _records(7.0, end=end))
    assert after is not None
    assert after.talk_seconds == 7.0 and after.ended_at == end
    # what still agrees keeps the measure
    assert (after.answered_at, after.wait_seconds) == (ANSWERED, 3.014)


@pytest.mark.parametrize("talk", [None, 0.0])
def test_given_no_measured_talk_when_reconciled_then_the_records_talk_is_taken(talk: float | None) -> None:
    after = project_call(_measured(talk=talk, wait=None), _records(4.0))
    assert after is not None and after.talk_seconds == 4.0 and after.wait_seconds == 3.0
    unseen = project_call(None, _records(4.0))  # a call the live view never had
    assert (
        unseen is not None and unseen.talk_seconds == 4.0 and unseen.ended_at == ENDED.replace(microsecond=0)
    )


def test_given_a_talk_the_records_add_up_from_two_stays_when_reconciled_then_each_may_be_a_second_off() -> (
    None
):
    """A transfer into another queue: the records add up two whole-second calltimes."""
    assert project_call(_measured(talk=24.397), _records(26.0, parts=2)) == _measured(talk=24.397)
    one_part = project_call(_measured(talk=24.397), _records(26.0))
    assert one_part is not None and one_part.talk_seconds == 26.0
    too_far = project_call(_measured(talk=24.397), _records(27.0, parts=2))
    assert too_far is not None and too_far.talk_seconds == 27.0
