"""An AMI recorder: every byte the test Asterisk's manager sends, kept as a `.ami` trace (the format
of ../shared/asterisk-traces and tests/data/asterisk-traces, read by `pbx.ami_event.parse_trace`).

A test starts one beside the application's own link; `HOTLINE_RECORD_TRACES=<dir>` copies the
trace there under the test's name, to refresh a trace the simulator is compared with.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from pathlib import Path

from pbx.ami_event import parse_trace


class AmiRecorder:
    def __init__(self, port: int, username: str, secret: str, out: Path) -> None:
        self._port, self._username, self._secret = port, username, secret
        self.out = out
        self._task: asyncio.Task[None] | None = None
        self._logged_in = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self._logged_in.wait(), 10)

    async def _run(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self._port)
        try:
            await reader.readline()  # the banner
            writer.write(
                f"Action: Login\r\nUsername: {self._username}\r\nSecret: {self._secret}\r\nEvents: on\r\n\r\n".encode()
            )
            await writer.drain()
            with self.out.open("wb") as f:
                while chunk := await reader.read(65536):
                    f.write(chunk)
                    f.flush()
                    if not self._logged_in.is_set() and b"Authentication accepted" in self.out.read_bytes():
                        self._logged_in.set()
        finally:
            writer.close()

    async def stop(self, name: str) -> list[dict[str, str]]:
        """The events recorded; copied to $HOTLINE_RECORD_TRACES/<name>.ami when that is set."""
        await asyncio.sleep(0.5)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await self._task
        return await asyncio.to_thread(self._events, name)

    def _events(self, name: str) -> list[dict[str, str]]:
        keep = os.environ.get("HOTLINE_RECORD_TRACES")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.out, Path(keep) / f"{name}.ami")
        return [headers for kind, headers in parse_trace(self.out.read_bytes()) if kind == "event"]
