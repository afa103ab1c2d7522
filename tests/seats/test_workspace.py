"""`SeatWorkspace` (and the `SeatService` behind its commands) over hand-written ports: what it reads where (the I/O model: the store on a
worker thread, the calls' views and the board on the event loop) and what it makes of it."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from callbacks.models import MissReason, WorkOrder, WorkOrderStatus
from core.bus import EventBus
from core.call_events import (
    CallAnswered,
    CallbackLeg,
    CallbackLegOutcome,
    CallbackOriginated,
    CallbackOutcome,
    CallOffered,
    CallQueued,
    CallTransferred,
    CallTransferSettled,
    TransferKind,
    TransferStatus,
)
from core.call_view import CallViews
from core.calls import CallLeg, CallRecord, CallStatus, CallTrailEntry, TranscriptLine
from core.clock import ManualClock
from core.errors import NotFound
from core.ids import CallId, OfficeId, SeatId, TeamId, WorkOrderId
from core.ports import CallControl
from routing.calendar import load_holidays
from routing.nearest import AddressCandidate
from routing.offices import Office
from routing.queues import load_queue_rules
from seats.board import SeatBoard
from seats.models import Seat, SeatKind, Team, TeamKind
from seats.ports import CallHistory
from seats.presence import SeatPresence
from seats.records import CheckedRecord, ConsultationRecord, RecordInput, UnsubmittedRecord
from seats.service import SeatService
from seats.state import PauseReason, SeatState, SeatStatus
from seats.workspace import SeatWorkspace

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
NUMBER = "13812345678"
CALL = CallId("c-now")
TEAM = TeamId("team-310106")
ZHANG = Seat(id=SeatId("1001"), name="张律师", kind=SeatKind.LAWYER, team_id=TEAM, interface="PJSIP/1001")
LI = Seat(id=SeatId("1002"), name="李律师", kind=SeatKind.LAWYER, team_id=TEAM, interface="PJSIP/1002")


@dataclass
class Threads:
    """Which thread each port was called on, by port name."""

    seen: dict[str, set[int]] = field(default_factory=dict)

    def note(self, what: str) -> None:
        self.seen.setdefault(what, set()).add(threading.get_ident())


@dataclass(frozen=True, slots=True, kw_only=True)
class Live:
    status: CallStatus
    channel: str
    caller_number: str
    dialed: str
    offered_at: datetime
    queue: str | None
    seat_id: SeatId | None


class Tracker:
    def __init__(self, threads: Threads, calls: Mapping[CallId, Live]) -> None:
        self._threads, self._calls = threads, calls

    @property
    def calls(self) -> Mapping[CallId, Live]:
        self._threads.note("tracker")
        return self._calls

    def call(self, call_id: CallId) -> Live | None:
        self._threads.note("tracker")
        return self._calls.get(call_id)


class Store:
    """Every store port at once; each call notes its thread."""

    def __init__(self, threads: Threads) -> None:
        self._threads = threads
        earlier = CallRecord(
            id=CallId("c-before"),
            caller_number=NUMBER,
            offered_at=AT - timedelta(days=3),
            status=CallStatus.ANSWERED,
            category="labor",
            seat_id=LI.id,
        )
        now = CallRecord(
            id=CALL, caller_number=NUMBER, offered_at=AT, queue="q-310106-labor", seat_id=ZHANG.id
        )
        self.rows = {earlier.id: earlier, now.id: now}

    def find(self, call_id: CallId) -> CallRecord | None:
        self._threads.note("calls")
        return self.rows.get(call_id)

    def trail(self, call_id: CallId) -> Sequence[CallTrailEntry]:
        self._threads.note("calls")
        return []

    def recent(self, *, limit: int = 50, caller_number: str | None = None) -> Sequence[CallRecord]:
        self._threads.note("calls")
        return [r for r in self.rows.values() if r.caller_number == caller_number][:limit]

    def third_parties(self, call_ids: Sequence[CallId]) -> Sequence[CallLeg]:
        """The earlier call was a three-way call: 张律师 invited, then 12345."""
        self._threads.note("calls")
        before = CallId("c-before")
        legs = [
            CallLeg(
                call_id=before,
                leg_id="c-before:c-1",
                kind="third_party",
                party="1001",
                seat_id=ZHANG.id,
                answered_at=AT - timedelta(days=3),
                ended_at=AT,
                talk_seconds=23.4,
            ),
            CallLeg(
                call_id=before,
                leg_id="c-before:c-2",
                kind="third_party",
                party="12345",
                answered_at=AT - timedelta(days=3),
                ended_at=AT,
                talk_seconds=8.0,
            ),
        ]
        return [leg for leg in legs if leg.call_id in call_ids]

    def get(self, call_id: CallId, seat_id: SeatId) -> ConsultationRecord | None:  # records.get
        self._threads.note("records")
        return None

    def save(
        self, call_id: CallId, seat_id: SeatId, fields: CheckedRecord, at: datetime, *, final: bool
    ) -> ConsultationRecord:
        self._threads.note("records")
        return ConsultationRecord(
            id="cr_1",
            call_id=call_id,
            seat_id=seat_id,
            created_at=at,
            updated_at=at,
            question=fields.question,
        )

    def for_caller(self, caller_number: str, *, limit: int = 20) -> Sequence[ConsultationRecord]:
        self._threads.note("records")
        return []

    def unsubmitted(self, seat_id: SeatId, *, limit: int = 20) -> Sequence[UnsubmittedRecord]:
        self._threads.note("records")
        return []

    def for_call(self, call_id: CallId) -> Sequence[TranscriptLine]:
        self._threads.note("transcripts")
        return []


class Orders:
    """The work orders: one, wo-1 of NUMBER."""

    def __init__(self, threads: Threads) -> None:
        self._threads = threads

    def _order(self, caller_number: str) -> WorkOrder:
        return WorkOrder(
            id=WorkOrderId("wo-1"),
            order_no="HB20261122-0007",
            caller_number=caller_number,
            reason=MissReason.ABANDONED,
            status=WorkOrderStatus.POOL,
            team_id=TEAM,
            created_at=AT - timedelta(days=1),
            deadline=AT,
        )

    def for_number(self, caller_number: str, *, limit: int = 20) -> Sequence[WorkOrder]:
        self._threads.note("orders")
        return [self._order(caller_number)]

    def get(self, order_id: WorkOrderId) -> WorkOrder:
        self._threads.note("orders")
        if order_id != "wo-1":
            raise NotFound("工单不存在", order_id=order_id)
        return self._order(NUMBER)


class Roster:
    def __init__(self, threads: Threads, seats: Sequence[Seat] = (ZHANG, LI)) -> None:
        self._threads, self._seats = threads, seats

    def get(self, seat_id: SeatId) -> Seat:
        self._threads.note("seats")
        for seat in self._seats:
            if seat.id == seat_id:
                return seat
        raise NotFound("坐席不存在")

    def all(self) -> Sequence[Seat]:
        self._threads.note("seats")
        return list(self._seats)


class NoOffices:
    @property
    def registry(self) -> NoOffices:
        return self

    def get(self, office_id: OfficeId) -> Office:
        raise NotFound("服务点不存在")

    def lookup(self, text: str) -> Sequence[AddressCandidate]:
        return []


class Teams:
    def get(self, team_id: TeamId) -> Team:
        return Team(id=team_id, name="静安区坐席团队", kind=TeamKind.DISTRICT, district_code="310106")


def _views(owner: SeatId | None) -> CallViews:
    """The call as the bus told it: offered, queued and (when `owner`) answered by `owner`."""
    views = CallViews()
    queue = "q-310106-labor"
    views.apply(
        CallOffered(at=AT, call_id=CALL, channel="PJSIP/trunk-01", caller_number=NUMBER, dialed="12348")
    )
    views.apply(CallQueued(at=AT, call_id=CALL, queue=queue, position=1))
    if owner is not None:
        views.apply(
            CallAnswered(at=AT, call_id=CALL, seat_id=owner, interface="", queue=queue, wait_seconds=3.0)
        )
    return views


def workspace_over(
    threads: Threads,
    board: SeatBoard,
    views: CallViews,
    *,
    live: Mapping[CallId, Live] | None = None,
    calls: CallHistory | None = None,
    seats: Sequence[Seat] = (ZHANG, LI),
    control: CallControl | None = None,
) -> SeatWorkspace:
    """A workspace over the hand-written ports; `calls`: another store of calls (the real one);
    `seats`: the roster; `control`: the PBX its commands go to (None: not connected)."""
    store = Store(threads)
    return SeatWorkspace(
        board=board,
        views=views,
        live=Tracker(threads, live or {}),
        bus=EventBus(),
        clock=ManualClock(AT),
        rules=load_queue_rules(load_holidays()),
        seats=Roster(threads, seats),
        teams=Teams(),
        calls=calls or store,
        records=store,
        transcripts=store,
        orders=Orders(threads),
        offices=NoOffices(),
        district_names={"310106": "静安区"},
        transfer_numbers={},
        wrap_up_seconds=30.0,
        commands=None,
        control=control,
    )


def zhang_talking(board: SeatBoard, owner: SeatId | None) -> dict[CallId, Live]:
    """Seat 1001 (ZHANG) talking on CALL on `board`; the live call, answered by `owner`."""
    board.states[ZHANG.id] = SeatState(
        seat_id=ZHANG.id, team_id=TEAM, status=SeatStatus.TALKING, call_id=CALL
    )
    live = Live(
        status=CallStatus.TALKING,
        channel="PJSIP/trunk-01",
        caller_number=NUMBER,
        dialed="12348",
        offered_at=AT,
        queue="q-310106-labor",
        seat_id=owner,
    )
    return {CALL: live}


def _workspace(threads: Threads, *, owner: SeatId | None, remembered: bool = True) -> SeatWorkspace:
    """`remembered`: the call's events reached this process (else it knows the call from the store only)."""
    board = SeatBoard([ZHANG, LI])
    live = zhang_talking(board, owner)
    return workspace_over(threads, board, _views(owner) if remembered else CallViews(), live=live)


async def test_given_a_screen_pop_of_a_call_in_memory_then_the_store_is_read_off_the_loop_for_the_rest() -> (
    None
):
    threads = Threads()
    workspace = _workspace(threads, owner=ZHANG.id)
    pop = await workspace.screen_pop(ZHANG.id, CALL)
    loop = threading.get_ident()
    assert (pop.caller_number, pop.status) == (NUMBER, CallStatus.TALKING)  # the bus's, not the row's
    for port in ("calls", "records", "orders", "seats"):
        assert loop not in threads.seen[port], port
    assert pop.queue_label == "静安区·劳动争议"
    assert [(c.seat, c.category_label, c.status) for c in pop.file.calls] == [
        ("李律师", "劳动争议", CallStatus.ANSWERED)
    ]
    # 三方通话 in that earlier call: each third party, its name and its own talk time.
    assert [c.third_parties for c in pop.file.calls] == [
        ("张律师（1001），通话23秒", "12345 政务服务便民热线，通话8秒")
    ]
    assert [(o.id, o.open, o.status_label) for o in pop.file.work_orders] == [("wo-1", True, "待领取")]
    assert pop.file.known


async def test_given_a_transcript_and_a_record_then_their_store_calls_run_off_the_loop() -> None:
    threads = Threads()
    workspace = _workspace(threads, owner=ZHANG.id)
    await workspace.transcript(ZHANG.id, CALL)
    saved = await workspace.save_record(ZHANG.id, CALL, RecordInput(question="欠薪"), final=False)
    loop = threading.get_ident()
    assert saved.question == "欠薪"
    assert threads.seen["transcripts"] and loop not in threads.seen["transcripts"]
    assert threads.seen["records"] and loop not in threads.seen["records"]


async def test_given_another_seats_call_then_not_found_after_asking_the_store_off_the_loop() -> None:
    threads = Threads()
    workspace = _workspace(threads, owner=ZHANG.id, remembered=False)
    with pytest.raises(NotFound):
        await workspace.screen_pop(LI.id, CALL)
    assert threads.seen["calls"] and threading.get_ident() not in threads.seen["calls"]
    assert "records" not in threads.seen  # nothing of the call was read for the wrong seat


class Presence:
    """seats.presence.SeatPresenceStore that notes its thread."""

    def __init__(self, threads: Threads) -> None:
        self._threads = threads

    def record(self, presence: SeatPresence) -> None:
        self._threads.note("presence")

    def get(self, seat_id: SeatId) -> SeatPresence | None:
        return None

    def logged_in(self) -> list[SeatPresence]:
        return []


class Pbx:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def queue_add(self, queue: str, interface: str, **kw: object) -> None:
        self.sent.append(f"add {queue}")

    async def queue_pause(self, interface: str, **kw: object) -> None:
        self.sent.append("pause")


async def test_given_a_seat_logging_in_and_pausing_then_its_directory_and_presence_are_used_off_the_loop() -> (
    None
):
    threads = Threads()
    board = SeatBoard([ZHANG])
    pbx = Pbx()
    service = SeatService(
        pbx,  # type: ignore[arg-type]  # only the two actions these commands send
        Roster(threads),
        Teams(),
        load_queue_rules(load_holidays()),
        board,
        presence=Presence(threads),
    )
    await service.login(ZHANG.id)
    board.states[ZHANG.id] = SeatState(seat_id=ZHANG.id, team_id=TEAM, status=SeatStatus.AVAILABLE)
    await service.pause(ZHANG.id, PauseReason.MEAL)
    loop = threading.get_ident()
    assert pbx.sent[0].startswith("add ") and pbx.sent[-1] == "pause"
    assert threads.seen["seats"] and loop not in threads.seen["seats"]
    assert len(threads.seen["presence"]) >= 1 and loop not in threads.seen["presence"]


async def test_given_a_callback_when_the_seat_answers_its_leg_then_the_pop_says_talking_and_callback() -> (
    None
):
    # Issue 14: the callback's screen pop kept 振铃 and did not say it was a callback.
    views = CallViews()
    cb = CallId("cb-1")
    views.apply(
        CallbackOriginated(
            at=AT,
            call_id=cb,
            work_order_id="wo-1",
            seat_id=ZHANG.id,
            interface="PJSIP/1001",
            channel="PJSIP/1001-1",
        )
    )
    board = SeatBoard([ZHANG, LI])
    board.states[ZHANG.id] = SeatState(seat_id=ZHANG.id, team_id=TEAM, status=SeatStatus.RINGING, call_id=cb)
    workspace = workspace_over(Threads(), board, views)
    ringing = await workspace.screen_pop(ZHANG.id, cb)
    assert (ringing.status_label, ringing.callback) == ("振铃", True)
    # The citizen has not answered yet: the work order names the number and the order.
    assert ringing.caller_number == NUMBER
    assert ringing.work_order is not None and ringing.work_order.order_no == "HB20261122-0007"
    views.apply(
        CallbackLegOutcome(
            at=AT, call_id=cb, leg=CallbackLeg.SEAT, outcome=CallbackOutcome.ANSWERED, seat_id=ZHANG.id
        )
    )
    board.states[ZHANG.id] = SeatState(seat_id=ZHANG.id, team_id=TEAM, status=SeatStatus.TALKING, call_id=cb)
    talking = await workspace.screen_pop(ZHANG.id, cb)
    assert (talking.status, talking.status_label, talking.callback) == (CallStatus.TALKING, "通话中", True)
    inbound = await _workspace(Threads(), owner=ZHANG.id).screen_pop(ZHANG.id, CALL)
    assert not inbound.callback


async def test_given_a_call_transferred_to_another_seat_when_it_answers_then_the_first_seat_sees_it_transferred() -> (
    None
):
    # Issue 14: the seat that handed the call on kept "转接中" into its wrap-up.
    views = _views(ZHANG.id)
    views.apply(
        CallTransferred(
            at=AT,
            call_id=CALL,
            context="hotline-transfer",
            exten="1002",
            seat_id=ZHANG.id,
            kind=TransferKind.SEAT,
            target=LI.id,
        )
    )
    views.apply(
        CallTransferSettled(
            at=AT,
            call_id=CALL,
            seq=1,
            kind=TransferKind.SEAT,
            target=LI.id,
            status=TransferStatus.OK,
            seat_id=LI.id,
        )
    )
    views.apply(CallAnswered(at=AT, call_id=CALL, seat_id=LI.id, interface="", queue=None, wait_seconds=2.0))
    board = SeatBoard([ZHANG, LI])
    board.states[ZHANG.id] = SeatState(
        seat_id=ZHANG.id, team_id=TEAM, status=SeatStatus.WRAP_UP, call_id=CALL
    )
    board.states[LI.id] = SeatState(seat_id=LI.id, team_id=TEAM, status=SeatStatus.TALKING, call_id=CALL)
    workspace = workspace_over(Threads(), board, views)
    mine = await workspace.screen_pop(ZHANG.id, CALL)
    assert (mine.status, mine.status_label) == (CallStatus.TRANSFERRED, "已转接")
    theirs = await workspace.screen_pop(LI.id, CALL)
    assert (theirs.status, theirs.status_label) == (CallStatus.TALKING, "通话中")
