from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import CHINA_TZ, ManualClock, SystemClock, ensure_aware
from core.errors import HotlineError, NotFound
from core.privacy import mask_fields, mask_number


def test_given_manual_clock_when_advanced_then_time_moves_only_by_that_much() -> None:
    clock = ManualClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    clock.advance(90)
    clock.advance(minutes=1)
    assert clock.now() == datetime(2026, 11, 23, 1, 2, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 1, 1))


def test_given_system_clock_when_read_then_aware_utc() -> None:
    assert SystemClock().now().utcoffset() == timedelta(0)
    assert ensure_aware(datetime(2026, 1, 1)).tzinfo is UTC
    assert datetime(2026, 1, 1, 9, tzinfo=CHINA_TZ) == datetime(2026, 1, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("13800138000", "138****8000"),
        ("02161234567", "021****4567"),
        ("12345", "12345"),
        ("1001", "1001"),
        ("", ""),
        ("anonymous", "anonymous"),
    ],
)
def test_given_numbers_when_masked_then_only_personal_numbers_are_hidden(number: str, masked: str) -> None:
    assert mask_number(number) == masked


def test_given_nested_data_when_masking_fields_then_every_number_field_is_masked() -> None:
    data = {"caller_number": "13800138000", "queue": "q", "inner": {"callback_number": "13912345678"}}
    assert mask_fields(data) == {
        "caller_number": "138****8000",
        "queue": "q",
        "inner": {"callback_number": "139****5678"},
    }


def test_given_an_error_with_context_when_serialised_then_stable_id_and_message() -> None:
    err = NotFound("通话不存在", call_id="c1")
    assert isinstance(err, HotlineError)
    assert err.to_dict() == {"error_id": "not_found", "message": "通话不存在", "call_id": "c1"}
