"""A call's legs after Asterisk's records correct an end the AMI link only guessed (an outage
during the call): the guessed leg gets the records' talk time, the others keep their own."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from core.call_events import CallLegEnded, CallReconciled, LegKind
from core.call_view import project_call, project_leg, reconcile_legs
from core.calls import CallLeg, CallRecord, CallStatus
from core.ids import CallId, EventId, SeatId

CALL = CallId("1796549937.0")
T0 = datetime(2026, 12, 6, 9, 39, 3, tzinfo=UTC)
RECONNECT = T0 + timedelta(minutes=5)


def _leg(n: int, answered: datetime, *, talk: float | None, inferred: bool, kind: str = "seat") -> CallLeg:
    return CallLeg(
        call_id=CALL,
        leg_id=f"{CALL}:{n}",
        kind=kind,
        party=f"100{n}",
        seat_id=SeatId(f"100{n}"),
        answered_at=answered,
        ended_at=RECONNECT if inferred else (answered + timedelta(seconds=talk or 0.0)),
        talk_seconds=talk,
        inferred=inferred,
    )


def _reconciled(talk: float | None, end: datetime) -> CallReconciled:
    return CallReconciled(
        at=end, event_id=EventId(f"{CALL}:reconciled:x"), call_id=CALL, status="answered", talk_seconds=talk
    )


def test_given_the_second_seats_leg_ended_at_the_reconnect_when_reconciled_then_it_gets_the_rest_of_the_talk() -> (
    None
):
    first = _leg(1, T0, talk=4.0, inferred=False)
    second = _leg(2, T0 + timedelta(seconds=5), talk=None, inferred=True)
    end = T0 + timedelta(seconds=12)

    (fixed,) = reconcile_legs([first, second], _reconciled(11.0, end))

    assert fixed.leg_id == second.leg_id and not fixed.inferred
    assert fixed.talk_seconds == 7.0 and fixed.ended_at == end


def test_given_two_guessed_legs_or_no_talk_in_the_records_when_reconciled_then_no_leg_changes() -> None:
    a = _leg(1, T0, talk=None, inferred=True)
    b = _leg(2, T0 + timedelta(seconds=5), talk=None, inferred=True)
    assert reconcile_legs([a, b], _reconciled(11.0, T0 + timedelta(seconds=12))) == []
    assert reconcile_legs([a], _reconciled(None, T0 + timedelta(seconds=12))) == []


def test_given_a_callbacks_citizen_leg_when_reconciled_then_only_the_seats_leg_is_counted() -> None:
    seat = _leg(1, T0, talk=None, inferred=True)
    citizen = _leg(2, T0 + timedelta(seconds=3), talk=None, inferred=True, kind=LegKind.CUSTOMER.value)
    (fixed,) = reconcile_legs([seat, citizen], _reconciled(9.0, T0 + timedelta(seconds=9)))
    assert fixed.leg_id == seat.leg_id and fixed.talk_seconds == 9.0


def test_given_a_leg_corrected_from_the_records_when_the_resyncs_guessed_end_arrives_then_the_correction_stays() -> (
    None
):
    corrected = _leg(1, T0, talk=3.0, inferred=False)
    guessed_end = CallLegEnded(
        at=RECONNECT,
        event_id=EventId(f"{CALL}:leg-ended:1"),
        call_id=CALL,
        leg_id=corrected.leg_id,
        kind=LegKind.SEAT,
        party="1001",
        seat_id=SeatId("1001"),
        answered_at=T0,
        talk_seconds=None,
        inferred=True,
    )
    assert project_leg(corrected, guessed_end) == corrected


def test_given_a_call_another_seat_took_last_when_reconciled_then_its_final_seat_stays_unless_the_records_name_one() -> (
    None
):
    """The tracker saw 1002 take the call last (a transfer into a queue); the records of a guessed
    end name the first seat only: the final seat stays 1002. A seat the records found reached
    after a transfer (咨询转接 during an outage) is the final seat; a call we never had gets the
    first seat as its final one."""
    live = CallRecord(
        id=CALL,
        caller_number="13900139000",
        offered_at=T0,
        status=CallStatus.ANSWERED,
        seat_id=SeatId("1001"),
        final_seat_id=SeatId("1002"),
        ended_at=RECONNECT,
    )
    end = T0 + timedelta(seconds=30)
    records = CallReconciled(
        at=end,
        event_id=EventId(f"{CALL}:reconciled:y"),
        call_id=CALL,
        status="answered",
        seat_id=SeatId("1001"),
    )
    after = project_call(live, records)
    assert after is not None and (after.seat_id, after.final_seat_id) == ("1001", "1002")
    reached = project_call(live, replace(records, final_seat_id=SeatId("1003")))
    assert reached is not None and reached.final_seat_id == "1003"
    unseen = project_call(None, records)
    assert unseen is not None and unseen.final_seat_id == "1001"
