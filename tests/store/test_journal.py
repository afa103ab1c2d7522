"""The durable journal of the database-writing subscribers: kept across a restart, replayed once,
in order, with dead letters for what can never apply."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.bus import EventBus
from core.call_events import CallOffered
from core.errors import BackendUnavailable
from core.events import DomainEvent
from core.ids import CallId, EventId
from store.db import Database, is_outage
from store.journal import EventJournal, JournaledHandler
from store.recorder import TrailRecorder
from store.repositories import CallRepository
from tests.support.polling import until

AT = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)


def _offered(n: int) -> CallOffered:
    return CallOffered(
        at=AT,
        event_id=EventId(f"c{n}:offered"),
        call_id=CallId(f"c{n}"),
        channel=f"PJSIP/1390013900{n}-1",
        caller_number=f"1390013900{n}",
        dialed="12348",
    )


@dataclass
class Flaky:
    """A handler that fails while `down` (as a database outage, or a bug), and records what it applied."""

    down: bool = True
    bug: bool = False
    applied: list[str] | None = None

    async def __call__(self, event: DomainEvent) -> None:
        if self.bug:
            raise ValueError("schema mismatch")
        if self.down:
            raise BackendUnavailable("数据库暂时不可用")
        if self.applied is None:
            self.applied = []
        self.applied.append(event.event_id)


async def _no_sleep(_: float) -> None:
    await asyncio.sleep(0)


async def test_given_events_journaled_during_an_outage_when_the_process_restarts_then_they_are_applied_in_order(
    tmp_path: Path,
) -> None:
    handler = Flaky(down=True)
    journaled = JournaledHandler("recorder", handler, EventJournal(tmp_path), sleep=_no_sleep)
    for n in range(3):
        await journaled(_offered(n))
    assert [e.event_id for e in EventJournal(tmp_path).pending("recorder")] == [
        "c0:offered",
        "c1:offered",
        "c2:offered",
    ]
    # Killed: no stop, no flush; a torn half line at the end of the file.
    with (tmp_path / "recorder.jsonl").open("ab") as f:
        f.write(b'{"op":"add","id":"c9:off')
    reopened = EventJournal(tmp_path)
    back = Flaky(down=False)
    after_restart = JournaledHandler("recorder", back, reopened, sleep=_no_sleep)
    after_restart.start()
    await until(lambda: not reopened.has_pending("recorder"))
    await after_restart.stop()
    assert back.applied == ["c0:offered", "c1:offered", "c2:offered"]
    assert reopened.torn_lines == 1
    assert (tmp_path / "recorder.jsonl").read_bytes() == b""  # compacted once the backlog is empty


async def test_given_a_backlog_when_new_events_arrive_then_they_wait_behind_it(tmp_path: Path) -> None:
    handler = Flaky(down=True)
    journal = EventJournal(tmp_path)
    journaled = JournaledHandler("callbacks", handler, journal, sleep=_no_sleep)
    journaled.start()
    await journaled(_offered(1))
    handler.down = False
    await journaled(_offered(2))  # the database is back, but c1 is still in the journal
    await until(lambda: handler.applied is not None and len(handler.applied) == 2)
    await journaled(_offered(3))
    await journaled.stop()
    assert handler.applied == ["c1:offered", "c2:offered", "c3:offered"]


async def test_given_an_event_that_can_never_apply_when_retried_then_it_becomes_a_dead_letter(
    tmp_path: Path,
) -> None:
    handler = Flaky(down=False, bug=True)
    journal = EventJournal(tmp_path)
    journaled = JournaledHandler("callbacks", handler, journal, max_tries=3, sleep=_no_sleep)
    journaled.start()
    await journaled(_offered(1))
    await until(lambda: journaled.dead == 1)
    handler.bug = False
    await journaled(_offered(2))  # the next event is not held back by the dead one
    await until(lambda: handler.applied == ["c2:offered"])
    await journaled.stop()
    letters = EventJournal(tmp_path).dead_letters()
    assert [(d.subscriber, d.event_id, d.call_id, d.tries) for d in letters] == [
        ("callbacks", "c1:offered", "c1", 3)
    ]
    assert "schema mismatch" in letters[0].error


async def test_given_the_same_event_twice_when_replayed_into_the_recorder_then_the_call_has_one_row_and_one_trail_line(
    db: Database, tmp_path: Path
) -> None:
    calls = CallRepository(db)
    recorder = TrailRecorder(EventBus(), calls)
    journal = EventJournal(tmp_path)
    event = _offered(7)
    journal.add("call-recorder", event, "OperationalError")
    journal.add("call-recorder", event, "OperationalError")  # journaled twice: kept once
    await recorder.handle(event)  # and applied once already (killed before it was marked done)
    journaled = JournaledHandler("call-recorder", recorder.handle, journal, sleep=_no_sleep)
    journaled.start()
    await until(lambda: not journal.has_pending("call-recorder"))
    await journaled.stop()
    assert calls.count() == 1 and len(calls.trail(CallId("c7"))) == 1


def test_given_a_stopped_database_when_used_then_the_store_says_backend_unavailable(tmp_path: Path) -> None:
    db = Database("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(BackendUnavailable) as caught:
        db.ping()
    assert is_outage(caught.value)
    db.dispose()
    assert not is_outage(ValueError("a refused write"))


_WRITER = r"""
import asyncio, sys
from datetime import UTC, datetime
from core.call_events import CallOffered
from core.errors import BackendUnavailable
from core.ids import CallId, EventId
from store.journal import EventJournal, JournaledHandler

async def down(event):
    raise BackendUnavailable("数据库暂时不可用")

async def main():
    journaled = JournaledHandler("call-recorder", down, EventJournal(sys.argv[1]))
    n = 0
    while True:  # until killed
        event = CallOffered(at=datetime(2026, 12, 1, tzinfo=UTC), event_id=EventId(f"k{n}:offered"),
                            call_id=CallId(f"k{n}"), channel="PJSIP/x", caller_number="13900139000", dialed="12348")
        await journaled(event)
        print(event.event_id, flush=True)  # acknowledged: the journal holds it
        n += 1

asyncio.run(main())
"""


def test_given_a_process_killed_with_sigkill_while_journaling_when_reopened_then_every_acknowledged_event_is_there(
    tmp_path: Path,
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(tmp_path)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(repo)},
        text=True,
    )
    assert proc.stdout is not None
    acknowledged: list[str] = []
    deadline = time.monotonic() + 60
    while len(acknowledged) < 30 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line:
            acknowledged.append(line.strip())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert len(acknowledged) == 30
    # What it printed before it died is acknowledged too (the pipe held it).
    rest = proc.stdout.read()
    proc.stdout.close()
    acknowledged += [line for line in rest.split("\n")[:-1] if line]
    pending = [e.event_id for e in EventJournal(tmp_path).pending("call-recorder")]
    # Every event the process said it kept is there, in order; at most the one written but not
    # yet acknowledged when it died comes after them (a torn line is skipped).
    assert pending[: len(acknowledged)] == acknowledged and len(pending) <= len(acknowledged) + 1
