"""The steering routes (班长示忙 / 示闲 / 签出 / 调整队列) answer bad input in Chinese, before anything
reaches the PBX, and the seat's state is unchanged; a seat not signed in is a clear conflict."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.runtime import Runtime
from core.ids import SeatId
from seats.state import SeatStatus
from tests.support.app import TEST_BASE_URL, build_test_app, login

SEAT = "/api/supervisor/seats/1001"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(build_test_app(tmp_path), base_url=TEST_BASE_URL) as c:
        yield c


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("pause", {}, "请选择示忙原因"),
        ("pause", {"reason": " "}, "请选择示忙原因"),
        ("pause", {"reason": "nap"}, "示忙原因“nap”无效"),
        ("pause", {"reason": "after_call"}, "由系统自动设置"),
        ("pause", {"reason": "meeting", "note": "长" * 201}, "原因不能超过 200 个字"),
        ("logout", {"note": "  "}, "请填写原因"),
        ("logout", {}, "请填写原因"),
        ("queues", {"queue": "q-city-family", "action": "move", "note": "支援"}, "调整方式只能是"),
        ("queues", {"queue": "", "action": "add", "note": "支援"}, "请选择队列"),
        ("queues", {"queue": "q-city-family", "action": "add"}, "请填写原因"),
    ],
)
def test_given_bad_input_when_steering_then_a_chinese_message_and_the_seat_unchanged(
    client: TestClient, path: str, body: dict[str, Any], message: str
) -> None:
    headers = login(client, "jingan")
    r = client.post(f"{SEAT}/{path}", json=body, headers=headers)
    assert r.status_code in (400, 422), r.text
    assert message in r.json()["message"]
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert rt.board is not None and rt.board.state(SeatId("1001")).status is SeatStatus.OFFLINE
    assert rt.repos.audit.recent(prefixes=("steer.",)) == []


def test_given_an_unknown_queue_or_a_seat_not_signed_in_when_steering_then_404_and_409_in_chinese(
    client: TestClient,
) -> None:
    headers = login(client, "banzhang")
    r = client.post(
        f"{SEAT}/queues", json={"queue": "q-nowhere", "action": "add", "note": "支援"}, headers=headers
    )
    assert r.status_code == 404 and r.json()["message"] == "队列 q-nowhere 不存在"
    r = client.post(f"{SEAT}/pause", json={"reason": "meeting"}, headers=headers)
    assert r.status_code == 409 and r.json()["message"] == "该坐席未签入，无法示忙"
    r = client.post("/api/supervisor/seats/9999/ready", json={}, headers=headers)
    assert r.status_code == 404 and r.json()["message"] == "坐席不存在"


def test_given_a_seat_when_steering_itself_then_403_in_chinese(client: TestClient) -> None:
    headers = login(client, "seat1001")
    r = client.post(f"{SEAT}/pause", json={"reason": "meeting"}, headers=headers)
    assert (
        r.status_code == 403 and r.json()["message"] == "您没有调度坐席（示忙、示闲、签出、调整队列）的权限"
    )
