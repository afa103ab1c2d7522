from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.errors import PbxActionFailed
from core.events import DomainEvent
from core.ids import SeatId, TeamId
from pbx.ami_event import AmiEvent, parse_trace
from pbx.tracker import CallTracker
from routing.calendar import load_holidays
from routing.queues import load_queue_rules
from seats.board import SeatBoard
from seats.models import Seat, SeatKind, Team, TeamKind
from seats.service import SeatService
from seats.state import InvalidSeatTransition, PauseReason, SeatState, SeatStatus

S = SeatStatus
JINGAN = Team(id=TeamId("team-310106"), name="静安区坐席团队", kind=TeamKind.DISTRICT, district_code="310106")
NOTARIES = Team(id=TeamId("team-notaries"), name="市公证协会", kind=TeamKind.ASSOCIATION)
SEAT = Seat(
    id=SeatId("1001"),
    name="张律师",
    kind=SeatKind.LAWYER,
    team_id=JINGAN.id,
    interface="PJSIP/1001",
    skills=("family", "labor"),
)
NOTARY = Seat(
    id=SeatId("1004"),
    name="赵公证员",
    kind=SeatKind.NOTARY,
    team_id=NOTARIES.id,
    interface="PJSIP/1004",
    skills=("notary",),
)


def _tracker_events(shared: Path, trace: str) -> list[DomainEvent]:
    tracker = CallTracker()
    out: list[DomainEvent] = []
    for kind, headers in parse_trace((shared / "asterisk-traces" / trace).read_bytes()):
        if kind == "event":
            out += tracker.apply(AmiEvent.from_headers(headers))
    return out


def test_given_trace_01_when_applied_then_the_seat_logs_in_pauses_with_reason_and_resumes(
    shared_dir: Path,
) -> None:
    board = SeatBoard([SEAT])
    changes = [
        c for e in _tracker_events(shared_dir, "01_seat_login_pause_status.ami") for c in board.apply(e)
    ]
    assert [(c.previous, c.status) for c in changes] == [
        (S.OFFLINE, S.AVAILABLE),
        (S.AVAILABLE, S.PAUSED),
        (S.PAUSED, S.AVAILABLE),
    ]
    assert changes[1].pause_reason is PauseReason.OTHER  # the trace's reason "lunch" is not one of ours
    assert board.queues[SEAT.id] == {"q-general"}


def test_given_trace_02_when_applied_then_ringing_talking_and_wrap_up_then_available_after_the_wrap_up_time(
    shared_dir: Path,
) -> None:
    board = SeatBoard([SEAT], wrap_up_seconds=30)
    board.states[SEAT.id] = SeatState(seat_id=SEAT.id, team_id=JINGAN.id, status=S.AVAILABLE)
    board.queues[SEAT.id] = {"q-general"}  # logged in before the trace began
    events = _tracker_events(shared_dir, "02_answered_via_ivr_queue.ami")
    changes = [c for e in events for c in board.apply(e)]
    assert [c.status for c in changes] == [S.RINGING, S.TALKING, S.WRAP_UP]
    ended = changes[-1].at
    assert board.tick(ended + timedelta(seconds=29)) == []
    (done,) = board.tick(ended + timedelta(seconds=30))
    assert done.status is S.AVAILABLE and board.state(SEAT.id).call_id is None


def test_given_a_ring_while_paused_when_the_pbx_says_so_then_the_board_follows_the_pbx() -> None:
    from core.call_events import CallAnswered, SeatRinging

    board = SeatBoard([SEAT])
    at = datetime(2026, 11, 23, 2, tzinfo=UTC)
    board.states[SEAT.id] = SeatState(seat_id=SEAT.id, team_id=JINGAN.id, status=S.OFFLINE)
    (ring,) = board.apply(
        SeatRinging(at=at, call_id="c1", seat_id=SEAT.id, interface="PJSIP/1001", queue="q")
    )  # type: ignore[arg-type]
    assert ring.previous is S.OFFLINE and ring.status is S.RINGING  # not allowed by the machine, but a fact
    (talk,) = board.apply(
        CallAnswered(
            at=at, call_id="c1", seat_id=SEAT.id, interface="PJSIP/1001", queue="q", wait_seconds=1.0
        )
    )  # type: ignore[arg-type]
    assert talk.status is S.TALKING
    assert board.apply(ring) == []  # SeatStateChanged is not a PBX fact: ignored


@dataclass
class FakeControl:
    calls: list[tuple[str, tuple[object, ...], Mapping[str, object]]] = field(default_factory=list)
    fail_on_queue: str | None = None

    async def queue_add(self, queue: str, interface: str, **kw: object) -> None:
        if queue == self.fail_on_queue:
            raise PbxActionFailed("Unable to add interface: Already there")
        self.calls.append(("QueueAdd", (queue, interface), kw))

    async def queue_remove(self, queue: str, interface: str) -> None:
        self.calls.append(("QueueRemove", (queue, interface), {}))

    async def queue_pause(self, interface: str, **kw: object) -> None:
        self.calls.append(("QueuePause", (interface,), kw))

    def names(self) -> Sequence[str]:
        return [c[0] for c in self.calls]


class Dir:
    def __init__(self, items: Mapping[str, object]) -> None:
        self.items = items

    def get(self, key: str) -> object:
        return self.items[key]


@pytest.fixture
def rules() -> object:
    return load_queue_rules(load_holidays())


def _service(control: FakeControl, rules: object, board: SeatBoard) -> SeatService:
    return SeatService(
        control,  # type: ignore[arg-type]
        Dir({SEAT.id: SEAT, NOTARY.id: NOTARY}),  # type: ignore[arg-type]
        Dir({JINGAN.id: JINGAN, NOTARIES.id: NOTARIES}),  # type: ignore[arg-type]
        rules,  # type: ignore[arg-type]
        board,
    )


async def test_given_a_district_seat_when_logging_in_then_added_to_its_district_and_city_queues(
    rules: object,
) -> None:
    control = FakeControl()
    queues = await _service(control, rules, SeatBoard([SEAT, NOTARY])).login(SEAT.id)
    assert queues == ["q-310106-family", "q-310106-labor", "q-city-family", "q-city-labor"]
    assert [c[1][0] for c in control.calls] == queues
    assert all(
        c[2]["member_name"] == "seat-1001" and c[2]["state_interface"] == "PJSIP/1001" for c in control.calls
    )
    assert control.names() == ["QueueAdd"] * 4


async def test_given_an_association_seat_when_logging_in_then_city_pool_and_after_hours(
    rules: object,
) -> None:
    control = FakeControl()
    assert await _service(control, rules, SeatBoard([SEAT, NOTARY])).login(NOTARY.id) == [
        "q-city-notary",
        "q-afterhours",
    ]


async def test_given_a_failing_queue_add_when_logging_in_then_the_queues_added_so_far_are_removed(
    rules: object,
) -> None:
    control = FakeControl(fail_on_queue="q-city-family")
    with pytest.raises(PbxActionFailed):
        await _service(control, rules, SeatBoard([SEAT, NOTARY])).login(SEAT.id)
    assert control.names() == ["QueueAdd", "QueueAdd", "QueueRemove", "QueueRemove"]
    assert {c[1][0] for c in control.calls if c[0] == "QueueRemove"} == {"q-310106-family", "q-310106-labor"}


async def test_given_a_talking_seat_when_pausing_or_logging_out_then_refused_before_any_action(
    rules: object,
) -> None:
    board = SeatBoard([SEAT, NOTARY])
    board.states[SEAT.id] = SeatState(seat_id=SEAT.id, team_id=JINGAN.id, status=S.TALKING)
    control = FakeControl()
    service = _service(control, rules, board)
    with pytest.raises(InvalidSeatTransition):
        await service.pause(SEAT.id, PauseReason.MEAL)
    with pytest.raises(InvalidSeatTransition):
        await service.logout(SEAT.id)
    assert control.calls == []


async def test_given_an_available_seat_when_pausing_and_resuming_then_one_pause_action_each_with_reason(
    rules: object,
) -> None:
    board = SeatBoard([SEAT, NOTARY])
    board.states[SEAT.id] = SeatState(seat_id=SEAT.id, team_id=JINGAN.id, status=S.AVAILABLE)
    control = FakeControl()
    service = _service(control, rules, board)
    await service.pause(SEAT.id, PauseReason.MEAL)
    assert control.calls[-1] == ("QueuePause", ("PJSIP/1001",), {"paused": True, "reason": "meal"})
    board.states[SEAT.id] = SeatState(seat_id=SEAT.id, team_id=JINGAN.id, status=S.PAUSED)
    await service.resume(SEAT.id)
    assert control.calls[-1] == ("QueuePause", ("PJSIP/1001",), {"paused": False})
