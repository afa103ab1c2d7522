"""`SeatSteering` (班长调度, issue 16) over the seats' real commands (`SeatService`) and a PBX fake
that confirms as Asterisk does (the board moves on the QueueMember* facts): the AMI actions of
示忙 / 示闲 / 签出 / today's queue moves, the right and the scope, the audit, what the seat is
pushed and what the board shows, bad input, and yesterday's moves undone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from console_web.settings import MonitorSettings
from core.access import Principal, Role, Scope
from core.bus import EventBus
from core.call_events import SeatJoinedQueue, SeatLeftQueue, SeatPaused, SeatResumed
from core.call_view import CallViews
from core.clock import ManualClock
from core.errors import Conflict, InvalidInput, NotFound, PbxUnavailable, PermissionDenied
from core.events import DomainEvent
from core.ids import SeatId, TeamId, UserId
from core.seat_events import PauseReason, SeatStatus, SeatSteered, SteerAction
from routing.calendar import load_holidays
from routing.queues import load_queue_rules
from seats.board import SeatBoard
from seats.models import Seat, SeatKind, Team, TeamKind
from seats.service import SeatService
from seats.steer import SeatSteering
from stats.live import LiveBoard
from tests.seats.test_monitor import Audit

AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in China
JINGAN, PUDONG = TeamId("team-310106"), TeamId("team-310115")
TEAMS = [
    Team(id=JINGAN, name="静安区坐席团队", kind=TeamKind.DISTRICT, district_code="310106"),
    Team(id=PUDONG, name="浦东新区坐席团队", kind=TeamKind.DISTRICT, district_code="310115"),
]
ZHANG = Seat(
    id=SeatId("1001"),
    name="张律师",
    kind=SeatKind.LAWYER,
    team_id=JINGAN,
    interface="PJSIP/1001",
    skills=("labor",),
)
WANG = Seat(
    id=SeatId("1003"),
    name="王律师",
    kind=SeatKind.LAWYER,
    team_id=PUDONG,
    interface="PJSIP/1003",
    skills=("labor",),
)
ZHANG_QUEUES = {"q-310106-labor", "q-city-labor"}


def _p(user: str, role: Role, name: str, **kw: Any) -> Principal:
    return Principal(user_id=UserId(user), username=user, display_name=name, role=role, **kw)


CITY = _p("u-city", Role.SUPERVISOR, "市班长")
ADMIN = _p("u-admin", Role.ADMIN, "管理员")
JINGAN_SUP = _p("u-jingan", Role.SUPERVISOR, "静安班长", scope_district_code="310106")
PUDONG_SUP = _p("u-pudong", Role.SUPERVISOR, "浦东班长", scope_district_code="310115")
INSPECTOR = _p("u-qc", Role.INSPECTOR, "质检员", scope_district_code="310106")
SEAT_USER = _p("u-1002", Role.SEAT, "李律师", seat_id=SeatId("1002"))


@dataclass
class Pbx:
    """The AMI actions sent; each confirmed as Asterisk would (the member events, to the board)."""

    board: SeatBoard
    bus: EventBus
    clock: ManualClock
    sent: list[tuple[str, tuple[Any, ...], Mapping[str, Any]]] = field(default_factory=list)

    def _seat(self, interface: str) -> SeatId:
        return SeatId(interface.removeprefix("PJSIP/"))

    async def _confirm(self, event: DomainEvent) -> None:
        await self.bus.publish(event)
        for change in self.board.apply(event):
            await self.bus.publish(change)

    async def queue_add(self, queue: str, interface: str, **kw: Any) -> None:
        self.sent.append(("QueueAdd", (queue, interface), kw))
        seat = self._seat(interface)
        await self._confirm(
            SeatJoinedQueue(
                at=self.clock.now(),
                seat_id=seat,
                queue=queue,
                interface=interface,
                member_name=kw.get("member_name", ""),
                paused=bool(kw.get("paused")),
            )
        )

    async def queue_remove(self, queue: str, interface: str) -> None:
        self.sent.append(("QueueRemove", (queue, interface), {}))
        await self._confirm(
            SeatLeftQueue(
                at=self.clock.now(), seat_id=self._seat(interface), queue=queue, interface=interface
            )
        )

    async def queue_pause(
        self, interface: str, *, paused: bool, queue: str | None = None, reason: str = ""
    ) -> None:
        self.sent.append(("QueuePause", (interface,), {"paused": paused, "queue": queue, "reason": reason}))
        seat = self._seat(interface)
        for q in [queue] if queue else sorted(self.board.queues[seat]):
            at = self.clock.now()
            if paused:
                await self._confirm(
                    SeatPaused(at=at, seat_id=seat, queue=q, interface=interface, reason=reason)
                )
            else:
                await self._confirm(SeatResumed(at=at, seat_id=seat, queue=q, interface=interface))

    def names(self) -> list[str]:
        return [name for name, _, _ in self.sent]


class Dir:
    def __init__(self, items: Mapping[str, Any]) -> None:
        self.items = items

    def get(self, key: str) -> Any:
        if key not in self.items:
            raise NotFound("不存在")
        return self.items[key]


@dataclass
class World:
    steer: SeatSteering
    pbx: Pbx
    audit: Audit
    bus: EventBus
    clock: ManualClock
    board: SeatBoard
    live: LiveBoard
    service: SeatService
    pushed: list[SeatSteered]
    online: list[bool]

    async def drain(self) -> None:
        await self.bus.drain()


async def _world(settings: MonitorSettings | None = None) -> World:
    board = SeatBoard([ZHANG, WANG])
    bus, clock, audit = EventBus(), ManualClock(AT), Audit()
    pbx = Pbx(board, bus, clock)
    rules = load_queue_rules(load_holidays())
    service = SeatService(
        pbx,  # type: ignore[arg-type]
        Dir({ZHANG.id: ZHANG, WANG.id: WANG}),  # type: ignore[arg-type]
        Dir({t.id: t for t in TEAMS}),  # type: ignore[arg-type]
        rules,
        board,
        clock=clock,
    )
    online = [True]
    steer = SeatSteering(
        board=board,
        bus=bus,
        clock=clock,
        commands=lambda: service if online[0] else None,
        rules=rules,
        audit=audit,
        scope_of=lambda p: Scope.of(p, TEAMS, [ZHANG, WANG]),
        **({} if settings is None else {"rights": settings.rights()}),
    )
    live = LiveBoard(CallViews())
    pushed: list[SeatSteered] = []

    async def follow(event: DomainEvent) -> None:
        live.apply(event)
        if isinstance(event, SeatSteered):
            pushed.append(event)

    bus.subscribe("test-live", follow)
    await bus.start()
    await service.login(ZHANG.id)  # 张律师 logged in, available; 王律师 offline
    await bus.drain()
    pbx.sent.clear()
    return World(steer, pbx, audit, bus, clock, board, live, service, pushed, online)


@pytest.fixture
async def world() -> World:
    return await _world()


def _row(w: World, seat: SeatId) -> Any:
    return next(s for s in w.live.snapshot(w.clock.now()).seats if s.seat_id == seat)


async def test_given_a_district_supervisor_when_pausing_a_seat_with_a_reason_then_paused_in_every_queue_audited_pushed_and_marked(
    world: World,
) -> None:
    event = await world.steer.pause(JINGAN_SUP, ZHANG.id, PauseReason.MEETING, "  全员例会 ", "10.0.0.9")
    await world.drain()

    assert world.pbx.sent == [
        ("QueuePause", ("PJSIP/1001",), {"paused": True, "queue": None, "reason": "meeting"})
    ]
    state = world.board.state(ZHANG.id)
    assert state.status is SeatStatus.PAUSED and state.pause_reason is PauseReason.MEETING
    (entry,) = world.audit.entries
    assert (entry.actor, entry.action, entry.target, entry.source_ip) == (
        "u-jingan",
        "steer.pause",
        "1001",
        "10.0.0.9",
    )
    assert entry.detail["reason"] == "meeting" and entry.detail["note"] == "全员例会"
    assert entry.detail["status_before"] == "available" and entry.at == AT
    assert world.pushed == [event]
    assert event.audience() == {"seat:1001", "team:team-310106"}
    assert "静安班长" in event.notice and "示忙" in event.notice and "会议" in event.notice
    assert "全员例会" in event.notice
    row = _row(world, ZHANG.id)
    assert row.status == "paused" and row.forced.startswith("班长示忙：会议")


async def test_given_a_forced_pause_when_made_ready_then_resumed_and_the_mark_follows_the_state(
    world: World,
) -> None:
    await world.steer.pause(CITY, ZHANG.id, PauseReason.TRAINING)
    world.pbx.sent.clear()
    event = await world.steer.ready(CITY, ZHANG.id)
    await world.drain()

    assert world.pbx.sent == [("QueuePause", ("PJSIP/1001",), {"paused": False, "queue": None, "reason": ""})]
    assert world.board.state(ZHANG.id).status is SeatStatus.AVAILABLE
    assert event.action is SteerAction.READY and "市班长" in event.notice
    assert _row(world, ZHANG.id).forced.startswith("班长示闲")
    assert [e.action for e in world.audit.entries] == ["steer.pause", "steer.ready"]

    # The seat pauses itself: the supervisor's mark is gone from the board.
    await world.service.pause(ZHANG.id, PauseReason.REST)
    await world.drain()
    row = _row(world, ZHANG.id)
    assert row.status == "paused" and row.forced == ""


async def test_given_a_logged_in_seat_when_logged_out_by_its_supervisor_then_removed_from_every_queue(
    world: World,
) -> None:
    event = await world.steer.logout(JINGAN_SUP, ZHANG.id, "身体不适，提前下班")
    await world.drain()

    assert sorted(world.pbx.sent) == sorted(("QueueRemove", (q, "PJSIP/1001"), {}) for q in ZHANG_QUEUES)
    assert world.board.state(ZHANG.id).status is SeatStatus.OFFLINE
    assert "将您签出" in event.notice and "提前下班" in event.notice
    assert _row(world, ZHANG.id).forced.startswith("班长签出")
    assert world.audit.entries[-1].detail["note"] == "身体不适，提前下班"


@pytest.mark.parametrize("who", [PUDONG_SUP, INSPECTOR, SEAT_USER])
async def test_given_someone_outside_the_seats_scope_or_without_the_right_when_steering_then_refused_and_nothing_sent(
    world: World, who: Principal
) -> None:
    with pytest.raises(PermissionDenied) as raised:
        await world.steer.pause(who, ZHANG.id, PauseReason.MEETING)
    assert raised.value.message in (
        "该坐席不在您的管辖范围内",
        "您没有调度坐席（示忙、示闲、签出、调整队列）的权限",
    )
    with pytest.raises(PermissionDenied):
        await world.steer.add_queue(who, ZHANG.id, "q-city-family", "支援")
    with pytest.raises(PermissionDenied):
        await world.steer.queues(who, ZHANG.id)
    assert world.pbx.sent == [] and world.audit.entries == [] and world.pushed == []


async def test_given_the_right_taken_from_supervisors_when_a_supervisor_steers_then_refused_and_the_admin_may() -> (
    None
):
    world = await _world(MonitorSettings(steer_roles=[Role.ADMIN]))
    with pytest.raises(PermissionDenied, match="调度坐席"):
        await world.steer.pause(CITY, ZHANG.id, PauseReason.MEETING)
    assert world.pbx.sent == []
    await world.steer.pause(ADMIN, ZHANG.id, PauseReason.MEETING)
    assert world.pbx.names() == ["QueuePause"]


async def test_given_a_city_supervisor_when_steering_another_districts_seat_then_allowed(
    world: World,
) -> None:
    await world.service.login(WANG.id)
    await world.drain()
    world.pbx.sent.clear()
    await world.steer.pause(CITY, WANG.id, PauseReason.MEAL)
    assert world.pbx.sent[0][1] == ("PJSIP/1003",)


async def test_given_bad_input_when_steering_then_a_clear_chinese_error_and_nothing_sent(
    world: World,
) -> None:
    with pytest.raises(NotFound, match="坐席不存在"):
        await world.steer.pause(CITY, SeatId("9999"), PauseReason.MEETING)
    with pytest.raises(InvalidInput, match="系统自动设置"):
        await world.steer.pause(CITY, ZHANG.id, PauseReason.MISSED_CALL)
    with pytest.raises(InvalidInput, match="请填写原因"):
        await world.steer.logout(CITY, ZHANG.id, "   ")
    with pytest.raises(InvalidInput, match="请填写原因"):
        await world.steer.add_queue(CITY, ZHANG.id, "q-city-family", "")
    with pytest.raises(NotFound, match="队列 q-nowhere 不存在"):
        await world.steer.add_queue(CITY, ZHANG.id, "q-nowhere", "支援")
    with pytest.raises(Conflict, match="已在队列"):
        await world.steer.add_queue(CITY, ZHANG.id, "q-city-labor", "支援")
    with pytest.raises(Conflict, match="不是示忙状态"):
        await world.steer.ready(CITY, ZHANG.id)
    # 王律师 is offline: nothing to pause, ready, log out or move.
    with pytest.raises(Conflict, match="未签入"):
        await world.steer.pause(CITY, WANG.id, PauseReason.MEETING)
    with pytest.raises(Conflict, match="已签出"):
        await world.steer.logout(CITY, WANG.id, "下班")
    with pytest.raises(Conflict, match="未签入"):
        await world.steer.add_queue(CITY, WANG.id, "q-city-family", "支援")
    with pytest.raises(Conflict, match="不在队列"):
        await world.steer.remove_queue(CITY, WANG.id, "q-city-labor", "调整")
    assert world.pbx.sent == [] and world.audit.entries == [] and world.pushed == []


async def test_given_no_pbx_link_when_steering_then_unavailable_and_nothing_audited(world: World) -> None:
    world.online[0] = False
    with pytest.raises(PbxUnavailable, match="未连接交换机"):
        await world.steer.pause(CITY, ZHANG.id, PauseReason.MEETING)
    assert world.audit.entries == [] and world.pushed == []


async def test_given_a_seat_moved_between_queues_today_when_the_china_day_changes_then_the_moves_are_undone(
    world: World,
) -> None:
    await world.steer.add_queue(JINGAN_SUP, ZHANG.id, "q-city-family", "婚姻家事来电积压")
    await world.steer.remove_queue(JINGAN_SUP, ZHANG.id, "q-city-labor", "集中处理婚姻家事")
    await world.drain()
    assert world.pbx.sent == [
        (
            "QueueAdd",
            ("q-city-family", "PJSIP/1001"),
            {"member_name": "seat-1001", "state_interface": "PJSIP/1001", "paused": False},
        ),
        ("QueueRemove", ("q-city-labor", "PJSIP/1001"), {}),
    ]
    assert world.board.queues[ZHANG.id] == {"q-310106-labor", "q-city-family"}
    q = await world.steer.queues(JINGAN_SUP, ZHANG.id)
    assert (q.added_today, q.removed_today) == (["q-city-family"], ["q-city-labor"])
    assert "q-city-family" in q.choices
    assert [e.action for e in world.audit.entries] == ["steer.add_queue", "steer.remove_queue"]
    assert "仅限今日" in world.pushed[0].notice and world.pushed[0].target_queue == "q-city-family"

    world.pbx.sent.clear()
    await world.steer.revert_past_days()  # still today: nothing
    assert world.pbx.sent == []
    world.clock.set(datetime(2026, 12, 7, 16, 1, tzinfo=UTC))  # 00:01 the next day in China
    await world.steer.revert_past_days()
    await world.drain()

    assert world.pbx.names() == ["QueueAdd", "QueueRemove"]
    assert world.board.queues[ZHANG.id] == ZHANG_QUEUES
    assert world.audit.entries[-1].action == "steer.revert" and world.audit.entries[-1].actor is None
    q = await world.steer.queues(JINGAN_SUP, ZHANG.id)
    assert (q.added_today, q.removed_today) == ([], [])


async def test_given_a_paused_seat_when_added_to_a_queue_then_paused_there_too_with_its_reason(
    world: World,
) -> None:
    await world.service.pause(ZHANG.id, PauseReason.REST)
    await world.drain()
    world.pbx.sent.clear()
    await world.steer.add_queue(CITY, ZHANG.id, "q-city-family", "支援")
    assert world.pbx.sent[0][2]["paused"] is True
    assert world.pbx.sent[1] == (
        "QueuePause",
        ("PJSIP/1001",),
        {"paused": True, "queue": "q-city-family", "reason": "rest"},
    )


async def test_given_a_moved_seat_when_it_logs_out_and_in_again_then_it_serves_its_skills_queues(
    world: World,
) -> None:
    await world.steer.add_queue(CITY, ZHANG.id, "q-city-family", "支援")
    with pytest.raises(Conflict, match="最后一个队列"):
        await _remove_all(world)
    await world.service.logout(ZHANG.id)
    await world.drain()
    assert world.board.queues[ZHANG.id] == set()
    await world.service.login(ZHANG.id)
    await world.drain()
    assert world.board.queues[ZHANG.id] == ZHANG_QUEUES
    q = await world.steer.queues(CITY, ZHANG.id)
    assert q.added_today == []
    world.clock.advance(hours=24)
    world.pbx.sent.clear()
    await world.steer.revert_past_days()  # forgotten at the log-out: nothing to undo
    assert world.pbx.sent == []


async def _remove_all(world: World) -> None:
    """Remove 张律师's queues one by one: the last one is refused (签出 for that)."""
    for queue in sorted(world.board.queues[ZHANG.id]):
        await world.steer.remove_queue(CITY, ZHANG.id, queue, "调整")
        await world.drain()


def test_the_forced_state_marks_only_that_state() -> None:
    live = LiveBoard(CallViews())
    at = AT + timedelta(seconds=1)
    live.seed_seat("1001", JINGAN, SeatStatus.AVAILABLE, AT)
    live.apply(
        SeatSteered(
            at=at,
            seat_id=ZHANG.id,
            team_id=JINGAN,
            action=SteerAction.PAUSE,
            forces=SeatStatus.PAUSED,
            label="班长示忙：会议（静安班长）",
        )
    )
    (before,) = live.snapshot(at).seats
    assert before.forced == ""  # the PBX has not confirmed the pause yet
    live.seed_seat("1001", JINGAN, SeatStatus.PAUSED, at, PauseReason.MEETING)
    (after,) = live.snapshot(at).seats
    assert after.forced == "班长示忙：会议（静安班长）"
