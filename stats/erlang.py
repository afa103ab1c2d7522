"""Erlang A (Palm's M/M/n+M queue): staffing when callers hang up (pure: no I/O).

Erlang C assumes every caller waits for ever, so it overstates waits and understates answer rate
where callers give up (a 12348 line loses a few percent of its callers in the queue). Erlang A adds
an exponential patience of mean `patience_s` (rate θ = 1/patience): a caller still queued when it
runs out hangs up.

How it is computed (exactly, no simulation)
-------------------------------------------
The number of callers in the system is a birth-death chain: arrivals at λ, departures at
min(i, n)·μ + max(i - n, 0)·θ. Its stationary distribution π is what an arriving caller finds
(PASTA). A caller finding a free seat (i < n) is answered at once. One finding j = i - n callers
ahead moves up one place at rate s_k = n·μ + (k + 1)·θ with k ahead (a service ends, someone
ahead gives up, or it gives up itself: the last is θ of that rate). Competing exponentials: the
time of each step and which event it was are independent, so

* P(answered | j)             = Π_{k=0..j} (n·μ + k·θ) / s_k,
* E[wait | answered, j]       = Σ_{k=0..j} 1 / s_k,
* P(answered within T | j)    = P(answered | j) · P(Σ_{k=0..j} Exp(s_k) <= T),

the last by uniformisation (a Poisson number of steps of the chain). The published closed forms
of P(wait) and P(abandon | wait) (Mandelbaum & Zeltyn 2007, "Service engineering in action: the
Palm/Erlang-A queue", with Erlang B and the incomplete gamma function) are in `palm_p_wait` /
`palm_p_abandon`, and the tests hold this module to them, to Little's law (P(abandon) =
θ·E[queue] / λ) and, as θ -> 0, to Erlang C.

Figures as the board defines them: answer rate = answered / offered, service level within T =
answered within T / offered (an abandon counts against it whatever its wait, as on the board).

Patience: the maximum-likelihood estimate for an exponential patience from stored calls is the
total time callers spent queued (answered calls' waits are censored patience observations)
divided by the number who abandoned (`estimate_patience`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from stats.kpi import erlang_b

DEFAULT_PATIENCE_SECONDS = 120.0  # without stored abandons: a common planning value
_TAIL = 1e-14


@dataclass(frozen=True, slots=True, kw_only=True)
class ErlangA:
    agents: int
    traffic: float  # offered Erlangs: λ·AHT
    p_wait: float  # an arriving caller finds every seat busy
    answer_rate: float  # answered / offered
    abandon_rate: float  # abandoned / offered
    service_level: float  # answered within threshold_s / offered
    asa_seconds: float  # mean wait of answered calls
    occupancy: float  # carried load per seat


def _stationary(agents: int, lam: float, mu: float, theta: float) -> list[float]:
    """π_0.. of the M/M/n+M chain, truncated where the tail is negligible."""
    weights = [1.0]
    total = 1.0
    i = 0
    while True:
        i += 1
        death = min(i, agents) * mu + max(i - agents, 0) * theta
        w = weights[-1] * lam / death
        weights.append(w)
        total += w
        if total > 1e250:  # rescale: a busy centre's early weights are huge
            weights = [x / 1e250 for x in weights]
            total /= 1e250
        if i > agents + 5 and w < total * _TAIL:
            break
        if i > agents + 1_000_000:
            raise ValueError("the queue does not settle")
    return [w / total for w in weights]


def _poisson_weights(mean: float) -> list[float]:
    """Poisson(mean) probabilities of 0, 1, ... up to a negligible tail."""
    if mean <= 0:
        return [1.0]
    top = int(mean + 12 * math.sqrt(mean) + 30)
    log_mean = math.log(mean)
    return [math.exp(-mean + m * log_mean - math.lgamma(m + 1)) for m in range(top + 1)]


def erlang_a(
    agents: int,
    calls_per_second: float,
    aht_s: float,
    patience_s: float,
    threshold_s: float,
) -> ErlangA:
    """The Erlang A figures of `agents` seats (see the module docstring)."""
    if agents < 0 or calls_per_second < 0 or aht_s <= 0 or patience_s <= 0 or threshold_s < 0:
        raise ValueError("agents and calls must not be negative; AHT and patience must be positive")
    lam, mu, theta = calls_per_second, 1.0 / aht_s, 1.0 / patience_s
    traffic = lam * aht_s
    if lam == 0:
        return ErlangA(
            agents=agents,
            traffic=0.0,
            p_wait=0.0,
            answer_rate=1.0,
            abandon_rate=0.0,
            service_level=1.0,
            asa_seconds=0.0,
            occupancy=0.0,
        )
    pi = _stationary(agents, lam, mu, theta)
    immediate = sum(pi[:agents])
    queued = pi[agents:]  # queued[j]: an arrival finds j callers ahead of it
    served_given = []  # P(answered | j)
    mean_wait_given = []  # E[wait | answered, j]
    q = 1.0
    m = 0.0
    for k in range(len(queued)):
        s = agents * mu + (k + 1) * theta
        q *= (agents * mu + k * theta) / s
        m += 1.0 / s
        served_given.append(q)
        mean_wait_given.append(m)
    answered = immediate + sum(p * a for p, a in zip(queued, served_given, strict=True))
    waited = sum(p * a * w for p, a, w in zip(queued, served_given, mean_wait_given, strict=True))
    # Within T: uniformise the step chain (state = callers still ahead, -1 = reached a seat) at the
    # fastest step rate; mass starts at j weighted by P(j) and P(answered | j).
    in_threshold = immediate
    if queued and threshold_s > 0 and agents > 0:
        rates = [agents * mu + (k + 1) * theta for k in range(len(queued))]
        top = rates[-1]
        mass = [p * a for p, a in zip(queued, served_given, strict=True)]
        done = 0.0
        for weight in _poisson_weights(top * threshold_s):
            in_threshold += weight * done
            moved = [x * r / top for x, r in zip(mass, rates, strict=True)]
            done += moved[0]
            mass = [
                x - mv + (moved[k + 1] if k + 1 < len(moved) else 0.0)
                for k, (x, mv) in enumerate(zip(mass, moved, strict=True))
            ]
    return ErlangA(
        agents=agents,
        traffic=traffic,
        p_wait=1.0 - immediate,
        answer_rate=answered,
        abandon_rate=1.0 - answered,
        service_level=min(in_threshold, answered),
        asa_seconds=waited / answered if answered > 0 else math.inf,
        occupancy=min(1.0, lam * answered * aht_s / agents) if agents else 0.0,
    )


# --- the published closed forms, for checking ------------------------------------------------


def _palm_a(x: float, y: float) -> float:
    """A(x, y) = x·e^y / y^x · γ(x, y), by its series 1 + y/(x+1) + y²/((x+1)(x+2)) + ..."""
    term = total = 1.0
    k = 0
    while True:
        k += 1
        term *= y / (x + k)
        total += term
        if term < total * 1e-17:
            return total


def palm_p_wait(agents: int, calls_per_second: float, aht_s: float, patience_s: float) -> float:
    """P(W > 0) = A·E / (1 + (A - 1)·E), A = A(nμ/θ, λ/θ), E = Erlang B (Mandelbaum & Zeltyn)."""
    lam, mu, theta = calls_per_second, 1.0 / aht_s, 1.0 / patience_s
    a = _palm_a(agents * mu / theta, lam / theta)
    e = erlang_b(agents, lam / mu)
    return a * e / (1.0 + (a - 1.0) * e)


def palm_p_abandon(agents: int, calls_per_second: float, aht_s: float, patience_s: float) -> float:
    """P(Ab) = P(W > 0) · (1 / (ρ·A) + 1 - 1/ρ), ρ = λ / (nμ) (Mandelbaum & Zeltyn)."""
    lam, mu, theta = calls_per_second, 1.0 / aht_s, 1.0 / patience_s
    rho = lam / (agents * mu)
    a = _palm_a(agents * mu / theta, lam / theta)
    return palm_p_wait(agents, calls_per_second, aht_s, patience_s) * (1.0 / (rho * a) + 1.0 - 1.0 / rho)


# --- staffing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffingA:
    """The fewest seats meeting both targets in one interval, and what they achieve."""

    calls: float
    traffic: float
    seats: int  # seats taking calls (before shrinkage)
    rostered: int  # seats to put on the rota: seats / (1 - shrinkage), rounded up
    answer_rate: float
    service_level: float
    asa_seconds: float
    occupancy: float


def seats_for_targets(
    calls: float,
    aht_s: float,
    patience_s: float,
    *,
    interval_s: float,
    answer_rate_target: float,
    service_level_target: float,
    threshold_s: float,
    shrinkage: float = 0.0,
    limit: int = 5_000,
) -> StaffingA:
    """The fewest seats whose Erlang A answer rate and service level within `threshold_s` both meet
    their targets; `rostered` adds shrinkage (breaks, training, sickness: time on the rota not
    taking calls)."""
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must lie in [0, 1)")
    lam = calls / interval_s
    # Fewer seats than answer_rate_target · traffic cannot answer that share (each seat carries at
    # most one Erlang): start there, not at 0.
    n = max(0, math.floor(lam * aht_s * answer_rate_target) - 1)
    while n <= limit:
        fig = erlang_a(n, lam, aht_s, patience_s, threshold_s)
        if fig.answer_rate >= answer_rate_target and fig.service_level >= service_level_target:
            return StaffingA(
                calls=calls,
                traffic=fig.traffic,
                seats=n,
                rostered=math.ceil(n / (1.0 - shrinkage) - 1e-9),
                answer_rate=fig.answer_rate,
                service_level=fig.service_level,
                asa_seconds=fig.asa_seconds,
                occupancy=fig.occupancy,
            )
        n += 1
    raise ValueError(f"more than {limit} seats needed")


def estimate_patience(abandon_waits: Iterable[float], answered_waits: Iterable[float]) -> float | None:
    """Mean patience (s), the exponential MLE: all time spent queued / abandons (None: no abandon).

    An answered caller's wait is a censored patience (they would have waited at least that long),
    so leaving answered calls out would make callers look less patient than they are.
    """
    abandons = list(abandon_waits)
    if not abandons:
        return None
    exposure = sum(abandons) + sum(answered_waits)
    return max(exposure / len(abandons), 1.0)
