"""How long the event loop stalls under demo traffic: p50 / p99 / max of its lag.

    PYTHONPATH=. .venv/bin/python bench/loop_lag.py [--seconds 20] [--warmup 8] [--calls-per-hour 1800]

Composes the system as `hotline demo` does (the PBX simulator behind AMI and FastAGI, SQLite file
database, console under uvicorn; the clock moved to a working Monday so the queues are open), and
drives it: simulated calls, the callback tick every second, seat and supervisor users polling
their pages' APIs (one seat pausing and resuming), websocket clients receiving every push. The
system's own `core.loopwatch.LoopWatch` measures the loop; the first `--warmup` seconds (imports,
the demo seed, logins' argon2, the seats logging in) are not counted. Prints figures; never part
of the pass/fail suite (tests/integration/test_loop_not_blocked.py asserts on the same traffic).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from fastapi import FastAPI
from websockets.asyncio.client import connect

from app.main import build_app
from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD, Settings, demo_settings
from core.loopwatch import LoopWatch
from tests.support.app import WorkdayClock
from tests.support.live_server import live_server

SEAT_USERS = ("seat1001", "seat1002", "seat1003", "seat1004")
SUPERVISORS = ("banzhang", "jingan")
SEAT_PATHS: tuple[str, ...] = (
    "/api/seat/state",
    "/api/orders?scope=mine",
    "/api/calls/recent?limit=20",
    "/api/me",
)
SUPERVISOR_PATHS: tuple[str, ...] = (
    "/api/supervisor/overview",
    "/api/supervisor/seats",
    "/api/orders?scope=all",
    "/api/calls/recent?limit=100",
    "/api/status",
)
ADMIN_PATHS: tuple[str, ...] = ("/api/admin/reliability", "/api/admin/dead-letters?limit=50", "/healthz")


def traffic_settings(folder: Path, *, calls_per_hour: float = 1800.0) -> Settings:
    """`hotline demo` with more calls, faster simulated time and a callback tick every second."""
    return demo_settings(
        database={"url": f"sqlite:///{folder / 'demo.db'}", "auto_migrate": True},
        ami={"port": 0},
        agi={"port": 0},
        audiosocket={"enabled": False},
        callbacks={"tick_s": 1.0},
        journal={"dir": str(folder / "journal")},
        sim={
            "enabled": True,
            "calls_per_hour": calls_per_hour,
            "time_scale": 4.0,
            "mean_talk_s": 40.0,
            "mean_patience_s": 30.0,
            "seed": 12348,
            "run_dir": folder / "sim",
        },
    )


@dataclass
class Traffic:
    """What the clients did: answers by status, pushes received, failures."""

    answers: Counter[int] = field(default_factory=Counter)
    pushes: int = 0
    failures: list[str] = field(default_factory=list)


async def _login(http: httpx2.AsyncClient, username: str) -> dict[str, str]:
    r = await http.post("/api/login", json={"username": username, "password": DEMO_ADMIN_PASSWORD})
    r.raise_for_status()
    return {"X-CSRF-Token": r.json()["csrf_token"]}


async def _user(
    http: httpx2.AsyncClient,
    csrf: dict[str, str],
    paths: tuple[str, ...],
    stop: asyncio.Event,
    traffic: Traffic,
    *,
    pauses: bool,
) -> None:
    n = 0
    while not stop.is_set():
        if pauses and n % 10 == 5:
            # A seat's own command: an AMI action to the PBX and the board following it.
            path = f"/api/seat/{'pause' if (n // 10) % 2 == 0 else 'resume'}"
            r = await http.post(path, json={"reason": "rest"}, headers=csrf)
        else:
            path = paths[n % len(paths)]
            r = await http.get(path)
        traffic.answers[r.status_code] += 1
        if r.status_code >= 500 or r.status_code in (401, 403, 422):
            traffic.failures.append(f"{path}: {r.status_code} {r.text[:200]}")
        n += 1
        await asyncio.sleep(0.1)


async def _socket(url: str, http: httpx2.AsyncClient, stop: asyncio.Event, traffic: Traffic) -> None:
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    ws_url = url.replace("http", "ws", 1) + "/ws/events"
    async with connect(ws_url, additional_headers={"Cookie": cookie}) as ws:
        while not stop.is_set():
            try:
                await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            traffic.pushes += 1


async def drive(url: str, stop: asyncio.Event, traffic: Traffic) -> None:
    """Console users (each logged in once, one after the other) and websocket clients on the
    sessions of two supervisors and two seats, against the served app until `stop` is set."""
    plan = [(u, SEAT_PATHS, u == SEAT_USERS[-1]) for u in SEAT_USERS]
    plan += [(u, SUPERVISOR_PATHS, False) for u in SUPERVISORS]
    plan.append(("admin", ADMIN_PATHS, False))
    watching = {*SUPERVISORS, *SEAT_USERS[:2]}

    async def guarded(name: str, job: Coroutine[Any, Any, None]) -> None:
        try:
            await job
        except Exception as exc:
            traffic.failures.append(f"{name}: {type(exc).__name__}: {exc}")

    async with contextlib.AsyncExitStack() as clients:
        jobs = []
        for username, paths, pauses in plan:
            http = await clients.enter_async_context(httpx2.AsyncClient(base_url=url, timeout=15.0))
            csrf = await _login(http, username)
            jobs.append(guarded(username, _user(http, csrf, paths, stop, traffic, pauses=pauses)))
            if username in watching:
                jobs.append(guarded(f"ws:{username}", _socket(url, http, stop, traffic)))
        await asyncio.gather(*jobs)


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


async def measure(url: str, watch: LoopWatch, *, warmup_s: float, seconds: float) -> Traffic:
    """Drive traffic for `warmup_s + seconds`; the watch counts only the last `seconds`."""
    traffic = Traffic()
    stop = asyncio.Event()
    driving = asyncio.ensure_future(drive(url, stop, traffic))
    await asyncio.sleep(warmup_s)
    watch.reset()  # thread-safe: the watch's figures sit behind its lock
    await asyncio.sleep(seconds)
    stop.set()
    await driving
    return traffic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=8.0)
    parser.add_argument("--calls-per-hour", type=float, default=1800.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(traffic_settings(Path(tmp), calls_per_hour=args.calls_per_hour), clock=WorkdayClock())
        with live_server(app) as server:
            runtime = runtime_of(app)
            traffic = asyncio.run(
                measure(server.url, runtime.loopwatch, warmup_s=args.warmup, seconds=args.seconds)
            )
            lag = runtime.loopwatch.summary()
            recorder = runtime.trail.recorder
            recorded = recorder.recorded if recorder is not None else 0
    print(
        f"traffic: {sum(traffic.answers.values())} HTTP answers {dict(traffic.answers)}, "
        f"{traffic.pushes} websocket pushes, {recorded} call events recorded, failures: {traffic.failures or 'none'}"
    )
    print(
        f"loop stall over {args.seconds:g} s ({lag.samples} samples, CPU waits taken out): "
        f"p50 {lag.p50_ms:.2f} ms, p99 {lag.p99_ms:.2f} ms, max {lag.max_ms:.2f} ms; "
        f"raw lag max {lag.max_lag_ms:.2f} ms"
    )
    for stall in runtime.loopwatch.stalls:
        print(
            f"stall of {stall.stall_s * 1000:.1f} ms (lag {stall.lag_s * 1000:.1f} ms)",
            "in:\n" + stall.stack if stall.stack else "(not caught)",
        )


if __name__ == "__main__":
    main()
