"""The seat status log (考勤) is a database writer like the recorder: a seat's state change that
arrives while the database is down is kept in the durable journal and written once it is back,
with its own time. Found by the db_outage fault scenario (bench/faults), whose app log showed
`subscriber seat-status-log failed on SeatStateChanged` and nothing written afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from core.bus import EventBus
from core.errors import BackendUnavailable
from core.ids import EventId, SeatId, TeamId
from seats.rota import subscribe_seat_log
from seats.state import SeatStateChanged, SeatStatus
from store.journal import Journals
from tests.support.polling import until

AT = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


class FlakyLog:
    """A seat status log whose database is down until `down` is cleared."""

    def __init__(self) -> None:
        self.down = True
        self.failed = 0
        self.rows: list[tuple[str, str, str, datetime]] = []

        self.transactions = 0

    def append_many(self, entries: Sequence[tuple[str, str, str, datetime]]) -> None:
        if self.down:
            self.failed += 1
            raise BackendUnavailable("数据库暂时不可用")
        self.transactions += 1
        self.rows.extend(entries)


def _changed(n: int, status: SeatStatus) -> SeatStateChanged:
    return SeatStateChanged(
        at=AT.replace(minute=n),
        event_id=EventId(f"seat-{n}"),
        seat_id=SeatId("1001"),
        team_id=TeamId("t1"),
        previous=SeatStatus.OFFLINE,
        status=status,
    )


async def test_given_the_database_down_when_seats_change_state_then_the_log_is_written_once_it_is_back(
    tmp_path: Path,
) -> None:
    journals = Journals(tmp_path / "journal", max_tries=5)
    bus = EventBus()
    log = FlakyLog()
    subscribe_seat_log(bus, log, guard=journals.guard)
    await bus.start()
    try:
        await bus.publish(_changed(1, SeatStatus.AVAILABLE))
        await bus.publish(_changed(2, SeatStatus.PAUSED))
        await until(lambda: journals.backlog().get("seat-status-log") == 2)
        assert log.rows == [] and log.failed >= 1

        log.down = False
        await until(lambda: len(log.rows) == 2)
        await until(lambda: journals.backlog().get("seat-status-log") == 0)
        assert log.rows == [
            ("1001", "t1", "available", AT.replace(minute=1)),
            ("1001", "t1", "paused", AT.replace(minute=2)),
        ]
        assert journals.dead_letters(10) == []
    finally:
        await journals.stop()
        await bus.stop()


async def test_given_a_burst_of_changes_then_they_are_written_in_order_in_few_transactions(
    tmp_path: Path,
) -> None:
    journals = Journals(tmp_path / "journal", max_tries=5)
    bus = EventBus()
    log = FlakyLog()
    log.down = False
    subscribe_seat_log(bus, log, guard=journals.guard)
    await bus.start()
    try:
        statuses = [SeatStatus.AVAILABLE, SeatStatus.RINGING, SeatStatus.TALKING, SeatStatus.WRAP_UP]
        for n in range(60):  # a burst, as 400 calls give: published before the writer runs
            await bus.publish(_changed(n, statuses[n % 4]))
        await until(lambda: len(log.rows) == 60)
        assert [r[3] for r in log.rows] == [AT.replace(minute=n) for n in range(60)]
        assert [r[2] for r in log.rows] == [statuses[n % 4].value for n in range(60)]
        assert log.transactions < 60 / 2
    finally:
        await journals.stop()
        await bus.stop()
