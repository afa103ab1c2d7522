"""Transfers and call starts the real 22.10.1 runs did not exercise, on streams built from the real
run and the field sets each Asterisk version documents (see `transfer_variants.py`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_traces_22 import FOLDER
from transfer_variants import (
    attended_transfer,
    blind_transfer,
    down_then,
    new_dialplan_seat_transfer,
    new_dialplan_seat_unanswered,
    new_dialplan_trunk,
    of_call,
    run,
    seat_hangs_up_then_survey_elsewhere,
    transfer_11,
)

from core.call_events import CallEnded, HangupParty, LegKind, TransferKind, TransferStatus
from core.ids import SeatId, TeamId
from core.seat_events import SeatStatus
from seats.board import SeatBoard
from seats.models import Seat, SeatKind

pytestmark = pytest.mark.skipif(not FOLDER.is_dir(), reason="shared traces missing")


def transfers(events: list[Any]) -> list[tuple[TransferKind, str, TransferStatus]]:
    final: dict[int, tuple[TransferKind, str, TransferStatus]] = {}
    for e in events:
        if e.event_type in ("CallTransferred", "CallTransferSettled"):
            final[e.seq] = (e.kind, e.target, e.status)
    return [final[k] for k in sorted(final)]


def legs(events: list[Any]) -> list[tuple[LegKind, str, float | None]]:
    ended = {e.leg_id: e.talk_seconds for e in events if e.event_type == "CallLegEnded"}
    return [(e.kind, e.party, ended.get(e.leg_id)) for e in events if e.event_type == "CallLegAnswered"]


def answered_by(events: list[Any]) -> list[str]:
    return [str(e.seat_id) for e in events if e.event_type == "CallAnswered"]


def ended(events: list[Any]) -> CallEnded:
    (end,) = [e for e in events if isinstance(e, CallEnded)]
    return end


def board_after(events: list[Any]) -> SeatBoard:
    seats = [
        Seat(
            id=SeatId(s), name=s, kind=SeatKind.LAWYER, team_id=TeamId("t"), interface=f"PJSIP/{s}", skills=()
        )
        for s in ("1001", "1002")
    ]
    board = SeatBoard(seats)
    for e in events:
        board.apply(e)
    return board


@pytest.mark.parametrize("version", [22, 13])
def test_given_a_blind_transfer_by_the_phone_when_tracked_then_the_next_seat_takes_a_new_leg(
    version: int,
) -> None:
    events = of_call(run(blind_transfer(version=version)))

    assert transfers(events) == [(TransferKind.BLIND, "1002", TransferStatus.OK)]
    assert answered_by(events) == ["1001", "1002"]
    got = legs(events)
    assert [(k, p) for k, p, _ in got] == [(LegKind.SEAT, "1001"), (LegKind.SEAT, "1002")]
    assert got[0][2] == pytest.approx(10.0, abs=0.01)  # bridged at T_BRIDGED, transferred 10 s later
    assert got[1][2] == pytest.approx(22.0, abs=0.02)  # answered 3.03 s after, caller left 25.04 s after
    assert ended(events).seat_id == "1002"
    assert ended(events).talk_seconds == pytest.approx(32.0, abs=0.05)


def test_given_a_failed_blind_transfer_when_tracked_then_it_is_failed_and_the_seat_keeps_the_caller() -> None:
    all_events = run(blind_transfer(result="Fail"))
    events = of_call(all_events)

    assert transfers(events) == [(TransferKind.BLIND, "1002", TransferStatus.FAILED)]
    assert answered_by(events) == ["1001"]
    assert legs(events) == [(LegKind.SEAT, "1001", pytest.approx(30.0, abs=0.02))]
    assert ended(events).talk_seconds == pytest.approx(30.0, abs=0.02)
    # The board never sent seat 1001 to wrap-up before the call really ended.
    board = SeatBoard(
        [
            Seat(
                id=SeatId("1001"),
                name="1001",
                kind=SeatKind.LAWYER,
                team_id=TeamId("t"),
                interface="PJSIP/1001",
                skills=(),
            )
        ]
    )
    moves = [(c.status, c.at) for e in all_events for c in board.apply(e)]
    transfer_at = next(e.at for e in events if e.event_type == "CallTransferred")
    assert all(not (s is SeatStatus.WRAP_UP and at <= transfer_at) for s, at in moves)


@pytest.mark.parametrize("version", [22, 16])
def test_given_an_attended_transfer_when_tracked_then_the_target_seat_is_the_new_leg(version: int) -> None:
    events = of_call(run(attended_transfer(version=version)))

    assert transfers(events) == [(TransferKind.ATTENDED, "1002", TransferStatus.OK)]
    assert answered_by(events) == ["1001", "1002"]
    got = legs(events)
    assert [(k, p) for k, p, _ in got] == [(LegKind.SEAT, "1001"), (LegKind.SEAT, "1002")]
    assert got[0][2] == pytest.approx(18.0, abs=0.01)  # the caller stayed with 1001 (on hold) until the join
    assert got[1][2] == pytest.approx(12.0, abs=0.02)
    assert ended(events).seat_id == "1002"
    board = board_after(run(attended_transfer(version=version)))
    assert board.state(SeatId("1002")).status is SeatStatus.WRAP_UP  # it talked, then the call ended


def test_given_an_attended_transfer_of_asterisk_13_without_transferee_headers_then_the_transfer_is_still_seen() -> (
    None
):
    events = of_call(run(attended_transfer(version=13)))

    # Asterisk 13 names only the transferer's two channels: the target is the number dialled.
    assert transfers(events) == [(TransferKind.ATTENDED, "1002", TransferStatus.OK)]
    assert legs(events)[0][:2] == (LegKind.SEAT, "1001")


@pytest.mark.parametrize(("result", "dest_type"), [("Success", "Fail"), ("Fail", "Bridge")])
def test_given_a_failed_attended_transfer_when_tracked_then_it_is_failed_and_nobody_new_answers(
    result: str, dest_type: str
) -> None:
    events = of_call(run(attended_transfer(result=result, dest_type=dest_type)))

    assert transfers(events) == [(TransferKind.ATTENDED, "1002", TransferStatus.FAILED)]
    assert answered_by(events) == ["1001"]


@pytest.mark.parametrize("kind", ["Blind", "Attended"])
def test_given_an_asterisk_11_transfer_event_when_tracked_then_the_transfer_is_recorded(kind: str) -> None:
    events = of_call(run(transfer_11(kind)))

    expected = TransferKind.BLIND if kind == "Blind" else TransferKind.ATTENDED
    assert [(k, s) for k, _, s in transfers(events)] == [(expected, TransferStatus.OK)]
    assert answered_by(events) == ["1001", "1002"]


def test_given_the_new_dialplans_seat_transfer_when_tracked_then_pending_then_ok_with_the_second_seat() -> (
    None
):
    events = of_call(run(new_dialplan_seat_transfer()))

    assert [e.status for e in events if e.event_type.startswith("CallTransfer")] == [
        TransferStatus.PENDING,
        TransferStatus.OK,
    ]
    assert transfers(events) == [(TransferKind.SEAT, "1002", TransferStatus.OK)]
    assert [(k, p) for k, p, _ in legs(events)] == [(LegKind.SEAT, "1001"), (LegKind.SEAT, "1002")]
    assert legs(events)[1][2] == pytest.approx(30.0, abs=0.02)
    rang = [e for e in events if e.event_type == "SeatRinging"]
    assert [str(e.seat_id) for e in rang][-1] == "1002"


def test_given_the_new_dialplans_trunk_answered_when_tracked_then_an_external_leg_and_ok() -> None:
    events = of_call(run(new_dialplan_trunk(answered=True)))

    assert transfers(events) == [(TransferKind.EXTERNAL, "12345", TransferStatus.OK)]
    got = legs(events)
    assert [(k, p) for k, p, _ in got] == [(LegKind.SEAT, "1001"), (LegKind.EXTERNAL, "12345")]
    assert got[1][2] == pytest.approx(60.0, abs=0.02)
    assert ended(events).talk_seconds == pytest.approx(8.0 + 60.0, abs=0.05)


def test_given_the_new_dialplans_trunk_unanswered_when_the_caller_returns_to_the_queue_then_failed_and_answered_again() -> (
    None
):
    events = of_call(run(new_dialplan_trunk(answered=False)))

    assert transfers(events) == [(TransferKind.EXTERNAL, "12345", TransferStatus.FAILED)]
    detail = [e.detail for e in events if e.event_type == "CallTransferSettled"]
    assert detail == ["NOANSWER"]
    # The same seat answers again from the queue: a second leg, a second CallAnswered.
    assert answered_by(events) == ["1001", "1001"]
    assert [p for _, p, _ in legs(events)] == ["1001", "1001"]
    assert ended(events).hung_up_by is HangupParty.CALLER or ended(events).hung_up_by is HangupParty.SYSTEM


def test_given_a_seat_transfer_not_answered_when_the_dialplan_requeues_the_caller_then_one_failed_transfer() -> (
    None
):
    # [hotline-seat] jumps to `requeue` in [hotline-transfer]: the way back, not a second transfer.
    events = of_call(run(new_dialplan_seat_unanswered()))

    assert transfers(events) == [(TransferKind.SEAT, "1002", TransferStatus.FAILED)]
    assert [e.detail for e in events if e.event_type == "CallTransferSettled"] == ["NOANSWER"]
    assert answered_by(events) == ["1001", "1001"]
    assert [p for _, p, _ in legs(events)] == ["1001", "1001"]


@pytest.mark.parametrize(("state", "via_newexten"), [("4", False), ("6", False), ("0", True)])
def test_given_a_caller_channel_created_down_when_it_rings_or_enters_the_incoming_context_then_it_is_offered(
    state: str, via_newexten: bool
) -> None:
    events = of_call(run(down_then(state, via_newexten=via_newexten)), "1796162300.20")

    assert [e.event_type for e in events] == ["CallOffered", "CallEnded"]
    assert events[0].at.timestamp() == pytest.approx(1796162300.01)


def test_given_the_seat_hung_up_when_the_caller_goes_on_to_a_survey_elsewhere_then_that_is_no_transfer() -> (
    None
):
    events = of_call(run(seat_hangs_up_then_survey_elsewhere()))

    assert transfers(events) == []
    assert legs(events) == [(LegKind.SEAT, "1001", pytest.approx(20.001, abs=0.002))]
    assert ended(events).hung_up_by is HangupParty.SEAT
