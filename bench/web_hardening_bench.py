"""What anonymous abuse costs the console: big request bodies and failed-login floods.

    .venv/bin/python bench/web_hardening_bench.py [--bodies 8] [--mb 40] [--logins 200]

Starts the console (demo settings, no PBX) under uvicorn in a child process, twice: once as
shipped (1 MB body cap) and once with the cap lifted (what the console did before). For each it
prints the server's peak resident memory growth and the worst /healthz latency (how long the event
loop stalled) while N anonymous clients post M MB bodies to /api/login; then, as shipped, what a
flood of failed logins does (answers by status, worst /healthz latency). Prints figures; never
part of the pass/fail suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SERVER = """
import sys, uvicorn
sys.path.insert(0, {repo!r})
from app.main import build_app
from app.settings import demo_settings
settings = demo_settings(
    database={{"url": "sqlite:///{db}"}}, sim={{"enabled": False}}, ami={{"enabled": False}},
    agi={{"port": 0}}, audiosocket={{"enabled": False}}, web={{"max_body_bytes": {cap}}},
)
uvicorn.run(build_app(settings), host="127.0.0.1", port={port}, log_level="warning", proxy_headers=False)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory now (VmRSS) or its peak so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _request(port: int, head: bytes, body: bytes = b"", chunk: int = 1 << 20) -> int:
    """Send one request over a raw socket; the status code, or 0 when the server cut us off."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return 0
    status = 0
    try:
        writer.write(head)
        await writer.drain()
        try:  # a server that refuses by Content-Length answers before the body is sent
            line = await asyncio.wait_for(reader.readline(), 0.3)
            if line:
                return int(line.split()[1])
        except TimeoutError:
            pass
        for i in range(0, len(body), chunk):
            writer.write(body[i : i + chunk])
            await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 60)
        if line:
            status = int(line.split()[1])
    except (TimeoutError, OSError, IndexError, ValueError):
        line = b""
        try:  # the server may have answered 413 and closed while we were still sending
            line = await asyncio.wait_for(reader.readline(), 1)
            status = int(line.split()[1]) if line else 0
        except (TimeoutError, OSError, IndexError, ValueError):
            status = 0
    finally:
        writer.close()
    return status


async def _probe(port: int, stop: asyncio.Event, worst: list[float]) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    while not stop.is_set():
        t = time.perf_counter()
        await _request(port, head)
        worst[0] = max(worst[0], time.perf_counter() - t)
        await asyncio.sleep(0.02)


def _start(cap: int, db: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    code = SERVER.format(repo=str(REPO), db=db, cap=cap, port=port)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    time.sleep(1.0)  # lifespan: migrations and seeding
    return proc, port


def _login_head(body: bytes) -> bytes:
    """The head of a POST /api/login carrying `body` (the connection closed after it)."""
    return (
        f"POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()


async def _bodies(port: int, n: int, mb: int) -> tuple[Counter[int], float]:
    body = b'{"username":"admin","password":"' + b"x" * (mb * 1024 * 1024) + b'"}'
    head = _login_head(body)
    stop, worst = asyncio.Event(), [0.0]
    probe = asyncio.create_task(_probe(port, stop, worst))
    codes = await asyncio.gather(*(_request(port, head, body) for _ in range(n)))
    await asyncio.sleep(0.5)
    stop.set()
    await probe
    return Counter(codes), worst[0]


async def _logins(port: int, n: int) -> tuple[Counter[int], float]:
    stop, worst = asyncio.Event(), [0.0]
    probe = asyncio.create_task(_probe(port, stop, worst))

    async def one(i: int) -> int:
        body = f'{{"username":"seat100{i % 6 + 1}","password":"guess-{i}"}}'.encode()
        return await _request(port, _login_head(body), body)

    codes = await asyncio.gather(*(one(i) for i in range(n)))
    stop.set()
    await probe
    return Counter(codes), worst[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bodies", type=int, default=8)
    parser.add_argument("--mb", type=int, default=40)
    parser.add_argument("--logins", type=int, default=200)
    args = parser.parse_args()
    print(f"CPU cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, cap in (("as shipped (1 MB cap)", 1024 * 1024), ("cap lifted (before)", 10**12)):
            proc, port = _start(cap, Path(tmp) / f"bench-{cap}.db")
            try:
                before = _rss_mb(proc.pid)
                t = time.perf_counter()
                codes, worst = asyncio.run(_bodies(port, args.bodies, args.mb))
                took = time.perf_counter() - t
                peak = _rss_mb(proc.pid, "VmHWM") - before
                print(
                    f"{label}: {args.bodies} x {args.mb} MB anonymous bodies -> answers {dict(codes)}, "
                    f"peak RSS +{peak:.0f} MB, worst /healthz {worst * 1000:.0f} ms, {took:.1f} s in all"
                )
                if cap == 1024 * 1024:
                    codes, worst = asyncio.run(_logins(port, args.logins))
                    print(
                        f"{label}: {args.logins} concurrent failed logins from one address -> answers "
                        f"{dict(codes)}, worst /healthz {worst * 1000:.0f} ms"
                    )
            finally:
                proc.terminate()
                proc.wait(timeout=20)


if __name__ == "__main__":
    main()
