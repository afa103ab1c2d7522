from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callbacks import policy
from callbacks.events import NotOrderedReason
from callbacks.models import MissReason
from callbacks.policy import PolicyConfig
from core.call_events import CallAbandoned, CallTimedOut
from core.ids import CallId, TeamId

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def abandoned(number: str, *, wait: float = 12.0, queue: str = "q-310106-labor") -> CallAbandoned:
    return CallAbandoned(
        at=AT,
        call_id=CallId("1.1"),
        queue=queue,
        wait_seconds=wait,
        position=1,
        original_position=1,
        caller_number=number,
    )


def test_given_an_abandon_in_a_district_queue_when_decided_then_the_district_team_gets_an_order() -> None:
    d = policy.from_abandoned(abandoned("13800138000"))
    assert d.creates_order
    assert (d.team_id, d.district_code, d.skill, d.reason) == (
        "team-310106",
        "310106",
        "labor",
        MissReason.ABANDONED,
    )


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", NotOrderedReason.HIDDEN_NUMBER),
        ("anonymous", NotOrderedReason.HIDDEN_NUMBER),
        ("<unknown>", NotOrderedReason.HIDDEN_NUMBER),
        ("1380013800a", NotOrderedReason.INVALID_NUMBER),
        ("1001", NotOrderedReason.TOO_SHORT),
        ("123456789012345678901", NotOrderedReason.INVALID_NUMBER),
    ],
)
def test_given_a_hidden_or_invalid_number_when_decided_then_no_order_and_the_reason_is_given(
    raw: str, why: NotOrderedReason
) -> None:
    d = policy.from_abandoned(abandoned(raw))
    assert not d.creates_order
    assert d.not_ordered is why


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("021 6234 5678", "02162345678"),
        ("+442071234567", "00442071234567"),
    ],
)
def test_given_a_formatted_number_when_normalised_then_it_is_the_dialable_digits(
    raw: str, number: str
) -> None:
    assert policy.normalise_number(raw) == (number, None)


def test_given_a_minimum_wait_when_the_caller_left_sooner_then_no_order_because_wait_too_short() -> None:
    config = PolicyConfig(min_abandon_wait_seconds=10)
    assert policy.from_abandoned(abandoned("13800138000", wait=9.9), config).not_ordered is (
        NotOrderedReason.WAIT_TOO_SHORT
    )
    assert policy.from_abandoned(abandoned("13800138000", wait=10), config).creates_order


def test_given_the_default_minimum_when_the_caller_left_at_once_then_an_order_is_still_due() -> None:
    assert policy.from_abandoned(abandoned("13800138000", wait=0.0)).creates_order


def test_given_a_timeout_in_the_general_queue_when_decided_then_the_city_pool_gets_it() -> None:
    event = CallTimedOut(
        at=AT,
        call_id=CallId("1.2"),
        queue="q-general",
        wait_seconds=15,
        position=1,
        original_position=1,
        caller_number="13800138000",
    )
    d = policy.from_timed_out(event)
    assert (d.team_id, d.reason, d.district_code) == ("team-citywide", MissReason.TIMED_OUT, None)


def test_given_an_ivr_request_with_only_an_office_team_when_decided_then_the_office_team_gets_it() -> None:
    d = policy.decide(
        call_id=CallId("1.3"),
        caller_number="13800138000",
        reason=MissReason.IVR_REQUEST,
        at=AT,
        office_team_id=TeamId("team-lawyers"),
    )
    assert d.team_id == "team-lawyers"


def test_given_an_after_hours_request_with_a_district_when_decided_then_the_district_wins_over_the_office() -> (
    None
):
    d = policy.decide(
        call_id=CallId("1.4"),
        caller_number="13800138000",
        reason=MissReason.AFTER_HOURS,
        at=AT,
        district_code="310115",
        office_team_id=TeamId("team-lawyers"),
    )
    assert (d.team_id, d.reason) == ("team-310115", MissReason.AFTER_HOURS)


def test_given_a_full_queue_when_decided_then_the_miss_reason_is_queue_full() -> None:
    d = policy.from_queue_full(CallId("1.5"), "13800138000", "q-310104-family", AT)
    assert (d.reason, d.team_id, d.skill) == (MissReason.QUEUE_FULL, "team-310104", "family")


def test_given_a_lab_pattern_when_the_number_is_a_sip_user_then_it_is_accepted() -> None:
    config = PolicyConfig(extra_number_pattern=r"caller\d+")
    assert policy.normalise_number("caller1", config) == ("caller1", None)
    assert policy.normalise_number("caller1")[1] is NotOrderedReason.INVALID_NUMBER
