"""The console app served over real HTTP by uvicorn in a worker thread, for the browser tests."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI

from tests.support.net import free_port
from tests.support.polling import wait_until

T = TypeVar("T")


class _ThreadServer(uvicorn.Server):
    """uvicorn in a worker thread: signal handlers can only be installed by the main thread."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class LiveServer:
    url: str
    loop: asyncio.AbstractEventLoop
    """The app's own event loop (its runtime lives there)."""

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 15.0) -> T:
        """Run `coro` on the app's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


@contextlib.contextmanager
def live_server(app: FastAPI, *, start_timeout: float = 30.0) -> Iterator[LiveServer]:
    """`app` on a free loopback port until the block ends (its lifespan runs, as under `hotline serve`)."""
    port = free_port()
    uv = _ThreadServer(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(uv.serve(),), daemon=True)
    thread.start()
    wait_until(lambda: uv.started or not thread.is_alive(), start_timeout, "uvicorn to start")
    assert thread.is_alive(), "uvicorn did not start"
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", loop)
    finally:
        uv.should_exit = True
        thread.join(timeout=20)
        loop.close()
