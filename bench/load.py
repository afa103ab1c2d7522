"""End-to-end load at provincial scale (issue 21): the PBX simulator in its own process
(`bench/load_sim.py`, real AMI and FastAGI on sockets) drives the real app in its own process
(`python -m app.cli serve`, composed as `hotline serve` is), at steps of concurrent calls, while N
signed-in seat consoles and M supervisor boards hold real websockets on /ws/events, each opened as
its page opens it: a seat console on the seat feed, a board as the 班长 board (supervisor.html, the
supervisor feed) or, with `--board-page events`, as the event board at / (every event).

    PYTHONPATH=$PWD .venv/bin/python bench/load.py [--steps 50,100,200,400] [--window 30]
        [--seats 500] [--boards 50] [--board-page supervisor|events] [--postgres URL] [--web N] [--quick]

With `--web N` the app runs as a deployment of processes (issue 21's scale-out): one telephony
process (`hotline serve --role telephony`: AMI, IVR, recorder, callbacks) and N web processes
(`--role web`) on a Redis of the run's own; the consoles and boards sign in and hold their sockets
on the web processes in turn (their 签入 is forwarded to the telephony process), and CPU and RSS
are printed per process.

Set-up as an operator would: the schema (`store.migrate.upgrade`), the teams and demo accounts
(`app.seed.seed_demo`; boards sign in as the city supervisor `banzhang`), the load seats from a
CSV through the seat import (`store.seat_import`, spread over the 16 district teams with every
skill), one account per seat. Each console signs in by POST /api/login as the page does; each seat
also presses 签入 (POST /api/seat/login: QueueAdd on the simulator's queues).

Per step (after a few seconds to reach the step's concurrency) it prints: AMI events/s emitted by
the simulator; events pushed to the clients per second (frames/s) and the websocket messages they
came in (msgs/s: the hub sends what waited for a socket as one array); p50 / p99 from an event's
`at` (the AMI Timestamp the tracker stamped it with) to the websocket client receiving it; sockets
closed; CPU % and RSS of the app, the
simulator and this client process (from /proc); rows/s written to calls + call_events; and, after
the run drains, calls lost (placed and ended by the simulator, no row in `calls`) and rows that match no
placed call (duplicates / phantoms), per step, against the simulator's ledger.

With `--postgres URL` the app uses a database of its own created on that server (dropped at the
end); the database named in URL is only connected to, never written. Benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import tomllib
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import websockets  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench.faults.peers import (  # noqa: E402
    AppProcess,
    PeerError,
    PrivateRedis,
    _env,
    free_port,
    post_json,
    temp_base,
    wait_until,
)
from routing.queues import DEFAULT_RULES_PATH, RULES_ENV  # noqa: E402

PASSWORD = "demo12348"
AMI_SECRET = "load-ami-secret-21"
FIRST_SEAT = 3001
CATEGORIES = "family labor contract property traffic legal-aid notary forensic mediation other"
TICK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------------------------ set-up


def around_the_clock_rules(base: Path) -> Path:
    """The packaged queue rules as a 7x24 hotline's (every team and the city pool open 00:00-24:00
    on every day): the load is a peak hour's whatever the hour the bench runs at (the packaged
    hours send an evening's or a Sunday's callers to the after-hours menu, a lighter traffic)."""
    packaged = tomllib.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    keys = ("district_queue", "city_queue", "after_hours_queue", "overflow_after_seconds", "districts")
    lines = [f"{k} = {json.dumps(packaged[k], ensure_ascii=False)}" for k in keys]
    for table in ("default_hours", "city_hours"):
        lines += [f"[{table}]", 'open = "00:00"', 'close = "24:00"', "every_day = true"]
    path = base / "queue_rules_7x24.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def provision(db_url: str, seats: list[str]) -> None:
    """Schema, teams and demo accounts, the load seats through the seat import, their accounts."""
    from app.seed import seed_demo
    from console_web.auth import Passwords
    from core.access import Role
    from core.ids import SeatId, UserId
    from routing.districts import DISTRICTS
    from seats.models import User
    from store.db import Database
    from store.migrate import upgrade
    from store.repositories import Repositories
    from store.seat_import import import_seats

    districts = list(DISTRICTS.items())
    lines = ["工号,姓名,团队,区,技能,话机密码"]
    for i, sid in enumerate(seats):
        code, name = districts[i % len(districts)]
        lines.append(
            f"{sid},负载坐席{sid},{name}坐席团队,{code},{CATEGORIES.replace(' ', '、')},phone-{sid}-pw"
        )
    password_hash = Passwords().hash(PASSWORD)
    db = Database(db_url)
    try:
        upgrade(db.url, engine=db.engine)
        repos = Repositories(db)
        seed_demo(repos, password_hash)
        report = import_seats(repos, "\n".join(lines) + "\n")
        print(f"seat import: {len(report.seats_created)} seats created", flush=True)
        for sid in seats:
            if repos.users.by_username(f"load{sid}") is None:
                repos.users.add(
                    User(id=UserId(f"u-load{sid}"), username=f"load{sid}", display_name=f"负载坐席{sid}",
                         role=Role.SEAT, password_hash=password_hash, seat_id=SeatId(sid))
                )  # fmt: skip
    finally:
        db.dispose()


class OwnPostgres:
    """A database of this run's own on the server of `url` (created, then dropped)."""

    def __init__(self, url: str) -> None:
        self.admin = create_engine(url, isolation_level="AUTOCOMMIT")
        self.name = f"hotline_load_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = self.admin.url.set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


class Sim:
    """bench/load_sim.py as a subprocess, driven over its stdin."""

    def __init__(self, base: Path, *, agi_port: int, seats: str, talk: float) -> None:
        self.ami_port = free_port()
        self.ledger = base / "ledger.jsonl"
        cmd = [sys.executable, str(REPO / "bench" / "load_sim.py"), "--ami-port", str(self.ami_port),
               "--agi-port", str(agi_port), "--secret", AMI_SECRET, "--seats", seats,
               "--ledger", str(self.ledger), "--talk", str(talk),
               "--recordings-dir", str(base / "recordings")]  # fmt: skip
        self.log = open(base / "sim.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd, cwd=str(REPO), env=_env({}), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.log, text=True, bufsize=1,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.lock = threading.Lock()
        self.read(60)  # {"ready": true}

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def read(self, timeout: float) -> dict[str, Any]:
        try:
            return dict(json.loads(self.lines.get(timeout=timeout)))
        except queue.Empty:
            raise PeerError(f"the simulator did not answer in {timeout:.0f} s") from None

    def command(self, line: str) -> dict[str, Any]:
        with self.lock:
            assert self.proc.stdin is not None
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            return self.read(30)

    def calls(self) -> tuple[dict[str, str], set[str]]:
        """From the ledger: call id -> step label of every call placed; the calls that ended."""
        placed: dict[str, str] = {}
        ended: set[str] = set()
        for line in self.ledger.read_text().splitlines():
            fact = json.loads(line)
            if fact["f"] == "placed":
                placed[fact["call"]] = fact["step"]
            elif fact["f"] == "ended":
                ended.add(fact["call"])
        return placed, ended

    def close(self) -> None:
        with contextlib.suppress(Exception):
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(10)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


# ------------------------------------------------------------------------------------ clients


def _login(base_url: str, username: str, seat: bool) -> str:
    """Sign in as the page does (and press 签入 for a seat); the Cookie header for the socket."""
    import http.cookiejar
    import urllib.error
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        return post_json(opener, base_url + path, body, headers, timeout=120)

    for _ in range(60):  # the app lets one login of an account run at a time, 16 wait at most
        try:
            me = post("/api/login", {"username": username, "password": PASSWORD}, {})
            break
        except urllib.error.HTTPError as exc:
            if exc.code not in (429, 503):
                raise
            time.sleep(float(exc.headers.get("Retry-After") or 1))
    else:
        raise PeerError(f"{username} could not sign in")
    if seat:
        post("/api/seat/login", {}, {"X-CSRF-Token": me["csrf_token"]})
    return "; ".join(f"{c.name}={c.value}" for c in jar)


class Clients:
    """The websocket clients: every frame's latency from its event's `at`, and closes; and how late
    this process's own event loop runs (`lags`): a frame read late because the clients' loop was
    busy counts in the latency too, and this tells that part apart."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.lags: list[float] = []
        self.by_type: dict[str, list[float]] = {}
        self.frames = 0  # events received
        self.messages = 0  # websocket messages they came in
        self.closed = 0
        self.tasks: list[asyncio.Task[None]] = [asyncio.create_task(self._beat())]

    async def _beat(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            t = loop.time()
            await asyncio.sleep(0.01)
            self.lags.append(max(0.0, loop.time() - t - 0.01))

    async def open(self, ws_url: str, cookie: str) -> None:
        ws = await websockets.connect(ws_url, additional_headers={"Cookie": cookie}, max_size=None)
        self.tasks.append(asyncio.create_task(self._read(ws)))

    async def _read(self, ws: Any) -> None:
        try:
            async for message in ws:
                now = time.time()
                self.messages += 1
                got = json.loads(message)
                for frame in got if isinstance(got, list) else [got]:  # the hub batches what waited
                    self.frames += 1
                    at = frame.get("data", {}).get("at")
                    if isinstance(at, str):
                        with contextlib.suppress(ValueError):
                            latency = now - datetime.fromisoformat(at).timestamp()
                            self.latencies.append(latency)
                            self.by_type.setdefault(str(frame.get("type")), []).append(latency)
        except websockets.ConnectionClosed:
            pass
        self.closed += 1

    async def close(self) -> None:
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


# ------------------------------------------------------------------------------------ measures


def _process_health(base_url: str) -> dict[str, Any]:
    """The process's own event-loop lag since it started (GET /api/admin/process as `admin`): what
    of the latency is the app's loop held, apart from the clients' and the machine's delays; and
    under `stalls` its latest long stalls with where the loop was caught."""
    import urllib.request

    cookie = _login(base_url, "admin", seat=False)
    req = urllib.request.Request(base_url + "/api/admin/process", headers={"Cookie": cookie})
    with urllib.request.urlopen(req, timeout=60) as r:
        body = json.loads(r.read())
    ages = {f"age_{k}": float(v) for k, v in body["push_age_ms"].items()}
    out: dict[str, Any] = {k: float(v) for k, v in body["loop_lag"].items()} | ages
    return out | {"stalls": body.get("stalls", [])}


def _where(stack: str) -> str:
    """`file:line in function` of the innermost frame of a caught stack ("?" when none was)."""
    frames = [line.strip() for line in stack.splitlines() if line.strip().startswith("File ")]
    if not frames:
        return stack.strip()[:80] or "?"
    path, _, rest = frames[-1].removeprefix("File ").partition(", line ")
    line, _, func = rest.partition(", in ")
    return f"{Path(path.strip(chr(34))).name}:{line} in {func}"


def cpu_rss(pid: int) -> tuple[float, float]:
    """CPU seconds used so far and resident MB, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICK
    rss = 0.0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    return cpu, rss


def rows(engine: Any) -> int:
    with engine.connect() as c:
        return int(
            c.execute(
                text("SELECT (SELECT count(*) FROM calls) + (SELECT count(*) FROM call_events)")
            ).scalar()
        )


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000


# ------------------------------------------------------------------------------------ run


async def run(args: argparse.Namespace) -> None:
    base = temp_base("hotline-load-")
    seats = [str(FIRST_SEAT + i) for i in range(args.seats)]
    pg = OwnPostgres(args.postgres) if args.postgres else None
    db_url = pg.url if pg else f"sqlite:///{base / 'load.db'}"
    sim: Sim | None = None
    app: AppProcess | None = None
    webs: list[AppProcess] = []
    redis: PrivateRedis | None = None
    clients = Clients()
    ok = False
    try:
        t0 = time.monotonic()
        agi_port = free_port()
        sim = Sim(base, agi_port=agi_port, seats=f"{seats[0]}-{seats[-1]}", talk=args.talk)
        await asyncio.to_thread(provision, db_url, seats)
        env = {
            "HOTLINE_ASR__ENABLED": "false",
            "HOTLINE_RECORDINGS__PBX_DIR": str(base / "recordings"),
            RULES_ENV: str(around_the_clock_rules(base)),
        }
        if args.web:
            redis = PrivateRedis(base)
            redis.start()
            # The web processes forward from loopback: the telephony process believes their
            # X-Forwarded-For (the browsers' addresses) for its login throttle and audit.
            env |= {"HOTLINE_ROLE": "telephony", "HOTLINE_WEB__TRUSTED_PROXIES": '["127.0.0.1"]'}
        app = AppProcess(base, db_url=db_url, ami_port=sim.ami_port, agi_port=agi_port, secret=AMI_SECRET,
                         redis_url=redis.url if redis else None, extra_env=env)  # fmt: skip
        app.spawn()
        await asyncio.to_thread(app.wait_ready, 180)
        await asyncio.to_thread(wait_until, lambda: sim.command("status")["clients"] >= 1, 60, "AMI login")
        for i in range(args.web):
            (base / f"web{i + 1}").mkdir()
            web_env = {**env, "HOTLINE_ROLE": "web", "HOTLINE_WEB__TELEPHONY_URL": app.base_url}
            web = AppProcess(base / f"web{i + 1}", db_url=db_url, ami_port=sim.ami_port, agi_port=agi_port,
                             secret=AMI_SECRET, redis_url=redis.url if redis else None, extra_env=web_env)  # fmt: skip
            web.spawn()
            webs.append(web)
        for web in webs:
            await asyncio.to_thread(web.wait_ready, 180)
        fronts = [w.base_url for w in webs] or [app.base_url]  # where the browsers go
        layout = f"1 telephony + {args.web} web processes, Redis" if args.web else "one process"
        print(
            f"app and simulator up in {time.monotonic() - t0:.0f} s ({'PostgreSQL' if pg else 'SQLite'}; {layout})"
        )
        t1 = time.monotonic()
        who = [(f"load{s}", True) for s in seats] + [("banzhang", False)] * args.boards
        front_of = [fronts[i % len(fronts)] for i in range(len(who))]
        with ThreadPoolExecutor(8) as pool:
            cookies = await asyncio.gather(
                *(
                    asyncio.get_running_loop().run_in_executor(pool, _login, front_of[i], u, s)
                    for i, (u, s) in enumerate(who)
                )
            )
        # Each socket as its page opens it: a seat console with the seat feed (seat.js), a board
        # as the 班长 board (supervisor.html, its feed) or, with --board-page events, as the event
        # board at / (every event; console_web.feeds).
        board_feed = "?feed=supervisor" if args.board_page == "supervisor" else ""
        ws_urls = [
            f.replace("http://", "ws://") + "/ws/events" + ("?feed=seat" if seat else board_feed)
            for f, (_u, seat) in zip(front_of, who, strict=True)
        ]
        for i in range(0, len(cookies), 50):
            await asyncio.gather(
                *(clients.open(ws_urls[j], cookies[j]) for j in range(i, min(i + 50, len(cookies))))
            )
        members = sim.command("status")["members"]
        print(
            f"{args.seats} seats signed in and 签入 ({members} queue memberships), {args.boards} boards "
            f"({'supervisor.html, feed=supervisor' if board_feed else 'the event board at /, every event'}); "
            f"{len(clients.tasks)} sockets open in {time.monotonic() - t1:.0f} s"
        )
        engine = create_engine(db_url)
        procs = {"app": app.proc.pid if app.proc else 0}
        procs |= {f"web{i + 1}": w.proc.pid if w.proc else 0 for i, w in enumerate(webs)}
        procs |= {"sim": sim.proc.pid, "client": os.getpid()}
        header = (
            f"{'calls':>5} {'live':>5} {'AMI ev/s':>9} {'frames/s':>9} {'msgs/s':>8} {'p50 ms':>7} {'p99 ms':>8} "
            f"{'closed':>6} "
            + " ".join(f"{n + ' CPU%':>9} {n + ' MB':>7}" for n in procs)
            + f" {'rows/s':>7} {'clientlag':>9}"
        )
        print(header)
        for step in args.steps:
            sim.command(f"target {step} s{step}")
            await asyncio.sleep(args.ramp)
            s0 = sim.command("status")
            c0 = {n: cpu_rss(p) for n, p in procs.items()}
            r0 = await asyncio.to_thread(rows, engine)
            clients.latencies.clear()
            clients.lags.clear()
            clients.by_type.clear()
            f0, m0, closed0, w0 = clients.frames, clients.messages, clients.closed, time.monotonic()
            await asyncio.sleep(args.window)
            wall = time.monotonic() - w0
            s1 = sim.command("status")
            c1 = {n: cpu_rss(p) for n, p in procs.items()}
            r1 = await asyncio.to_thread(rows, engine)
            lat, lags = list(clients.latencies), list(clients.lags)
            cells = " ".join(f"{100 * (c1[n][0] - c0[n][0]) / wall:>9.0f} {c1[n][1]:>7.0f}" for n in procs)
            print(
                f"{step:>5} {s1['live']:>5} {(s1['events'] - s0['events']) / wall:>9,.0f} "
                f"{(clients.frames - f0) / wall:>9,.0f} {(clients.messages - m0) / wall:>8,.0f} {pct(lat, 0.5):>7.0f} {pct(lat, 0.99):>8.0f} "
                f"{clients.closed - closed0:>6} {cells} {(r1 - r0) / wall:>7.0f} {pct(lags, 0.99):>9.0f}",
                flush=True,
            )
            worst = sorted(clients.by_type.items(), key=lambda kv: -pct(kv[1], 0.99))[:4]
            print(
                "      slowest event types (p99 ms, frames): "
                + ", ".join(f"{t} {pct(v, 0.99):.0f} ({len(v)})" for t, v in worst),
                flush=True,
            )
            for name, process in [("app", app), *((f"web{i + 1}", w) for i, w in enumerate(webs))]:
                seen = await asyncio.to_thread(_process_health, process.base_url)
                print(
                    f"      {name}: age of the last pushed events when its hub offered them "
                    f"p50 {seen.get('age_p50', 0):.0f} ms, p99 {seen.get('age_p99', 0):.0f} ms",
                    flush=True,
                )
                if seen["stalls"]:
                    stalls = "; ".join(f"{st['ms']:.0f} ms at {_where(st['stack'])}" for st in seen["stalls"])
                    print(f"      {name}: latest loop stalls: {stalls}", flush=True)
        sim.command("target 0 drain")
        try:
            await asyncio.to_thread(
                wait_until, lambda: sim.command("status")["live"] == 0, args.drain, "the calls to end", 0.5
            )
        except PeerError:  # a caller of long patience still queued: counted apart, below
            print(f"calls still in progress after {args.drain:.0f} s: {sim.command('status')['live']}")
        await asyncio.sleep(3)  # the recorder's last batch
        placed, ended = sim.calls()
        with engine.connect() as c:
            recorded = {r[0] for r in c.execute(text("SELECT id FROM calls WHERE direction = 'inbound'"))}
        engine.dispose()
        print("ground truth (after the calls ended):")
        for step in args.steps:
            mine = {call for call, label in placed.items() if label == f"s{step}"}
            lost = len((mine & ended) - recorded)
            print(
                f"  step {step:>4}: {len(mine):>5} calls placed, {len(mine - ended):>3} not ended, {lost:>4} lost"
            )
        phantoms = len(recorded - set(placed))
        print(f"  rows in calls that match no placed call (duplicates / phantoms): {phantoms}")
        print(f"  sockets closed by the server over the run: {clients.closed}")
        for name, process in [("app", app), *((f"web{i + 1}", w) for i, w in enumerate(webs))]:
            lag = await asyncio.to_thread(_process_health, process.base_url)
            print(
                f"  {name}'s event loop over the run (core.loopwatch, CPU waits taken out): "
                f"stall p50 {lag.get('p50_ms', 0):.0f} ms, p99 {lag.get('p99_ms', 0):.0f} ms, "
                f"max {lag.get('max_ms', 0):.0f} ms; largest lag {lag.get('max_lag_ms', 0):.0f} ms "
                f"({lag.get('samples', 0):.0f} beats); age of the last pushed events at its hub "
                f"p50 {lag.get('age_p50', 0):.0f} ms, p99 {lag.get('age_p99', 0):.0f} ms"
            )
        ok = True
    finally:
        await clients.close()
        closers: list[Callable[[], None] | None] = [w.close for w in webs]
        closers += [app.close if app else None, sim.close if sim else None]
        for close in [*closers, redis.close if redis else None, pg.drop if pg else None]:
            if close is not None:
                with contextlib.suppress(Exception):
                    close()
        if ok and not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"logs kept in {base}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", default="50,100,200,400", help="concurrent calls per step")
    p.add_argument("--window", type=float, default=30.0, help="seconds measured per step")
    p.add_argument("--ramp", type=float, default=5.0, help="seconds to reach a step before measuring")
    p.add_argument("--seats", type=int, default=500, help="signed-in seat consoles")
    p.add_argument("--boards", type=int, default=50, help="supervisor boards")
    p.add_argument(
        "--board-page",
        choices=("supervisor", "events"),
        default="supervisor",
        help="what a board's socket is: the 班长 board (supervisor.html, its feed) or the event board at / (every event)",
    )
    p.add_argument("--talk", type=float, default=20.0, help="median talk seconds of a simulated call")
    p.add_argument("--drain", type=float, default=120.0, help="seconds allowed for the calls to end")
    p.add_argument("--postgres", help="a PostgreSQL server URL: the app gets a database of its own there")
    p.add_argument(
        "--web", type=int, default=0, help="web processes beside one telephony process (0: one process)"
    )
    p.add_argument("--quick", action="store_true", help="steps 20,40; 50 seats, 5 boards, 10 s windows")
    p.add_argument("--keep", action="store_true", help="keep the logs and the SQLite file")
    args = p.parse_args()
    if args.quick:
        args.steps, args.seats, args.boards, args.window = "20,40", 50, 5, 10.0
    args.steps = [int(s) for s in str(args.steps).split(",") if s]
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
