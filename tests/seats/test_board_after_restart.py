"""The board after a PBX restart and around app_queue's wrap-up; the seat restorer.

Board facts are built by hand where the sequence is what a restart produces (the tracker's rebuild
emits SeatLeftQueue for every member the new snapshot lacks, then an inferred CallEnded), and taken
from the real Asterisk 22.10.1 trace for the wrap-up timing.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_board_and_service import JINGAN, NOTARY, SEAT, FakeControl, _service

from core.call_events import (
    CallAnswered,
    CallDirection,
    CallEnded,
    HangupParty,
    SeatDeviceStatus,
    SeatDeviceStatusChanged,
    SeatJoinedQueue,
    SeatLeftQueue,
    SeatPaused,
    SeatRinging,
)
from core.errors import PbxUnavailable
from core.ids import CallId, SeatId
from pbx.ami_event import AmiEvent, parse_trace
from pbx.tracker import CallTracker
from seats.board import SeatBoard
from seats.models import Seat, SeatKind
from seats.presence import InMemoryPresence, SeatPresence, SeatRestorer
from seats.state import PauseReason, SeatStatus

S = SeatStatus
T0 = datetime(2026, 11, 23, 2, tzinfo=UTC)
QUEUES = ["q-310106-family", "q-310106-labor", "q-city-family", "q-city-labor"]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def joined(queue: str, t: float, *, paused: bool = False, reason: str = "") -> SeatJoinedQueue:
    return SeatJoinedQueue(
        at=at(t),
        seat_id=SEAT.id,
        queue=queue,
        interface=SEAT.interface,
        member_name="seat-1001",
        paused=paused,
        paused_reason=reason,
    )


def left(queue: str, t: float) -> SeatLeftQueue:
    return SeatLeftQueue(at=at(t), seat_id=SEAT.id, queue=queue, interface=SEAT.interface)


def ended(t: float, *, inferred: bool = False) -> CallEnded:
    return CallEnded(
        at=at(t),
        call_id=CallId("c1"),
        direction=CallDirection.INBOUND,
        hung_up_by=HangupParty.CALLER,
        answered=True,
        talk_seconds=None,
        duration_seconds=t,
        cause=16,
        seat_id=SEAT.id,
        inferred=inferred,
    )


def device(status: SeatDeviceStatus, t: float) -> SeatDeviceStatusChanged:
    return SeatDeviceStatusChanged(
        at=at(t), seat_id=SEAT.id, queue=QUEUES[0], interface=SEAT.interface, status=status
    )


def talking_board(wrap_up: float = 10.0) -> SeatBoard:
    board = SeatBoard([SEAT, NOTARY], wrap_up_seconds=wrap_up)
    for q in QUEUES:
        board.apply(joined(q, 0))
    board.apply(
        SeatRinging(
            at=at(1), call_id=CallId("c1"), seat_id=SEAT.id, interface=SEAT.interface, queue=QUEUES[0]
        )
    )
    board.apply(
        CallAnswered(
            at=at(2),
            call_id=CallId("c1"),
            seat_id=SEAT.id,
            interface=SEAT.interface,
            queue=QUEUES[0],
            wait_seconds=1,
        )
    )
    assert board.state(SEAT.id).status is S.TALKING
    return board


def statuses(changes: list[object]) -> list[SeatStatus]:
    return [c.status for c in changes]  # type: ignore[attr-defined]


def test_given_a_pbx_restart_mid_call_when_the_call_and_wrap_up_end_then_the_seat_is_offline_not_available() -> (
    None
):
    board = talking_board()
    # The new session's snapshot has no members: the rebuild says the seat left every queue,
    # then that the call (gone from the snapshot) ended.
    assert [c for q in QUEUES for c in board.apply(left(q, 30))] == []
    assert board.state(SEAT.id).status is S.TALKING  # still on the call
    assert statuses(board.apply(ended(31, inferred=True))) == [S.WRAP_UP]
    assert statuses(board.tick(at(41))) == [S.OFFLINE]
    # The restorer puts it back: the PBX confirms and the seat is available again.
    assert statuses(board.apply(joined(QUEUES[0], 50))) == [S.AVAILABLE]


def test_given_the_seat_rejoins_during_wrap_up_when_the_wrap_up_ends_then_it_is_available() -> None:
    board = talking_board()
    for q in QUEUES:
        board.apply(left(q, 30))
    board.apply(ended(31, inferred=True))
    assert board.apply(joined(QUEUES[0], 33)) == []  # in wrap-up: no change yet
    assert statuses(board.tick(at(41))) == [S.AVAILABLE]


def test_given_an_idle_seat_when_the_pbx_restarts_then_it_goes_offline_at_once() -> None:
    board = SeatBoard([SEAT], wrap_up_seconds=10)
    for q in QUEUES:
        board.apply(joined(q, 0))
    changes = [c for q in QUEUES for c in board.apply(left(q, 5))]
    assert statuses(changes) == [S.OFFLINE]


def test_given_the_member_paused_mid_call_when_the_wrap_up_ends_then_the_seat_is_paused_with_that_reason() -> (
    None
):
    board = talking_board()
    paused = SeatPaused(at=at(5), seat_id=SEAT.id, queue=QUEUES[0], interface=SEAT.interface, reason="meal")
    assert board.apply(paused) == []
    board.apply(ended(20))
    (change,) = board.tick(at(30))
    assert change.status is S.PAUSED and change.pause_reason is PauseReason.MEAL


def test_given_the_seat_hangs_up_first_when_the_caller_takes_the_survey_then_wrap_up_starts_at_the_seat_hangup() -> (
    None
):
    board = talking_board(wrap_up=10)
    (wrap,) = board.apply(device(SeatDeviceStatus.NOT_IN_USE, 20))  # QueueMemberStatus Status 1
    assert wrap.status is S.WRAP_UP and wrap.at == at(20)
    assert board.apply(ended(35)) == []  # the caller hangs up after the survey
    assert statuses(board.tick(at(30))) == [S.AVAILABLE]  # when app_queue frees it too


def test_given_a_device_in_use_while_talking_when_applied_then_the_seat_stays_talking() -> None:
    board = talking_board()
    assert board.apply(device(SeatDeviceStatus.IN_USE, 3)) == []
    assert board.state(SEAT.id).status is S.TALKING


def test_given_the_real_trace_when_the_seat_hangs_up_before_the_survey_then_the_board_frees_it_with_app_queue(
    shared_dir: Path,
) -> None:
    """Call 1796162901.34: AgentComplete at …954.57 (seat hung up), the caller answered the survey
    and hung up at …966.9. app_queue (wrapuptime 10) could offer 1001 a call from …964.57."""
    seat = Seat(
        id=SeatId("1001"), name="1001", kind=SeatKind.LAWYER, team_id=JINGAN.id, interface="PJSIP/1001"
    )
    board = SeatBoard([seat], wrap_up_seconds=10)
    tracker = CallTracker()
    trace = shared_dir / "asterisk-traces" / "project-dialplan-22.10.1" / "observer_all_events.ami"
    wrap_at: datetime | None = None
    caller_gone: datetime | None = None
    for kind, headers in parse_trace(trace.read_bytes()):
        if kind != "event":
            continue
        for event in tracker.apply(AmiEvent.from_headers(headers)):
            for change in board.apply(event):
                if change.status is S.WRAP_UP and change.call_id == "1796162901.34":
                    wrap_at = change.at
            if isinstance(event, CallEnded) and event.call_id == "1796162901.34":
                caller_gone = event.at
                break
        if caller_gone is not None:
            break
        board.tick(AmiEvent.from_headers(headers).at)
    assert wrap_at is not None and caller_gone is not None
    agent_complete = datetime.fromtimestamp(1796162954.570945, UTC)
    assert timedelta(0) <= wrap_at - agent_complete < timedelta(seconds=1)
    assert caller_gone - wrap_at > timedelta(seconds=10)  # the survey ran past app_queue's wrap-up
    # By the time the caller hangs up, the board shows 1001 free, as app_queue has it.
    assert board.state(seat.id).status is S.AVAILABLE


# --- the restorer ---------------------------------------------------------------------------


async def test_given_seats_recorded_logged_in_when_the_pbx_lost_them_then_each_is_added_back_with_its_pause(
    rules: object,
) -> None:
    board = SeatBoard([SEAT, NOTARY])
    control = FakeControl()
    service = _service(control, rules, board)
    await service.login(SEAT.id)
    await service.login(NOTARY.id)
    board.states[NOTARY.id] = board.state(NOTARY.id).__class__(
        seat_id=NOTARY.id, team_id=NOTARY.team_id, status=S.AVAILABLE
    )
    await service.pause(NOTARY.id, PauseReason.TRAINING)
    control.calls.clear()

    outcome = await SeatRestorer(service.presence, service).restore({})  # the PBX has nobody

    assert outcome.restored == {SEAT.id: QUEUES, NOTARY.id: ["q-city-notary", "q-afterhours"]}
    adds = [(c[1][0], c[1][1], c[2]["paused"]) for c in control.calls if c[0] == "QueueAdd"]
    assert adds == [(q, "PJSIP/1001", False) for q in QUEUES] + [
        ("q-city-notary", "PJSIP/1004", True),
        ("q-afterhours", "PJSIP/1004", True),
    ]
    pauses = [(c[2]["queue"], c[2]["reason"]) for c in control.calls if c[0] == "QueuePause"]
    assert pauses == [("q-city-notary", "training"), ("q-afterhours", "training")]


async def test_given_a_reconnect_to_a_pbx_that_kept_its_members_when_restoring_then_nothing_is_sent(
    rules: object,
) -> None:
    board = SeatBoard([SEAT, NOTARY])
    control = FakeControl()
    service = _service(control, rules, board)
    await service.login(SEAT.id)
    control.calls.clear()
    outcome = await SeatRestorer(service.presence, service).restore({SEAT.id: set(QUEUES)})
    assert outcome.restored == {} and control.calls == []
    # Only a lost queue is added back.
    outcome = await SeatRestorer(service.presence, service).restore({SEAT.id: set(QUEUES[1:])})
    assert outcome.restored == {SEAT.id: [QUEUES[0]]}
    assert [c[1][0] for c in control.calls] == [QUEUES[0]]


async def test_given_a_logged_out_seat_when_restoring_then_it_stays_out(rules: object) -> None:
    board = SeatBoard([SEAT, NOTARY])
    control = FakeControl()
    service = _service(control, rules, board)
    await service.login(SEAT.id)
    for q in QUEUES:
        board.apply(joined(q, 0))
    await service.logout(SEAT.id)
    control.calls.clear()
    assert (await SeatRestorer(service.presence, service).restore({})).restored == {}
    assert control.calls == []


async def test_given_the_pbx_refuses_one_seat_when_restoring_then_the_others_are_still_restored() -> None:
    class Flaky:
        def __init__(self) -> None:
            self.rejoined: list[SeatId] = []

        def queues_of(self, seat_id: SeatId) -> list[str]:
            return ["q-a"]

        async def rejoin(self, seat_id: SeatId, queues: object, presence: SeatPresence) -> None:
            if seat_id == "1":
                raise PbxUnavailable("AMI 未连接")
            self.rejoined.append(seat_id)

    store = InMemoryPresence()
    for sid in ("1", "2"):
        store.record(SeatPresence(seat_id=SeatId(sid), logged_in=True, at=T0))
    flaky = Flaky()
    outcome = await SeatRestorer(store, flaky).restore({})
    assert outcome.failed == {SeatId("1"): "AMI 未连接"} and flaky.rejoined == [SeatId("2")]


@pytest.fixture
def rules() -> object:
    from routing.calendar import load_holidays
    from routing.queues import load_queue_rules

    return load_queue_rules(load_holidays())
