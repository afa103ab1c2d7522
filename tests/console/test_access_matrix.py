"""The access matrix (issue 13): every route of the app as `hotline demo` composes it, and every pushed
event type, against every role, from one explicit table each.

Objects of two scopes are seeded: district A (静安 310106: team-310106, seats 1001/1002) and district
B (浦东 310115: team-310115, seat 1003). A route with an id in its path is tried with an object of A
and one of B. A route added to the app without a row here fails `test_every_route_is_in_the_table`;
an event type added to the registry without a row fails `test_every_event_type_is_in_the_table`.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount
from starlette.websockets import WebSocketDisconnect

from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD
from callbacks.sla import SlaPolicy
from console_web.auth import COOKIE
from console_web.report_archive import ReportArchive
from core.access import Role
from core.calls import CallRecord, CallStatus
from core.events import _REGISTRY, ComponentStatusChanged, DomainEvent
from core.ids import CallId, SeatId, TeamId, UserId
from routing.calendar import load_holidays
from seats.models import User
from seats.schedule import Shift
from tests.console.test_follow_up_api import REACHED, add_follow_up
from tests.console.test_orders_api import add_order, add_voicemail
from tests.console.test_qc_api import queue_for_qc
from tests.support.app import TEST_BASE_URL, build_test_app, login
from tests.support.audio import add_recording, add_recording_alert
from tests.support.pushes import pushed

# --- roles -----------------------------------------------------------------------------------------

ANON, SEAT, DISTRICT, TEAM, CITY, ADMIN = "anonymous", "seat", "district", "team", "city", "admin"
INSPECTOR = "inspector"  # a quality inspector (质检员) scoped to district A
ROLES = (ANON, SEAT, DISTRICT, TEAM, CITY, ADMIN, INSPECTOR)
USERNAMES = {
    SEAT: "seat1001",
    DISTRICT: "jingan",
    TEAM: "jingan-team",
    CITY: "banzhang",
    ADMIN: "admin",
    INSPECTOR: "jingan-qc",
}


# A callback appointment the service accepts whenever the test runs: an hour after the service opens
# on the next working day after today. (A fixed date became a time in the past; "the next opening
# from this time tomorrow" fell within the last hour of service in the afternoon, so its hour later
# was after closing, and refused.)
_SLA = SlaPolicy(calendar=load_holidays())
_TOMORROW = datetime.now(_SLA.hours.tz).date() + timedelta(days=1)
APPOINTMENT_AT = (
    _SLA.next_opening(datetime.combine(_TOMORROW, time(0), tzinfo=_SLA.hours.tz)) + timedelta(hours=1)
).isoformat()

A_CALL, B_CALL = "call-a", "call-b"
A2_CALL = "call-a2"  # district A, seat 1002: in the supervisors' scope, not in seat 1001's
A_ORDER, B_ORDER = "wo-a", "wo-b"
A_FOLLOW_UP, B_FOLLOW_UP = "fu-call-a", "fu-call-b"  # 回访 of calls A (seat 1001, rated) and B
A_OFFICE, B_OFFICE = "office-310106", "office-310115"
A_TEAM, B_TEAM = "team-310106", "team-310115"


@dataclass(frozen=True)
class Seeded:
    shift_a: str
    shift_b: str
    day: str
    month: str


def _seed(app: FastAPI) -> Seeded:
    """The two scopes' objects, and a supervisor scoped to district A's team (the demo has none)."""
    rt: Runtime = app.state.runtime
    rt.repos.users.add(
        User(
            id=UserId("u-jingan-team"),
            username="jingan-team",
            display_name="静安团队班长",
            role=Role.SUPERVISOR,
            password_hash=rt.passwords.hash(DEMO_ADMIN_PASSWORD),
            scope_team_id=TeamId(A_TEAM),
        )
    )
    rt.repos.users.add(
        User(
            id=UserId("u-jingan-qc"),
            username="jingan-qc",
            display_name="静安质检员",
            role=Role.INSPECTOR,
            password_hash=rt.passwords.hash(DEMO_ADMIN_PASSWORD),
            scope_district_code="310106",
        )
    )
    now = datetime.now(UTC)
    for cid, district, seat in (
        (A_CALL, "310106", "1001"),
        (A2_CALL, "310106", "1002"),
        (B_CALL, "310115", "1003"),
    ):
        rt.repos.calls.save(
            CallRecord(
                id=CallId(cid),
                caller_number="13812348000",
                offered_at=now - timedelta(minutes=5),
                status=CallStatus.ANSWERED,
                queue=f"q-{district}-labor",
                district_code=district,
                seat_id=SeatId(seat),
                answered_at=now - timedelta(minutes=4),
                wait_seconds=60.0,
                talk_seconds=120.0,
            )
        )
    for cid in (A_CALL, A2_CALL, B_CALL):
        add_recording(rt, cid)
    add_recording_alert(rt, A_CALL, 2, district="310106")  # 录音告警: a missing segment of each district
    add_recording_alert(rt, B_CALL, 2, district="310115")
    for oid, team, number in ((A_ORDER, A_TEAM, "13900001111"), (B_ORDER, B_TEAM, "13900002222")):
        add_order(rt, oid, team, number=number, created_ago=timedelta(minutes=10), due_in=timedelta(days=60))
        add_voicemail(rt, oid)
    # The QC queue: call A scored (its seat may appeal), A2 waiting for an inspector, B scored.
    queue_for_qc(app, A_CALL, scored=True)
    queue_for_qc(app, A2_CALL)
    queue_for_qc(app, B_CALL, scored=True)
    add_follow_up(rt, A_CALL, seat="1001", team=A_TEAM)
    add_follow_up(rt, B_CALL, seat="1003", team=B_TEAM)
    # 报表归档: the files of the city and of each district, in the demo's folder for them
    archive = app.state.report_archive
    folder = Path(rt.settings.database.url.removeprefix("sqlite:///")).parent / "reports"
    for name in (CITY_FILE, A_FILE, B_FILE):
        (folder / "day").mkdir(parents=True, exist_ok=True)
        (folder / "day" / name).write_bytes(b"PK")
    app.state.report_archive = ReportArchive(folder, rt.scope_of) if archive.directory is None else archive
    day = (now + timedelta(days=40)).date()  # next month's plan: nothing of today's depends on it
    shifts = app.state.schedule_backend.shifts
    ids = [
        shifts.add(Shift(team_id=TeamId(team), seat_id=SeatId(seat), day=day, start=time(9), end=time(12))).id
        for team, seat in ((A_TEAM, "1001"), (B_TEAM, "1003"))
    ]
    return Seeded(shift_a=ids[0], shift_b=ids[1], day=day.isoformat(), month=day.strftime("%Y-%m"))


# --- the route table -------------------------------------------------------------------------------

# What each role gets, in ROLES order (anonymous, seat 1001, 静安 district supervisor, 静安 team
# supervisor, city-wide supervisor, admin):
#   ok   2xx or a redirect: served
#   401  no session         403  not for this role or not in its scope
#   404  not found (or not in its scope, where the service answers so)
#   bad  400/409/422: access granted, the request itself refused (state, content)
#   down 503: access granted, the service it needs is not running (no PBX in tests)
CLASSES = {"ok", "401", "403", "404", "bad", "down"}


def status_class(code: int) -> str:
    if code < 400:
        return "ok"
    if code in (400, 409, 422):
        return "bad"
    return str(code) if code in (401, 403, 404) else "down" if code == 503 else f"?{code}"


@dataclass(frozen=True)
class Probe:
    method: str  # WS for the websocket
    route: str  # the path as the app declares it
    url: str  # with the path's ids and any scope-bearing query filled in; {shift_a} etc. from Seeded
    expected: str  # one class per role, in ROLES order
    json: Any = None
    content: bytes | None = None
    content_type: str | None = None

    def expect(self) -> dict[str, str]:
        classes = self.expected.split()
        assert len(classes) == len(ROLES) and set(classes) <= CLASSES, self
        return dict(zip(ROLES, classes, strict=True))


CSV = "text/csv"
QC_SCORES = {
    "scores": {
        "greeting": 10,
        "standard_phrases": 20,
        "legal_accuracy": 30,
        "forbidden_phrases": 20,
        "closing": 10,
    }
}
VOICEMAIL_AUDIO = "/api/orders/{order_id}/voicemails/{call_id}/audio"
RECORDINGS = "/api/calls/{call_id}/recordings"
RECORDING_AUDIO = "/api/calls/{call_id}/recordings/{segment}/audio"
RECORDING_ACK = "/api/recordings/alerts/{call_id}/{segment}/ack"
ARCHIVE = "/api/supervisor/report-archive"
ARCHIVED = ARCHIVE + "/{period}/{name}"
CITY_FILE, A_FILE, B_FILE = (f"12348报表-{s}-日报-2026-11-20.xlsx" for s in ("全市", "静安区", "浦东新区"))
P = Probe
# Ordered: a probe that changes state comes after those that read it; logout last.
# fmt: off
PROBES: tuple[Probe, ...] = (
    # public: the pages, their assets, the API's own docs, the login
    P("GET", "/", "/", "ok ok ok ok ok ok ok"),
    P("GET", "/healthz", "/healthz", "ok ok ok ok ok ok ok"),
    P("GET", "/openapi.json", "/openapi.json", "ok ok ok ok ok ok ok"),
    P("GET", "/docs", "/docs", "ok ok ok ok ok ok ok"),
    P("GET", "/docs/oauth2-redirect", "/docs/oauth2-redirect", "ok ok ok ok ok ok ok"),
    P("GET", "/redoc", "/redoc", "ok ok ok ok ok ok ok"),
    P("GET", "/static", "/static/console.css", "ok ok ok ok ok ok ok"),
    P("GET", "/seat", "/seat", "ok ok ok ok ok ok ok"),
    P("GET", "/seat/", "/seat/", "ok ok ok ok ok ok ok"),
    P("GET", "/supervisor", "/supervisor", "ok ok ok ok ok ok ok"),
    P("GET", "/report", "/report?period=month", "ok ok ok ok ok ok ok"),
    P("GET", "/wallboard", "/wallboard", "ok ok ok ok ok ok ok"),
    P("GET", "/orders", "/orders", "ok ok ok ok ok ok ok"),
    P("GET", "/offices", "/offices", "ok ok ok ok ok ok ok"),
    P("GET", "/schedule", "/schedule", "ok ok ok ok ok ok ok"),
    P("POST", "/api/login", "/api/login", "401 401 401 401 401 401 401", json={"username": "nobody", "password": "x"}),
    # the console's own
    P("GET", "/api/me", "/api/me", "401 ok ok ok ok ok ok"),
    P("GET", "/api/labels", "/api/labels", "401 ok ok ok ok ok ok"),
    P("GET", "/api/status", "/api/status", "401 ok ok ok ok ok ok"),
    P("GET", "/api/calls/recent", "/api/calls/recent", "401 ok ok ok ok ok ok"),
    P("WS", "/ws/events", "/ws/events", "401 ok ok ok ok ok ok"),
    # call recordings (录音): the seats of the call, the supervisors whose scope holds it, city-wide
    P("GET", RECORDINGS, f"/api/calls/{A_CALL}/recordings", "401 ok ok ok ok ok ok"),
    P("GET", RECORDINGS, f"/api/calls/{A2_CALL}/recordings", "401 403 ok ok ok ok ok"),
    P("GET", RECORDINGS, f"/api/calls/{B_CALL}/recordings", "401 403 403 403 ok ok 403"),
    P("GET", RECORDING_AUDIO, f"/api/calls/{A_CALL}/recordings/1/audio", "401 ok ok ok ok ok ok"),
    P("GET", RECORDING_AUDIO, f"/api/calls/{A2_CALL}/recordings/1/audio?download=1", "401 403 ok ok ok ok ok"),
    P("GET", RECORDING_AUDIO, f"/api/calls/{B_CALL}/recordings/1/audio", "401 403 403 403 ok ok 403"),
    # recording alerts (录音告警): seen and acknowledged by the call's district and the city-wide roles
    P("GET", "/api/recordings/alerts", "/api/recordings/alerts", "401 403 ok ok ok ok ok"),
    # 转写检索: every logged-in role, each finding only the calls it may hear (tests/store/test_transcript_search)
    P("GET", "/api/transcripts/search", "/api/transcripts/search?q=工资", "401 ok ok ok ok ok ok"),
    P("GET", "/api/transcripts/search", "/api/transcripts/search?q=", "401 bad bad bad bad bad bad"),
    P("POST", RECORDING_ACK, f"/api/recordings/alerts/{A_CALL}/2/ack", "401 403 ok 404 ok ok ok"),
    P("POST", RECORDING_ACK, f"/api/recordings/alerts/{B_CALL}/2/ack", "401 403 404 404 ok ok 404"),
    P("GET", RECORDING_AUDIO, f"/api/calls/{A_CALL}/recordings/2/audio", "401 404 404 404 404 404 404"),
    # seat workspace
    P("GET", "/api/seat/state", "/api/seat/state", "401 ok 403 403 403 403 403"),
    P("GET", "/api/seat/calls/{call_id}/screenpop", f"/api/seat/calls/{A_CALL}/screenpop", "401 ok 403 403 403 403 403"),
    P("GET", "/api/seat/calls/{call_id}/screenpop", f"/api/seat/calls/{B_CALL}/screenpop", "401 404 403 403 403 403 403"),
    P("GET", "/api/seat/calls/{call_id}/screenpop", f"/api/seat/calls/{A2_CALL}/screenpop", "401 404 403 403 403 403 403"),
    P("GET", "/api/seat/calls/{call_id}/transcript", f"/api/seat/calls/{A_CALL}/transcript", "401 ok 403 403 403 403 403"),
    P("GET", "/api/seat/calls/{call_id}/transcript", f"/api/seat/calls/{B_CALL}/transcript", "401 404 403 403 403 403 403"),
    P("GET", "/api/seat/calls/{call_id}/transcript", f"/api/seat/calls/{A2_CALL}/transcript", "401 404 403 403 403 403 403"),
    P("GET", "/api/seat/transfer-targets", "/api/seat/transfer-targets", "401 ok 403 403 403 403 403"),
    P("GET", "/api/seat/records/unsubmitted", "/api/seat/records/unsubmitted", "401 ok 403 403 403 403 403"),
    P("GET", "/api/seat/today", "/api/seat/today", "401 ok 403 403 403 403 403"),
    P("GET", "/api/seat/address", "/api/seat/address?q=静安区新闸路", "401 ok 403 403 403 403 403"),
    P("PUT", "/api/seat/calls/{call_id}/record", f"/api/seat/calls/{A_CALL}/record", "401 ok 403 403 403 403 403", json={}),
    P("PUT", "/api/seat/calls/{call_id}/record", f"/api/seat/calls/{B_CALL}/record", "401 404 403 403 403 403 403", json={}),
    P("POST", "/api/seat/calls/{call_id}/record/submit", f"/api/seat/calls/{A_CALL}/record/submit", "401 bad 403 403 403 403 403", json={}),
    P("POST", "/api/seat/calls/{call_id}/record/submit", f"/api/seat/calls/{B_CALL}/record/submit", "401 404 403 403 403 403 403", json={}),
    P("POST", "/api/seat/calls/{call_id}/transfer", f"/api/seat/calls/{A_CALL}/transfer", "401 bad 403 403 403 403 403", json={"kind": "seat", "target": "1002"}),
    P("POST", "/api/seat/calls/{call_id}/transfer", f"/api/seat/calls/{B_CALL}/transfer", "401 404 403 403 403 403 403", json={"kind": "seat", "target": "1002"}),
    P("POST", "/api/seat/calls/{call_id}/consult", f"/api/seat/calls/{A_CALL}/consult", "401 bad 403 403 403 403 403", json={"kind": "seat", "target": "1002"}),
    P("POST", "/api/seat/calls/{call_id}/consult", f"/api/seat/calls/{B_CALL}/consult", "401 404 403 403 403 403 403", json={"kind": "seat", "target": "1002"}),
    P("POST", "/api/seat/calls/{call_id}/consult/complete", f"/api/seat/calls/{A_CALL}/consult/complete", "401 bad 403 403 403 403 403"),
    P("POST", "/api/seat/calls/{call_id}/consult/complete", f"/api/seat/calls/{B_CALL}/consult/complete", "401 404 403 403 403 403 403"),
    P("POST", "/api/seat/calls/{call_id}/consult/cancel", f"/api/seat/calls/{A_CALL}/consult/cancel", "401 bad 403 403 403 403 403"),
    P("POST", "/api/seat/calls/{call_id}/consult/cancel", f"/api/seat/calls/{B_CALL}/consult/cancel", "401 404 403 403 403 403 403"),
    P("POST", "/api/seat/calls/{call_id}/mute", f"/api/seat/calls/{A_CALL}/mute", "401 bad 403 403 403 403 403", json={"on": True}),
    P("POST", "/api/seat/calls/{call_id}/mute", f"/api/seat/calls/{B_CALL}/mute", "401 404 403 403 403 403 403", json={"on": True}),
    P("POST", "/api/seat/calls/{call_id}/hold", f"/api/seat/calls/{A_CALL}/hold", "401 bad 403 403 403 403 403", json={"on": True}),
    P("POST", "/api/seat/calls/{call_id}/hold", f"/api/seat/calls/{B_CALL}/hold", "401 404 403 403 403 403 403", json={"on": True}),
    P("POST", "/api/seat/calls/{call_id}/conference", f"/api/seat/calls/{A_CALL}/conference", "401 bad 403 403 403 403 403", json={"kind": "external", "target": "12345"}),
    P("POST", "/api/seat/calls/{call_id}/conference", f"/api/seat/calls/{B_CALL}/conference", "401 404 403 403 403 403 403", json={"kind": "external", "target": "12345"}),
    P("POST", "/api/seat/calls/{call_id}/conference/drop", f"/api/seat/calls/{A_CALL}/conference/drop", "401 bad 403 403 403 403 403"),
    P("POST", "/api/seat/calls/{call_id}/conference/drop", f"/api/seat/calls/{B_CALL}/conference/drop", "401 404 403 403 403 403 403"),
    P("POST", "/api/seat/calls/{call_id}/hangup", f"/api/seat/calls/{A_CALL}/hangup", "401 bad 403 403 403 403 403"),
    P("POST", "/api/seat/calls/{call_id}/hangup", f"/api/seat/calls/{B_CALL}/hangup", "401 404 403 403 403 403 403"),
    P("POST", "/api/seat/login", "/api/seat/login", "401 down 403 403 403 403 403"),
    P("POST", "/api/seat/pause", "/api/seat/pause", "401 down 403 403 403 403 403", json={"reason": "rest"}),
    P("POST", "/api/seat/resume", "/api/seat/resume", "401 down 403 403 403 403 403"),
    P("POST", "/api/seat/wrapup/extend", "/api/seat/wrapup/extend", "401 down 403 403 403 403 403"),
    P("POST", "/api/seat/wrapup-done", "/api/seat/wrapup-done", "401 bad 403 403 403 403 403"),
    P("POST", "/api/seat/logout", "/api/seat/logout", "401 down 403 403 403 403 403"),
    # supervision
    P("GET", "/api/supervisor/overview", "/api/supervisor/overview", "401 403 ok ok ok ok 403"),
    P("GET", "/api/supervisor/seats", "/api/supervisor/seats", "401 403 ok ok ok ok 403"),
    P("GET", "/api/supervisor/forecast", "/api/supervisor/forecast", "401 403 ok ok ok ok 403"),
    P("GET", "/api/supervisor/report", "/api/supervisor/report", "401 403 ok ok ok ok 403"),
    P("GET", "/api/supervisor/report.xlsx", "/api/supervisor/report.xlsx", "401 403 ok ok ok ok 403"),
    P("GET", "/api/supervisor/districts", "/api/supervisor/districts", "401 403 ok ok ok ok 403"),
    P("GET", "/api/supervisor/follow-ups", "/api/supervisor/follow-ups", "401 403 ok ok ok ok 403"),
    # the board's live views per queue / team, alerts (告警) and trends (issue 17); an alert's
    # scope is tested with real alerts in tests/console/test_board_api.py (none is open here)
    P("GET", "/api/supervisor/live-groups", "/api/supervisor/live-groups", "401 403 ok ok ok ok 403"),
    P("GET", "/api/supervisor/alerts", "/api/supervisor/alerts", "401 403 ok ok ok ok 403"),
    P("POST", "/api/supervisor/alerts/{alert_id}/ack", "/api/supervisor/alerts/999/ack", "401 403 404 404 404 404 403"),
    P("GET", "/api/supervisor/trends", "/api/supervisor/trends?days=30&by=team", "401 403 ok ok ok ok 403"),
    # reports (报表): the printable one's figures, the archive of the ended periods (city: every
    # file; a district supervisor: their district's; a team's supervisor: none)
    P("GET", "/api/supervisor/breakdown", "/api/supervisor/breakdown?period=week", "401 403 ok ok ok ok 403"),
    P("GET", "/api/supervisor/report-archive", "/api/supervisor/report-archive", "401 403 ok ok ok ok 403"),
    P("GET", ARCHIVED, f"{ARCHIVE}/day/{CITY_FILE}", "401 403 404 404 ok ok 403"),
    P("GET", ARCHIVED, f"{ARCHIVE}/day/{A_FILE}", "401 403 ok 404 ok ok 403"),
    P("GET", ARCHIVED, f"{ARCHIVE}/day/{B_FILE}", "401 403 404 404 ok ok 403"),
    P("GET", "/api/supervisor/wrap-up-policy", "/api/supervisor/wrap-up-policy", "401 403 ok ok ok ok 403"),
    P("PUT", "/api/supervisor/wrap-up-policy", "/api/supervisor/wrap-up-policy", "401 403 403 403 ok ok 403", json={"step_s": 60, "max_s": 300}),
    P("PUT", "/api/supervisor/seats/{seat_id}/expert", "/api/supervisor/seats/1003/expert", "401 403 403 403 403 ok 403", json={"expert": True}),
    # supervisors in the call (班长监听 / 耳语 / 强插 / 强拆): no seat is talking in the tests, so
    # whoever may act on a seat of their scope is refused for that (bad); the inspector may listen, not barge
    P("GET", "/api/supervisor/monitor", "/api/supervisor/monitor", "401 403 ok ok ok ok ok"),
    P("POST", "/api/supervisor/seats/{seat_id}/monitor", "/api/supervisor/seats/1001/monitor", "401 403 bad bad bad bad bad", json={"mode": "listen"}),
    P("POST", "/api/supervisor/seats/{seat_id}/monitor", "/api/supervisor/seats/1003/monitor", "401 403 403 403 bad bad 403", json={"mode": "whisper"}),
    P("POST", "/api/supervisor/seats/{seat_id}/monitor", "/api/supervisor/seats/1001/monitor", "401 403 bad bad bad bad 403", json={"mode": "barge"}),
    P("POST", "/api/supervisor/monitor/mode", "/api/supervisor/monitor/mode", "401 403 bad bad bad bad bad", json={"mode": "whisper"}),
    P("POST", "/api/supervisor/monitor/mode", "/api/supervisor/monitor/mode", "401 403 bad bad bad bad 403", json={"mode": "barge"}),
    P("POST", "/api/supervisor/monitor/stop", "/api/supervisor/monitor/stop", "401 403 bad bad bad bad bad"),
    P("POST", "/api/supervisor/monitor/takeover", "/api/supervisor/monitor/takeover", "401 403 bad bad bad bad 403"),
    P("POST", "/api/supervisor/seats/{seat_id}/hangup", "/api/supervisor/seats/1001/hangup", "401 403 bad bad bad bad 403"),
    P("POST", "/api/supervisor/seats/{seat_id}/hangup", "/api/supervisor/seats/1003/hangup", "401 403 403 403 bad bad 403"),
    P("PUT", "/api/supervisor/phones/{user_id}", "/api/supervisor/phones/u-jingan", "401 403 403 403 403 ok 403", json={"endpoint": "8002", "password": "pw8002x"}),
    P("PUT", "/api/supervisor/phones/{user_id}", "/api/supervisor/phones/u-nobody", "401 403 403 403 403 bad 403", json={"endpoint": "8003", "password": "pw8003x"}),
    P("GET", "/api/supervisor/monitor/audit", "/api/supervisor/monitor/audit", "401 403 403 403 403 ok 403"),
    # supervisors steer seats (班长示忙 / 示闲 / 签出 / 调整队列, Right.STEER: supervisors and admins, not
    # the inspector); district A's supervisors only district A's seats; an unknown seat is 404; no seat
    # is logged in in the tests, so whoever may steer a seat of their scope is refused for that (bad)
    P("POST", "/api/supervisor/seats/{seat_id}/pause", "/api/supervisor/seats/1001/pause", "401 403 bad bad bad bad 403", json={"reason": "meeting"}),
    P("POST", "/api/supervisor/seats/{seat_id}/pause", "/api/supervisor/seats/1003/pause", "401 403 403 403 bad bad 403", json={"reason": "meeting"}),
    P("POST", "/api/supervisor/seats/{seat_id}/pause", "/api/supervisor/seats/9999/pause", "401 403 404 404 404 404 403", json={"reason": "meeting"}),
    P("POST", "/api/supervisor/seats/{seat_id}/ready", "/api/supervisor/seats/1001/ready", "401 403 bad bad bad bad 403", json={}),
    P("POST", "/api/supervisor/seats/{seat_id}/ready", "/api/supervisor/seats/1003/ready", "401 403 403 403 bad bad 403", json={}),
    P("GET", "/api/supervisor/seats/{seat_id}/queues", "/api/supervisor/seats/1001/queues", "401 403 ok ok ok ok 403"),
    P("GET", "/api/supervisor/seats/{seat_id}/queues", "/api/supervisor/seats/1003/queues", "401 403 403 403 ok ok 403"),
    P("POST", "/api/supervisor/seats/{seat_id}/queues", "/api/supervisor/seats/1001/queues", "401 403 bad bad bad bad 403", json={"queue": "q-city-family", "action": "add", "note": "支援婚姻家事"}),
    P("POST", "/api/supervisor/seats/{seat_id}/queues", "/api/supervisor/seats/1003/queues", "401 403 403 403 bad bad 403", json={"queue": "q-city-family", "action": "add", "note": "支援婚姻家事"}),
    P("POST", "/api/supervisor/seats/{seat_id}/logout", "/api/supervisor/seats/1001/logout", "401 403 bad bad bad bad 403", json={"note": "提前下班"}),
    P("POST", "/api/supervisor/seats/{seat_id}/logout", "/api/supervisor/seats/1003/logout", "401 403 403 403 bad bad 403", json={"note": "提前下班"}),
    # work orders
    P("GET", "/api/orders", "/api/orders?scope=pool", "401 ok 403 403 403 403 403"),
    P("GET", "/api/orders", f"/api/orders?scope=all&team={A_TEAM}", "401 403 ok ok ok ok 403"),
    P("GET", "/api/orders", f"/api/orders?scope=all&team={B_TEAM}", "401 403 403 403 ok ok 403"),
    P("GET", "/api/orders/options", "/api/orders/options", "401 ok ok ok ok ok ok"),
    P("POST", "/api/orders/appointments", "/api/orders/appointments", "401 ok 403 403 403 403 403", json={"call_id": A_CALL, "at": APPOINTMENT_AT}),
    P("GET", VOICEMAIL_AUDIO, f"/api/orders/{A_ORDER}/voicemails/call-{A_ORDER}/audio", "401 ok ok ok ok ok ok"),
    P("GET", VOICEMAIL_AUDIO, f"/api/orders/{B_ORDER}/voicemails/call-{B_ORDER}/audio", "401 404 404 404 ok ok 404"),
    P("POST", "/api/orders/{order_id}/claim", f"/api/orders/{A_ORDER}/claim", "401 ok 403 403 403 403 403"),
    P("POST", "/api/orders/{order_id}/claim", f"/api/orders/{B_ORDER}/claim", "401 404 403 403 403 403 403"),
    P("POST", "/api/orders/{order_id}/claim", f"/api/orders/{A_FOLLOW_UP}/claim", "401 403 403 403 403 403 403"),  # seat 1001 was rated
    P("POST", "/api/orders/{order_id}/follow-up", f"/api/orders/{A_FOLLOW_UP}/follow-up", "401 403 ok ok ok ok 403", json=REACHED),
    P("POST", "/api/orders/{order_id}/follow-up", f"/api/orders/{B_FOLLOW_UP}/follow-up", "401 404 404 404 ok ok 403", json=REACHED),
    P("POST", "/api/orders/{order_id}/callback", f"/api/orders/{A_ORDER}/callback", "401 down 403 403 403 403 403"),
    P("POST", "/api/orders/{order_id}/callback", f"/api/orders/{B_ORDER}/callback", "401 404 403 403 403 403 403"),
    P("POST", "/api/orders/{order_id}/release", f"/api/orders/{A_ORDER}/release", "401 403 bad bad bad bad 403"),
    P("POST", "/api/orders/{order_id}/release", f"/api/orders/{B_ORDER}/release", "401 403 404 404 bad bad 403"),
    P("POST", "/api/orders/{order_id}/assign", f"/api/orders/{A_ORDER}/assign", "401 403 ok ok ok ok 403", json={"seat_id": "1002"}),
    P("POST", "/api/orders/{order_id}/assign", f"/api/orders/{B_ORDER}/assign", "401 403 404 404 ok ok 403", json={"seat_id": "1003"}),
    P("POST", "/api/orders/{order_id}/close", f"/api/orders/{A_ORDER}/close", "401 403 ok ok ok ok 403", json={"outcome": "cancelled", "note": "重复工单"}),
    P("POST", "/api/orders/{order_id}/close", f"/api/orders/{B_ORDER}/close", "401 404 404 404 ok ok 403", json={"outcome": "cancelled", "note": "重复工单"}),
    # office registry
    P("GET", "/api/offices", "/api/offices?district=310106", "401 403 ok ok ok ok 403"),
    P("GET", "/api/offices/export.csv", "/api/offices/export.csv", "401 403 ok ok ok ok 403"),
    P("GET", "/api/offices/{office_id}", f"/api/offices/{A_OFFICE}", "401 403 ok ok ok ok 403"),
    P("GET", "/api/offices/{office_id}", f"/api/offices/{B_OFFICE}", "401 403 ok ok ok ok 403"),
    P("PUT", "/api/offices/{office_id}", f"/api/offices/{A_OFFICE}", "401 403 403 403 403 ok 403", json={"name": "静安区公共法律服务中心", "team_id": A_TEAM}),
    P("PUT", "/api/offices/{office_id}", f"/api/offices/{B_OFFICE}", "401 403 403 403 403 ok 403", json={"name": "浦东新区公共法律服务中心", "team_id": B_TEAM}),
    P("POST", "/api/offices/import", "/api/offices/import", "401 403 403 403 403 bad 403", content=b"id,name\n", content_type=CSV),
    # shift schedules
    P("GET", "/api/schedule", f"/api/schedule?team={A_TEAM}&month={{month}}", "401 ok ok ok ok ok ok"),
    P("GET", "/api/schedule", f"/api/schedule?team={B_TEAM}&month={{month}}", "401 403 403 403 ok ok 403"),
    P("GET", "/api/schedule/attendance", f"/api/schedule/attendance?team={A_TEAM}", "401 403 ok ok ok ok 403"),
    P("GET", "/api/schedule/attendance", f"/api/schedule/attendance?team={B_TEAM}", "401 403 403 403 ok ok 403"),
    P("POST", "/api/schedule/shifts", "/api/schedule/shifts", "401 403 ok ok ok ok 403", json={"team_id": A_TEAM, "seat_id": "1002", "day": "{day}", "start": "13:00", "end": "17:00"}),
    P("POST", "/api/schedule/shifts", "/api/schedule/shifts", "401 403 403 403 ok ok 403", json={"team_id": B_TEAM, "seat_id": "1003", "day": "{day}", "start": "13:00", "end": "17:00"}),
    P("DELETE", "/api/schedule/shifts/{shift_id}", "/api/schedule/shifts/{shift_a}", "401 403 ok ok ok ok 403"),
    P("DELETE", "/api/schedule/shifts/{shift_id}", "/api/schedule/shifts/{shift_b}", "401 403 403 403 ok ok 403"),
    P("POST", "/api/schedule/import", f"/api/schedule/import?team={A_TEAM}&month={{month}}", "401 403 ok ok ok ok 403", content="日期,坐席编号,开始,结束\n{day},1001,09:00,12:00\n".encode(), content_type=CSV),
    P("POST", "/api/schedule/import", f"/api/schedule/import?team={B_TEAM}&month={{month}}", "401 403 403 403 ok ok 403", content="日期,坐席编号,开始,结束\n{day},1003,09:00,12:00\n".encode(), content_type=CSV),
    # quality inspection (质检): A_CALL scored, A2_CALL waiting, B_CALL scored
    P("GET", "/qc", "/qc", "ok ok ok ok ok ok ok"),
    P("GET", "/api/qc/items", "/api/qc/items", "401 403 ok ok ok ok ok"),
    P("GET", "/api/qc/items", f"/api/qc/items?team={A_TEAM}", "401 403 ok ok ok ok ok"),
    P("GET", "/api/qc/items", f"/api/qc/items?team={B_TEAM}", "401 403 404 404 ok ok 404"),
    P("GET", "/api/qc/mine", "/api/qc/mine", "401 ok 403 403 403 403 403"),
    P("GET", "/api/qc/items/{call_id}", f"/api/qc/items/{A_CALL}", "401 ok ok ok ok ok ok"),
    P("GET", "/api/qc/items/{call_id}", f"/api/qc/items/{A2_CALL}", "401 404 ok ok ok ok ok"),
    P("GET", "/api/qc/items/{call_id}", f"/api/qc/items/{B_CALL}", "401 404 404 404 ok ok 404"),
    P("GET", "/api/qc/form", "/api/qc/form", "401 ok ok ok ok ok ok"),
    P("GET", "/api/qc/rule", "/api/qc/rule", "401 403 ok ok ok ok ok"),
    P("GET", "/api/qc/report", "/api/qc/report", "401 403 ok ok ok ok ok"),
    P("POST", "/api/qc/items/{call_id}/score", f"/api/qc/items/{A2_CALL}/score", "401 403 403 403 403 403 ok", json=QC_SCORES),
    P("POST", "/api/qc/items/{call_id}/score", f"/api/qc/items/{B_CALL}/score", "401 403 403 403 403 403 404", json=QC_SCORES),
    P("POST", "/api/qc/items/{call_id}/score", f"/api/qc/items/{A_CALL}/score", "401 403 403 403 403 403 bad", json=QC_SCORES),
    P("POST", "/api/qc/items/{call_id}/appeal", f"/api/qc/items/{B_CALL}/appeal", "401 404 403 403 403 403 403", json={"reason": "评分有误"}),
    P("POST", "/api/qc/items/{call_id}/appeal", f"/api/qc/items/{A_CALL}/appeal", "401 ok 403 403 403 403 403", json={"reason": "评分有误"}),
    P("POST", "/api/qc/items/{call_id}/decision", f"/api/qc/items/{B_CALL}/decision", "401 403 404 404 bad bad 404", json={"upheld": False, "note": "维持原评分"}),
    P("POST", "/api/qc/items/{call_id}/decision", f"/api/qc/items/{A_CALL}/decision", "401 403 bad bad bad bad bad", json={"upheld": False, "note": "维持原评分"}),
    P("POST", "/api/qc/calls/{call_id}/flag", f"/api/qc/calls/{A_CALL}/flag", "401 ok ok ok ok ok ok", json={"note": "来电人投诉"}),
    P("POST", "/api/qc/calls/{call_id}/flag", f"/api/qc/calls/{B_CALL}/flag", "401 404 404 404 ok ok 404", json={"note": "来电人投诉"}),
    P("PUT", "/api/qc/form", "/api/qc/form", "401 403 403 403 403 ok 403", json={"items": [{"key": "greeting", "label": "开头语", "max_score": 10}]}),
    P("PUT", "/api/qc/rule", "/api/qc/rule", "401 403 403 403 403 ok 403", json={"sample_percent": 10, "short_talk_s": 20, "long_talk_factor": 3, "median_min_calls": 5}),
    P("GET", "/api/qc/phrases", "/api/qc/phrases", "401 403 ok ok ok ok ok"),
    P("PUT", "/api/qc/phrases", "/api/qc/phrases", "401 403 403 403 403 ok 403", json={"forbidden": ["不知道"], "greetings": ["您好"], "closings": ["再见"]}),
    # administration
    P("GET", "/api/admin/dead-letters", "/api/admin/dead-letters", "401 403 403 403 403 ok 403"),
    P("GET", "/api/admin/reliability", "/api/admin/reliability", "401 403 403 403 403 ok 403"),
    P("GET", "/api/admin/process", "/api/admin/process", "401 403 403 403 403 ok 403"),
    # Between a deployment's processes only (its secret's token, never a browser's session).
    P("GET", "/api/internal/snapshot", "/api/internal/snapshot", "401 401 401 401 401 401 401"),
    # the admin's oversight pages (issue 16, item 3): rights per role, the audit; the listen page
    P("GET", "/admin/rights", "/admin/rights", "ok ok ok ok ok ok ok"),
    P("GET", "/admin/audit", "/admin/audit", "ok ok ok ok ok ok ok"),
    P("GET", "/listen", "/listen", "ok ok ok ok ok ok ok"),
    P("GET", "/api/admin/rights", "/api/admin/rights", "401 403 403 403 403 ok 403"),
    P("PUT", "/api/admin/rights", "/api/admin/rights", "401 403 403 403 403 bad 403", json={"roles": {"seat": ["monitor"]}}),
    P("PUT", "/api/admin/rights", "/api/admin/rights", "401 403 403 403 403 ok 403", json={"roles": {"inspector": ["monitor", "barge"]}}),
    P("GET", "/api/admin/audit", "/api/admin/audit", "401 403 403 403 403 ok 403"),
    P("GET", "/api/admin/audit", "/api/admin/audit?kind=rights&since={day}&until={day}", "401 403 403 403 403 ok 403"),
    # the talking seats to listen to: whoever holds 监听 (the inspector too), within their scope
    P("GET", "/api/monitor/seats", "/api/monitor/seats", "401 403 ok ok ok ok ok"),
    # the knowledge base (知识库, issue 19): suggestions on a seat's own call; search and the citation
    # check for everybody logged in; drafts by seats, supervisors and admins; review, publish, retire,
    # history, export and import by supervisors and admins (city-wide: the base is the city's)
    P("GET", "/knowledge", "/knowledge", "ok ok ok ok ok ok ok"),
    P("POST", "/api/seat/calls/{call_id}/knowledge", f"/api/seat/calls/{A_CALL}/knowledge", "401 ok 403 403 403 403 403", json={"text": "拖欠工资"}),
    P("POST", "/api/seat/calls/{call_id}/knowledge", f"/api/seat/calls/{B_CALL}/knowledge", "401 404 403 403 403 403 403", json={"text": ""}),
    P("POST", "/api/seat/calls/{call_id}/knowledge", f"/api/seat/calls/{A2_CALL}/knowledge", "401 404 403 403 403 403 403", json={"text": ""}),
    P("GET", "/api/knowledge/search", "/api/knowledge/search?q=公司不给加班费&category=labor", "401 ok ok ok ok ok ok"),
    P("POST", "/api/knowledge/check", "/api/knowledge/check", "401 ok ok ok ok ok ok", json={"text": "《劳动合同法》第八十二条"}),
    P("GET", "/api/knowledge/entries", "/api/knowledge/entries", "401 ok ok ok ok ok ok"),
    P("GET", "/api/knowledge/entries/{entry_id}/history", "/api/knowledge/entries/kb-demo-1/history", "401 403 ok ok ok ok 403"),
    P("GET", "/api/knowledge/export.csv", "/api/knowledge/export.csv", "401 403 ok ok ok ok 403"),
    P("POST", "/api/knowledge/entries", "/api/knowledge/entries", "401 ok ok ok ok ok 403", json={"kind": "qa", "title": "试用期", "answer": "见《劳动合同法》第十九条", "category": "labor"}),
    P("PUT", "/api/knowledge/entries/{entry_id}", "/api/knowledge/entries/kb-demo-2", "401 403 ok ok ok ok 403", json={"kind": "qa", "title": "拖欠工资", "answer": "见《劳动合同法》第三十条", "category": "labor", "version": 1}),
    P("PUT", "/api/knowledge/entries/{entry_id}", "/api/knowledge/entries/kb-nobody", "401 404 404 404 404 404 404", json={"kind": "qa", "title": "无", "answer": "无", "category": "labor", "version": 1}),
    P("POST", "/api/knowledge/entries/{entry_id}/state", "/api/knowledge/entries/kb-demo-1/state", "401 403 ok ok ok ok 403", json={"state": "retired", "version": 1}),
    P("POST", "/api/knowledge/import", "/api/knowledge/import", "401 403 ok ok ok ok 403", content="类型,标题,问题或案情,解答或裁判要旨,法律类别\n问答,导入,问,答,劳动争议\n".encode(), content_type=CSV),
    # last: it ends the session
    P("POST", "/api/logout", "/api/logout", "401 ok ok ok ok ok ok"),
)
# fmt: on


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, the included routers' and mounts' too."""
    out: set[tuple[str, str]] = set()
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, Mount):
            out.add(("GET", route.path))
        elif ctx.methods:
            out |= {(m, str(ctx.path)) for m in ctx.methods if m != "HEAD"}
        else:
            out.add(("WS", str(ctx.path)))
    return out


def test_every_route_is_in_the_table(tmp_path: Path) -> None:
    routes = app_routes(build_test_app(tmp_path))
    covered = {(p.method, p.route) for p in PROBES}
    assert routes - covered == set(), "routes with no row in PROBES: give each its expected classes"
    assert covered - routes == set(), "rows for routes the app does not serve"


def _fill(text: str, seeded: Seeded) -> str:
    return text.format(**dataclasses.asdict(seeded)) if "{" in text else text


def _call(client: TestClient, probe: Probe, seeded: Seeded, csrf: Mapping[str, str]) -> int:
    url = _fill(probe.url, seeded)
    if probe.method == "WS":
        try:
            with client.websocket_connect(url) as ws:
                return 200 if ws.receive_json()["type"] == "hello" else 500
        except WebSocketDisconnect as exc:
            return 401 if exc.code == 4401 else 500
    headers = dict(csrf)
    kwargs: dict[str, Any] = {}
    if probe.json is not None:
        kwargs["json"] = {k: _fill(v, seeded) if isinstance(v, str) else v for k, v in probe.json.items()}
    if probe.content is not None:
        kwargs["content"] = _fill(probe.content.decode(), seeded).encode()
        headers["Content-Type"] = probe.content_type or "application/octet-stream"
    r = client.request(probe.method, url, headers=headers, follow_redirects=False, **kwargs)
    return r.status_code


@pytest.mark.parametrize("role", ROLES)
def test_given_a_role_when_calling_every_route_then_each_answers_as_the_table_says(
    role: str, tmp_path: Path
) -> None:
    # A fresh app per role: the table's writes (claims, closes, shifts) then meet the same state.
    with TestClient(build_test_app(tmp_path), base_url=TEST_BASE_URL) as client:
        seeded = _seed(client.app)  # type: ignore[arg-type]
        csrf = {} if role == ANON else login(client, USERNAMES[role])
        # Starlette's websocket test client always talks to "testserver": the cookie host-free.
        token = client.cookies.get(COOKIE)
        client.cookies.clear()
        if token:
            client.cookies.set(COOKIE, token)
        got = [(probe, status_class(_call(client, probe, seeded, csrf))) for probe in PROBES]
    wrong = [
        f"{p.method} {_fill(p.url, seeded)}: expected {p.expected.split()[ROLES.index(role)]}, got {g}"
        for p, g in got
        if p.expected.split()[ROLES.index(role)] != g
    ]
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


# --- the pushed-event table ------------------------------------------------------------------------

# Who is pushed each event type when it is about district A: call A of seat 1001 (queue
# q-310106-labor), team-310106, work order wo-a. Receivers: seat 1001, seat 1003 (district B), the
# 静安 district and team supervisors, the city-wide supervisor, the admin, 静安's quality inspector.
OTHER_SEAT = "other-seat"
RECEIVERS = (SEAT, OTHER_SEAT, DISTRICT, TEAM, CITY, ADMIN, INSPECTOR)
RECEIVER_USERNAMES = USERNAMES | {OTHER_SEAT: "seat1003"}
EVERYBODY = frozenset(RECEIVERS)  # system notices about no call
CITYWIDE = frozenset({CITY, ADMIN})  # about a call but carrying no key yet: anyone's call
# the district (queue or district code), no team, no seat; 静安's inspector is pushed what its supervisor is
DISTRICT_KEYED = CITYWIDE | {DISTRICT, INSPECTOR}
TEAM_KEYED = DISTRICT_KEYED | {TEAM}  # the team (a pool's order), no seat
SEAT_KEYED = TEAM_KEYED | {SEAT}  # seat 1001 (its own facts, its calls)

PUSHED: dict[str, frozenset[str]] = {
    # core.events
    "StateResynced": EVERYBODY,
    "ComponentStatusChanged": EVERYBODY,
    # core.call_events
    "CallOffered": CITYWIDE,
    "IvrEntered": CITYWIDE,
    "IvrLeft": CITYWIDE,
    "AudioStreamStarted": CITYWIDE,
    "CallQueued": DISTRICT_KEYED,
    "SeatRinging": SEAT_KEYED,
    "SeatRingNoAnswer": SEAT_KEYED,
    "CallAnswered": SEAT_KEYED,
    "CallTransferred": SEAT_KEYED,
    "CallTransferSettled": SEAT_KEYED,
    "CallLegAnswered": SEAT_KEYED,
    "CallLegEnded": SEAT_KEYED,
    "ThirdPartyJoined": SEAT_KEYED,  # the seat that invited the third party
    "ThirdPartyLeft": SEAT_KEYED,
    "MonitorConnected": CITYWIDE,  # never the seat listened to; the supervisor reads /api/supervisor/monitor
    "MonitorEnded": CITYWIDE,
    "CallTakenOver": SEAT_KEYED,  # the seat that was dropped: its console says why the call left it
    "CallAbandoned": DISTRICT_KEYED,
    "CallTimedOut": DISTRICT_KEYED,
    "CallEnded": SEAT_KEYED,
    "CallbackOriginated": SEAT_KEYED,
    "CallbackLegOutcome": SEAT_KEYED,
    "SeatJoinedQueue": SEAT_KEYED,
    "SeatLeftQueue": SEAT_KEYED,
    "SeatPaused": SEAT_KEYED,
    "SeatResumed": SEAT_KEYED,
    "SeatDeviceStatusChanged": SEAT_KEYED,
    "CallReconciled": SEAT_KEYED,
    "CallRecordingStarted": CITYWIDE,
    "CallRecordingStopped": CITYWIDE,
    "RecordingAlertRaised": DISTRICT_KEYED,  # the call's district supervisors too (city-wide when unknown)
    # core.ivr_events
    "IvrRouted": DISTRICT_KEYED,
    "CallbackRequested": DISTRICT_KEYED,
    "VoicemailLeft": DISTRICT_KEYED,
    "AppointmentRequested": DISTRICT_KEYED,
    "SurveyAnswered": SEAT_KEYED,
    "IvrAbandoned": CITYWIDE,
    # core.asr_events: only the seat's key (the case: a district supervisor was not pushed them)
    "TranscriptSegment": SEAT_KEYED,
    "AsrOverloaded": SEAT_KEYED,
    "AsrStreamEnded": SEAT_KEYED,
    "PostCallTranscriptReady": SEAT_KEYED,  # the seat that took the call reloads its transcript panel
    # core.seat_events
    "SeatStateChanged": SEAT_KEYED,
    "SeatSteered": SEAT_KEYED,  # the seat sees who steered it and why; its supervisors' board marks it
    # callbacks.events
    "WorkOrderCreated": TEAM_KEYED,
    "WorkOrderMissAdded": SEAT_KEYED,
    "WorkOrderClaimed": SEAT_KEYED,
    "WorkOrderAssigned": SEAT_KEYED,
    "WorkOrderScheduled": SEAT_KEYED,
    "WorkOrderReleased": SEAT_KEYED,
    "WorkOrderSlaWarning": SEAT_KEYED,
    "WorkOrderSlaBreached": SEAT_KEYED,
    "CallbackAttemptStarted": SEAT_KEYED,
    "CallbackAttemptFinished": SEAT_KEYED,
    "WorkOrderClosed": SEAT_KEYED,
    "MissNotOrdered": TEAM_KEYED,
}


TESTS_DIR = Path(__file__).resolve().parents[1]


def event_types() -> dict[str, type[DomainEvent]]:
    """The registry's event types, less those a test module defines for itself."""
    return {n: c for n, c in _REGISTRY.items() if not _defined_in_tests(c)}


def _defined_in_tests(cls: type) -> bool:
    # By file, not by module name: a helper module may be imported as `fake_ami_server`.
    module = sys.modules.get(cls.__module__)
    path = Path(getattr(module, "__file__", "") or "").resolve()
    return TESTS_DIR in path.parents


def test_every_event_type_is_in_the_table(tmp_path: Path) -> None:
    build_test_app(tmp_path)  # imports every producer, as the running app does
    assert set(event_types()) == set(PUSHED)


def _about(call: str, seat: str, district: str, order: str) -> dict[str, Any]:
    return {
        "call_id": call,
        "seat_id": seat,
        "team_id": f"team-{district}",
        "district_code": district,
        "queue": f"q-{district}-labor",
        "order_id": order,
        "work_order_id": order,
        "caller_number": "13812348000",
    }


ABOUT_A = _about(A_CALL, "1001", "310106", A_ORDER)
ABOUT_A2 = _about(A2_CALL, "1002", "310106", A_ORDER)
ABOUT_B = _about(B_CALL, "1003", "310115", B_ORDER)


def _value(hint: Any) -> Any:
    """A plain value of the type `hint`: the fields no audience depends on."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return _value(args[0])
    hint = getattr(hint, "__supertype__", hint)  # NewType ids
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return next(iter(hint))
    if hint is datetime:
        return datetime.now(UTC)
    plain = {str: "x", int: 1, float: 1.0, bool: False, tuple: (), dict: {}, frozenset: frozenset()}
    return plain.get(typing.get_origin(hint) or hint, "x")


def representative(cls: type[DomainEvent], about: Mapping[str, Any]) -> DomainEvent:
    """An instance of `cls` about one call / seat / team / order: every field that names one is set."""
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {"at": datetime.now(UTC)}
    for f in dataclasses.fields(cls):
        if f.name in about:
            kwargs[f.name] = about[f.name]
        elif (
            f.name not in kwargs
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ):
            kwargs[f.name] = _value(hints[f.name])
    return cls(**kwargs)


@dataclass
class Sockets:
    client: TestClient
    open: dict[str, Any] = field(default_factory=dict)
    events: dict[str, Iterator[dict[str, Any]]] = field(default_factory=dict)
    _contexts: list[Any] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)

    def connect(self, role: str) -> None:
        self.client.cookies.clear()
        login(self.client, RECEIVER_USERNAMES[role])
        self.tokens[role] = self.client.cookies.get(COOKIE) or ""
        self.client.cookies.clear()
        self.client.cookies.set(COOKIE, self.tokens[role])  # host-free: see the route matrix
        cm = self.client.websocket_connect("/ws/events")
        self._contexts.append(cm)
        self.open[role] = cm.__enter__()
        assert self.open[role].receive_json()["type"] == "hello"
        self.events[role] = pushed(self.open[role])

    def received_until(self, role: str, sentinel: str) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        for message in self.events[role]:
            if message["data"].get("event_id") == sentinel:
                return got
            got.append(message)
        raise AssertionError("unreachable: the socket's events do not end")

    def close(self) -> None:
        for cm in reversed(self._contexts):
            cm.__exit__(None, None, None)


@pytest.fixture
def sockets(tmp_path: Path) -> Iterator[Sockets]:
    with TestClient(build_test_app(tmp_path), base_url=TEST_BASE_URL) as client:
        _seed(client.app)  # type: ignore[arg-type]
        s = Sockets(client)
        for role in RECEIVERS:
            s.connect(role)
        try:
            yield s
        finally:
            s.close()


def _publish(client: TestClient, events: list[DomainEvent]) -> None:
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]

    async def go() -> None:
        for event in events:
            await rt.bus.publish(event)
        await rt.bus.drain()

    client.portal.call(go)  # type: ignore[union-attr]


def test_given_every_event_type_about_district_a_when_pushed_then_each_role_gets_what_the_table_says_and_finds_its_calls_listed(
    sockets: Sockets,
) -> None:
    types_ = event_types()
    published = {
        about["call_id"]: {name: representative(cls, about) for name, cls in types_.items()}
        for about in (ABOUT_A, ABOUT_A2, ABOUT_B)
    }
    by_id = {e.event_id: (call, name) for call, events in published.items() for name, e in events.items()}
    sentinel = ComponentStatusChanged(at=datetime.now(UTC), component="matrix-sentinel", up=True)
    _publish(sockets.client, [e for events in published.values() for e in events.values()] + [sentinel])

    pushed_a: dict[str, set[str]] = {name: set() for name in types_}
    pushed_calls: dict[str, set[str]] = {role: set() for role in RECEIVERS}
    for role in RECEIVERS:
        for message in sockets.received_until(role, sentinel.event_id):
            call, name = by_id.get(message["data"].get("event_id"), (None, None))
            if name is None:  # what the app's own subscribers published in reply
                continue
            if call == A_CALL:
                pushed_a[name].add(role)
            if "call_id" in message["data"]:
                pushed_calls[role].add(message["data"]["call_id"])
    wrong = {
        name: (sorted(got), sorted(PUSHED[name])) for name, got in pushed_a.items() if got != PUSHED[name]
    }
    assert not wrong, "event type: (pushed to, expected)"

    # What a role is pushed about a call is what its recent-calls list shows, and nothing else.
    for role in RECEIVERS:
        sockets.client.cookies.set(COOKIE, sockets.tokens[role])
        listed = {c["id"] for c in sockets.client.get("/api/calls/recent").json()["calls"]}
        sockets.client.cookies.clear()
        assert pushed_calls[role] == listed & {A_CALL, A2_CALL, B_CALL}, role


def test_given_busier_other_districts_when_a_district_supervisor_lists_recent_calls_then_theirs_are_found(
    tmp_path: Path,
) -> None:
    with TestClient(build_test_app(tmp_path), base_url=TEST_BASE_URL) as client:
        rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        now = datetime.now(UTC)
        calls = [(A_CALL, "310106", now - timedelta(hours=1))]
        calls += [(f"pudong-{i}", "310115", now - timedelta(minutes=i)) for i in range(1, 8)]
        for cid, district, at in calls:
            rt.repos.calls.save(
                CallRecord(
                    id=CallId(cid),
                    caller_number="13812348000",
                    offered_at=at,
                    status=CallStatus.ABANDONED,
                    queue=f"q-{district}-labor",
                    district_code=district,
                )
            )
        login(client, "jingan")
        assert [c["id"] for c in client.get("/api/calls/recent?limit=1").json()["calls"]] == [A_CALL]
        login(client, "banzhang", clear_cookies=True)
        assert [c["id"] for c in client.get("/api/calls/recent?limit=2").json()["calls"]] == [
            "pudong-1",
            "pudong-2",
        ]
