"""A web process's board (`SeatBoard.mirror` / `snapshot` / `restore`, issue 21's process roles):
it copies the deciding board's published moves and keeps the queue memberships from the same PBX
facts, and it starts from the deciding board's snapshot."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from test_board_after_restart import NOTARY, QUEUES, SEAT, at, device, ended, joined, left, talking_board

from core.call_events import SeatDeviceStatus, SeatPaused
from core.events import DomainEvent
from seats.board import SeatBoard
from seats.state import PauseReason, SeatStateChanged, SeatStatus


def _follow(decider: SeatBoard, mirror: SeatBoard, events: list[DomainEvent]) -> None:
    """What the two processes do with one stream: the telephony process's board decides and
    publishes its moves after each fact; the web process's board sees the fact, then the moves."""
    for event in events:
        moves = decider.apply(event)
        mirror.mirror(event)
        for move in moves:
            mirror.mirror(move)


def _same(a: SeatBoard, b: SeatBoard) -> None:
    assert a.states == b.states
    assert a.queues == b.queues
    assert a.member_paused == b.member_paused
    assert {q: a.serving(q) for q in QUEUES} == {q: b.serving(q) for q in QUEUES}


def test_given_the_deciding_boards_stream_when_mirrored_then_both_boards_are_the_same() -> None:
    decider = talking_board(wrap_up=10.0)
    mirror = SeatBoard([SEAT, NOTARY], wrap_up_seconds=10.0)
    mirror.restore(decider.snapshot())
    _same(decider, mirror)
    pause = SeatPaused(at=at(4), seat_id=SEAT.id, queue=QUEUES[0], interface=SEAT.interface, reason="meal")
    events: list[DomainEvent] = [device(SeatDeviceStatus.NOT_IN_USE, 3), ended(3), pause, left(QUEUES[1], 5)]
    _follow(decider, mirror, events)
    _same(decider, mirror)
    # The wrap-up's end is the deciding board's (its clock): the mirror takes the published move.
    _follow(decider, mirror, [])
    for move in decider.tick(at(20)):
        mirror.mirror(move)
    assert mirror.state(SEAT.id).status is SeatStatus.PAUSED
    assert mirror.state(SEAT.id).pause_reason is PauseReason.MEAL
    _same(decider, mirror)


def test_given_a_fact_alone_when_mirrored_then_no_seat_moves_until_its_move_comes() -> None:
    mirror = SeatBoard([SEAT], wrap_up_seconds=10.0)
    mirror.mirror(joined(QUEUES[0], 0))
    assert mirror.queues[SEAT.id] == {QUEUES[0]}
    assert mirror.state(SEAT.id).status is SeatStatus.OFFLINE  # the move is the decider's to publish


def test_given_a_move_older_than_the_snapshot_when_it_arrives_after_it_then_it_is_ignored() -> None:
    decider = talking_board()
    mirror = SeatBoard([SEAT, NOTARY])
    mirror.restore(decider.snapshot())  # talking since t=2
    stale = SeatStateChanged(
        at=at(1),
        seat_id=SEAT.id,
        team_id=SEAT.team_id,
        previous=SeatStatus.AVAILABLE,
        status=SeatStatus.RINGING,
    )
    mirror.mirror(stale)
    assert mirror.state(SEAT.id).status is SeatStatus.TALKING


def test_a_snapshot_names_only_seats_this_board_knows() -> None:
    decider = talking_board()
    mirror = SeatBoard([NOTARY])  # seat 1001 added after this process read the seat table
    assert mirror.restore(decider.snapshot()) == 1
