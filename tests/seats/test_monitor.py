"""`SupervisorMonitor` over hand-written ports: the AMI actions of each mode, the rights and the
scope, the supervisor's phone, the events that end a monitor, and the audit of every step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from console_web.settings import MonitorSettings
from core import dialplan
from core.access import Principal, Right, Role, Scope
from core.audit import AuditEntry
from core.bus import EventBus
from core.call_events import (
    CallDirection,
    CallEnded,
    CallLegEnded,
    CallTakenOver,
    HangupParty,
    LegKind,
    MonitorConnected,
    MonitorEnded,
    SeatRinging,
)
from core.calls import CallStatus
from core.clock import ManualClock
from core.errors import Conflict, PbxActionFailed, PermissionDenied
from core.events import StateResynced
from core.ids import CallId, SeatId, TeamId, UserId
from seats.board import SeatBoard
from seats.models import Seat, SeatKind, Team, TeamKind
from seats.monitor import MonitorMode, SupervisorMonitor
from seats.state import SeatState, SeatStatus

AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
CALL = CallId("1796571440.1")
CALLER = "PJSIP/trunk-00000001"
LEG = "PJSIP/1001-00000002"
JINGAN, PUDONG = TeamId("team-310106"), TeamId("team-310115")
TEAMS = [
    Team(id=JINGAN, name="静安区坐席团队", kind=TeamKind.DISTRICT, district_code="310106"),
    Team(id=PUDONG, name="浦东新区坐席团队", kind=TeamKind.DISTRICT, district_code="310115"),
]
ZHANG = Seat(id=SeatId("1001"), name="张律师", kind=SeatKind.LAWYER, team_id=JINGAN, interface="PJSIP/1001")
WANG = Seat(id=SeatId("1003"), name="王律师", kind=SeatKind.LAWYER, team_id=PUDONG, interface="PJSIP/1003")


def _p(user: str, role: Role, **kw: Any) -> Principal:
    return Principal(user_id=UserId(user), username=user, display_name=user, role=role, **kw)


CITY = _p("u-city", Role.SUPERVISOR)
JINGAN_SUP = _p("u-jingan", Role.SUPERVISOR, scope_district_code="310106")
PUDONG_SUP = _p("u-pudong", Role.SUPERVISOR, scope_district_code="310115")
INSPECTOR = _p("u-qc", Role.INSPECTOR, scope_district_code="310106")
SEAT_USER = _p("u-1002", Role.SEAT, seat_id=SeatId("1002"))
PHONES = {"u-city": "8001", "u-jingan": "8002", "u-pudong": "8003", "u-qc": "8004", "u-1002": "8005"}


@dataclass(frozen=True)
class LiveCall:
    status: CallStatus
    channel: str
    queue: str | None


class Tracker:
    def __init__(self) -> None:
        self.calls: dict[CallId, LiveCall] = {CALL: LiveCall(CallStatus.TALKING, CALLER, "q-310106-labor")}

    def call(self, call_id: CallId) -> LiveCall | None:
        return self.calls.get(call_id)

    def waiting_in(self, queue: str) -> int:
        return sum(1 for c in self.calls.values() if c.queue == queue and c.status is CallStatus.QUEUED)

    def seat_at(self, interface: str) -> SeatId | None:
        return None


@dataclass
class Control:
    sent: list[tuple[str, str, Mapping[str, Any]]] = field(default_factory=list)
    fail: bool = False

    async def originate(self, channel: str, **kw: Any) -> None:
        if self.fail:
            raise PbxActionFailed("Originate failed")
        self.sent.append(("Originate", channel, kw))

    async def hangup(self, channel: str, *, cause: int | None = None) -> None:
        self.sent.append(("Hangup", channel, {}))

    async def bridge(self, channel1: str, channel2: str) -> None:
        if self.fail:
            raise PbxActionFailed("Channel2 does not exist")
        self.sent.append(("Bridge", channel1, {"channel2": channel2}))

    def originated(self) -> list[Mapping[str, Any]]:
        return [kw for name, _, kw in self.sent if name == "Originate"]


@dataclass
class Audit:
    entries: list[AuditEntry] = field(default_factory=list)

    def append(self, entry: AuditEntry) -> int:
        self.entries.append(entry)
        return len(self.entries)

    def recent(
        self, *, limit: int = 100, actor: UserId | None = None, prefixes: tuple[str, ...] = ()
    ) -> list[AuditEntry]:
        return [e for e in reversed(self.entries) if not prefixes or e.action.startswith(prefixes)][:limit]

    def actions(self) -> list[tuple[str, Mapping[str, Any]]]:
        return [(e.action, e.detail) for e in self.entries]


class Phones:
    def __init__(self, phones: Mapping[str, str]) -> None:
        self._phones = dict(phones)

    def endpoint(self, user_id: UserId) -> str | None:
        return self._phones.get(user_id)

    def save(self, user_id: UserId, endpoint: str, password: str) -> None:
        self._phones[user_id] = endpoint


@dataclass
class World:
    monitor: SupervisorMonitor
    control: Control
    audit: Audit
    bus: EventBus
    clock: ManualClock
    tracker: Tracker

    async def publish(self, *events: Any) -> None:
        for e in events:
            await self.bus.publish(e)
        await self.bus.drain()


@pytest.fixture
async def world() -> World:
    return await _world()


class Sessions:
    """The store's monitor sessions, in memory."""

    def __init__(self) -> None:
        self.kept: dict[UserId, dict[str, str | None]] = {}

    def save(self, user_id: UserId, state: Mapping[str, str | None]) -> None:
        self.kept[user_id] = dict(state)

    def drop(self, user_id: UserId) -> None:
        self.kept.pop(user_id, None)

    def load(self) -> dict[UserId, dict[str, str | None]]:
        return {k: dict(v) for k, v in self.kept.items()}


async def _world(
    *,
    phones: Mapping[str, str] = PHONES,
    settings: MonitorSettings | None = None,
    sessions: Sessions | None = None,
    live_monitors: Any = lambda: None,
) -> World:
    board = SeatBoard([ZHANG, WANG])
    board.states[ZHANG.id] = SeatState(
        seat_id=ZHANG.id, team_id=JINGAN, status=SeatStatus.TALKING, call_id=CALL
    )
    bus, clock, control, audit, tracker = EventBus(), ManualClock(AT), Control(), Audit(), Tracker()
    monitor = SupervisorMonitor(
        board=board,
        live=tracker,
        bus=bus,
        clock=clock,
        control=lambda: control,  # type: ignore[arg-type,return-value]
        phones=Phones(phones),
        audit=audit,
        scope_of=lambda p: Scope.of(p, TEAMS, [ZHANG, WANG]),
        **({} if settings is None else {"rights": settings.rights()}),
        sessions=sessions,
        live_monitors=live_monitors,
    )
    await bus.start()
    w = World(monitor, control, audit, bus, clock, tracker)
    await w.publish(
        SeatRinging(
            at=AT, call_id=CALL, seat_id=ZHANG.id, interface="PJSIP/1001", queue="q-310106-labor", channel=LEG
        )
    )
    return w


def _ended(at: datetime) -> CallEnded:
    return CallEnded(
        at=at,
        call_id=CALL,
        direction=CallDirection.INBOUND,
        hung_up_by=HangupParty.CALLER,
        answered=True,
        talk_seconds=60.0,
        duration_seconds=90.0,
        cause=16,
    )


async def test_given_each_mode_when_started_and_switched_then_chanspy_runs_on_the_seats_leg_with_its_options(
    world: World,
) -> None:
    await world.monitor.start(JINGAN_SUP, ZHANG.id, MonitorMode.LISTEN, "10.0.0.9")
    first = world.control.originated()[0]["channel_id"]
    await world.monitor.switch(JINGAN_SUP, MonitorMode.WHISPER)
    second = world.control.originated()[1]["channel_id"]
    await world.monitor.switch(JINGAN_SUP, MonitorMode.BARGE)

    sent = world.control.sent
    assert [name for name, _, _ in sent] == ["Originate", "Hangup", "Originate", "Hangup", "Originate"]
    assert [kw["data"] for kw in world.control.originated()] == [f"{LEG},qE", f"{LEG},qwE", f"{LEG},qBE"]
    for _name, channel, kw in (s for s in sent if s[0] == "Originate"):
        assert channel == f"Local/{kw['channel_id']}@{dialplan.MONITOR}"
        assert (kw["application"], kw["context"], kw["exten"]) == (
            "ChanSpy",
            dialplan.MONITOR,
            kw["channel_id"],
        )
        assert kw["variables"] == {dialplan.VAR_MONITOR_PHONE: "8002"}
        assert kw["channel_id"].startswith(dialplan.MONITOR_PREFIX) and kw["channel_id"].endswith(f".{CALL}")
    # Each switch hung up the monitor before it (the phone rings again for the new one).
    assert [channel for name, channel, _ in sent if name == "Hangup"] == [first, second]
    view = world.monitor.session(JINGAN_SUP)
    assert (view.active, view.mode, view.seat_id, view.call_id) == (True, MonitorMode.BARGE, ZHANG.id, CALL)
    assert [(a, d["mode"], d.get("from")) for a, d in world.audit.actions()] == [
        ("monitor.start", "listen", None),
        ("monitor.switch", "whisper", "listen"),
        ("monitor.switch", "barge", "whisper"),
    ]
    assert world.audit.entries[0].actor == "u-jingan" and world.audit.entries[0].source_ip == "10.0.0.9"


@pytest.mark.parametrize(
    ("who", "mode", "message"),
    [
        (SEAT_USER, MonitorMode.LISTEN, "您没有监听、耳语的权限"),
        (INSPECTOR, MonitorMode.BARGE, "您没有强插、强拆的权限"),
        (PUDONG_SUP, MonitorMode.LISTEN, "该坐席不在您的管辖范围内"),
    ],
)
async def test_given_no_right_or_another_scope_when_starting_then_403_in_chinese_and_nothing_sent(
    world: World, who: Principal, mode: MonitorMode, message: str
) -> None:
    with pytest.raises(PermissionDenied) as refused:
        await world.monitor.start(who, ZHANG.id, mode)

    assert refused.value.message == message
    assert world.control.sent == [] and world.audit.entries == []
    assert not world.monitor.session(who).active


async def test_given_an_inspector_then_it_may_listen_but_not_force_a_hang_up(world: World) -> None:
    await world.monitor.start(INSPECTOR, ZHANG.id, MonitorMode.LISTEN)
    with pytest.raises(PermissionDenied, match="强拆"):
        await world.monitor.force_hangup(INSPECTOR, ZHANG.id)
    with pytest.raises(PermissionDenied, match="强插"):
        await world.monitor.switch(INSPECTOR, MonitorMode.BARGE)
    assert world.monitor.session(INSPECTOR).mode is MonitorMode.LISTEN


async def test_given_rights_set_by_the_admin_when_a_supervisor_lacks_them_then_refused() -> None:
    world = await _world(
        settings=MonitorSettings(
            monitor_roles=[Role.ADMIN], barge_roles=[Role.ADMIN], steer_roles=[Role.ADMIN]
        )
    )

    assert world.monitor.rights_of(CITY) == frozenset()
    with pytest.raises(PermissionDenied):
        await world.monitor.start(CITY, ZHANG.id, MonitorMode.LISTEN)
    with pytest.raises(PermissionDenied):
        await world.monitor.force_hangup(CITY, ZHANG.id)
    assert world.monitor.rights_of(_p("u-admin", Role.ADMIN)) == {Right.MONITOR, Right.BARGE, Right.STEER}


async def test_given_a_supervisor_without_a_phone_when_starting_then_a_clear_conflict_and_nothing_sent() -> (
    None
):
    world = await _world(phones={})

    with pytest.raises(Conflict, match="没有配置话机"):
        await world.monitor.start(CITY, ZHANG.id, MonitorMode.LISTEN)
    assert world.control.sent == [] and not world.monitor.session(CITY).active


async def test_given_a_seat_not_talking_or_a_second_monitor_then_conflicts(world: World) -> None:
    with pytest.raises(Conflict, match="当前没有通话"):
        await world.monitor.start(CITY, WANG.id, MonitorMode.LISTEN)
    await world.monitor.start(CITY, ZHANG.id, MonitorMode.LISTEN)
    with pytest.raises(Conflict, match="请先结束监听"):
        await world.monitor.start(CITY, ZHANG.id, MonitorMode.WHISPER)
    with pytest.raises(Conflict, match="已处于监听状态"):
        await world.monitor.switch(CITY, MonitorMode.LISTEN)


async def test_given_the_pbx_refusing_the_originate_then_no_session_is_left_and_nothing_audited(
    world: World,
) -> None:
    world.control.fail = True

    with pytest.raises(PbxActionFailed):
        await world.monitor.start(CITY, ZHANG.id, MonitorMode.LISTEN)

    assert not world.monitor.session(CITY).active and world.audit.entries == []
    world.control.fail = False
    await world.monitor.start(CITY, ZHANG.id, MonitorMode.LISTEN)  # free to try again
    assert world.monitor.session(CITY).active


async def test_given_the_phone_not_answering_then_the_session_ends_with_a_message_and_is_audited(
    world: World,
) -> None:
    await world.monitor.start(CITY, ZHANG.id, MonitorMode.LISTEN)
    key = world.control.originated()[0]["channel_id"]

    await world.publish(
        MonitorEnded(at=AT + timedelta(seconds=30), call_id=CALL, monitor_id=key, connected=False)
    )

    view = world.monitor.session(CITY)
    assert (view.active, view.message) == (False, "您的话机未接听或未登录，未能进入通话")
    assert world.audit.actions()[-1] == (
        "monitor.end",
        {
            "seat_id": "1001",
            "call_id": CALL,
            "mode": "listen",
            "monitor_id": key,
            "reason": "no_answer",
            "seconds": None,
        },
    )


async def test_given_a_switch_when_the_replaced_monitor_ends_then_the_session_goes_on(world: World) -> None:
    await world.monitor.start(CITY, ZHANG.id, MonitorMode.LISTEN)
    old = world.control.originated()[0]["channel_id"]
    await world.publish(MonitorConnected(at=AT, call_id=CALL, monitor_id=old))
    await world.monitor.switch(CITY, MonitorMode.WHISPER)
    new = world.control.originated()[1]["channel_id"]

    await world.publish(
        MonitorEnded(at=AT + timedelta(seconds=5), call_id=CALL, monitor_id=old, connected=True)
    )
    assert world.monitor.session(CITY).active and not world.monitor.session(CITY).connected
    await world.publish(MonitorConnected(at=AT + timedelta(seconds=7), call_id=CALL, monitor_id=new))
    assert world.monitor.session(CITY).connected

    # The supervisor puts the phone down: over, and how long from the first connect.
    await world.publish(
        MonitorEnded(at=AT + timedelta(seconds=40), call_id=CALL, monitor_id=new, connected=True)
    )
    assert not world.monitor.session(CITY).active
    action, detail = world.audit.actions()[-1]
    assert (action, detail["reason"], detail["seconds"], detail["mode"]) == (
        "monitor.end",
        "phone_hung_up",
        40.0,
        "whisper",
    )


async def test_given_a_monitor_still_ringing_when_the_call_ends_then_its_channel_is_hung_up_and_it_ends(
    world: World,
) -> None:
    await world.monitor.start(CITY, ZHANG.id, MonitorMode.LISTEN)
    key = world.control.originated()[0]["channel_id"]

    await world.publish(_ended(AT + timedelta(seconds=12)))

    assert world.control.sent[-1][:2] == ("Hangup", key)
    assert world.monitor.session(CITY).message == "通话已结束，监听随之结束"
    assert world.audit.actions()[-1][1]["reason"] == "call_ended"
    # Its MonitorEnded afterwards changes nothing.
    await world.publish(
        MonitorEnded(at=AT + timedelta(seconds=13), call_id=CALL, monitor_id=key, connected=False)
    )
    assert len([a for a, _ in world.audit.actions() if a == "monitor.end"]) == 1


async def test_given_a_monitor_when_stopped_then_hung_up_and_audited_with_its_length(world: World) -> None:
    await world.monitor.start(CITY, ZHANG.id, MonitorMode.BARGE)
    key = world.control.originated()[0]["channel_id"]
    await world.publish(MonitorConnected(at=AT + timedelta(seconds=3), call_id=CALL, monitor_id=key))
    world.clock.advance(23)

    view = await world.monitor.stop(CITY, "10.0.0.9")

    assert (view.active, view.message) == (False, "监听已结束")
    assert world.control.sent[-1][:2] == ("Hangup", key)
    action, detail = world.audit.actions()[-1]
    assert (action, detail["reason"], detail["seconds"]) == ("monitor.end", "stopped", 20.0)
    with pytest.raises(Conflict, match="当前没有进行中的监听"):
        await world.monitor.stop(CITY)


async def test_given_a_force_hang_up_then_the_callers_channel_is_hung_up_and_audited(world: World) -> None:
    call_id = await world.monitor.force_hangup(JINGAN_SUP, ZHANG.id, "10.0.0.9")

    assert call_id == CALL
    assert world.control.sent == [("Hangup", CALLER, {})]
    (entry,) = world.audit.entries
    assert (entry.action, entry.actor, entry.target, dict(entry.detail)) == (
        "call.force_hangup",
        "u-jingan",
        CALL,
        {"seat_id": "1001", "call_id": CALL},
    )
    with pytest.raises(PermissionDenied, match="管辖范围"):
        await world.monitor.force_hangup(PUDONG_SUP, ZHANG.id)


async def test_given_the_audit_log_then_only_admins_read_it(world: World) -> None:
    await world.monitor.force_hangup(CITY, ZHANG.id)

    assert [e.action for e in await world.monitor.audit_log(_p("u-admin", Role.ADMIN))] == [
        "call.force_hangup"
    ]
    with pytest.raises(PermissionDenied):
        await world.monitor.audit_log(CITY)


async def test_given_an_admin_when_giving_a_supervisor_a_phone_then_it_is_rung_next_time_and_audited() -> (
    None
):
    world = await _world(phones={})
    admin = _p("u-admin", Role.ADMIN)

    assert (
        await world.monitor.set_phone(admin, UserId("u-city"), " 8001 ", "pw8001desk", "10.0.0.1") == "8001"
    )
    await world.monitor.start(CITY, ZHANG.id, MonitorMode.LISTEN)

    assert world.control.originated()[0]["variables"] == {dialplan.VAR_MONITOR_PHONE: "8001"}
    phone = world.audit.entries[0]
    assert (phone.action, phone.actor, phone.target, dict(phone.detail)) == (
        "monitor.phone",
        "u-admin",
        "u-city",
        {"endpoint": "8001"},
    )
    assert "pw8001desk" not in str(phone)
    with pytest.raises(PermissionDenied, match="仅管理员"):
        await world.monitor.set_phone(CITY, UserId("u-city"), "8009", "pw8009desk")


async def test_given_the_pbx_refusing_a_switch_then_the_monitor_ends_with_the_reason_and_nothing_is_left(
    world: World,
) -> None:
    await world.monitor.start(CITY, ZHANG.id, MonitorMode.LISTEN)
    old = world.control.originated()[0]["channel_id"]
    world.control.fail = True

    with pytest.raises(PbxActionFailed):
        await world.monitor.switch(CITY, MonitorMode.WHISPER)

    assert world.control.sent[-1][:2] == ("Hangup", old)  # the old one is gone, no new one
    view = world.monitor.session(CITY)
    assert (view.active, view.message) == (False, "切换失败，监听已结束，请重新开始监听")
    assert world.audit.actions()[-1][1]["reason"] == "failed"


async def test_given_a_supervisor_who_may_only_steer_seats_when_stopping_a_monitor_then_refused() -> None:
    world = await _world(settings=MonitorSettings(monitor_roles=[Role.ADMIN], barge_roles=[Role.ADMIN]))

    assert world.monitor.rights_of(CITY) == {Right.STEER}  # 班长调度 is no right to be in a call
    with pytest.raises(PermissionDenied, match="监听"):
        await world.monitor.stop(CITY)


PHONE = "PJSIP/8002-0000000c"


async def _barging(world: World) -> str:
    await world.monitor.start(JINGAN_SUP, ZHANG.id, MonitorMode.BARGE)
    key = world.control.originated()[0]["channel_id"]
    await world.publish(MonitorConnected(at=AT, call_id=CALL, monitor_id=key, phone_channel=PHONE))
    return str(key)


def _taken(key: str, at: datetime) -> CallTakenOver:
    return CallTakenOver(
        at=at,
        call_id=CALL,
        seat_id=ZHANG.id,
        monitor_id=key,
        party="8002",
        leg_id=f"{CALL}:9.9",
        channel=PHONE,
    )


async def test_given_a_connected_monitor_when_taking_over_then_the_caller_is_bridged_with_the_supervisors_phone(
    world: World,
) -> None:
    key = await _barging(world)

    view = await world.monitor.take_over(JINGAN_SUP, "10.0.0.9")

    assert world.control.sent[-1] == ("Bridge", CALLER, {"channel2": PHONE})
    assert view.active and not view.taken_over  # Asterisk's events say when it happened
    # The Bridge takes the phone out of the monitor's Local channel: its end does not end the session.
    await world.publish(_taken(key, AT + timedelta(seconds=1)))
    await world.publish(
        MonitorEnded(at=AT + timedelta(seconds=1), call_id=CALL, monitor_id=key, connected=True)
    )
    view = world.monitor.session(JINGAN_SUP)
    assert view.active and view.taken_over and view.state_label == "已接管通话（坐席已退出）"
    with pytest.raises(Conflict, match="接管"):
        await world.monitor.switch(JINGAN_SUP, MonitorMode.LISTEN)

    await world.publish(_ended(AT + timedelta(seconds=61)))
    view = world.monitor.session(JINGAN_SUP)
    assert not view.active and view.message == "接管的通话已结束"
    assert [(a, d.get("reason")) for a, d in world.audit.actions()] == [
        ("monitor.start", None),
        ("monitor.takeover", None),
        ("monitor.end", "takeover_ended"),
    ]
    assert world.audit.entries[-1].detail["seconds"] == 61.0


async def test_given_a_taken_over_call_when_the_supervisor_hangs_up_then_the_session_ends_and_stop_hangs_up_the_phone(
    world: World,
) -> None:
    key = await _barging(world)
    await world.monitor.take_over(JINGAN_SUP)
    await world.publish(_taken(key, AT))
    await world.monitor.stop(JINGAN_SUP)
    assert world.control.sent[-1] == ("Hangup", PHONE, {})  # 结束接管: the phone leaves, the caller goes on

    world2 = await _world()
    key2 = await _barging(world2)
    await world2.monitor.take_over(JINGAN_SUP)
    await world2.publish(_taken(key2, AT))
    await world2.publish(
        CallLegEnded(
            at=AT + timedelta(seconds=30),
            call_id=CALL,
            leg_id=f"{CALL}:9.9",
            kind=LegKind.SUPERVISOR,
            party="8002",
            seat_id=None,
            talk_seconds=30.0,
        )
    )
    assert not world2.monitor.session(JINGAN_SUP).active
    assert world2.audit.actions()[-1] == (
        "monitor.end",
        world2.audit.actions()[-1][1] | {"reason": "takeover_ended"},
    )


async def test_given_no_barge_right_or_a_phone_not_answered_yet_when_taking_over_then_refused_and_nothing_sent(
    world: World,
) -> None:
    await world.monitor.start(INSPECTOR, ZHANG.id, MonitorMode.LISTEN)
    with pytest.raises(PermissionDenied, match="强插"):
        await world.monitor.take_over(INSPECTOR)
    await world.monitor.start(JINGAN_SUP, ZHANG.id, MonitorMode.BARGE)
    with pytest.raises(Conflict, match="尚未接通"):
        await world.monitor.take_over(JINGAN_SUP)
    with pytest.raises(Conflict, match="没有进行中的监听"):
        await world.monitor.take_over(CITY)
    assert [name for name, _, _ in world.control.sent] == ["Originate", "Originate"]


async def test_given_the_bridge_refused_when_taking_over_then_the_monitor_goes_on_as_before(
    world: World,
) -> None:
    key = await _barging(world)
    world.control.fail = True
    with pytest.raises(PbxActionFailed):
        await world.monitor.take_over(JINGAN_SUP)
    view = world.monitor.session(JINGAN_SUP)
    assert view.active and not view.taken_over and view.mode is MonitorMode.BARGE
    # and its end is an ordinary monitor's end again
    await world.publish(MonitorEnded(at=AT, call_id=CALL, monitor_id=key, connected=True))
    assert not world.monitor.session(JINGAN_SUP).active


async def test_given_a_restart_when_the_monitor_is_still_in_asterisk_then_it_is_taken_back_and_its_end_audited() -> (
    None
):
    kept = Sessions()
    before = await _world(sessions=kept)
    key = await _barging(before)
    assert kept.kept["u-jingan"]["monitor_id"] == key and kept.kept["u-jingan"]["phone_channel"] == PHONE

    after = await _world(sessions=kept, live_monitors=lambda: frozenset({key}))
    await after.monitor.restore()
    view = after.monitor.session(JINGAN_SUP)
    assert (view.active, view.mode, view.connected, view.call_id) == (True, MonitorMode.BARGE, True, CALL)
    await after.monitor.take_over(JINGAN_SUP)  # the phone's channel came back with it
    assert after.control.sent[-1] == ("Bridge", CALLER, {"channel2": PHONE})
    await after.publish(_taken(key, AT + timedelta(seconds=5)))
    await after.publish(_ended(AT + timedelta(seconds=65)))
    assert not after.monitor.session(JINGAN_SUP).active and kept.kept == {}
    end = after.audit.entries[-1]
    assert (end.action, end.detail["reason"], end.detail["seconds"]) == (
        "monitor.end",
        "takeover_ended",
        65.0,
    )


async def test_given_a_restart_when_the_monitor_ended_meanwhile_then_it_is_ended_audited_and_hung_up() -> (
    None
):
    kept = Sessions()
    before = await _world(sessions=kept)
    key = await _barging(before)
    known: list[frozenset[str] | None] = [None]  # the tracker has no snapshot yet

    after = await _world(sessions=kept, live_monitors=lambda: known[0])
    await after.monitor.restore()
    assert after.monitor.session(JINGAN_SUP).active  # not known yet: kept
    known[0] = frozenset()
    await after.publish(StateResynced(at=AT, source="ami", calls=1, seats=2))

    view = after.monitor.session(JINGAN_SUP)
    assert not view.active and view.message == "系统重启期间监听已结束"
    assert after.control.sent == [("Hangup", key, {})] and kept.kept == {}
    (end,) = after.audit.entries
    assert (end.action, end.detail["reason"], end.detail["monitor_id"]) == ("monitor.end", "lost", key)
