"""Scale-out by roles (issue 21): one telephony process and a web process, through Redis.

Both are the real app (`build_app`, as `hotline serve --role telephony|web` composes it) served
over real HTTP by uvicorn, on one SQLite file and one Redis channel of their own; the telephony
process runs the embedded simulator. What is checked, from the outside:

* the web process starts from the telephony process's snapshot (a seat signed in before it
  started shows so), then follows its events: a simulated call reaches a websocket on the web
  process, and both processes' boards agree on every seat through the call;
* a command sent to the web process (签入) is forwarded, carried out once by the telephony
  process, and seen by both;
* nothing is recorded twice: the seat status log has one row per published seat change, and the
  web process subscribes no writer to its bus;
* every read the web process answers itself (`console_web.forward.LOCAL_READS`) answers as the
  telephony process does.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import text
from websockets.sync.client import connect

from app.main import build_app
from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD, Settings, demo_settings
from core import dialplan
from core.ids import SeatId
from pbx.sim.config import Dist, PhoneConfig
from pbx.sim.model import CallerSpec
from seats.state import SeatStatus
from tests.support.app import WorkdayClock
from tests.support.live_server import LiveServer, live_server
from tests.support.polling import wait_until
from tests.support.pushes import unpacked

pytestmark = pytest.mark.slow

CSRF = "X-CSRF-Token"
_callers = itertools.count(1)


def _settings(tmp_path: Path, redis: dict[str, str], **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "database": {"url": f"sqlite:///{tmp_path / 'roles.db'}", "auto_migrate": True},
        "redis": redis,
        "ami": {"port": 0},
        "agi": {"port": 0},
        "audiosocket": {"enabled": False},
        "seats": {"wrap_up_s": 1.0},
        "callbacks": {"tick_s": 3600.0},
        "sim": {
            "enabled": True,
            "calls_per_hour": 0,
            "auto_login_seats": False,
            "time_scale": 10.0,
            "seed": 20261207,
            "run_dir": tmp_path / "sim",
        },
        "recordings": {"pbx_dir": str(tmp_path / "recordings"), "settle_s": 0.1},
    }
    base.update(overrides)
    return demo_settings(**base)


@dataclass
class Browser:
    """One user's session against one process: its cookie and CSRF header."""

    base: str
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def login(cls, base: str, user: str) -> Browser:
        with httpx2.Client(base_url=base) as client:
            r = client.post("/api/login", json={"username": user, "password": DEMO_ADMIN_PASSWORD})
            assert r.status_code == 200, r.text
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        return cls(base, {CSRF: r.json()["csrf_token"], "Cookie": cookie})

    def on(self, base: str) -> Browser:
        """The same session sent to another process (they share the sessions table)."""
        return Browser(base, self.headers)

    def get(self, path: str) -> httpx2.Response:
        return httpx2.get(self.base + path, headers=self.headers, timeout=20)

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx2.Response:
        return httpx2.post(self.base + path, headers=self.headers, json=body or {}, timeout=20)


@dataclass
class Deployment:
    telephony: LiveServer
    web: LiveServer
    tel_runtime: Runtime
    web_runtime: Runtime
    frames: list[dict[str, Any]]

    def on_tel(self, fn: Callable[[], Any]) -> Any:
        async def go() -> Any:
            return fn()

        return self.telephony.run(go())

    def on_web(self, fn: Callable[[], Any]) -> Any:
        async def go() -> Any:
            return fn()

        return self.web.run(go())

    def status(self, runtime: Runtime, seat: str) -> SeatStatus:
        assert runtime.board is not None
        return runtime.board.state(SeatId(seat)).status

    def boards(self, seat: str) -> tuple[SeatStatus, SeatStatus]:
        tel = self.on_tel(lambda: self.status(self.tel_runtime, seat))
        web = self.on_web(lambda: self.status(self.web_runtime, seat))
        return tel, web

    def place_call(self) -> str:
        number = f"1390099{next(_callers):04d}"

        def place() -> None:
            sim = self.tel_runtime.simulator
            assert sim is not None
            sim.register_phone(PhoneConfig(number, context=dialplan.INCOMING))
            sim.place_call(CallerSpec(endpoint=number, number=number, dtmf="12", district="310106"))

        self.on_tel(place)
        return number


@contextlib.contextmanager
def _websocket(base: str, browser: Browser, frames: list[dict[str, Any]]) -> Iterator[None]:
    """A console's socket on `base`, collecting what it is pushed until the block ends."""
    url = base.replace("http://", "ws://") + "/ws/events"
    stop, opened = threading.Event(), threading.Event()

    def read() -> None:
        headers = {"Cookie": browser.headers["Cookie"]}
        try:
            with connect(url, additional_headers=headers, origin=base, proxy=None) as ws:  # type: ignore[arg-type]
                opened.set()
                while not stop.is_set():
                    try:
                        frames.extend(unpacked(ws.recv(timeout=0.2)))
                    except TimeoutError:
                        continue
        except Exception as exc:
            frames.append({"type": "socket-closed", "error": repr(exc)})
            opened.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert opened.wait(10), "the websocket did not open"
    try:
        yield
    finally:
        stop.set()
        reader.join(timeout=5)


@pytest.fixture
def deployment(tmp_path: Path, redis_url: str) -> Iterator[Deployment]:
    redis = {"url": redis_url, "channel": f"hotline:test-roles:{uuid.uuid4().hex}"}
    telephony_settings = _settings(tmp_path, redis, role="telephony")
    # Seats 1001 and 1002 answer after 1 s and leave the hanging up to the caller.
    clock = WorkdayClock()  # one clock for both, as one machine's
    tel_app = build_app(telephony_settings, clock=clock)
    with live_server(tel_app) as tel:
        tel_runtime: Runtime = tel_app.state.runtime
        sim = tel_runtime.simulator
        assert sim is not None
        for seat in ("1001", "1002"):
            tel.run(_steady(sim, seat))
        # Seat 1001 signs in before the web process exists: it must learn it from the snapshot.
        seat1 = Browser.login(tel.url, "seat1001")
        assert seat1.post("/api/seat/login").status_code == 200
        wait_until(lambda: tel_runtime.board is not None and _st(tel_runtime, "1001") is SeatStatus.AVAILABLE,
                   20, "seat 1001 available")  # fmt: skip
        web_settings = _settings(tmp_path, redis, role="web", web={"telephony_url": tel.url})
        web_app = build_app(web_settings, clock=clock)
        with live_server(web_app) as web:
            frames: list[dict[str, Any]] = []
            yield Deployment(tel, web, tel_runtime, web_app.state.runtime, frames)


async def _steady(sim: Any, seat: str) -> None:
    sim.register_phone(PhoneConfig(seat, answer_probability=1.0, answer_delay=Dist.fixed(1.0)))


def _st(runtime: Runtime, seat: str) -> SeatStatus:
    assert runtime.board is not None
    return runtime.board.state(SeatId(seat)).status


def _seat_log_rows(runtime: Runtime, seats: tuple[str, ...]) -> int:
    with runtime.repos.db.engine.connect() as conn:
        placeholders = ", ".join(f"'{s}'" for s in seats)
        return int(
            conn.execute(
                text(f"SELECT count(*) FROM seat_status_log WHERE seat_id IN ({placeholders})")
            ).scalar_one()
        )


def test_given_a_telephony_and_a_web_process_when_a_call_comes_then_the_web_process_mirrors_forwards_and_records_nothing(
    deployment: Deployment,
) -> None:
    d = deployment
    # The snapshot is the deployment's own: a browser's session or another secret gets nothing.
    bad = httpx2.get(d.telephony.url + "/api/internal/snapshot", headers={"X-Hotline-Internal": "0" * 64})
    assert bad.status_code == 401
    # The snapshot: seat 1001 signed in before the web process started.
    assert d.boards("1001") == (SeatStatus.AVAILABLE, SeatStatus.AVAILABLE)
    seat1_web = Browser.login(d.web.url, "seat1001")
    today = seat1_web.get("/api/seat/today")
    assert today.status_code == 200, today.text

    # The seat changes of the whole test, as the telephony process publishes them.
    published: list[Any] = []

    async def note(event: Any) -> None:
        published.append(event)

    from seats.state import SeatStateChanged

    d.on_tel(lambda: d.tel_runtime.bus.subscribe("test-seat-changes", note, types=(SeatStateChanged,)))
    log_before = _seat_log_rows(d.tel_runtime, ("1001", "1002"))

    # A command through the web process: seat 1002 signs in there; the telephony process does it.
    seat2_web = Browser.login(d.web.url, "seat1002")
    r = seat2_web.post("/api/seat/login")
    assert r.status_code == 200, r.text
    wait_until(
        lambda: d.boards("1002") == (SeatStatus.AVAILABLE, SeatStatus.AVAILABLE), 20, "1002 on both boards"
    )

    boss = Browser.login(d.web.url, "banzhang")
    with _websocket(d.web.url, boss, d.frames):
        d.place_call()
        # Pushed to the web process's socket, from the telephony process, through Redis.
        wait_until(
            lambda: any(f.get("type") == "CallAnswered" for f in d.frames),
            60,
            "CallAnswered on the web socket",
        )
        answered = next(f for f in d.frames if f.get("type") == "CallAnswered")
        call_id, seat = answered["data"]["call_id"], answered["data"]["seat_id"]
        assert d.boards(seat) == (SeatStatus.TALKING, SeatStatus.TALKING)
        # The seat's screen pop, read on the web process, is what the telephony process shows.
        who = seat1_web if seat == "1001" else seat2_web
        pop_web = who.get(f"/api/seat/calls/{call_id}/screenpop")
        pop_tel = who.on(d.telephony.url).get(f"/api/seat/calls/{call_id}/screenpop")
        assert pop_web.status_code == pop_tel.status_code == 200, (pop_web.text, pop_tel.text)
        assert pop_web.json() == pop_tel.json()
        # The caller hangs up; the seat wraps up (after-call work holds it there) on both boards.
        assert any(f.get("type") == "CallOffered" and f["data"]["call_id"] == call_id for f in d.frames)
        caller = _caller_of(d, call_id)
        assert d.on_tel(lambda: d.tel_runtime.simulator.pbx.hangup_endpoint(caller))  # type: ignore[union-attr]
        wait_until(
            lambda: d.boards(seat) == (SeatStatus.WRAP_UP, SeatStatus.WRAP_UP), 30, "wrap-up on both boards"
        )
        # Both boards agree on every seat.
        tel_states = d.on_tel(lambda: {s: st.status for s, st in d.tel_runtime.board.states.items()})  # type: ignore[union-attr]
        web_states = d.on_web(lambda: {s: st.status for s, st in d.web_runtime.board.states.items()})  # type: ignore[union-attr]
        assert tel_states == web_states
        # Every read the web process answers itself answers as the telephony process does, with
        # a call answered and a seat in wrap-up behind them (the recorder wrote the call's row).
        wait_until(lambda: d.tel_runtime.repos.calls.find(call_id) is not None, 20, "the call's row")  # type: ignore[arg-type]
        differ = _local_reads_differ(d)
        assert not differ, "\n".join(map(str, differ))

    # Recorded once: one seat status log row per published change (the web process writes none),
    # and the call's row is there, written by the telephony process.
    wait_until(
        lambda: _seat_log_rows(d.tel_runtime, ("1001", "1002")) - log_before >= len(published), 20, "seat log"
    )
    time.sleep(1.0)  # anything a second writer would add lands by now
    assert _seat_log_rows(d.tel_runtime, ("1001", "1002")) - log_before == len(published) > 0
    # What a web process follows its bus with: views in memory and the sockets, no writer.
    readers = {"ws-hub", "redis-fanout", "call-views", "seat-board-mirror", "seat-console", "supervisor-live"}
    web_subscribers = d.on_web(lambda: {s.name for s in d.web_runtime.bus.subscriptions})
    assert web_subscribers <= readers, web_subscribers - readers
    assert {"call-recorder", "seat-status-log", "qc-sampler"} <= d.on_tel(
        lambda: {s.name for s in d.tel_runtime.bus.subscriptions}
    )


def _caller_of(d: Deployment, call_id: str) -> str:
    view = d.on_tel(lambda: d.tel_runtime.call_views.get(call_id))  # type: ignore[arg-type]
    assert view is not None
    return str(view.record.caller_number)


# Each read the web process answers itself, as a user who may read it would ask (one concrete URL
# for each pattern of `LOCAL_READS`; the test below checks that every pattern is covered).
LOCAL_URLS: dict[str, list[str]] = {
    "seat1001": [
        "/api/me",
        "/api/labels",
        "/api/seat/today",
        "/api/knowledge/entries",
        "/api/knowledge/search?q=工资",
        "/api/schedule",
    ],
    "banzhang": [
        "/api/calls/recent",
        "/api/supervisor/overview",
        "/api/supervisor/seats",
        "/api/supervisor/live-groups",
        "/api/supervisor/breakdown",
        "/api/supervisor/trends",
        "/api/supervisor/forecast",
        "/api/supervisor/districts",
        "/api/schedule/attendance",
        "/api/transcripts/search?q=工资",
    ],
    "zhijian": [
        "/api/qc/form",
        "/api/qc/items",
        "/api/qc/mine",
        "/api/qc/phrases",
        "/api/qc/report",
        "/api/qc/rule",
        "/api/knowledge/entries/none/history",
        "/api/qc/items/none",
        "/api/seat/calls/none/screenpop",
        "/api/seat/calls/none/transcript",
    ],
}


def test_every_local_read_pattern_has_a_url_here() -> None:
    from console_web.forward import served_locally

    urls = [u.split("?")[0] for us in LOCAL_URLS.values() for u in us]
    assert all(served_locally("GET", u) for u in urls)
    from console_web.forward import _LOCAL

    own = {"/healthz/?", "/api/admin/process/?"}  # each process's own health: differs by design
    for method, rx in _LOCAL:
        if method == "GET" and rx.pattern not in own:
            assert any(rx.fullmatch(u) for u in urls), rx.pattern


def _local_reads_differ(d: Deployment) -> list[tuple[str, str, int, int, str]]:
    """Each read the web process answers itself, asked of both processes by the same session."""
    differ = []
    for user, urls in LOCAL_URLS.items():
        on_web = Browser.login(d.web.url, user)
        on_tel = on_web.on(d.telephony.url)
        for url in urls:
            w, t = on_web.get(url), on_tel.get(url)
            if w.status_code != t.status_code or (w.status_code == 200 and _answer(w) != _answer(t)):
                differ.append((user, url, w.status_code, t.status_code, _diff(w, t)))
    return differ


# Read off the clock when the question is answered (the two processes are asked a moment apart):
# the moment itself, and durations up to it (a seat's time in its state, the longest wait).
_ASKED_AT = ("now", "generated_at", "seconds_in_state", "longest_wait_seconds")


def _without_clock(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_clock(v) for k, v in value.items() if k not in _ASKED_AT}
    if isinstance(value, list):
        return [_without_clock(v) for v in value]
    return value


def _answer(r: httpx2.Response) -> Any:
    return _without_clock(r.json())


def _diff(w: httpx2.Response, t: httpx2.Response) -> str:
    if w.status_code != t.status_code or w.status_code != 200:
        return f"{w.text[:200]} | {t.text[:200]}"
    a, b = _answer(w), _answer(t)
    if isinstance(a, dict) and isinstance(b, dict) and isinstance(a.get("seats"), list):
        rows = [(x, y) for x, y in zip(a["seats"], b.get("seats", []), strict=False) if x != y]
        return "; ".join(
            f"{x.get('seat_id')}: "
            + ", ".join(f"{k} {x.get(k)} != {y.get(k)}" for k in x if x.get(k) != y.get(k))
            for x, y in rows
        )
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        return "; ".join(f"{k}: {str(a.get(k))[:150]} != {str(b.get(k))[:150]}" for k in keys)
    return f"{str(a)[:200]} | {str(b)[:200]}"
