"""The fault scenarios of issue 12 (item 7), each against real peers it starts itself.

A `Rig` starts a private PostgreSQL cluster, (optionally) a private Redis, the PBX simulator as a
process with its ledger, and the app as `python -m app.cli serve`; the seats sign in through the
console API as they would in a browser; then Poisson callers ring. A scenario injects its fault
under traffic, lets traffic go on, stops new callers, waits for every call to end at the PBX and
for the app to catch up (`settle_s` at most), and counts (bench/faults/ledger.py).

Each scenario returns `Figures`; `Figures.problems()` is empty when nothing was lost or doubled
and every scenario-specific check held. `Scale` sets the durations: `BENCH` is the issue's
(SIGKILL down 28 s, PostgreSQL down 10 s, 40,000 events at once), `TEST` the pytest suite's.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from app.seed import DEMO_SEATS
from bench.faults.ledger import DbView, Figures, Truth, count
from bench.faults.peers import (
    AppProcess,
    PeerError,
    PrivateRedis,
    SimProcess,
    free_port,
    provision,
    shared_postgres,
    temp_base,
    wait_until,
)

SEATS = tuple(sid for sid, *_ in DEMO_SEATS)  # every demo seat, as the simulator registers them
AMI_SECRET = "faults-ami-secret"


@dataclass(frozen=True)
class Scale:
    before_s: float = 30.0  # traffic before the fault
    after_s: float = 30.0  # traffic after recovery
    app_down_s: float = 28.0  # SIGKILL: the app is away this long (issue: 20-36 s)
    db_down_s: float = 10.0
    redis_down_s: float = 5.0
    pbx_down_s: float = 5.0
    burst_events: int = 40_000
    settle_s: float = 30.0  # after the PBX is idle, how long the app may take to catch up
    calls_end_s: float = 120.0  # how long the PBX may take to finish its calls
    sim: tuple[tuple[str, Any], ...] = (
        ("rate", 450.0),  # calls per virtual hour; at time scale 8 about one a real second
        ("time_scale", 8.0),
        ("talk", 25.0),
        ("patience", 20.0),
        ("seed", 7),
    )
    # HOTLINE_* settings for the app beyond its peers' addresses: deployment tuning (say, how
    # soon it reconciles) that is the operator's choice, not the scenario's.
    app_env: tuple[tuple[str, str], ...] = ()


BENCH = Scale()
TEST = Scale(
    before_s=4.0,
    after_s=5.0,
    app_down_s=6.0,
    db_down_s=4.0,
    redis_down_s=2.0,
    pbx_down_s=2.0,
    # Fewer would be processed within the bridge's 5 s Ping timeout on a quiet machine and the
    # scenario could no longer catch the bridge dropping its own connection.
    burst_events=40_000,
    settle_s=8.0,
    calls_end_s=60.0,
    sim=(("rate", 300.0), ("time_scale", 12.0), ("talk", 25.0), ("patience", 20.0), ("seed", 7)),
)


class Rig:
    """Every peer of one scenario run; `with Rig(...) as rig:` starts them and always stops them.
    The temp directory (logs, ledger, database files) is removed unless something failed."""

    keep_all = False

    def __init__(self, name: str, scale: Scale, *, redis: bool = False, keep: bool = False) -> None:
        self.name = name
        self.scale = scale
        self.base = temp_base(f"hotline-faults-{name}-")
        self.keep = keep or Rig.keep_all
        self.pg = shared_postgres()
        self.redis = PrivateRedis(self.base) if redis else None
        self.agi_port = free_port()
        self.sim = SimProcess(self.base, agi_port=self.agi_port, sim_args=dict(scale.sim), secret=AMI_SECRET)
        self.db_url = ""
        self.app: AppProcess | None = None
        self.failures: list[str] = []
        self.extra: dict[str, object] = {}

    def __enter__(self) -> Rig:
        t0 = time.monotonic()
        try:
            # The simulator and the app start in parallel with the database work: the app's
            # bridge keeps trying the AMI port until the simulator listens.
            self.sim.spawn(hold_traffic=True)
            self.pg.ensure_running()
            self.db_url = self.pg.create_database(f"hotline_{self.name}_{uuid.uuid4().hex[:8]}")
            provision(self.db_url)
            if self.redis is not None:
                self.redis.start()
            self.app = AppProcess(
                self.base,
                db_url=self.db_url,
                ami_port=self.sim.ami_port,
                agi_port=self.agi_port,
                secret=AMI_SECRET,
                redis_url=self.redis.url if self.redis else None,
                records_dir=self.sim.records_dir,
                extra_env=dict(self.scale.app_env),
            )
            self.app.spawn()
            self.sim.wait_ready()
            self.app.wait_ready()
            wait_until(lambda: self.sim.status()["clients"] >= 1, 30, "the app's AMI login")
            with ThreadPoolExecutor(len(SEATS)) as pool:
                list(pool.map(self.app.login_seat, SEATS))
            self.members_at_start = int(self.sim.status()["members"])
            if self.members_at_start == 0:
                raise PeerError("no seat is a queue member after signing in")
            self.sim.command("start-traffic")
            self.extra["startup_s"] = round(time.monotonic() - t0, 1)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for close in (
            self.app.close if self.app else None,
            self.sim.close,
            self.redis.close if self.redis else None,
            self._drop_database,
        ):
            if close is not None:
                with contextlib.suppress(Exception):
                    close()
        if not self.keep and exc[0] is None:
            shutil.rmtree(self.base, ignore_errors=True)

    def _drop_database(self) -> None:
        if self.db_url and not self.keep:
            self.pg.ensure_running()
            self.pg.drop_database(self.db_url.rsplit("/", 1)[-1])

    @property
    def application(self) -> AppProcess:
        assert self.app is not None
        return self.app

    def traffic(self, seconds: float) -> None:
        """Let callers ring for `seconds`; the PBX must stay up (a scenario kills it on purpose)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.sim.proc is None or self.sim.proc.poll() is not None:
                raise PeerError("the simulator died")
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    def finish(self, figures: Figures) -> Figures:
        """The scenario's last word: a run with problems keeps its logs for whoever reads them."""
        self.keep = self.keep or bool(figures.problems())
        return figures

    def truth(self) -> Truth:
        return Truth.read(self.sim.ledger)

    def settle(self) -> Figures:
        self.sim.command("stop-traffic")
        t0 = time.monotonic()
        wait_until(lambda: self.sim.status()["active"] == 0, self.scale.calls_end_s, "the PBX's calls to end")
        self.extra["calls_end_s"] = round(time.monotonic() - t0, 1)
        truth = self.truth()
        deadline = time.monotonic() + self.scale.settle_s
        while True:
            try:
                figures = count(
                    self.name, truth, DbView.read(self.db_url), self.sim.records_dir / "queue_log"
                )
            except Exception as exc:  # the database itself may be what the scenario broke
                figures = Figures(self.name, extra={"count_error": repr(exc)[:200]})
            if (
                figures.lost_count == 0 and "count_error" not in figures.extra
            ) or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        figures.extra.update(self.extra)
        figures.extra["app_log"] = str(self.application.log)
        figures.failures.extend(self.failures)
        if figures.failures or figures.lost_count or figures.duplicated_count:
            self.keep = True  # the logs stay for whoever reads the figures
        return figures


# ---------------------------------------------------------------------------------- scenarios


def sigkill(scale: Scale) -> Figures:
    """(a) SIGKILL of the app under traffic; it is away `app_down_s`, then restarted."""
    with Rig("sigkill", scale) as rig:
        rig.traffic(scale.before_s)
        placed_before = len(rig.truth().calls)
        rig.application.kill()
        rig.traffic(scale.app_down_s)
        rig.extra["placed_while_down"] = len(rig.truth().calls) - placed_before
        rig.application.start()
        rig.traffic(scale.after_s)
        return rig.settle()


def db_outage(scale: Scale) -> Figures:
    """(b) PostgreSQL stopped (`-m immediate`) for `db_down_s` under traffic, then started."""
    with Rig("db_outage", scale) as rig:
        rig.traffic(scale.before_s)
        rig.pg.stop("immediate")
        time.sleep(min(2.0, scale.db_down_s))
        code, body = rig.application.healthz()
        rig.extra["healthz_during_outage"] = f"{code}:{json.dumps(body, ensure_ascii=False)}"
        if code == 200 and body.get("ok") is True:
            # A load balancer or a supervisor's status page would believe all is well.
            rig.failures.append("/healthz answered 200 ok while the database was down")
        rig.traffic(max(0.0, scale.db_down_s - 2.0))
        rig.pg.start()
        rig.traffic(scale.after_s)
        return rig.settle()


def redis_restart(scale: Scale) -> Figures:
    """(c) Redis killed and restarted under traffic. Redis only carries the live fan-out, so this
    one also counts what the fan-out lost, from Redis's side and from a console's side:
    `fanout_out_missing`: calls placed after the restart whose CallEnded never reached the Redis
    channel; `fanout_in_missing`: events another worker published after the restart that never
    reached a console connected to this app."""
    with Rig("redis_restart", scale, redis=True) as rig:
        assert rig.redis is not None
        tap = RedisTap(rig.redis.url)
        console = ConsoleTap(rig.application)
        try:
            rig.traffic(scale.before_s)
            if probe(rig.redis.url, console, "before") != 3:
                raise PeerError("the fan-out probe failed before any fault: the rig measures nothing")
            rig.redis.kill()
            rig.traffic(scale.redis_down_s)
            rig.redis.start()
            rig.traffic(3.0)  # reconnecting may take a moment; after that nothing may be missed
            restart_vt = float(rig.sim.status()["vt"])
            rig.traffic(scale.after_s)
            probes = probe(rig.redis.url, console, "after")
            figures = rig.settle()
            time.sleep(1.0)
        finally:
            tap.stop()
            console.stop()
        after = rig.truth().placed_after(restart_vt)
        figures.lost["fanout_out_missing"] = sorted(c.call for c in after if c.call not in tap.calls_ended)
        figures.lost["fanout_in_missing"] = [f"probe-{i}" for i in range(3 - probes)]
        figures.extra["fanout_messages"] = tap.messages
        if not after:
            figures.failures.append("no call was placed after the Redis restart: nothing measured")
        return rig.finish(figures)


def pbx_restart(scale: Scale) -> Figures:
    """(d) The PBX process killed while seats talk and started again (its queues have no members
    then): the app must sign its seats in again, so calls after the restart are answered."""
    with Rig("pbx_restart", scale) as rig:
        rig.traffic(scale.before_s)
        wait_until(lambda: _talking(rig.truth()) >= 1, 60, "a seat talking")
        rig.extra["talking_at_restart"] = _talking(rig.truth())
        rig.sim.restart(down_s=scale.pbx_down_s)
        restart_vt = rig.truth().gen_start_vt[rig.sim.gen]
        rig.traffic(scale.after_s)
        members_after = int(rig.sim.status()["members"])
        figures = rig.settle()
        after = rig.truth().placed_after(restart_vt)
        answered_after = sum(c.answered for c in after)
        figures.extra["members_before_after"] = f"{rig.members_at_start}/{members_after}"
        figures.extra["answered_after_restart"] = f"{answered_after}/{len(after)}"
        if members_after < rig.members_at_start:
            figures.failures.append(
                f"after the PBX restart only {members_after} of {rig.members_at_start} queue memberships came back"
            )
        if after and answered_after == 0:
            figures.failures.append(f"0 of the {len(after)} calls after the PBX restart were answered")
        if not after:
            figures.failures.append("no call was placed after the PBX restart: nothing measured")
        return rig.finish(figures)


def ami_cut(scale: Scale) -> Figures:
    """(e) The AMI TCP connection closed by the PBX mid-traffic (twice), the PBX itself running."""
    with Rig("ami_cut", scale) as rig:
        rig.traffic(scale.before_s / 2)
        drops = int(rig.sim.command("drop")["dropped"])
        rig.traffic(scale.before_s / 2)
        drops += int(rig.sim.command("drop")["dropped"])
        rig.traffic(scale.after_s)
        figures = rig.settle()
        figures.extra["connections_dropped"] = drops
        figures.extra["ami_logins"] = rig.sim.status()["logins"]
        if drops < 2:
            figures.failures.append(f"only {drops} AMI connections were cut: the app was not connected")
        return rig.finish(figures)


def ami_burst(scale: Scale) -> Figures:
    """(f) `burst_events` AMI events at once, mid-traffic."""
    with Rig("ami_burst", scale) as rig:
        rig.traffic(scale.before_s)
        logins_before = int(rig.sim.status()["logins"])
        burst = rig.sim.command(f"burst {scale.burst_events}", timeout=120)
        sent = int(burst["sent"])
        rig.extra["burst_at_ping"] = burst.get("at_ping")
        rig.traffic(scale.after_s)
        figures = rig.settle()
        figures.extra["burst_sent"] = sent
        # Each extra login is the bridge having lost (or dropped) its connection during the burst.
        relogins = int(rig.sim.status()["logins"]) - logins_before
        figures.extra["ami_relogins"] = relogins
        if relogins:
            # Nothing cut the connection but the app itself: it gave up on a link that was only busy.
            figures.failures.append(
                f"the app dropped its own AMI connection during the burst ({relogins} re-logins)"
            )
        return rig.finish(figures)


SCENARIOS: dict[str, Callable[[Scale], Figures]] = {
    "sigkill": sigkill,
    "db_outage": db_outage,
    "redis_restart": redis_restart,
    "pbx_restart": pbx_restart,
    "ami_cut": ami_cut,
    "ami_burst": ami_burst,
}


def _talking(truth: Truth) -> int:
    return sum(c.answered and not c.ended for c in truth.calls.values())


def scaled(scale: Scale, **changes: Any) -> Scale:
    return replace(scale, **changes)


# ---------------------------------------------------------------------------------- fan-out taps


class RedisTap:
    """Another worker's view of the Redis channel: which calls' CallEnded went through it."""

    def __init__(self, url: str, channel: str = "hotline:events") -> None:
        self.url, self.channel = url, channel
        self.calls_ended: set[str] = set()
        self.messages = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import redis

        while not self._stop.is_set():
            try:
                client = redis.Redis.from_url(self.url, socket_timeout=2)
                pubsub = client.pubsub()
                pubsub.subscribe(self.channel)
                while not self._stop.is_set():
                    msg = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
                    if msg is None:
                        continue
                    self.messages += 1
                    event = json.loads(msg["data"]).get("event", {})
                    if event.get("type") == "CallEnded":
                        self.calls_ended.add(str(event.get("data", {}).get("call_id")))
            except Exception:
                time.sleep(0.3)  # Redis is down: the tap reconnects, as any worker should

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


class ConsoleTap:
    """A supervisor's browser on this app's /ws/events: collects what reaches it."""

    def __init__(self, app: AppProcess) -> None:
        self.received: list[str] = []
        self._stop = threading.Event()
        cookie = app.session_cookie("admin")
        self._ws_url = f"ws://127.0.0.1:{app.web_port}/ws/events"
        self._cookie = cookie
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from websockets.sync.client import connect

        while not self._stop.is_set():
            try:
                with connect(self._ws_url, additional_headers={"Cookie": self._cookie}) as ws:
                    while not self._stop.is_set():
                        with contextlib.suppress(TimeoutError):
                            self.received.append(str(ws.recv(timeout=0.5)))
            except Exception:
                time.sleep(0.3)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def probe(redis_url: str, console: ConsoleTap, tag: str, n: int = 3, wait_s: float = 5.0) -> int:
    """Publish `n` events as another worker would; how many reached the console."""
    import redis

    from core.events import ComponentStatusChanged, to_wire

    names = [f"faults-probe-{tag}-{i}-{uuid.uuid4().hex[:6]}" for i in range(n)]
    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    try:
        for name in names:
            event = ComponentStatusChanged(at=_now(), component=name, up=True, detail="")
            client.publish("hotline:events", json.dumps({"origin": "faults-peer", "event": to_wire(event)}))
    finally:
        client.close()
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        got = sum(any(name in m for m in console.received) for name in names)
        if got == n:
            return got
        time.sleep(0.2)
    return sum(any(name in m for m in console.received) for name in names)


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def run(name: str, scale: Scale) -> Figures:
    return SCENARIOS[name](scale)


def logs_of(figures: Figures) -> Path | None:
    log = figures.extra.get("app_log")
    return Path(str(log)).parent if log else None
