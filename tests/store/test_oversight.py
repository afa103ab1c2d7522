"""The oversight's tables on SQLite and PostgreSQL (issue 16): the admin's rights per role, the
seats' queue moves of the day, and the audit log read a page at a time with its filters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.access import Right, Role
from core.audit import AuditEntry, AuditFilter
from core.ids import SeatId, UserId
from seats.models import User
from seats.steer import QueueMoves
from store.db import Database
from store.oversight import MonitorSessionRepository, QueueMovesRepository, RoleRightsRepository
from store.repositories import Repositories

AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def test_given_saved_rights_when_loaded_then_each_saved_role_and_only_those(db: Database) -> None:
    repo = RoleRightsRepository(db)
    assert repo.load() == {}
    repo.save(
        {Role.SUPERVISOR: frozenset({Right.MONITOR, Right.STEER}), Role.INSPECTOR: frozenset()},
        by=UserId("u-admin"),
        at=AT,
    )
    assert repo.load() == {
        Role.SUPERVISOR: frozenset({Right.MONITOR, Right.STEER}),
        Role.INSPECTOR: frozenset(),
    }
    repo.save({Role.SUPERVISOR: frozenset({Right.BARGE})}, by=UserId("u-admin"), at=AT + timedelta(minutes=1))
    assert repo.load()[Role.SUPERVISOR] == frozenset({Right.BARGE})
    assert repo.load()[Role.INSPECTOR] == frozenset()


def test_given_queue_moves_when_saved_replaced_and_dropped_then_read_back_as_kept(db: Database) -> None:
    repo = QueueMovesRepository(db)
    day = date(2026, 12, 7)
    repo.save(QueueMoves(seat_id=SeatId("1001"), day=day, added={"q-city-family"}, removed={"q-city-labor"}))
    repo.save(QueueMoves(seat_id=SeatId("1003"), day=day, added={"q-city-family"}))
    repo.save(QueueMoves(seat_id=SeatId("1001"), day=day, added={"q-city-family", "q-310106-family"}))
    got = {m.seat_id: m for m in repo.all()}
    assert got[SeatId("1001")] == QueueMoves(
        seat_id=SeatId("1001"), day=day, added={"q-city-family", "q-310106-family"}, removed=set()
    )
    assert got[SeatId("1003")].added == {"q-city-family"} and got[SeatId("1003")].day == day
    repo.drop(SeatId("1001"))
    repo.drop(SeatId("9999"))  # nothing kept: nothing to do
    assert [m.seat_id for m in repo.all()] == ["1003"]


def test_given_audit_entries_when_paged_then_filtered_counted_newest_first_with_actor_names(
    db: Database,
) -> None:
    repos = Repositories(db)
    repos.users.add(
        User(
            id=UserId("u-wang"),
            username="wang",
            display_name="王班长",
            role=Role.SUPERVISOR,
            password_hash="x",
        )
    )
    audit = repos.audit
    rows = [
        (AT, "u-wang", "monitor.start"),
        (AT + timedelta(minutes=1), "u-wang", "monitor.end"),
        (AT + timedelta(minutes=2), "u-gone", "steer.pause"),
        (AT + timedelta(days=1), "u-wang", "steer_x.other"),  # `_` is literal: not "steer."
        (AT + timedelta(days=1, minutes=1), None, "steer.revert"),
        (AT + timedelta(days=1, minutes=2), "u-wang", "order.claim"),
    ]
    for at, actor, action in rows:
        audit.append(AuditEntry(at=at, actor=UserId(actor) if actor else None, action=action))

    prefixes = ("monitor.", "steer.")
    entries, total = audit.page(AuditFilter(prefixes=prefixes))
    assert total == 4
    assert [e.action for e in entries] == ["steer.revert", "steer.pause", "monitor.end", "monitor.start"]
    entries, total = audit.page(AuditFilter(prefixes=prefixes, offset=1, limit=2))
    assert total == 4 and [e.action for e in entries] == ["steer.pause", "monitor.end"]
    entries, total = audit.page(AuditFilter(prefixes=prefixes, actor=UserId("u-wang")))
    assert total == 2 and [e.action for e in entries] == ["monitor.end", "monitor.start"]
    entries, total = audit.page(
        AuditFilter(prefixes=prefixes, since=AT + timedelta(minutes=1), until=AT + timedelta(days=1))
    )
    assert total == 2 and [e.action for e in entries] == ["steer.pause", "monitor.end"]
    entries, total = audit.page(AuditFilter(prefixes=("steer.",), since=AT + timedelta(days=2)))
    assert (entries, total) == ([], 0)

    assert audit.actors(prefixes) == {UserId("u-wang"): "王班长", UserId("u-gone"): "u-gone"}
    assert audit.actors(("order.",)) == {UserId("u-wang"): "王班长"}


def test_given_a_monitor_session_when_saved_replaced_and_dropped_then_read_back_as_kept(db: Database) -> None:
    repo = MonitorSessionRepository(db)
    state: dict[str, str | None] = {"monitor_id": "m-1.1796571440.1", "mode": "listen", "taken_over_at": None}
    repo.save(UserId("u-city"), state)
    repo.save(UserId("u-jingan"), state | {"monitor_id": "m-2.1796571440.1"})
    repo.save(UserId("u-city"), state | {"mode": "barge"})
    assert repo.load() == {
        "u-city": state | {"mode": "barge"},
        "u-jingan": state | {"monitor_id": "m-2.1796571440.1"},
    }
    repo.drop(UserId("u-city"))
    assert list(repo.load()) == ["u-jingan"]
