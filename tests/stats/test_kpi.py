from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from core.calls import CallRecord, CallStatus
from core.clock import CHINA_TZ
from core.ids import CallId, SeatId
from stats.kpi import (
    SLOTS_PER_DAY,
    CallOutcome,
    CallSample,
    average_volumes,
    classify,
    compute_kpis,
    default_volumes,
    erlang_c,
    erlang_service_level,
    sample_of,
    seats_needed,
    slot_label,
    slot_of,
)

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 China time


def call(
    status: CallStatus, *, answered: bool = False, wait: float | None = None, talk: float | None = None
) -> CallRecord:
    return CallRecord(
        id=CallId(f"c-{status}-{wait}-{talk}"),
        caller_number="13812348000",
        offered_at=T0,
        status=status,
        queue="q-310106-labor",
        seat_id=SeatId("1001") if answered else None,
        answered_at=T0 + timedelta(seconds=wait or 0) if answered else None,
        wait_seconds=wait,
        talk_seconds=talk,
    )


def s(outcome: CallOutcome, wait: float | None = None, talk: float | None = None) -> CallSample:
    return CallSample(offered_at=T0, outcome=outcome, wait_seconds=wait, talk_seconds=talk)


A, X, W, N = CallOutcome.ANSWERED, CallOutcome.ABANDONED, CallOutcome.WAITING, CallOutcome.NOT_OFFERED


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (call(CallStatus.ANSWERED, answered=True, wait=5, talk=60), A),
        (call(CallStatus.TALKING, answered=True, wait=5), A),
        (call(CallStatus.TRANSFERRED, answered=True, wait=5), A),  # answered, then transferred on
        (call(CallStatus.ABANDONED, wait=40), X),
        (call(CallStatus.TIMED_OUT, wait=300), X),
        (call(CallStatus.QUEUED), W),
        (call(CallStatus.RINGING), W),
        (call(CallStatus.IN_IVR), N),
        (call(CallStatus.ENDED), N),  # hung up in the IVR: never reached a seat queue
        (call(CallStatus.TRANSFERRED), N),  # sent elsewhere by the IVR
    ],
)
def test_given_a_stored_call_when_classified_then_only_queue_outcomes_count_as_offered(
    record: CallRecord, expected: CallOutcome
) -> None:
    assert classify(record) is expected
    assert sample_of(record).outcome is expected


def test_given_answered_abandoned_waiting_and_ivr_calls_when_computing_then_answer_rate_ignores_waiting_and_ivr() -> (
    None
):
    samples = [s(A, 5, 100)] * 19 + [s(X, 30)] + [s(W)] * 3 + [s(N)] * 7
    k = compute_kpis(samples)
    assert (k.offered, k.answered, k.abandoned, k.waiting) == (23, 19, 1, 3)
    assert k.answer_rate == pytest.approx(19 / 20)
    assert k.abandon_rate == pytest.approx(1 / 20)


def test_given_waits_at_and_over_the_threshold_when_computing_service_level_then_the_threshold_itself_counts() -> (
    None
):
    samples = [s(A, 20.0), s(A, 20.001), s(A, 0.0), s(X, 3.0)]
    k = compute_kpis(samples, threshold_s=20)
    assert k.answered_in_threshold == 2
    assert k.service_level == pytest.approx(2 / 4)  # the quick abandon still counts against it


def test_given_an_answered_call_without_a_known_wait_when_computing_then_it_is_not_within_the_threshold() -> (
    None
):
    k = compute_kpis([s(A, None), s(A, 10.0)])
    assert k.service_level == pytest.approx(0.5)
    assert k.asa_seconds == pytest.approx(10.0)


def test_given_no_calls_and_no_answers_when_computing_then_rates_are_none_not_zero() -> None:
    k = compute_kpis([], [])
    assert k.offered == 0
    assert k.answer_rate is None and k.service_level is None and k.abandon_rate is None
    assert k.asa_seconds is None and k.aht_seconds is None and k.satisfaction_rate is None


def test_given_a_short_abandon_threshold_when_computing_then_quick_hangups_leave_both_counts() -> None:
    samples = [s(A, 5), s(X, 2.0), s(X, 9.0)]
    assert compute_kpis(samples).answer_rate == pytest.approx(1 / 3)
    k = compute_kpis(samples, short_abandon_s=5.0)
    assert (k.offered, k.abandoned) == (2, 1)
    assert k.answer_rate == pytest.approx(1 / 2)


def test_given_talk_times_and_wrap_up_when_computing_then_asa_and_aht_are_means_of_answered_calls() -> None:
    k = compute_kpis([s(A, 10, 100), s(A, 30, 200), s(X, 99)], wrap_up_s=30)
    assert k.asa_seconds == pytest.approx(20.0)
    assert k.aht_seconds == pytest.approx(150.0 + 30.0)


def test_given_survey_answers_when_computing_then_satisfaction_counts_satisfied_and_fairly_satisfied() -> (
    None
):
    k = compute_kpis([], [1, 1, 2, 3, 1, 2, 1, 1, 1, 3])
    assert (k.survey_answers, k.satisfied) == (10, 8)
    assert k.satisfaction_rate == pytest.approx(0.8)


def _erlang_c_textbook(n: int, a: float) -> float:
    """The textbook closed form, independent of the implementation's Erlang B recursion."""
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


@pytest.mark.parametrize(("n", "a"), [(11, 10.0), (13, 10.0), (14, 10.0), (3, 2.5), (30, 25.0), (2, 0.1)])
def test_given_seats_and_traffic_when_computing_erlang_c_then_it_matches_the_closed_form(
    n: int, a: float
) -> None:
    assert erlang_c(n, a) == pytest.approx(_erlang_c_textbook(n, a), rel=1e-9)


def test_given_100_calls_per_half_hour_at_180s_aht_when_targeting_80_in_20_then_14_seats() -> None:
    # The classic worked example: A = 100 x 180 / 1800 = 10 Erlangs; 13 seats give 79.6 %, 14 give 88.8 %.
    plan = seats_needed(100, 180, target_level=0.8, threshold_s=20)
    assert plan.traffic == pytest.approx(10.0)
    assert plan.seats == 14
    assert plan.service_level == pytest.approx(0.8884, abs=1e-4)
    assert erlang_service_level(13, 10.0, 180, 20) == pytest.approx(0.7956, abs=1e-4)
    independent = 1 - _erlang_c_textbook(14, 10.0) * math.exp(-(14 - 10) * 20 / 180)
    assert plan.service_level == pytest.approx(independent, rel=1e-9)
    assert plan.asa_seconds == pytest.approx(_erlang_c_textbook(14, 10.0) * 180 / 4, rel=1e-9)


def test_given_no_calls_when_staffing_then_zero_seats() -> None:
    assert seats_needed(0, 180).seats == 0


def test_given_an_occupancy_cap_when_staffing_then_more_seats_than_the_level_alone_needs() -> None:
    assert seats_needed(100, 180, max_occupancy=0.65).seats == 16  # 10 / 16 = 62.5 %


def test_given_seats_not_above_traffic_when_computing_then_everyone_waits() -> None:
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_service_level(9, 10.0, 180, 20) == 0.0


def test_given_bad_staffing_inputs_when_computing_then_value_error() -> None:
    with pytest.raises(ValueError):
        seats_needed(10, 0)
    with pytest.raises(ValueError):
        seats_needed(10, 180, target_level=1.0)


def test_given_calls_on_two_days_when_averaging_then_per_half_hour_means_over_days_with_calls() -> None:
    day1 = datetime(2026, 11, 4, 10, 5, tzinfo=CHINA_TZ)
    day2 = day1 + timedelta(weeks=1)
    times = [day1, day1 + timedelta(minutes=10), day2, day2 + timedelta(minutes=40)]
    volumes, days = average_volumes(times)
    assert days == 2
    assert volumes[20] == pytest.approx(1.5)  # 10:00-10:30: 2 then 1
    assert volumes[21] == pytest.approx(0.5)
    assert sum(volumes) == pytest.approx(2.0)


def test_given_no_history_when_averaging_then_zero_days_and_the_default_curve_sums_to_the_daily_total() -> (
    None
):
    volumes, days = average_volumes([])
    assert days == 0 and volumes == [0.0] * SLOTS_PER_DAY
    curve = default_volumes(400)
    assert len(curve) == SLOTS_PER_DAY and sum(curve) == pytest.approx(400)
    assert max(range(SLOTS_PER_DAY), key=curve.__getitem__) in range(18, 34)  # peak in office hours


def test_given_utc_times_when_slotting_then_china_time_half_hours() -> None:
    assert slot_of(datetime(2026, 11, 25, 1, 59, tzinfo=UTC)) == 19  # 09:59 China
    assert slot_of(datetime(2026, 11, 25, 2, 30, tzinfo=UTC)) == 21  # 10:30 China
    assert slot_label(21) == "10:30-11:00" and slot_label(47) == "23:30-24:00"


def test_the_15_second_answer_rate_counts_waits_up_to_15_s_over_answered_and_abandoned() -> None:
    from stats.kpi import CallOutcome, CallSample

    at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    samples = [
        CallSample(offered_at=at, outcome=CallOutcome.ANSWERED, wait_seconds=15.0),
        CallSample(offered_at=at, outcome=CallOutcome.ANSWERED, wait_seconds=15.5),
        CallSample(offered_at=at, outcome=CallOutcome.ANSWERED, wait_seconds=3.0),
        CallSample(offered_at=at, outcome=CallOutcome.ABANDONED, wait_seconds=2.0),
        CallSample(offered_at=at, outcome=CallOutcome.WAITING, wait_seconds=1.0),
    ]
    k = compute_kpis(samples, threshold_s=20.0)
    assert (k.answered_in_15s, k.answer_rate_15s) == (2, 0.5)
    assert k.service_level == 0.75  # the 20 s level takes the 15.5 s call in
