"""The same calls on a real Asterisk 22 with `systemname` set (asterisk.conf, rendered from
`HOTLINE_ASTERISK__SYSTEMNAME`): every Uniqueid and Linkedid, so every call id, then reads
`<systemname>-<epoch>.<n>`, which is how several Asterisk servers keep their call ids apart. The
scenarios are test_real_asterisk.py's own, run again here with the name set: the call and its seat
recorded and agreeing with Asterisk's queue_log and CDR, a caller who gives up getting exactly one
work order, a callback, a transfer between seats.
"""

from __future__ import annotations

import pytest
from realpbx_app import Hotline
from test_real_asterisk import (
    test_answered_call_is_recorded_with_its_seat_and_talk_time,
    test_callback_rings_the_seat_first_then_the_citizen_and_is_recorded,
    test_caller_who_gives_up_in_the_queue_gets_exactly_one_work_order,
    test_seat_to_seat_transfer_records_both_seats,
)

SYSTEMNAME = "sh-pbx-a"

__all__ = [
    "test_answered_call_is_recorded_with_its_seat_and_talk_time",
    "test_callback_rings_the_seat_first_then_the_citizen_and_is_recorded",
    "test_caller_who_gives_up_in_the_queue_gets_exactly_one_work_order",
    "test_seat_to_seat_transfer_records_both_seats",
]


@pytest.fixture
def pbx_systemname() -> str:
    return SYSTEMNAME


@pytest.fixture(autouse=True)
def _call_ids_carry_the_systemname(hotline: Hotline):  # type: ignore[no-untyped-def]
    """After each scenario: every call it recorded has an id that starts with the name."""
    yield
    ids = [row.id for row in hotline.calls()]
    assert ids and all(i.startswith(f"{SYSTEMNAME}-") for i in ids), ids
