"""The peers a fault scenario starts for itself, each a real process on a free loopback port:

* `PrivatePostgres`: a throw-away cluster from the machine's binaries (initdb in a temp dir,
  `pg_ctl start`; `stop("immediate")` and `start()` again on the same port for an outage).
* `PrivateRedis`: `redis-server --save '' --appendonly no` on a free port; `kill()` / `start()`.
* `SimProcess`: the PBX simulator (bench/faults/sim_proc.py) with its ledger; `kill()` and a new
  generation on the same AMI port for a PBX restart.
* `AppProcess`: `python -m app.cli serve` (the production entry point) with its settings in the
  environment; `kill()` is SIGKILL.

Never the shared PostgreSQL on 5432 or Redis on 6379.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("HOTLINE_FAULTS_PG_BIN", "/usr/lib/postgresql/15/bin"))
SHARED_PORTS = {5432, 6379}


class PeerError(RuntimeError):
    pass


def free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in SHARED_PORTS:
            return port


def wait_until(cond: Any, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise PeerError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def post_json(
    opener: urllib.request.OpenerDirector,
    url: str,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
    *,
    timeout: float,
) -> dict[str, Any]:
    """POST `body` as JSON through `opener` (a browser's cookies); the JSON it answers."""
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    with opener.open(req, timeout=timeout) as r:
        return dict(json.loads(r.read()))


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _sigkill(proc: subprocess.Popen[Any] | None) -> None:
    """SIGKILL the peer, if it still runs, and reap it."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)


def peers_available() -> str | None:
    """Why the scenarios cannot run here (None: they can)."""
    if not (PG_BIN / "initdb").exists():
        return f"no PostgreSQL binaries in {PG_BIN}"
    if shutil.which("redis-server") is None:
        return "no redis-server on PATH"
    return None


# ---------------------------------------------------------------------------------- PostgreSQL


class PrivatePostgres:
    """A private cluster; trust auth for `postgres` on 127.0.0.1 only."""

    def __init__(self, base: Path) -> None:
        self.dir = base / "pg"
        self.data = self.dir / "data"
        self.port = free_port()
        self.log = self.dir / "pg.log"
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:
            # initdb refuses to run as root: the cluster belongs to the system's postgres user.
            self._as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]

    def _run(self, *cmd: str) -> None:
        proc = subprocess.run([*self._as_postgres, *cmd], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise PeerError(f"{cmd[0]} failed: {proc.stderr.strip() or proc.stdout.strip()}")

    def init(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        )

    def start(self) -> None:
        opts = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off -c max_connections=60"
        )
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def ensure_running(self) -> None:
        """Started again if a scenario left it stopped."""
        proc = subprocess.run(
            [*self._as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status"], capture_output=True
        )
        if proc.returncode != 0:
            self.start()

    def close(self) -> None:
        with contextlib.suppress(PeerError, subprocess.TimeoutExpired):
            self.stop("immediate")


_SHARED_PG: PrivatePostgres | None = None


def shared_postgres() -> PrivatePostgres:
    """One private cluster per process, reused by every scenario (each gets a fresh database):
    initdb costs seconds. A scenario may stop and start it; it is stopped when the process exits."""
    global _SHARED_PG
    if _SHARED_PG is None:
        import atexit

        pg = PrivatePostgres(temp_base("hotline-faults-pg-"))
        pg.init()
        pg.start()
        atexit.register(pg.close)
        atexit.register(shutil.rmtree, pg.dir.parent, True)
        _SHARED_PG = pg
    return _SHARED_PG


# ---------------------------------------------------------------------------------- Redis


class PrivateRedis:
    def __init__(self, base: Path) -> None:
        self.dir = base / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        wait_until(lambda: _port_open(self.port), 10, "redis-server to listen")

    def kill(self) -> None:
        _sigkill(self.proc)
        self.proc = None

    close = kill


# ---------------------------------------------------------------------------------- the PBX


class SimProcess:
    """One simulator process at a time on a fixed AMI port; `restart()` starts the next generation."""

    def __init__(self, base: Path, *, agi_port: int, sim_args: dict[str, Any], secret: str) -> None:
        self.ledger = base / "ledger.jsonl"
        self.ledger.touch()
        # Asterisk's own records, as /var/log/asterisk holds them; kept across PBX restarts.
        self.records_dir = base / "asterisk"
        self.records_dir.mkdir(exist_ok=True)
        self.ami_port = free_port()
        self.agi_port = agi_port
        self.sim_args = sim_args
        self.secret = secret
        self.gen = 0
        self.proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str] = queue.Queue()
        self._pump_thread: threading.Thread | None = None
        self._log = base / "sim.log"

    def start(self, *, start_epoch: float | None = None, hold_traffic: bool = False) -> None:
        self.spawn(start_epoch=start_epoch, hold_traffic=hold_traffic)
        self.wait_ready()

    def spawn(self, *, start_epoch: float | None = None, hold_traffic: bool = False) -> None:
        self.gen += 1
        cmd = [
            sys.executable, str(REPO / "bench" / "faults" / "sim_proc.py"),
            "--ami-port", str(self.ami_port), "--agi-port", str(self.agi_port), "--secret", self.secret,
            "--ledger", str(self.ledger), "--gen", str(self.gen),
            "--seed", str(int(self.sim_args.get("seed", 7)) + 1000 * (self.gen - 1)),
            "--records-dir", str(self.records_dir),
        ]  # fmt: skip
        for key in ("rate", "time_scale", "talk", "patience"):
            if key in self.sim_args:
                cmd += [f"--{key.replace('_', '-')}", str(self.sim_args[key])]
        if start_epoch is not None:
            cmd += ["--start-epoch", str(start_epoch)]
        if hold_traffic:
            cmd.append("--hold-traffic")
        with open(self._log, "a") as log:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=_env({}),
                preexec_fn=_die_with_parent,
            )
        self._lines = queue.Queue()
        self._pump_thread = threading.Thread(target=self._pump, args=(self.proc, self._lines), daemon=True)
        self._pump_thread.start()

    def wait_ready(self) -> None:
        ready = self._read(60)
        if not ready.get("ready"):
            raise PeerError(f"simulator did not start: {ready}")

    @staticmethod
    def _pump(proc: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
        assert proc.stdout is not None
        with proc.stdout:  # closed at EOF, when the process has gone
            for line in proc.stdout:
                lines.put(line)

    def _reap(self) -> None:
        if self.proc is not None:
            if self.proc.stdin is not None:
                with contextlib.suppress(OSError):
                    self.proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
        if self._pump_thread is not None:
            self._pump_thread.join(5)
        self.proc = None

    def _read(self, timeout: float) -> dict[str, Any]:
        try:
            return dict(json.loads(self._lines.get(timeout=timeout)))
        except queue.Empty:
            raise PeerError(f"simulator gave no answer in {timeout:.0f} s (see {self._log})") from None

    def command(self, line: str, timeout: float = 30) -> dict[str, Any]:
        if self.proc is None or self.proc.poll() is not None or self.proc.stdin is None:
            raise PeerError("simulator is not running")
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self._read(timeout)

    def status(self) -> dict[str, Any]:
        return self.command("status")

    def kill(self) -> None:
        """SIGKILL: the PBX dies with its calls (nothing more reaches the ledger)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self._reap()

    def restart(self, *, down_s: float) -> None:
        lines = self.ledger.read_text(encoding="utf-8").splitlines()
        last = max((json.loads(line).get("vt", 0.0) for line in lines if line.strip()), default=time.time())
        self.kill()
        time.sleep(down_s)
        self.start(start_epoch=float(last) + 60.0)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(Exception):
                self.command("quit", timeout=1)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGKILL)
        self._reap()


# ---------------------------------------------------------------------------------- the app


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the harness dies, so no peer outlives a run."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


DEMO_PASSWORD = "faults-seat-pass"


def provision(db_url: str) -> None:
    """What an operator does before the first start: schema, teams, the demo seats and accounts."""
    from app.seed import seed_demo
    from console_web.auth import Passwords
    from store.db import Database
    from store.migrate import upgrade
    from store.repositories import Repositories

    db = Database(db_url)
    try:
        upgrade(db.url, engine=db.engine)
        seed_demo(Repositories(db), Passwords().hash(DEMO_PASSWORD))
    finally:
        db.dispose()


def simulator_writes_records() -> bool:
    """Whether this checkout's simulator writes queue_log / Master.csv (`sim.run_dir` setting)."""
    from pbx.sim.demo import SimulatorSettings

    return "run_dir" in SimulatorSettings.model_fields


class AppProcess:
    """`hotline serve` as a subprocess: the process a SIGKILL scenario kills.

    Besides its peers' addresses it gets a journal directory that survives its restarts and, when
    the simulator writes them, Asterisk's queue_log and Master.csv to reconcile from (settings
    this checkout may not have yet: unknown ones are ignored). `extra_env` (HOTLINE_*) is for
    deployment tuning the scenarios should not decide, e.g. how often the app reconciles."""

    def __init__(
        self,
        base: Path,
        *,
        db_url: str,
        ami_port: int,
        agi_port: int,
        secret: str,
        redis_url: str | None,
        records_dir: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.web_port = free_port()
        self.log = base / "app.log"
        self.env = {
            "HOTLINE_DATABASE__URL": db_url,
            "HOTLINE_AMI__PORT": str(ami_port),
            "HOTLINE_AMI__SECRET": secret,
            "HOTLINE_AGI__PORT": str(agi_port),
            "HOTLINE_AUDIOSOCKET__ENABLED": "false",
            "HOTLINE_WEB__PORT": str(self.web_port),
            "HOTLINE_WEB__SESSION_SECRET": "faults-session-secret-0123456789",
            "HOTLINE_SEATS__WRAP_UP_S": "2",
            "HOTLINE_LOG_LEVEL": "warning",
            "HOTLINE_JOURNAL__DIR": str(base / "journal"),
        }
        if redis_url:
            self.env["HOTLINE_REDIS__URL"] = redis_url
        if records_dir is not None and simulator_writes_records():
            self.env["HOTLINE_ASTERISK_RECORDS__QUEUE_LOG"] = str(records_dir / "queue_log")
            self.env["HOTLINE_ASTERISK_RECORDS__CDR_CSV"] = str(records_dir / "cdr-csv" / "Master.csv")
        self.env.update(extra_env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start(self, *, ready_timeout: float = 90) -> None:
        self.spawn()
        self.wait_ready(ready_timeout)

    def spawn(self) -> None:
        self.starts += 1
        with open(self.log, "ab") as log:
            log.write(f"\n===== start {self.starts} at {time.strftime('%H:%M:%S')} =====\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve"],
                cwd=str(REPO),
                env=_env(self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )

    def wait_ready(self, timeout: float = 90) -> None:
        wait_until(self._web_up, timeout, f"the app to serve (see {self.log})", interval=0.25)

    def _web_up(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            raise PeerError(f"the app exited with {self.proc and self.proc.returncode} (see {self.log})")
        try:
            with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as r:
                return bool(r.status == 200)
        except urllib.error.HTTPError:
            return True  # it answers: 503 is its own verdict on its components
        except OSError:
            return False

    def healthz(self) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(self.base_url + "/healthz", timeout=5) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def _session(self, username: str) -> tuple[Any, http.cookiejar.CookieJar, dict[str, Any]]:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login = {"username": username, "password": DEMO_PASSWORD}
        me = post_json(opener, self.base_url + "/api/login", login, timeout=30)
        return opener, jar, me

    def session_cookie(self, username: str) -> str:
        """A signed-in browser's Cookie header (for the console's websocket)."""
        _opener, jar, _me = self._session(username)
        return "; ".join(f"{c.name}={c.value}" for c in jar)

    def login_seat(self, seat_id: str) -> None:
        """What a seat does in the browser: sign in, press 签入 (QueueAdd through the app)."""
        opener, _jar, me = self._session(f"seat{seat_id}")
        csrf = {"X-CSRF-Token": me["csrf_token"]}
        post_json(opener, self.base_url + "/api/seat/login", {}, csrf, timeout=30)

    def kill(self) -> None:
        _sigkill(self.proc)
        self.proc = None

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None


def temp_base(prefix: str = "hotline-faults-") -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path
