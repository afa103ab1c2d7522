"""The recordings' keeper (store/recordings.py), on each database: the row of a stopped recording
with its size and checksum, the alerts (a missing file, an answered call never recorded, a folder
that cannot be written), the retention period (files deleted, audited), and the library's rule of
who may listen."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.access import Principal, Role, Scope
from core.bus import EventBus
from core.call_events import CallRecordingStopped, RecordingAlertRaised
from core.calls import CallRecord, CallStatus
from core.clock import ManualClock
from core.errors import Conflict, NotFound, PermissionDenied
from core.events import ComponentStatusChanged, DomainEvent
from core.ids import CallId, EventId, SeatId, UserId
from core.recordings import RecordingStatus
from store.db import Database
from store.recordings import RecordingKeeper, RecordingLibrary, RecordingRepository
from store.repositories import AuditRepository, CallRepository
from store.settings import RecordingSettings
from tests.support.audio import write_tone

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def _keeper(db: Database, folder: Path, **settings: object) -> RecordingKeeper:
    return RecordingKeeper(
        RecordingRepository(db),
        AuditRepository(db),
        RecordingSettings(pbx_dir=str(folder), settle_s=0.0, **settings),  # type: ignore[arg-type]
        ManualClock(NOW),
        EventBus(),
    )


def _stopped(
    folder: Path, call: str = "c1", *, answered: bool = True, segment: int = 1
) -> CallRecordingStopped:
    return CallRecordingStopped(
        at=NOW - timedelta(minutes=1),
        event_id=EventId(f"{call}:recording-stopped:{segment}"),
        call_id=CallId(call),
        segment=segment,
        path=str(folder / f"{call}.wav"),
        channel="PJSIP/13900139000-00000001",
        answered=answered,
        started_at=NOW - timedelta(minutes=4),
    )


def test_a_stopped_recording_is_kept_with_its_size_and_checksum(db: Database, tmp_path: Path) -> None:
    keeper = _keeper(db, tmp_path)
    write_tone(tmp_path / "c1.wav", seconds=2.0)
    keeper.keep(_stopped(tmp_path))

    (row,) = RecordingRepository(db).for_call(CallId("c1"))
    data = (tmp_path / "c1.wav").read_bytes()
    assert (row.status, row.size, row.sha256) == (
        RecordingStatus.OK,
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    assert row.started_at == NOW - timedelta(minutes=4) and row.ended_at == NOW - timedelta(minutes=1)
    assert keeper.probe()[0] is True


def test_an_answered_call_whose_file_is_not_there_is_missing_and_raises_the_alert(
    db: Database, tmp_path: Path
) -> None:
    keeper = _keeper(db, tmp_path)
    keeper.keep(_stopped(tmp_path))

    (row,) = RecordingRepository(db).for_call(CallId("c1"))
    assert row.status is RecordingStatus.MISSING and row.size is None
    up, detail = keeper.probe()
    assert up is False and "录音文件缺失" in detail and "c1" in detail


def test_an_unanswered_calls_empty_recording_is_removed_and_not_kept(db: Database, tmp_path: Path) -> None:
    keeper = _keeper(db, tmp_path)
    write_tone(tmp_path / "c1.wav", seconds=0.0)  # MixMonitor's header alone: nothing was bridged
    keeper.keep(_stopped(tmp_path, answered=False))

    assert not (tmp_path / "c1.wav").exists()
    assert RecordingRepository(db).for_call(CallId("c1")) == []
    assert keeper.probe()[0] is True


def test_a_file_deleted_behind_the_systems_back_is_marked_missing_at_the_next_check(
    db: Database, tmp_path: Path
) -> None:
    keeper = _keeper(db, tmp_path)
    write_tone(tmp_path / "c1.wav")
    keeper.keep(_stopped(tmp_path))
    keeper.sweep()
    assert keeper.probe()[0] is True

    (tmp_path / "c1.wav").unlink()
    keeper.sweep()

    (row,) = RecordingRepository(db).for_call(CallId("c1"))
    assert row.status is RecordingStatus.MISSING
    assert "c1 第 1 段" in keeper.probe()[1]


def test_recordings_past_the_retention_period_are_deleted_and_each_deletion_audited(
    db: Database, tmp_path: Path
) -> None:
    keeper = _keeper(db, tmp_path, retention_days=30)
    for call, age in (("old", 31), ("new", 29)):
        write_tone(tmp_path / f"{call}.wav")
        keeper.keep(dataclasses.replace(_stopped(tmp_path, call), started_at=NOW - timedelta(days=age)))
    keeper.sweep()

    repo = RecordingRepository(db)
    (old,) = repo.for_call(CallId("old"))
    (new,) = repo.for_call(CallId("new"))
    assert old.status is RecordingStatus.DELETED and old.deleted_at == NOW
    assert not (tmp_path / "old.wav").exists()
    assert new.status is RecordingStatus.OK and (tmp_path / "new.wav").exists()
    (entry,) = [e for e in AuditRepository(db).recent() if e.action == "recording.expire"]
    assert entry.target == "old" and entry.actor is None and entry.detail["file_removed"] is True
    keeper.sweep()  # once only
    assert len([e for e in AuditRepository(db).recent() if e.action == "recording.expire"]) == 1


def test_an_unwritable_folder_is_an_alert_in_chinese(db: Database, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    keeper = _keeper(db, blocked / "recordings")
    keeper.sweep()

    up, detail = keeper.probe()
    assert up is False and "无法写入" in detail and "通话照常进行" in detail


def test_an_answered_call_with_no_recording_at_all_raises_the_alert(db: Database, tmp_path: Path) -> None:
    # c-rec: its recording kept; c-lost: the file is there but its events were never seen (an AMI
    # outage): adopted from the file; c-none: nothing at all.
    for call, recorded in (("c-rec", True), ("c-lost", True), ("c-none", False)):
        _answered(db, call, district=None)
        if recorded:
            write_tone(tmp_path / f"{call}.wav")
    keeper = _keeper(db, tmp_path)
    keeper.keep(_stopped(tmp_path, "c-rec"))
    keeper.sweep()

    up, detail = keeper.probe()
    assert up is False and "没有录音" in detail and "c-none" in detail
    assert "c-rec" not in detail and "c-lost" not in detail
    (adopted,) = RecordingRepository(db).for_call(CallId("c-lost"))
    data = (tmp_path / "c-lost.wav").read_bytes()
    assert (adopted.segment, adopted.status, adopted.sha256) == (
        1,
        RecordingStatus.OK,
        hashlib.sha256(data).hexdigest(),
    )
    assert adopted.started_at == NOW - timedelta(minutes=9) and adopted.ended_at == NOW - timedelta(minutes=5)


async def test_the_alert_is_announced_on_the_bus_once_when_it_changes(db: Database, tmp_path: Path) -> None:
    keeper = _keeper(db, tmp_path)
    seen: list[DomainEvent] = []

    async def take(e: DomainEvent) -> None:
        seen.append(e)

    keeper.bus.subscribe("t", take)
    await keeper.bus.start()
    try:
        await keeper.handle(_stopped(tmp_path))  # no file: missing
        await keeper.handle(_stopped(tmp_path))  # the same alert: not announced again
        await asyncio.sleep(0.05)
    finally:
        await keeper.bus.stop()
    (event,) = [e for e in seen if isinstance(e, ComponentStatusChanged)]
    assert event.component == "recordings" and not event.up
    (raised,) = [e for e in seen if isinstance(e, RecordingAlertRaised)]  # the alert itself, once
    assert (raised.call_id, raised.segment, raised.kind) == ("c1", 1, "missing")


def _library(db: Database, tmp_path: Path) -> RecordingLibrary:
    def scope_of(p: Principal) -> Scope:
        return Scope.of(p, [], [])

    return RecordingLibrary(
        RecordingRepository(db),
        CallRepository(db),
        RecordingSettings(pbx_dir=str(tmp_path)).folder(),
        scope_of,
    )


def test_the_library_lets_a_seat_play_its_own_call_only(db: Database, tmp_path: Path) -> None:
    CallRepository(db).save(
        CallRecord(
            id=CallId("c1"),
            caller_number="13900139000",
            offered_at=NOW,
            status=CallStatus.ANSWERED,
            seat_id=SeatId("1001"),
        )
    )
    write_tone(tmp_path / "c1.wav")
    _keeper(db, tmp_path).keep(_stopped(tmp_path))
    library = _library(db, tmp_path)
    own = Principal(
        user_id=UserId("u1"), username="s1", display_name="坐席", role=Role.SEAT, seat_id=SeatId("1001")
    )
    other = Principal(
        user_id=UserId("u2"), username="s2", display_name="坐席", role=Role.SEAT, seat_id=SeatId("1002")
    )

    assert library.file(own, "c1", 1) == tmp_path / "c1.wav"
    with pytest.raises(PermissionDenied):
        library.file(other, "c1", 1)
    (tmp_path / "c1.wav").unlink()
    with pytest.raises(NotFound, match="缺失"):
        library.file(own, "c1", 1)
    assert RecordingRepository(db).get(CallId("c1"), 1).status is RecordingStatus.MISSING  # type: ignore[union-attr]


def test_a_folder_running_out_of_room_is_an_alert_in_chinese(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = shutil.disk_usage
    monkeypatch.setattr(
        "store.recordings.shutil.disk_usage", lambda p: real(p)._replace(free=50 * 1024 * 1024)
    )
    keeper = _keeper(db, tmp_path)
    keeper.sweep()

    up, detail = keeper.probe()
    assert up is False and "空间不足" in detail and "剩余 50 MB" in detail


def test_the_missing_file_check_goes_round_the_table_batch_by_batch(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("store.recordings.SCAN_BATCH", 2)
    keeper = _keeper(db, tmp_path)
    calls = [f"c{i}" for i in range(5)]
    for i, call in enumerate(calls):
        write_tone(tmp_path / f"{call}.wav", seconds=0.1)
        keeper.keep(dataclasses.replace(_stopped(tmp_path, call), started_at=NOW - timedelta(minutes=10 - i)))
    for call in calls:
        (tmp_path / f"{call}.wav").unlink()

    found = []
    for _ in range(3):  # 2 + 2 + 1 (and round again)
        keeper.sweep()
        found.append(sorted(r.call_id for r in RecordingRepository(db).with_status(RecordingStatus.MISSING)))
    assert found == [calls[:2], calls[:4], calls]


def test_a_call_with_only_its_three_way_segment_kept_still_gets_its_own_channels_recording(
    db: Database, tmp_path: Path
) -> None:
    # The tracker learnt c-conf from a snapshot (its caller's MixMonitorStart missed) and then saw a
    # three-way call: segment 2 kept, segment 1 never reported. Its file is adopted; c-bare has no file.
    for call in ("c-conf", "c-bare"):
        _answered(db, call, district=None)
        write_tone(tmp_path / f"{call}-c-1.wav")
    write_tone(tmp_path / "c-conf.wav")
    keeper = _keeper(db, tmp_path)
    for call in ("c-conf", "c-bare"):
        keeper.keep(
            dataclasses.replace(_stopped(tmp_path, call, segment=2), path=str(tmp_path / f"{call}-c-1.wav"))
        )
    keeper.sweep()

    assert [r.segment for r in RecordingRepository(db).for_call(CallId("c-conf"))] == [1, 2]
    up, detail = keeper.probe()
    assert up is False and "c-bare" in detail and "c-conf" not in detail


def _answered(db: Database, call: str, *, district: str | None, queue: str | None = None) -> None:
    CallRepository(db).save(
        CallRecord(
            id=CallId(call),
            caller_number="13900139000",
            offered_at=NOW - timedelta(minutes=10),
            status=CallStatus.ANSWERED,
            queue=queue,
            district_code=district,
            seat_id=SeatId("1001"),
            answered_at=NOW - timedelta(minutes=9),
            ended_at=NOW - timedelta(minutes=5),
        )
    )


def _staff(user: str, role: Role, district: str | None = None) -> Principal:
    return Principal(
        user_id=UserId(user),
        username=user,
        display_name=f"{user} 名",
        role=role,
        scope_district_code=district,
    )


async def test_recording_alerts_carry_the_calls_district_and_are_published_once(
    db: Database, tmp_path: Path
) -> None:
    _answered(db, "c-ja", district="310106")  # a missing file, district known
    _answered(db, "c-q", district=None, queue="q-310115-labor")  # no recording at all: the queue's district
    _answered(db, "c-x", district=None)  # no recording, no district: city-wide only
    keeper = _keeper(db, tmp_path)
    seen: list[DomainEvent] = []

    async def take(e: DomainEvent) -> None:
        seen.append(e)

    keeper.bus.subscribe("t", take)
    await keeper.bus.start()
    try:
        await keeper.handle(_stopped(tmp_path, "c-ja"))
        await keeper.check()
        await keeper.check()  # nothing new: nothing published again
        await asyncio.sleep(0.05)
    finally:
        await keeper.bus.stop()
    raised = sorted(
        (
            (e.call_id, e.segment, e.kind, e.district_code)
            for e in seen
            if isinstance(e, RecordingAlertRaised)
        ),
        key=str,
    )
    assert raised == [
        ("c-ja", 1, "missing", "310106"),
        ("c-q", 0, "unrecorded", "310115"),
        ("c-x", 0, "unrecorded", None),
    ]
    by_call = {e.call_id: e for e in seen if isinstance(e, RecordingAlertRaised)}
    assert by_call["c-ja"].audience() == {"district:310106"} and by_call["c-x"].audience() == frozenset()


def test_an_acknowledged_alert_is_kept_with_who_and_when_listed_but_no_longer_counted(
    db: Database, tmp_path: Path
) -> None:
    _answered(db, "c1", district="310106")
    _answered(db, "c2", district="310106")
    keeper = _keeper(db, tmp_path)
    keeper.keep(_stopped(tmp_path, "c1"))
    keeper.keep(_stopped(tmp_path, "c2"))
    up, detail = keeper.probe()
    assert up is False and "2 段已接通通话的录音文件缺失" in detail

    library = dataclasses.replace(_library(db, tmp_path), clock=ManualClock(NOW + timedelta(minutes=3)))
    district = _staff("u-ja", Role.SUPERVISOR, "310106")
    done = library.acknowledge(district, "c1", 1)
    assert (done.acknowledged_by, done.acknowledged_by_name) == ("u-ja", "u-ja 名")
    assert done.acknowledged_at == NOW + timedelta(minutes=3)
    with pytest.raises(Conflict, match="已由u-ja 名确认"):
        library.acknowledge(_staff("u-admin", Role.ADMIN), "c1", 1)

    keeper.sweep()  # the status line counts the open one only
    up, detail = keeper.probe()
    assert up is False and "1 段已接通通话的录音文件缺失" in detail and "c2 第 1 段" in detail
    assert "c1" not in detail
    listed = {(a.call_id, a.acknowledged_by) for a in library.alerts(district)}
    assert listed == {("c1", "u-ja"), ("c2", None)}  # still listed
    keeper.keep(_stopped(tmp_path, "c1"))  # the same missing file seen again: stays acknowledged
    assert "c1" not in keeper.probe()[1]
    library.acknowledge(district, "c2", 1)
    keeper.refresh_alerts()
    assert keeper.probe()[0] is True


def test_recording_alerts_are_seen_and_acknowledged_within_the_calls_district_only(
    db: Database, tmp_path: Path
) -> None:
    _answered(db, "c-ja", district="310106")
    _answered(db, "c-x", district=None)
    keeper = _keeper(db, tmp_path)
    keeper.keep(_stopped(tmp_path, "c-ja"))
    keeper.keep(_stopped(tmp_path, "c-x"))
    library = _library(db, tmp_path)
    jingan = _staff("u-ja", Role.SUPERVISOR, "310106")
    pudong = _staff("u-pd", Role.SUPERVISOR, "310115")
    city = _staff("u-city", Role.SUPERVISOR)

    assert [a.call_id for a in library.alerts(jingan)] == ["c-ja"]
    assert library.alerts(pudong) == []
    assert {a.call_id for a in library.alerts(city)} == {"c-ja", "c-x"}
    with pytest.raises(NotFound):
        library.acknowledge(pudong, "c-ja", 1)
    with pytest.raises(NotFound):
        library.acknowledge(jingan, "c-x", 1)  # no district: the city-wide roles'
    with pytest.raises(NotFound):
        library.acknowledge(city, "c-ja", 7)
    assert library.acknowledge(city, "c-x", 1).acknowledged_by == "u-city"
