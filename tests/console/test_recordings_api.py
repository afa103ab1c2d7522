"""Playing a call's recording (录音) from the console: the list, the stream with HTTP Range (a range
past the end is 416), the audit of every listen and download, a file gone behind the system's back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.runtime import Runtime
from core.calls import CallRecord, CallStatus
from core.ids import CallId, SeatId
from core.recordings import RecordingStatus
from store.recordings import RecordingRepository
from tests.support.app import TEST_BASE_URL, build_test_app, login
from tests.support.audio import add_recording

CALL = "call-rec-1"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(build_test_app(tmp_path), base_url=TEST_BASE_URL) as c:
        rt: Runtime = c.app.state.runtime  # type: ignore[attr-defined]
        now = datetime.now(UTC)
        rt.repos.calls.save(
            CallRecord(
                id=CallId(CALL),
                caller_number="13812348000",
                offered_at=now - timedelta(minutes=5),
                status=CallStatus.ANSWERED,
                queue="q-310106-labor",
                district_code="310106",
                seat_id=SeatId("1001"),
                answered_at=now - timedelta(minutes=4),
            )
        )
        add_recording(rt, CALL, seconds=2.0)
        yield c


def _listens(client: TestClient) -> list[tuple[str | None, str, str, object]]:
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return [
        (e.actor, e.action, e.target, e.detail.get("segment"))
        for e in rt.repos.audit.recent()
        if e.action.startswith("recording.")
    ]


def test_the_seat_lists_and_plays_its_calls_recording_with_ranges_and_each_listen_is_audited(
    client: TestClient,
) -> None:
    login(client, "seat1001")
    listed = client.get(f"/api/calls/{CALL}/recordings").json()
    (one,) = listed["recordings"]
    assert (one["segment"], one["status"], one["status_label"], one["playable"]) == (1, "ok", "正常", True)
    assert one["size"] == 44 + 2 * 8000 * 2 and len(one["sha256"]) == 64

    whole = client.get(one["audio_url"])
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/wav"
    assert whole.headers["accept-ranges"] == "bytes" and len(whole.content) == one["size"]
    part = client.get(one["audio_url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{one['size']}"
    past = client.get(one["audio_url"], headers={"Range": f"bytes={one['size'] + 10}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{one['size']}"
    saved = client.get(one["download_url"])
    assert saved.status_code == 200 and saved.headers["content-disposition"].startswith("attachment")

    actions = [a for _, a, _, _ in _listens(client)]
    assert sorted(actions) == ["recording.download"] + ["recording.listen"] * 3
    assert {(actor, target, seg) for actor, _, target, seg in _listens(client)} == {("u-1001", CALL, 1)}


def test_another_seat_is_refused_and_nothing_is_audited_as_heard(client: TestClient) -> None:
    login(client, "seat1003")
    refused = client.get(f"/api/calls/{CALL}/recordings/1/audio")
    assert refused.status_code == 403 and "无权" in refused.json()["message"]
    assert client.get(f"/api/calls/{CALL}/recordings").status_code == 403
    assert _listens(client) == []


def test_a_file_deleted_behind_the_systems_back_answers_404_in_chinese_and_is_marked_missing(
    client: TestClient,
) -> None:
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    login(client, "banzhang")
    (rec,) = RecordingRepository(rt.repos.db).for_call(CallId(CALL))
    local = rt.settings.recordings.folder().local(rec.path)
    assert local is not None
    local.unlink()

    gone = client.get(f"/api/calls/{CALL}/recordings/1/audio")
    assert gone.status_code == 404 and "录音文件缺失" in gone.json()["message"]
    (one,) = client.get(f"/api/calls/{CALL}/recordings").json()["recordings"]
    assert (one["status"], one["status_label"], one["playable"]) == (
        "missing",
        RecordingStatus.MISSING.label,
        False,
    )


def test_a_missing_file_alert_is_listed_to_the_calls_district_and_acknowledged_once_with_who_and_when(
    client: TestClient,
) -> None:
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    keeper = rt.recordings.keeper
    assert keeper is not None
    (rec,) = RecordingRepository(rt.repos.db).for_call(CallId(CALL))
    local = rt.settings.recordings.folder().local(rec.path)
    assert local is not None
    local.unlink()
    keeper.sweep()  # the check finds the file gone: an alert about the 静安 call
    assert keeper.probe()[0] is False and f"{CALL} 第 1 段" in keeper.probe()[1]

    login(client, "seat1001")
    assert client.get("/api/recordings/alerts").status_code == 403
    csrf = login(client, "jingan")
    listed = client.get("/api/recordings/alerts").json()
    assert listed["open"] == 1
    (alert,) = listed["alerts"]
    assert (alert["call_id"], alert["segment"], alert["kind_label"], alert["district_code"]) == (
        CALL,
        1,
        "录音文件缺失",
        "310106",
    )
    assert alert["acknowledged"] is False
    url = f"/api/recordings/alerts/{CALL}/1/ack"
    assert client.post(url).status_code == 403  # no CSRF token: refused, nothing kept
    done = client.post(url, headers=csrf)
    assert done.status_code == 200, done.text
    assert (done.json()["acknowledged"], done.json()["acknowledged_by"]) == (True, "u-jingan")
    assert done.json()["acknowledged_by_name"] and done.json()["acknowledged_at"]
    again = client.post(url, headers=csrf)
    assert again.status_code == 409 and "已由" in again.json()["message"]
    assert client.post(f"/api/recordings/alerts/{CALL}/5/ack", headers=csrf).status_code == 404

    listed = client.get("/api/recordings/alerts").json()
    assert listed["open"] == 0 and [a["acknowledged"] for a in listed["alerts"]] == [True]  # still listed
    assert keeper.probe()[0] is True  # no longer counted by the status line
    acks = [(e.actor, e.target) for e in rt.repos.audit.recent() if e.action == "recording.alert_ack"]
    assert acks == [("u-jingan", CALL)]
