"""Board alerts (告警, issue 17): the rules at their edges, one alert per episode, the scope, and the
episodes kept in the store across a restart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.access import Principal, Role, Scope
from core.call_events import CallAnswered
from core.call_view import CallViews
from core.clock import ManualClock
from core.errors import NotFound
from core.ids import CallId, SeatId, TeamId, UserId
from seats.models import Team, TeamKind
from stats.board_alerts import (
    CONSOLE_BANNER,
    AlertKind,
    AlertSettings,
    BoardAlert,
    BoardAlerts,
    Condition,
    answer_rate_conditions,
    long_wait_conditions,
    recipients_of,
    sla_conditions,
)
from stats.live import DayCall, LiveBoard, Waiting
from store.board_alerts import BoardAlertRepository, SupervisorList
from store.db import Database
from store.repositories import Repositories
from tests.stats.test_live import abandoned, answered, feed, queued

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 China time
JA, PD = "310106", "310115"
SETTINGS = AlertSettings(min_calls=20, max_wait_s=60.0)


def names(d: str) -> str:
    return {JA: "静安区", PD: "浦东新区"}.get(d, "全市")


def calls(answered_n: int, abandoned_n: int, *, district: str = JA, ago: float = 60.0) -> list[DayCall]:
    out = []
    for i in range(answered_n + abandoned_n):
        out.append(
            DayCall(
                call_id=f"{district}-{ago}-{i}",
                keys=frozenset({f"district:{district}"}),
                queue=f"q-{district}-labor",
                offered_at=NOW - timedelta(seconds=ago),
                answered=i < answered_n,
                abandoned=i >= answered_n,
                fast=True,
                seat_id="",
            )
        )
    return out


def kinds(found: Sequence[Condition]) -> set[tuple[AlertKind, str]]:
    return {(c.kind, c.district) for c in found}


# --- the rules ----------------------------------------------------------------------------------


def test_given_an_answer_rate_exactly_at_the_target_then_no_alert() -> None:
    found = answer_rate_conditions(calls(19, 1), NOW, SETTINGS, names)  # 19 / 20 = 95 %

    assert found == []


def test_given_an_answer_rate_below_the_target_then_an_alert_for_the_district_and_the_city() -> None:
    found = answer_rate_conditions(calls(18, 2), NOW, SETTINGS, names)  # 90 %

    assert kinds(found) == {(AlertKind.ANSWER_RATE, JA), (AlertKind.ANSWER_RATE, "")}
    text = next(c.detail for c in found if c.district == JA)
    assert "静安区" in text and "90.0%" in text and "95.0%" in text


def test_given_fewer_calls_than_the_minimum_then_no_answer_rate_alert_however_low() -> None:
    assert answer_rate_conditions(calls(0, 19), NOW, SETTINGS, names) == []
    assert kinds(answer_rate_conditions(calls(0, 20), NOW, SETTINGS, names)) == {
        (AlertKind.ANSWER_RATE, JA),
        (AlertKind.ANSWER_RATE, ""),
    }


def test_given_calls_older_than_the_window_then_they_do_not_count() -> None:
    old = calls(0, 20, ago=SETTINGS.window_s + 1)

    assert answer_rate_conditions(old, NOW, SETTINGS, names) == []


def test_given_a_caller_waiting_exactly_the_limit_then_no_alert_a_second_more_then_one() -> None:
    at_limit = [Waiting(queue=f"q-{PD}-family", keys=frozenset(), since=NOW - timedelta(seconds=60))]
    longer = [Waiting(queue=f"q-{PD}-family", keys=frozenset(), since=NOW - timedelta(seconds=61))]

    assert long_wait_conditions(at_limit, NOW, SETTINGS, names) == []
    found = long_wait_conditions(longer, NOW, SETTINGS, names)
    assert kinds(found) == {(AlertKind.LONG_WAIT, PD)}
    assert "61 秒" in found[0].detail


def test_given_breached_orders_then_one_alert_per_district_of_their_teams() -> None:
    district = {"team-310106": JA, "team-310115": PD}
    orders = [
        ("team-310106", "breached"),
        ("team-310106", "breached"),
        ("team-310115", "warning"),
        (None, "ok"),
    ]

    found = sla_conditions(orders, lambda t: district.get(t or "", ""), names)

    assert kinds(found) == {(AlertKind.SLA_BREACH, JA)}
    assert "2 张" in found[0].detail


def test_recipients_are_the_supervisors_whose_scope_covers_the_district() -> None:
    sups = [("市级班长", None), ("静安区班长", JA), ("浦东班长", PD)]

    assert recipients_of(JA, sups) == ("市级班长", "静安区班长")
    assert recipients_of("", sups) == ("市级班长",)


# --- episodes ------------------------------------------------------------------------------------


class MemoryStore:
    """An `AlertStore` in memory (the store's own is tested below against a database)."""

    def __init__(self) -> None:
        self.rows: dict[int, BoardAlert] = {}

    def open_alerts(self) -> list[BoardAlert]:
        return [a for a in self.rows.values() if a.cleared_at is None]

    def raise_alert(self, alert: BoardAlert) -> BoardAlert:
        stored = replace(alert, id=len(self.rows) + 1)
        self.rows[stored.id] = stored
        return stored

    def clear(self, alert_id: int, at: datetime) -> None:
        self.rows[alert_id] = replace(self.rows[alert_id], cleared_at=at)

    def acknowledge(self, alert_id: int, by: str, at: datetime) -> None:
        self.rows[alert_id] = replace(self.rows[alert_id], acknowledged_by=by, acknowledged_at=at)


class NoOrders:
    def open_orders(self, now: datetime) -> list[tuple[str | None, str]]:
        return []


class TwoDistricts:
    def teams(self) -> list[Team]:
        return [
            Team(id=TeamId(f"team-{d}"), name=f"{names(d)}坐席团队", kind=TeamKind.DISTRICT, district_code=d)
            for d in (JA, PD)
        ]

    def seats(self) -> list[object]:
        return []


SUPERVISORS = [("市级班长", None), ("静安区班长", JA)]


def service(store: object, live: LiveBoard | None = None) -> BoardAlerts:
    return BoardAlerts(
        clock=ManualClock(NOW),
        store=store,  # type: ignore[arg-type]
        live=live or LiveBoard(CallViews()),
        backlog=NoOrders(),
        directory=TwoDistricts(),  # type: ignore[arg-type]
        supervisors=lambda: SUPERVISORS,
        settings=SETTINGS,
    )


def principal(district: str | None) -> Principal:
    return Principal(
        user_id=UserId("u-x"),
        username="x",
        display_name="某班长",
        role=Role.SUPERVISOR,
        scope_district_code=district,
    )


WAIT_JA = Condition(kind=AlertKind.LONG_WAIT, district=JA, detail="静安区有 1 位来电人等待超过 60 秒")
WAIT_PD = Condition(kind=AlertKind.LONG_WAIT, district=PD, detail="浦东新区有 1 位来电人等待超过 60 秒")


async def test_given_a_condition_that_lasts_then_one_alert_for_the_episode_cleared_when_it_ends() -> None:
    store = MemoryStore()
    alerts = service(store)
    await alerts.start()

    for _ in range(3):
        await alerts.apply([WAIT_JA], SUPERVISORS, NOW)
    assert len(store.rows) == 1
    first = store.rows[1]
    assert first.recipients == ("市级班长", "静安区班长") and first.channel == CONSOLE_BANNER

    await alerts.apply([], SUPERVISORS, NOW + timedelta(minutes=1))
    assert store.rows[1].cleared_at == NOW + timedelta(minutes=1)

    await alerts.apply([WAIT_JA], SUPERVISORS, NOW + timedelta(minutes=2))  # a new episode
    assert len(store.rows) == 2 and store.rows[2].cleared_at is None


async def test_a_district_supervisor_sees_and_acknowledges_only_their_districts_alerts() -> None:
    store = MemoryStore()
    alerts = service(store)
    await alerts.apply([WAIT_JA, WAIT_PD], SUPERVISORS, NOW)
    teams = TwoDistricts().teams()
    jingan = Scope.of(principal(JA), teams, [])
    city = Scope.of(principal(None), teams, [])

    assert [a.district for a in alerts.open_for(jingan)] == [JA]
    assert {a.district for a in alerts.open_for(city)} == {JA, PD}
    pudong_id = next(a.id for a in alerts.open_for(city) if a.district == PD)
    with pytest.raises(NotFound):
        await alerts.acknowledge(principal(JA), "静安区班长", pudong_id)
    ja_id = next(a.id for a in alerts.open_for(jingan))
    acked = await alerts.acknowledge(principal(JA), "静安区班长", ja_id)
    assert acked.acknowledged_by == "静安区班长" and store.rows[ja_id].acknowledged_at == NOW


async def test_the_live_board_drives_the_rules_through_tick() -> None:
    live = LiveBoard(CallViews())
    events = []
    for i in range(20):
        cid = f"c{i}"
        events += queued(cid, f"q-{JA}-labor", NOW - timedelta(minutes=10))
        events.append(
            answered(cid, f"q-{JA}-labor", NOW - timedelta(minutes=9))
            if i < 18
            else abandoned(cid, f"q-{JA}-labor", NOW - timedelta(minutes=9))
        )
    feed(live, events)
    store = MemoryStore()
    alerts = service(store, live)

    await alerts.tick()

    assert {(a.kind, a.district) for a in store.rows.values()} == {
        (AlertKind.ANSWER_RATE, JA),
        (AlertKind.ANSWER_RATE, ""),
    }


# --- the store: episodes survive a restart --------------------------------------------------------


async def test_given_open_alerts_in_the_store_when_the_service_restarts_then_they_are_not_raised_again(
    db: Database,
) -> None:
    store = BoardAlertRepository(db)
    before = service(store)
    await before.apply([WAIT_JA, WAIT_PD], SUPERVISORS, NOW)
    await before.apply([WAIT_JA], SUPERVISORS, NOW + timedelta(seconds=5))  # PD's ended

    after = service(store)  # a restart: a new service over the same table
    await after.start()
    await after.apply([WAIT_JA], SUPERVISORS, NOW + timedelta(seconds=10))

    rows = store.all()
    assert [(a.district, a.cleared_at is None) for a in rows] == [(JA, True), (PD, False)]
    assert rows[0].recipients == ("市级班长", "静安区班长") and rows[0].channel == "控制台横幅"
    city = Scope.of(principal(None), TwoDistricts().teams(), [])
    assert [a.district for a in after.open_for(city)] == [JA]
    await after.acknowledge(principal(None), "市级班长", rows[0].id)
    assert store.all()[0].acknowledged_by == "市级班长"


def test_the_supervisor_list_names_the_active_supervisors_with_their_district(db: Database) -> None:
    from app.seed import seed_demo

    seed_demo(Repositories(db), "x")

    sups = dict(SupervisorList(db)())

    assert sups["市级班长"] is None and sups["静安区班长"] == JA
    assert "系统管理员" not in sups


def test_an_answer_within_15_seconds_is_marked_fast_on_the_live_board() -> None:
    live = LiveBoard(CallViews())
    feed(live, queued("c1", f"q-{JA}-labor", NOW))
    live.apply(
        CallAnswered(
            at=NOW, call_id=CallId("c1"), seat_id=SeatId("1001"), interface="PJSIP/1001",
            queue=f"q-{JA}-labor", wait_seconds=15.0,
        )
    )  # fmt: skip

    [day] = live.today(NOW)
    assert day.fast and day.answered and day.offered_at == NOW and day.seat_id == "1001"
