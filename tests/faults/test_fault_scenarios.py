"""Issue 12 item 7: each fault as an automated scenario, short versions of bench/fault_scenarios.py.

Every scenario starts its own peers: a private PostgreSQL cluster and (for Redis) a private
redis-server on free loopback ports, the PBX simulator as a process writing a ledger of what it
did, and the app as `python -m app.cli serve`. Ground truth is the PBX's ledger (calls placed,
answered, abandoned), never the app's own view; the app is judged by its database rows after a
settle: no missed call without a work order, no placed call without a closed `calls` row, nothing
doubled. See bench/faults/ledger.py for the exact definitions.
"""

from __future__ import annotations

import pytest

from bench.faults.peers import peers_available
from bench.faults.scenarios import (
    TEST,
    Figures,
    ami_burst,
    ami_cut,
    db_outage,
    pbx_restart,
    redis_restart,
    sigkill,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]


@pytest.fixture(autouse=True)
def _peers() -> None:
    why = peers_available()
    if why:
        pytest.skip(why)


def _check(figures: Figures) -> None:
    print(figures.report())
    assert figures.placed > 0, "no call was placed: the scenario measured nothing"
    assert not figures.problems(), figures.problems()


def test_given_traffic_when_the_app_is_sigkilled_and_restarted_then_no_call_or_order_is_lost() -> None:
    figures = sigkill(TEST)
    assert figures.extra["placed_while_down"], "no call arrived while the app was down"
    _check(figures)


def test_given_traffic_when_postgresql_is_down_for_seconds_then_no_call_or_order_is_lost() -> None:
    _check(db_outage(TEST))


def test_given_traffic_when_redis_restarts_then_the_fan_out_carries_on_both_ways() -> None:
    _check(redis_restart(TEST))


def test_given_seats_talking_when_the_pbx_restarts_then_seats_are_back_in_their_queues() -> None:
    _check(pbx_restart(TEST))


def test_given_traffic_when_the_ami_connection_is_cut_then_no_call_or_order_is_lost() -> None:
    _check(ami_cut(TEST))


def test_given_traffic_when_a_burst_of_ami_events_arrives_then_no_call_or_order_is_lost() -> None:
    _check(ami_burst(TEST))
