"""The Erlang A forecast: patience from stored abandons, both targets, shrinkage, the rota's gaps."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core.access import Scope
from core.calls import CallRecord, CallStatus
from core.clock import CHINA_TZ
from core.ids import CallId
from stats.erlang import erlang_a
from stats.forecast import DEFAULT_PATIENCE_SECONDS, build_forecast, slot_middles
from stats.kpi import FAST_ANSWER_SECONDS, SLOT_SECONDS

CITY = Scope(True, "全市", None, frozenset(), frozenset())
DAY = date(2026, 12, 9)  # a Wednesday


def _call(n: int, at: datetime, status: CallStatus, wait: float, talk: float | None = None) -> CallRecord:
    answered = status is CallStatus.ANSWERED
    return CallRecord(
        id=CallId(f"c{n}"),
        caller_number="13800000000",
        offered_at=at,
        status=status,
        answered_at=at + timedelta(seconds=wait) if answered else None,
        wait_seconds=wait,
        talk_seconds=talk if answered else None,
    )


def _history() -> list[CallRecord]:
    """Four past Wednesdays, 40 calls each at 10:00-10:30; one in four abandons after 30 s."""
    calls = []
    n = 0
    for week in range(1, 5):
        ten = datetime(2026, 12, 9, 10, 0, tzinfo=CHINA_TZ) - timedelta(weeks=week)
        for i in range(40):
            n += 1
            at = ten + timedelta(seconds=40 * i)
            if i % 4 == 0:
                calls.append(_call(n, at, CallStatus.ABANDONED, 30.0))
            else:
                calls.append(_call(n, at, CallStatus.ANSWERED, 10.0, 240.0))
    return calls


def test_patience_comes_from_the_stored_abandons_with_answered_waits_censored() -> None:
    f = build_forecast(CITY, DAY, _history(), wrap_up_s=0.0)
    # 40 abandons x 30 s + 120 answered x 10 s queued, over 40 abandons
    assert f.patience_abandons == 40
    assert f.patience_seconds == (40 * 30 + 120 * 10) / 40


def test_without_abandons_the_default_patience_is_used_and_said_so() -> None:
    calls = [c for c in _history() if c.status is CallStatus.ANSWERED]
    f = build_forecast(CITY, DAY, calls, wrap_up_s=0.0)
    assert f.patience_seconds == DEFAULT_PATIENCE_SECONDS and "默认" in f.patience_label


def test_the_busy_half_hour_is_staffed_for_both_targets_with_erlang_a() -> None:
    f = build_forecast(CITY, DAY, _history(), wrap_up_s=10.0, shrinkage=0.25)
    slot = f.slots[20]
    lam = 40 / SLOT_SECONDS
    got = erlang_a(slot.staffing.seats, lam, f.aht_seconds, f.patience_seconds, FAST_ANSWER_SECONDS)
    fewer = erlang_a(slot.staffing.seats - 1, lam, f.aht_seconds, f.patience_seconds, FAST_ANSWER_SECONDS)

    assert slot.staffing.calls == 40 and f.aht_seconds == 250.0
    assert got.answer_rate >= 0.95 and got.service_level >= 0.80
    assert fewer.answer_rate < 0.95 or fewer.service_level < 0.80
    assert slot.staffing.rostered * 0.75 >= slot.staffing.seats
    assert f.slots[3].staffing.seats == 0  # no calls at 01:30 in the history


def test_the_rota_is_compared_per_half_hour_and_shortfalls_counted() -> None:
    scheduled = [0] * 48
    scheduled[20] = 1  # one seat on at 10:00-10:30, far short of the busy half hour
    scheduled[21] = 50
    f = build_forecast(CITY, DAY, _history(), wrap_up_s=0.0, scheduled=scheduled)

    assert f.slots[20].gap is not None and f.slots[20].gap < 0
    assert f.slots[21].gap == 50  # nothing forecast at 10:30
    assert f.gaps == 1
    assert slot_middles(DAY)[20] == datetime(2026, 12, 9, 10, 15, tzinfo=CHINA_TZ)


def test_todays_calls_are_counted_in_their_half_hour() -> None:
    nine = datetime(2026, 12, 9, 9, 10, tzinfo=CHINA_TZ)
    today = [
        _call(1, nine, CallStatus.ANSWERED, 5.0, 100.0),
        _call(2, nine, CallStatus.ABANDONED, 50.0),
        _call(3, nine, CallStatus.IN_IVR, 0.0),  # never reached a queue: not offered
    ]
    f = build_forecast(CITY, DAY, [], wrap_up_s=0.0, today=today)
    assert (f.slots[18].actual_calls, f.slots[18].actual_answered, f.slots[18].actual_abandoned) == (2, 1, 1)
    assert f.slots[19].actual_calls == 0
