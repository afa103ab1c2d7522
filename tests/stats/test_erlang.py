"""Erlang A against the published closed forms, Erlang C, and a seeded queue simulation."""

from __future__ import annotations

import heapq
import random

import pytest

from stats.erlang import (
    erlang_a,
    estimate_patience,
    palm_p_abandon,
    palm_p_wait,
    seats_for_targets,
)
from stats.kpi import erlang_c, erlang_service_level

CASES = [  # seats, calls per half hour, AHT, patience
    (10, 100, 300, 120),
    (25, 250, 300, 90),
    (53, 300, 300, 90),
    (3, 12, 420, 60),
    (80, 900, 180, 200),
]


@pytest.mark.parametrize(("n", "calls", "aht", "patience"), CASES)
def test_p_wait_and_abandon_match_the_palm_closed_forms(
    n: int, calls: float, aht: float, patience: float
) -> None:
    lam = calls / 1800
    fig = erlang_a(n, lam, aht, patience, 15)

    assert fig.p_wait == pytest.approx(palm_p_wait(n, lam, aht, patience), rel=1e-9)
    assert fig.abandon_rate == pytest.approx(palm_p_abandon(n, lam, aht, patience), rel=1e-9)


def test_very_patient_callers_give_erlang_c() -> None:
    n, lam, aht = 40, 200 / 1800, 300.0
    fig = erlang_a(n, lam, aht, 3e4, 20)

    assert fig.p_wait == pytest.approx(erlang_c(n, lam * aht), abs=0.005)
    assert fig.service_level == pytest.approx(erlang_service_level(n, lam * aht, aht, 20), abs=0.005)


def _simulate(
    n: int, lam: float, aht: float, patience: float, threshold: float
) -> tuple[float, float, float]:
    """First-come first-served, exponential everything: (answer rate, service level, ASA)."""
    rng = random.Random(12348)
    free = [0.0] * n
    t = 0.0
    calls = 150_000
    answered = within = 0
    waits = 0.0
    for _ in range(calls):
        t += rng.expovariate(lam)
        give_up = rng.expovariate(1 / patience)
        start = max(t, free[0])
        if start - t > give_up:
            continue
        heapq.heapreplace(free, start + rng.expovariate(1 / aht))
        answered += 1
        within += start - t <= threshold
        waits += start - t
    return answered / calls, within / calls, waits / answered


@pytest.mark.parametrize(("n", "calls", "aht", "patience"), CASES[:3])
def test_figures_match_a_queue_simulation(n: int, calls: float, aht: float, patience: float) -> None:
    lam = calls / 1800
    fig = erlang_a(n, lam, aht, patience, 15)

    answer_rate, level, asa = _simulate(n, lam, aht, patience, 15)

    assert fig.answer_rate == pytest.approx(answer_rate, abs=0.01)
    assert fig.service_level == pytest.approx(level, abs=0.01)
    assert fig.asa_seconds == pytest.approx(asa, rel=0.1, abs=1.0)


def test_staffing_is_the_fewest_seats_meeting_both_targets() -> None:
    got = seats_for_targets(
        300, 300, 90, interval_s=1800, answer_rate_target=0.95, service_level_target=0.8, threshold_s=15
    )
    below = erlang_a(got.seats - 1, 300 / 1800, 300, 90, 15)

    assert got.answer_rate >= 0.95 and got.service_level >= 0.8
    assert below.answer_rate < 0.95 or below.service_level < 0.8


def test_shrinkage_rosters_more_seats_than_take_calls() -> None:
    got = seats_for_targets(
        120,
        300,
        90,
        interval_s=1800,
        answer_rate_target=0.95,
        service_level_target=0.8,
        threshold_s=15,
        shrinkage=0.3,
    )

    assert got.rostered * 0.7 >= got.seats > (got.rostered - 1) * 0.7


def test_no_calls_need_no_seats() -> None:
    got = seats_for_targets(
        0, 300, 90, interval_s=1800, answer_rate_target=0.95, service_level_target=0.8, threshold_s=15
    )
    assert (got.seats, got.rostered, got.answer_rate) == (0, 0, 1.0)


def test_patience_estimate_recovers_the_mean_with_answered_calls_censored() -> None:
    rng = random.Random(7)
    abandons: list[float] = []
    answered: list[float] = []
    for _ in range(20_000):
        patience, wait = rng.expovariate(1 / 80), rng.expovariate(1 / 40)
        (abandons if patience < wait else answered).append(min(patience, wait))

    assert estimate_patience(abandons, answered) == pytest.approx(80, rel=0.05)
    assert estimate_patience(abandons, []) < 40  # abandons alone would understate it
    assert estimate_patience([], answered) is None
