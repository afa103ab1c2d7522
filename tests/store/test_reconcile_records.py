"""Reconciliation end to end on a real database (SQLite and PostgreSQL): Asterisk's queue log and
CDR files, the reconciler, the bus, the store's recorder and the callback service as the app
wires them. The database starts in the states the project was found in (calls left `queued`,
calls missing, an end stamped at reconnect time) and must end with every call closed truthfully
and every missed caller holding exactly one work order."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from callbacks.service import CallbackService
from callbacks.sla import SlaPolicy
from callbacks.subscriber import subscribe_callbacks
from core.bus import EventBus
from core.call_events import (
    CallAnswered,
    CallDirection,
    CallEnded,
    CallOffered,
    CallQueued,
    CallReconciled,
    HangupParty,
)
from core.calls import CallStatus
from core.clock import ManualClock
from core.events import DomainEvent
from core.ids import CallId, EventId, SeatId, TeamId
from pbx.reconcile import CDR, QUEUE_LOG, RecordsReconciler
from pbx.record_files import RecordFile
from routing.calendar import load_holidays
from store.callback_repo_extras import CallbackLedgerRepository
from store.db import Database
from store.models import CallRow, WorkOrderCallRow, WorkOrderRow
from store.recorder import TrailRecorder
from store.records import KnownCallsRepository, RecordCheckpointRepository
from store.repositories import CallRepository, WorkOrderRepository

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
RECONNECT = datetime(2026, 12, 1, 22, 7, 23, tzinfo=UTC)


@dataclass
class _NoSeats:
    def seat(self, seat_id: SeatId) -> None:
        return None

    async def available_seats(self, team_id: TeamId) -> Sequence[Any]:
        return []


@dataclass
class _NoCalls:
    originates: list[str] = field(default_factory=list)

    async def originate(self, channel: str, **kwargs: Any) -> None:
        self.originates.append(channel)


@dataclass
class Rig:
    db: Database
    bus: EventBus
    calls: CallRepository
    orders: WorkOrderRepository
    clock: ManualClock
    folder: Path
    live: set[str] = field(default_factory=set)

    def reconciler(self, *, cdr: bool = True, queue_log: bool = True) -> RecordsReconciler:
        return RecordsReconciler(
            queue_log=RecordFile(QUEUE_LOG, self.folder / "queue_log") if queue_log else None,
            cdr=RecordFile(CDR, self.folder / "Master.csv") if cdr else None,
            checkpoints=RecordCheckpointRepository(self.db),
            calls=KnownCallsRepository(self.db),
            live=lambda: tuple(self.live),
            publish=self.bus.publish,
            clock=self.clock,
        )

    async def publish(self, *events: DomainEvent) -> None:
        for e in events:
            await self.bus.publish(e)
        await self.bus.drain()

    def count(self, model: Any) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
async def rig(db: Database, tmp_path: Path) -> AsyncIterator[Rig]:
    bus = EventBus()
    clock = ManualClock(NOW)
    calls = CallRepository(db)
    orders = WorkOrderRepository(db)
    service = CallbackService(
        store=orders,
        ledger=CallbackLedgerRepository(db),
        calls=_NoCalls(),  # type: ignore[arg-type]
        bus=bus,
        clock=clock,
        seats=_NoSeats(),
        sla=SlaPolicy(calendar=load_holidays()),
    )
    subscribe_callbacks(bus, service)
    recorder = TrailRecorder(bus, calls)
    await recorder.start()
    await bus.start()
    yield Rig(db, bus, calls, orders, clock, tmp_path)
    await bus.stop()


def _copy_real(shared_dir: Path, folder: Path) -> None:
    d = shared_dir / "asterisk-traces" / "project-dialplan-22.10.1"
    shutil.copy(d / "queue_log", folder / "queue_log")
    shutil.copy(d / "Master.csv", folder / "Master.csv")


def _offered(call_id: str, number: str, at: datetime) -> CallOffered:
    return CallOffered(
        at=at,
        event_id=EventId(f"{call_id}:offered"),
        call_id=CallId(call_id),
        channel=f"PJSIP/{number}-1",
        caller_number=number,
        dialed="12348",
    )


async def _the_state_the_project_was_found_in(rig: Rig) -> None:
    """1796161931.4 left `queued` (its order was made live), 1796162752.29 closed at reconnect time
    with no talk, everything else missing (the app was killed, then started again)."""
    a = CallId("1796161931.4")
    await rig.publish(
        _offered(a, "13900139000", datetime(2026, 12, 1, 21, 52, 11, tzinfo=UTC)),
        CallQueued(
            at=datetime(2026, 12, 1, 21, 52, 56, tzinfo=UTC),
            event_id=EventId(f"{a}:queued:q-afterhours"),
            call_id=a,
            queue="q-afterhours",
            position=1,
            caller_number="13900139000",
        ),
    )
    from callbacks.models import MissedCall, MissReason, WorkOrder, WorkOrderStatus
    from core.ids import WorkOrderId

    at = datetime(2026, 12, 1, 21, 53, 8, tzinfo=UTC)
    rig.orders.record_miss(
        MissedCall(call_id=a, order_id=WorkOrderId("wo_live"), reason=MissReason.ABANDONED, at=at),
        WorkOrder(
            id=WorkOrderId("wo_live"),
            caller_number="13900139000",
            reason=MissReason.ABANDONED,
            status=WorkOrderStatus.POOL,
            team_id=TeamId("team-citywide"),
            created_at=at,
            deadline=at + timedelta(days=1),
        ),
    )
    b = CallId("1796162752.29")
    answered = datetime(2026, 12, 1, 22, 6, 40, tzinfo=UTC)
    await rig.publish(
        _offered(b, "13800138000", datetime(2026, 12, 1, 22, 5, 52, tzinfo=UTC)),
        CallAnswered(
            at=answered,
            event_id=EventId(f"{b}:answered"),
            call_id=b,
            seat_id=SeatId("1001"),
            interface="PJSIP/1001",
            queue="q-afterhours",
            wait_seconds=3.0,
        ),
        CallEnded(
            at=RECONNECT,
            event_id=EventId(f"{b}:ended"),
            call_id=b,
            direction=CallDirection.INBOUND,
            hung_up_by=HangupParty.UNKNOWN,
            answered=True,
            talk_seconds=None,
            duration_seconds=91.0,
            cause=None,
            inferred=True,
        ),
    )


async def test_given_the_real_records_and_the_projects_db_when_reconciled_then_every_call_is_closed_truthfully_and_each_missed_caller_ordered_once(
    rig: Rig, shared_dir: Path
) -> None:
    _copy_real(shared_dir, rig.folder)
    await _the_state_the_project_was_found_in(rig)
    assert rig.calls.get(CallId("1796161931.4")).status is CallStatus.QUEUED

    report = await rig.reconciler().run("启动")
    await rig.bus.drain()

    with rig.db.session() as s:
        rows = {r.id: r for r in s.scalars(select(CallRow))}
    assert len(rows) == 17  # every inbound call of the trace (not the callbacks, not the tap)
    assert not [cid for cid, r in rows.items() if r.ended_at is None]
    left_queued = rig.calls.get(CallId("1796161931.4"))
    assert left_queued.status is CallStatus.ABANDONED
    assert left_queued.ended_at == datetime(2026, 12, 1, 21, 53, 8, tzinfo=UTC)
    assert left_queued.wait_seconds == 12.0 and left_queued.hung_up_by == "caller"
    outage = rig.calls.get(CallId("1796162752.29"))
    assert outage.ended_at == datetime(2026, 12, 1, 22, 6, 56, tzinfo=UTC)
    assert outage.talk_seconds == 16.0 and outage.status is CallStatus.ANSWERED
    assert outage.hung_up_by == "caller"
    never_known = rig.calls.get(CallId("1796163462.55"))
    assert never_known.status is CallStatus.ABANDONED and never_known.queue == "q-city-other"
    assert never_known.caller_number == "13900139000"
    assert rig.calls.get(CallId("1796161656.0")).status is CallStatus.ENDED  # IVR only
    # Both abandons come from 13900139000: one open order holding both calls, the live one.
    assert rig.count(WorkOrderRow) == 1 and rig.count(WorkOrderCallRow) == 2
    order = rig.orders.open_for_number("13900139000")
    assert order is not None and order.id == "wo_live" and order.misses == 2
    assert (report.closed, report.corrected, report.created, report.misses) == (1, 1, 15, 1)
    assert report.skipped == {QUEUE_LOG: 0, CDR: 0}
    trail = [t.event_type for t in rig.calls.trail(CallId("1796162752.29"))]
    assert trail[-1] == "CallReconciled"  # the correction is part of the call's trail

    # A second pass (an AMI reconnect) reads nothing new; a fresh start reads from the checkpoint.
    again = await rig.reconciler().run("AMI 重新登录")
    await rig.bus.drain()
    assert again.lines == {QUEUE_LOG: 0, CDR: 0}
    checkpoint = RecordCheckpointRepository(rig.db).load(QUEUE_LOG)
    assert checkpoint is not None and checkpoint.offset == (rig.folder / "queue_log").stat().st_size


async def test_given_records_read_twice_from_the_start_when_reconciled_then_nothing_is_duplicated(
    rig: Rig, shared_dir: Path
) -> None:
    _copy_real(shared_dir, rig.folder)
    await rig.reconciler().run("启动")
    await rig.bus.drain()
    snapshot = (rig.count(CallRow), rig.count(WorkOrderRow), rig.count(WorkOrderCallRow))
    trail = len(rig.calls.trail(CallId("1796163462.55")))
    with rig.db.session() as s:  # the checkpoints are lost (a restored database)
        from store.models import RecordCheckpointRow

        for row in s.scalars(select(RecordCheckpointRow)):
            s.delete(row)
    second = await rig.reconciler().run("启动")
    await rig.bus.drain()
    assert (rig.count(CallRow), rig.count(WorkOrderRow), rig.count(WorkOrderCallRow)) == snapshot
    # Everything read again is already there: nothing to publish at all.
    assert (second.created, second.closed, second.corrected, second.misses) == (0, 0, 0, 0)
    assert snapshot == (17, 1, 2)
    assert len(rig.calls.trail(CallId("1796163462.55"))) == trail


ENTER = "{t}|{c}|q-310106-labor|NONE|ENTERQUEUE||{n}|1\n"
ABANDON = "{t}|{c}|q-310106-labor|NONE|ABANDON|1|1|{w}\n"
CONNECT = "{t}|{c}|q-310106-labor|seat-1001|CONNECT|{w}|{c}9|2\n"
COMPLETE = "{t}|{c}|q-310106-labor|seat-1001|COMPLETECALLER|{w}|{talk}|1\n"
CDR_ROW = (
    '"","{n}","s","hotline-queue","","PJSIP/{n}-0001","","Queue","q-310106-labor,tc,,,300",'
    '"{start}","{start}","{end}",{d},{d},"ANSWERED","DOCUMENTATION","{c}",""\n'
)


def _ts(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


async def test_given_a_caller_still_waiting_when_reconciled_then_the_next_pass_reads_the_call_whole_and_orders_it_once(
    rig: Rig,
) -> None:
    t = 1796170000
    queue_log, cdr = rig.folder / "queue_log", rig.folder / "Master.csv"
    # One call answered and over; one caller still waiting; a garbage line; a half-written line.
    queue_log.write_text(
        ENTER.format(t=t, c="9.1", n="13700000001")
        + CONNECT.format(t=t + 5, c="9.1", w=5)
        + COMPLETE.format(t=t + 65, c="9.1", w=5, talk=60)
        + "### not a queue log line ###\n"
        + ENTER.format(t=t + 10, c="9.2", n="13700000002")
        + "17961"
    )
    cdr.write_text(CDR_ROW.format(n="13700000001", c="9.1", start=_ts(t - 20), end=_ts(t + 65), d=85))
    rig.clock.set(datetime.fromtimestamp(t + 70, UTC))
    first = await rig.reconciler().run("启动")
    await rig.bus.drain()
    assert first.skipped[QUEUE_LOG] == 1 and first.incomplete == 1 and first.created == 1
    assert rig.calls.find(CallId("9.2")) is None and rig.count(WorkOrderRow) == 0
    answered = rig.calls.get(CallId("9.1"))
    assert answered.talk_seconds == 60.0 and answered.seat_id == "1001"

    # The caller gives up; Asterisk finishes the line and writes the CDR.
    with queue_log.open("a") as f:
        f.write(ABANDON.format(t=t + 40, c="9.2", w=30)[5:])
    with cdr.open("a") as f:
        f.write(CDR_ROW.format(n="13700000002", c="9.2", start=_ts(t - 5), end=_ts(t + 40), d=45))
    second = await rig.reconciler().run("AMI 重新登录")
    await rig.bus.drain()
    missed = rig.calls.get(CallId("9.2"))
    assert missed.status is CallStatus.ABANDONED and missed.wait_seconds == 30.0
    assert (missed.district_code, missed.category) == ("310106", "labor")  # from the queue's name
    assert second.misses == 1 and rig.count(WorkOrderRow) == 1
    assert rig.orders.open_for_number("13700000002") is not None
    # The checkpoint had stopped at the waiting caller's first line (after the garbage): the
    # call is read whole (ENTERQUEUE and ABANDON), and nothing before it again.
    assert second.lines[QUEUE_LOG] == 2 and second.created == 1 and second.corrected == 0


async def test_given_a_live_call_when_reconciled_then_it_is_left_to_the_tracker(rig: Rig) -> None:
    t = 1796170000
    (rig.folder / "queue_log").write_text(
        ENTER.format(t=t, c="9.3", n="13700000003") + ABANDON.format(t=t + 9, c="9.3", w=9)
    )
    rig.live.add("9.3")
    report = await rig.reconciler(cdr=False).run("AMI 重新登录")
    await rig.bus.drain()
    assert report.live == 1 and rig.calls.find(CallId("9.3")) is None and rig.count(WorkOrderRow) == 0


async def test_given_a_reconciled_end_when_the_resyncs_guessed_end_arrives_later_then_the_real_end_stays(
    rig: Rig,
) -> None:
    call = CallId("9.4")
    real_end = datetime(2026, 12, 1, 22, 6, 56, tzinfo=UTC)
    await rig.publish(
        _offered(call, "13700000004", real_end - timedelta(minutes=1)),
        CallReconciled(
            at=real_end,
            event_id=EventId(f"{call}:reconciled:x"),
            call_id=call,
            status=CallStatus.ANSWERED.value,
            talk_seconds=16.0,
            seat_id=SeatId("1001"),
        ),
        CallEnded(
            at=RECONNECT,
            event_id=EventId(f"{call}:ended"),
            call_id=call,
            direction=CallDirection.INBOUND,
            hung_up_by=HangupParty.UNKNOWN,
            answered=True,
            talk_seconds=None,
            duration_seconds=100.0,
            cause=None,
            inferred=True,
        ),
    )
    record = rig.calls.get(call)
    assert record.ended_at == real_end and record.talk_seconds == 16.0


async def test_given_a_call_left_queued_and_gone_from_the_pbx_without_records_when_resynced_then_it_is_closed_and_ordered_once(
    rig: Rig,
) -> None:
    call = CallId("9.5")
    offered = NOW - timedelta(hours=2)
    await rig.publish(
        _offered(call, "13700000005", offered),
        CallQueued(
            at=offered,
            event_id=EventId(f"{call}:queued:q-310106-labor"),
            call_id=call,
            queue="q-310106-labor",
            position=1,
            caller_number="13700000005",
        ),
    )
    no_files = rig.reconciler(cdr=False, queue_log=False)
    at_start = await no_files.run("启动")  # no AMI snapshot yet: the call may still be live
    await rig.bus.drain()
    assert at_start.open_unresolved == 1 and rig.calls.get(call).ended_at is None
    for _ in range(2):  # the AMI logs in (twice): the snapshot does not have the call
        await no_files.run("AMI 重新登录", snapshot_fresh=True)
        await rig.bus.drain()
    closed = rig.calls.get(call)
    assert closed.status is CallStatus.ABANDONED and closed.ended_at == NOW and closed.hung_up_by == "unknown"
    assert rig.count(WorkOrderRow) == 1 and rig.count(WorkOrderCallRow) == 1

    # The queue log turns up later: the guessed end is corrected from it.
    t = int((offered + timedelta(seconds=1)).timestamp())
    (rig.folder / "queue_log").write_text(
        ENTER.format(t=t, c="9.5", n="13700000005") + ABANDON.format(t=t + 50, c="9.5", w=50)
    )
    report = await rig.reconciler(cdr=False).run("定时核对")
    await rig.bus.drain()
    corrected = rig.calls.get(call)
    assert report.corrected == 1 and corrected.wait_seconds == 50.0
    assert corrected.ended_at == datetime.fromtimestamp(t + 50, UTC) and corrected.hung_up_by == "caller"
    assert rig.count(WorkOrderRow) == 1 and rig.count(WorkOrderCallRow) == 1


async def test_given_a_call_talking_when_the_hotline_restarted_then_the_first_fresh_snapshot_closes_it_at_once(
    rig: Rig,
) -> None:
    # Issue 14: a call talking at shutdown stayed `talking` after the restart (for `settle`, an
    # hour, and for ever where no fresh snapshot came later).
    before = CallId("9.7")
    offered = NOW - timedelta(minutes=5)
    await rig.publish(
        _offered(before, "13700000007", offered),
        CallAnswered(
            at=offered + timedelta(seconds=8),
            call_id=before,
            seat_id=SeatId("1001"),
            interface="PJSIP/1001",
            queue="q-310106-labor",
            wait_seconds=8.0,
        ),
    )
    reconciler = rig.reconciler(cdr=False, queue_log=False)  # this start: NOW
    rig.clock.advance(60)
    since_start = CallId("9.8")  # offered after the start: its end may still be on its way to us
    await rig.publish(_offered(since_start, "13700000008", rig.clock.now()))
    rig.clock.advance(30)
    report = await reconciler.run("AMI 重新登录", snapshot_fresh=True)
    await rig.bus.drain()
    closed = rig.calls.get(before)
    assert report.closed_unseen == 1 and closed.status is CallStatus.ANSWERED
    assert closed.ended_at == rig.clock.now() and closed.hung_up_by == "unknown"
    assert rig.calls.get(since_start).ended_at is None


def _replay_sessions(names: Sequence[str]) -> tuple[list[DomainEvent], set[str]]:
    """The project's own AMI sessions through the tracker as the bridge drives it: live events
    applied, each login's CoreShowChannels + QueueStatus snapshot rebuilt."""
    from pbx.ami_event import AmiEvent, parse_trace
    from pbx.tracker import CallTracker

    tracker = CallTracker(
        transfer_contexts=frozenset({"transfer", "hotline-transfer"}),
        inbound_contexts=frozenset({"incoming", "hotline-incoming"}),
    )
    folder = (
        Path(__file__).resolve().parents[2].parent / "shared" / "asterisk-traces" / "project-dialplan-22.10.1"
    )
    out: list[DomainEvent] = []
    for name in names:
        snapshot_ids: dict[str, str] = {}
        channels: list[AmiEvent] = []
        queues: list[AmiEvent] = []
        last = datetime(2026, 12, 1, tzinfo=UTC)
        for kind, headers in parse_trace((folder / name).read_bytes()):
            if kind == "action" and headers.get("Action") in ("CoreShowChannels", "QueueStatus"):
                snapshot_ids[headers["ActionID"]] = headers["Action"]
                continue
            if kind != "event":
                continue
            event = AmiEvent.from_headers(headers, received_at=last)
            last = event.at
            which = snapshot_ids.get(headers.get("ActionID", ""))
            if which is None:
                out += tracker.apply(event)
            elif event.name == "QueueStatusComplete":
                out += tracker.rebuild(channels, queues, last)
            elif which == "CoreShowChannels" and event.name == "CoreShowChannel":
                channels.append(event)
            elif which == "QueueStatus" and not event.name.endswith("Complete"):
                queues.append(event)
    return out, set(tracker.calls)


async def test_given_the_real_ami_outage_when_the_records_are_read_then_the_end_stamped_at_reconnect_gets_its_real_end_and_talk(
    rig: Rig, shared_dir: Path
) -> None:
    """Issue 11 on the real trace: linkedid 1796162752.29, talk 16, the caller hung up at 22:06:56
    while the AMI link was down; the resync stamped the end at the reconnect (22:07:23)."""
    _copy_real(shared_dir, rig.folder)
    events, live = _replay_sessions(
        ["project_ami_run2_session2_after_ssK.ami", "project_ami_run2_session3_after_outage.ami"]
    )
    await rig.publish(*events)
    call = CallId("1796162752.29")
    before = rig.calls.get(call)
    assert before.ended_at is not None and before.ended_at.replace(microsecond=0) == RECONNECT
    assert before.talk_seconds is None  # what the project recorded
    seen_live_before = rig.calls.get(CallId("1796162645.25"))

    rig.live |= live
    report = await rig.reconciler().run("AMI 重新登录", snapshot_fresh=True)
    await rig.bus.drain()
    after = rig.calls.get(call)
    assert after.ended_at == datetime(2026, 12, 1, 22, 6, 56, tzinfo=UTC)
    assert after.talk_seconds == 16.0 and after.hung_up_by == "caller" and after.seat_id == "1001"
    assert report.corrected >= 1
    # The seat's leg, ended at the reconnect with no talk time, gets the records' talk too.
    (leg,) = rig.calls.legs(call)
    assert leg.seat_id == "1001" and not leg.inferred and leg.talk_seconds == 16.0
    assert leg.ended_at is not None and leg.ended_at <= after.ended_at
    # The call the tracker saw end live (after its own reconnect) keeps what it recorded.
    assert seen_live_before.ended_at is not None
    assert rig.calls.get(CallId("1796162645.25")) == seen_live_before


async def test_given_dateformat_times_and_a_cdr_in_local_time_when_reconciled_then_times_are_read_in_the_servers_zone(
    rig: Rig,
) -> None:
    from zoneinfo import ZoneInfo

    shanghai = ZoneInfo("Asia/Shanghai")
    # queue_log_dateformat = %F %T.%3q and cdr.conf without usegmtime: both in the server's zone.
    (rig.folder / "queue_log").write_text(
        "2026-12-02 06:00:10.250|9.6|q-310106-labor|NONE|ENTERQUEUE||13700000006|1\n"
        "2026-12-02 06:00:31.750|9.6|q-310106-labor|NONE|ABANDON|1|1|21\n"
    )
    (rig.folder / "Master.csv").write_text(
        '"","13700000006","s","hotline-queue","","PJSIP/13700000006-1","","Queue","q-310106-labor",'
        '"2026-12-02 05:59:50","2026-12-02 05:59:50","2026-12-02 06:00:32",42,42,"ANSWERED","DOCUMENTATION","9.6",""\n'
    )
    reconciler = RecordsReconciler(
        queue_log=RecordFile(QUEUE_LOG, rig.folder / "queue_log"),
        cdr=RecordFile(CDR, rig.folder / "Master.csv"),
        checkpoints=RecordCheckpointRepository(rig.db),
        calls=KnownCallsRepository(rig.db),
        live=tuple,
        publish=rig.bus.publish,
        clock=rig.clock,
        queue_log_tz=shanghai,
        cdr_tz=shanghai,
    )
    await reconciler.run("启动")
    await rig.bus.drain()
    call = rig.calls.get(CallId("9.6"))
    assert call.offered_at == datetime(2026, 12, 1, 21, 59, 50, tzinfo=UTC)
    assert call.ended_at == datetime(2026, 12, 1, 22, 0, 32, tzinfo=UTC)
    order = rig.orders.open_for_number("13700000006")
    assert order is not None and order.created_at == datetime(2026, 12, 1, 22, 0, 31, 750000, tzinfo=UTC)


async def test_given_a_call_closed_from_its_first_cdr_row_when_the_surveys_row_comes_later_then_the_end_moves_on(
    rig: Rig,
) -> None:
    t = 1796170000
    queue_log, cdr = rig.folder / "queue_log", rig.folder / "Master.csv"
    queue_log.write_text(
        ENTER.format(t=t, c="9.7", n="13700000007")
        + CONNECT.format(t=t + 3, c="9.7", w=3)
        + "1796170015|9.7|q-310106-labor|seat-1001|COMPLETEAGENT|3|12|1\n"
    )
    # The seat hung up: the queue's CDR row is written while the caller goes on to the survey.
    cdr.write_text(CDR_ROW.format(n="13700000007", c="9.7", start=_ts(t - 10), end=_ts(t + 15), d=25))
    await rig.reconciler().run("启动")
    await rig.bus.drain()
    assert rig.calls.get(CallId("9.7")).ended_at == datetime.fromtimestamp(t + 15, UTC)
    with cdr.open("a") as f:  # the survey's row, when the caller hangs up
        f.write(CDR_ROW.format(n="13700000007", c="9.7", start=_ts(t + 15), end=_ts(t + 40), d=25))
    report = await rig.reconciler().run("定时核对")
    await rig.bus.drain()
    call = rig.calls.get(CallId("9.7"))
    assert report.corrected == 1 and call.ended_at == datetime.fromtimestamp(t + 40, UTC)
    assert call.talk_seconds == 12.0 and call.hung_up_by == "seat" and call.status is CallStatus.ANSWERED
    again = await rig.reconciler().run("定时核对")
    assert again.corrected == 0 and again.lines == {QUEUE_LOG: 0, CDR: 0}


@dataclass(frozen=True)
class _Atxfer:
    """What a real completed 咨询转接 trace's records say: 1001's calltime in queue_log's
    ATTENDEDTRANSFER line, 1002's billsec in the caller's CDR row with 1002's channel."""

    trace: str
    call: str
    ended_at: datetime
    first_talk: float
    second_uniqueid: str
    second_answered_at: datetime
    second_talk: float = 4.0


ATXFER_TRACES = [
    _Atxfer(
        "atxfer_seat_completed",
        "1796569441.0",
        datetime(2026, 12, 6, 15, 4, 19, tzinfo=UTC),
        8.0,
        "1796569451.4",
        datetime(2026, 12, 6, 15, 4, 15, tzinfo=UTC),
    ),
    # Another run, its CDR rows in another order (1002's own row first); its AttendedTransfer had
    # no TransferTarget headers, which the records never depended on.
    _Atxfer(
        "atxfer_seat_completed_untargeted",
        "1796571201.0",
        datetime(2026, 12, 6, 15, 33, 38, tzinfo=UTC),
        7.0,
        "1796571210.4",
        datetime(2026, 12, 6, 15, 33, 34, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize("case", ATXFER_TRACES, ids=lambda c: c.trace)
async def test_given_an_ami_outage_during_a_completed_consultation_when_reconciled_then_the_second_seat_has_its_leg(
    rig: Rig, case: _Atxfer
) -> None:
    """Real traces (Asterisk 22.10.1): 1001 answers, consults 1002 (咨询转接), 1002 takes the
    caller. The AMI link is lost as the consultation begins and comes back after the call: the
    tracker never saw 1002. Asterisk's records did: each seat gets its own talk time."""
    from pbx.ami_event import AmiEvent, parse_trace
    from pbx.tracker import CallTracker

    trace = Path(__file__).parents[1] / "data" / "asterisk-traces" / case.trace
    shutil.copy(trace / "queue_log", rig.folder / "queue_log")
    shutil.copy(trace / "Master.csv", rig.folder / "Master.csv")
    tracker = CallTracker()
    members: list[AmiEvent] = []
    events: list[DomainEvent] = []
    for kind, headers in parse_trace((trace / "ami.ami").read_bytes()):
        if kind != "event":
            continue
        if any("hotline-consult" in value for value in headers.values()):
            break  # the link is lost here
        event = AmiEvent.from_headers(headers)
        if event.name == "QueueMemberAdded":
            members.append(AmiEvent.from_headers({**headers, "Event": "QueueMember"}))
        events += tracker.apply(event)
    back = case.ended_at + timedelta(seconds=40)  # the link is back after the call
    events += tracker.rebuild([], members, back)
    await rig.publish(*events)
    call = CallId(case.call)
    (guessed,) = rig.calls.legs(call)
    assert guessed.seat_id == "1001" and guessed.inferred  # what the outage left

    rig.clock.set(back + timedelta(hours=2))
    reconciler = RecordsReconciler(
        queue_log=RecordFile(QUEUE_LOG, rig.folder / "queue_log"),
        cdr=RecordFile(CDR, rig.folder / "Master.csv"),
        checkpoints=RecordCheckpointRepository(rig.db),
        calls=KnownCallsRepository(rig.db),
        live=lambda: (),
        publish=rig.bus.publish,
        clock=rig.clock,
        seat_of=tracker.seat_at,
    )
    await reconciler.run("AMI 重新登录", snapshot_fresh=True)
    await rig.bus.drain()

    row = rig.calls.get(call)
    # As the tracker records a completed 咨询转接: answered, first by 1001, in the end by 1002.
    assert row.status == CallStatus.ANSWERED and (row.seat_id, row.final_seat_id) == ("1001", "1002")
    assert row.ended_at == case.ended_at
    # both seats', as the tracker counts a transferred call
    assert row.talk_seconds == case.first_talk + case.second_talk
    first, second = sorted(rig.calls.legs(call), key=lambda leg: leg.answered_at)
    assert (first.seat_id, first.talk_seconds, first.inferred) == ("1001", case.first_talk, False)
    assert (second.seat_id, second.kind, second.talk_seconds) == ("1002", "seat", case.second_talk)
    assert second.leg_id == f"{call}:{case.second_uniqueid}" and second.transfer_seq == 1
    assert second.answered_at == case.second_answered_at

    # Read again from the start: nothing is added twice.
    await rig.reconciler().run("定时核对", snapshot_fresh=True)
    await rig.bus.drain()
    assert len(rig.calls.legs(call)) == 2
