"""The call record of transfers the real runs did not exercise (streams of `transfer_variants`):
what the `calls` row and its `call_legs` say after each."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pbx"))

from real_traces_22 import FOLDER
from transfer_variants import CALL, attended_transfer, blind_transfer, new_dialplan_trunk, run

from core.calls import CallStatus
from core.ids import CallId
from pbx.ami_event import AmiEvent
from store.db import Database
from tests.support.recording import record

pytestmark = pytest.mark.skipif(not FOLDER.is_dir(), reason="shared traces missing")


async def test_given_a_trunk_transfer_answered_outside_when_recorded_then_transferred_with_an_external_leg(
    db: Database,
) -> None:
    calls = await record(db, run(new_dialplan_trunk(answered=True)))

    row = calls.get(CallId(CALL))
    assert row.status is CallStatus.TRANSFERRED
    assert (row.seat_id, row.final_seat_id, row.transfer_status) == ("1001", "1001", "ok")
    assert [(t["kind"], t["from_seat"], t["target"], t["status"]) for t in row.transfers] == [
        ("external", "1001", "12345", "ok")
    ]
    legs = calls.legs(CallId(CALL))
    assert [(leg.kind, leg.party, leg.transfer_seq) for leg in legs] == [
        ("seat", "1001", 0),
        ("external", "12345", 1),
    ]
    assert row.talk_seconds == pytest.approx(sum(leg.talk_seconds or 0.0 for leg in legs), abs=0.01)


async def test_given_a_trunk_transfer_unanswered_when_the_caller_is_answered_again_then_answered_and_failed(
    db: Database,
) -> None:
    calls = await record(db, run(new_dialplan_trunk(answered=False)))

    row = calls.get(CallId(CALL))
    assert row.status is CallStatus.ANSWERED
    assert row.transfer_status == "failed"
    assert row.transfers[0]["detail"] == "NOANSWER"
    assert [leg.party for leg in calls.legs(CallId(CALL))] == ["1001", "1001"]


@pytest.mark.parametrize("variant", [blind_transfer, attended_transfer])
async def test_given_a_phone_transfer_to_another_seat_when_recorded_then_first_and_final_seat_differ(
    db: Database, variant: Callable[[], list[AmiEvent]]
) -> None:
    calls = await record(db, run(variant()))

    row = calls.get(CallId(CALL))
    assert (row.seat_id, row.final_seat_id) == ("1001", "1002")
    assert row.status is CallStatus.ANSWERED
    assert [leg.seat_id for leg in calls.legs(CallId(CALL))] == ["1001", "1002"]
