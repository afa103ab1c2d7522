"""Work-order numbers people can read over the phone (issue 14): `HB` + the China date + the day's
sequence, allocated by the database so that every process and every restart draws from one
counter (SQLite and PostgreSQL), and given to the orders the project already held."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from callbacks.models import MissedCall, OrderFilter, WorkOrder
from core.ids import CallId, WorkOrderId
from store.db import Database
from store.migrate import upgrade
from store.models import WorkOrderRow
from store.repositories import WorkOrderRepository
from tests.store.test_repositories import _order

# 2026-12-01 23:30 in China: still the 1st there, the 2nd from 00:00 China time (16:00 UTC).
LATE_ON_THE_1ST = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)


def _miss(repo: WorkOrderRepository, oid: str, number: str, at: datetime) -> WorkOrder:
    order = _order(oid, number, at)
    recorded, _ = repo.record_miss(
        MissedCall(call_id=CallId(f"call-{oid}"), order_id=order.id, reason=order.reason, at=at), order
    )
    return recorded


def test_given_orders_over_two_china_days_when_opened_then_each_day_counts_from_one(db: Database) -> None:
    repo = WorkOrderRepository(db)
    first = _miss(repo, "wo-a", "13900000001", LATE_ON_THE_1ST)
    second = _miss(repo, "wo-b", "13900000002", LATE_ON_THE_1ST + timedelta(minutes=10))
    again = _miss(repo, "wo-c", "13900000001", LATE_ON_THE_1ST + timedelta(minutes=20))  # same open order
    next_day = _miss(repo, "wo-d", "13900000003", LATE_ON_THE_1ST + timedelta(minutes=40))
    assert (first.order_no, second.order_no) == ("HB20261201-0001", "HB20261201-0002")
    assert again.id == "wo-a" and again.order_no == "HB20261201-0001"
    assert next_day.order_no == "HB20261202-0001"
    assert repo.get(WorkOrderId("wo-b")).order_no == "HB20261201-0002"
    assert [o.id for o in repo.search(OrderFilter(order_no="hb20261202-0001"))] == ["wo-d"]


def test_given_several_processes_when_they_open_orders_at_once_then_no_number_is_drawn_twice(
    db: Database,
) -> None:
    # Each worker its own engine and pool, as another process would have.
    workers = [Database(db.url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            orders = list(
                pool.map(
                    lambda n: _miss(
                        WorkOrderRepository(workers[n % 4]), f"wo-{n}", f"1390000{n:04d}", LATE_ON_THE_1ST
                    ),
                    range(24),
                )
            )
    finally:
        for w in workers:
            w.dispose()
    assert sorted(o.order_no for o in orders) == [f"HB20261201-{n:04d}" for n in range(1, 25)]


def test_given_orders_from_before_numbers_when_migrated_then_they_are_numbered_by_day_and_new_ones_follow(
    empty_db: Database,
) -> None:
    upgrade(empty_db.url, "0010", engine=empty_db.engine)
    rows = [
        ("wo-old-2", LATE_ON_THE_1ST + timedelta(minutes=5)),
        ("wo-old-1", LATE_ON_THE_1ST),
        ("wo-old-3", LATE_ON_THE_1ST + timedelta(hours=1)),  # the 2nd in China
    ]
    with empty_db.session() as s:
        for n, (oid, at) in enumerate(rows):
            s.execute(
                insert(WorkOrderRow.__table__).values(  # type: ignore[arg-type]
                    id=oid,
                    caller_number=f"1380000000{n}",
                    reason="abandoned",
                    status="closed_other",
                    team_id="team-310106",
                    created_at=at,
                    deadline=at,
                    attempts=0,
                    misses=1,
                    outcome_note="",
                )
            )
    upgrade(empty_db.url, engine=empty_db.engine)
    with empty_db.session() as s:
        numbers = {oid: number for oid, number in s.execute(select(WorkOrderRow.id, WorkOrderRow.order_no))}
    assert numbers == {
        "wo-old-1": "HB20261201-0001",
        "wo-old-2": "HB20261201-0002",
        "wo-old-3": "HB20261202-0001",
    }
    fresh = _miss(
        WorkOrderRepository(empty_db), "wo-new", "13900000009", LATE_ON_THE_1ST + timedelta(hours=2)
    )
    assert fresh.order_no == "HB20261202-0002"
