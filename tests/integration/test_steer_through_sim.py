"""A supervisor steers a seat (班长示忙 / 示闲 / 签出 / 调整队列, issue 16), through the console's HTTP API.

The real app runs against the embedded simulator (app_queue's rules from the rendered
queues.conf): the district supervisor of 静安 pauses seat 1001 with a reason, a caller then waits
in the queue and 1001 is not rung; made ready again, 1001 is rung and answers. Queue moves are
QueueAdd / QueueRemove in the simulator, and the seat's next log-in serves its skills' queues
again. The seat's own websocket is pushed who did it and why; the audit log keeps every step.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.settings import DEMO_ADMIN_PASSWORD
from core.ids import SeatId
from seats.state import SeatStatus
from tests.integration.test_monitor_through_sim import events, polled
from tests.integration.test_transfers_through_sim import CSRF, Live, running_app
from tests.support.pushes import pushed

pytestmark = pytest.mark.slow

SEAT = "/api/supervisor/seats/1001"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with running_app(tmp_path) as lv:
        yield lv


def session(live: Live, username: str) -> dict[str, str]:
    live.client.cookies.clear()
    r = live.client.post("/api/login", json={"username": username, "password": DEMO_ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    cookie = "; ".join(f"{k}={v}" for k, v in live.client.cookies.items())
    live.client.cookies.clear()
    return {CSRF: r.json()["csrf_token"], "Cookie": cookie}


def post(live: Live, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    r = live.client.post(path, json=body, headers=headers)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def board_row(live: Live, headers: dict[str, str]) -> dict[str, Any]:
    r = live.client.get("/api/supervisor/seats", headers=headers)
    assert r.status_code == 200, r.text
    row: dict[str, Any] = next(x for x in r.json()["seats"] if x["seat_id"] == "1001")
    return row


def queues_now(live: Live) -> set[str]:
    """Seat 1001's queues as the board holds them (on the app's loop: through `live.call`/`until`)."""
    assert live.runtime.board is not None
    return set(live.runtime.board.queues[SeatId("1001")])


def queues(live: Live) -> set[str]:
    return live.call(lambda: queues_now(live))


def steer_audit(live: Live) -> list[tuple[str, str | None, dict[str, Any]]]:
    entries = live.runtime.repos.audit.recent(prefixes=("steer.",))
    return [(e.action, e.actor, dict(e.detail)) for e in reversed(entries)]


def test_given_a_forced_pause_when_a_caller_waits_then_the_seat_is_not_rung_until_made_ready(
    live: Live,
) -> None:
    seat = live.login("1001")
    boss = session(live, "jingan")

    with live.client.websocket_connect("/ws/events", headers={"Cookie": seat["Cookie"]}) as ws:
        assert ws.receive_json()["type"] == "hello"
        out = post(live, f"{SEAT}/pause", {"reason": "meeting", "note": "全员例会"}, boss)
        steered = next(m for m in pushed(ws) if m["type"] == "SeatSteered")  # pytest-timeout bounds it
    assert out["action"] == "pause" and out["label"].startswith("班长示忙：会议")
    # The seat is told who and why.
    assert steered["data"]["seat_id"] == "1001" and steered["data"]["by_user"] == "u-jingan"
    assert "将您示忙：会议" in steered["data"]["notice"] and "全员例会" in steered["data"]["notice"]
    live.until(lambda: live.status("1001") is SeatStatus.PAUSED, "seat 1001 paused")
    pauses = events(live, "QueueMemberPause", Interface="PJSIP/1001")
    assert pauses and all(e["Paused"] == "1" and e["PausedReason"] == "meeting" for e in pauses)
    row = polled(lambda: (r := board_row(live, boss))["forced"] and r, "the board to mark the forced pause")
    assert row["status"] == "paused" and row["forced"].startswith("班长示忙：会议")

    number = live.place_call()
    polled(lambda: events(live, "QueueCallerJoin"), "the caller to queue")
    time.sleep(3.0)  # the queue would ring a free member within its retry
    assert live.status("1001") is SeatStatus.PAUSED
    assert not events(live, "DialBegin", DestChannel="PJSIP/1001-"), "a paused seat was rung"

    post(live, f"{SEAT}/ready", {"note": ""}, boss)
    live.until(lambda: live.status("1001") is SeatStatus.TALKING, "seat 1001 rung and talking", 30)
    assert events(live, "DialBegin", DestChannel="PJSIP/1001-")
    assert board_row(live, boss)["forced"] == ""  # the seat moved on: no mark
    live.hang_up_caller(number)

    rows = steer_audit(live)
    assert [(a, actor, d.get("reason")) for a, actor, d in rows] == [
        ("steer.pause", "u-jingan", "meeting"),
        ("steer.ready", "u-jingan", None),
    ]
    assert rows[0][2]["note"] == "全员例会" and rows[0][2]["seat_id"] == "1001"


def test_given_a_seat_moved_between_queues_when_it_logs_out_and_in_then_it_serves_its_skills_queues_again(
    live: Live,
) -> None:
    seat = live.login("1001")
    skills = queues(live)
    boss = session(live, "jingan")
    extra = "q-city-family" if "q-city-family" not in skills else "q-city-traffic"
    dropped = sorted(skills)[0]

    r = live.client.get(f"{SEAT}/queues", headers=boss)
    assert r.status_code == 200 and set(r.json()["current"]) == skills
    post(live, f"{SEAT}/queues", {"queue": extra, "action": "add", "note": "支援"}, boss)
    post(live, f"{SEAT}/queues", {"queue": dropped, "action": "remove", "note": "集中处理"}, boss)
    live.until(
        lambda: queues_now(live) == (skills - {dropped}) | {extra}, "the simulator to confirm the moves"
    )
    assert events(live, "QueueMemberAdded", Queue=extra, Interface="PJSIP/1001")
    assert events(live, "QueueMemberRemoved", Queue=dropped, Interface="PJSIP/1001")
    r = live.client.get(f"{SEAT}/queues", headers=boss)
    assert (r.json()["added_today"], r.json()["removed_today"]) == ([extra], [dropped])

    # A bad request changes nothing: an unknown queue, a missing reason.
    r = live.client.post(
        f"{SEAT}/queues", json={"queue": "q-nowhere", "action": "add", "note": "x"}, headers=boss
    )
    assert r.status_code == 404 and "不存在" in r.json()["message"]
    r = live.client.post(f"{SEAT}/logout", json={"note": " "}, headers=boss)
    assert r.status_code in (400, 422) and "原因" in r.json()["message"]

    post(live, f"{SEAT}/logout", {"note": "提前下班"}, boss)
    live.until(lambda: live.status("1001") is SeatStatus.OFFLINE, "seat 1001 logged out")
    assert queues(live) == set()
    r = live.client.post("/api/seat/login", headers=seat)
    assert r.status_code == 200, r.text
    live.until(lambda: live.status("1001") is SeatStatus.AVAILABLE, "seat 1001 back")
    assert queues(live) == skills  # the moves were for today only
    assert [a for a, _, _ in steer_audit(live)] == ["steer.add_queue", "steer.remove_queue", "steer.logout"]
