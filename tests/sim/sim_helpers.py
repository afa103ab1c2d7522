"""Test helpers for the PBX simulator: a raw AMI client, a fake FastAGI server, trace normalising.

Imported by the sim tests by path (tests use --import-mode=importlib, no packages under tests/).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from pbx.ami_event import parse_trace
from pbx.sim.model import DEVICE_CODES

TRACES = Path(__file__).resolve().parents[2].parent / "shared" / "asterisk-traces"

Message = tuple[str, list[tuple[str, str]]]


class AmiClient:
    """A bare AMI client on a real socket: sends actions, collects every message it receives."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, banner: str) -> None:
        self.reader, self.writer, self.banner = reader, writer, banner
        self.messages: list[list[tuple[str, str]]] = []
        self.closed = asyncio.Event()
        self._arrived = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(cls, port: int) -> AmiClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        banner = (await reader.readline()).decode()
        return cls(reader, writer, banner)

    async def _read(self) -> None:
        current: list[tuple[str, str]] = []
        try:
            while True:
                raw = await self.reader.readline()
                if not raw:
                    break
                line = raw.decode().rstrip("\r\n")
                if line == "":
                    if current:
                        self.messages.append(current)
                        current = []
                        self._arrived.set()
                        self._arrived = asyncio.Event()
                    continue
                key, _, value = line.partition(":")
                current.append((key, value[1:] if value.startswith(" ") else value))
        finally:
            self.closed.set()
            self._arrived.set()

    def send(self, headers: Iterable[tuple[str, str]]) -> None:
        self.writer.write(("".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode())

    async def wait_until(self, predicate: object, within_s: float = 10.0) -> bool:
        assert callable(predicate)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        while not predicate():
            left = deadline - loop.time()
            if left <= 0 or self.closed.is_set():
                return bool(predicate())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)
        return True

    async def login(self, username: str = "hotline", secret: str = "CHANGE-ME") -> list[tuple[str, str]]:
        start = len(self.messages)
        self.send([("Action", "Login"), ("Username", username), ("Secret", secret)])
        await self.wait_until(lambda: len(self.messages) > start)
        return self.messages[start]

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class FakeAgiServer:
    """A FastAGI server that replays the command lines of shared/asterisk-traces/fastagi_sessions.json."""

    def __init__(self, commands: list[str]) -> None:
        self.commands = commands
        self.environments: list[dict[str, str]] = []
        self.replies: list[str] = []
        self.port = 0
        self._server: asyncio.base_events.Server | None = None

    @staticmethod
    def recorded_sessions() -> list[list[str]]:
        sessions: list[list[str]] = []
        for item in json.loads((TRACES / "fastagi_sessions.json").read_text()):
            if item[0] == "env":
                sessions.append([])
            else:
                sessions[-1].append(item[1])
        return sessions

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env: dict[str, str] = {}
        while True:
            line = (await reader.readline()).decode().rstrip("\n")
            if not line:
                break
            k, _, v = line.partition(": ")
            env[k] = v
        self.environments.append(env)
        for cmd in self.commands:
            writer.write((cmd + "\n").encode())
            await writer.drain()
            self.replies.append((await reader.readline()).decode().rstrip("\n"))
        writer.close()


# ---------------------------------------------------------------------------- trace comparison
# Noise, documented: events that are not part of what the simulator reproduces.
NOISE_EVENTS = {"RTCPSent", "RTCPReceived", "ChallengeSent", "SuccessfulAuth", "FullyBooted"}
# VarSets of the RTP stack (call quality figures at hangup): RTP details the simulator does not
# model. Every other VarSet is compared.
NOISE_VARSET_PREFIXES = ("RTPAUDIOQOS",)
# Variables set by the IVR / the Originate in the recorded scenarios (always emitted).
SCENARIO_VARS = {"HOTLINE_QUEUE", "QTIMEOUT", "WORK_ORDER_ID"}
# Headers whose VALUES are ids, clocks or counters carried over from earlier recordings; the
# header itself (name and position) is still compared.
VALUE_NOISE = {
    "Timestamp",
    "Uniqueid",
    "Linkedid",
    "DestUniqueid",
    "DestLinkedid",
    "BridgeUniqueid",
    "BridgeId",
    "CommandId",
    "Duration",
    "HoldTime",
    "TalkTime",
    "RingTime",
    "Wait",
    "Holdtime",
    "Completed",
    "Abandoned",
    "CallsTaken",
    "LastCall",
    "LastPause",
    "LoginTime",
}
_CHAN = re.compile(r"(PJSIP/[^-,\s]+)-[0-9a-f]{8}")
# The fake FastAGI server listens on a free port, not 4573 as in the recording.
_AGI_URL = re.compile(r"agi://127\.0\.0\.1:\d+/")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def kept(headers: dict[str, str] | list[tuple[str, str]]) -> bool:
    h = dict(headers)
    name = h.get("Event", "")
    if name in NOISE_EVENTS:
        return False
    if name == "VarSet":
        return not h.get("Variable", "").startswith(NOISE_VARSET_PREFIXES)
    return True


# VarSets whose VALUE is a SIP Call-ID or a millisecond clock reading.
VARSET_VALUE_NOISE = {
    "BRIDGEPVTCALLID",
    "ANSWEREDTIME_MS",
    "DIALEDTIME_MS",
    "RINGTIME_MS",
    "QUEUEWAIT_MS",
    "PROGRESSTIME_MS",
    "DIALEDTIME",
    "ANSWEREDTIME",
}


def normalise(headers: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    out = []
    noisy_value = dict(headers).get("Variable", "") in VARSET_VALUE_NOISE and bool(dict(headers).get("Value"))
    for k, v in headers:
        if k in VALUE_NOISE or (k == "Value" and noisy_value):
            v = "*"
        v = _UUID.sub("<uuid>", _CHAN.sub(r"\1-*", v))
        v = _AGI_URL.sub("agi://127.0.0.1:<port>/", v)
        out.append((k, v))
    return tuple(out)


def _stream(h: dict[str, str]) -> str:
    name = h.get("Event", "")
    if name == "OriginateResponse":
        return "originate"
    if name == "QueueMemberStatus":
        return "device"
    if name == "DeviceStateChange":
        dev = h.get("Device", "")
        # The queue's own hint (Queue:<q>) is set synchronously by app_queue as callers join/leave.
        if dev.startswith("Queue:") and "_" not in dev[len("Queue:") :]:
            return "main"
        return "device"
    return "main"


def _canonical_device_stream(items: list[tuple[tuple[str, str], ...]]) -> list[tuple[tuple[str, str], ...]]:
    # Asterisk publishes a phone's DeviceStateChange and app_queue's reaction to it
    # (QueueMemberStatus) from different threads: their relative order differs between recordings
    # of the same step (traces 02 vs 04). An adjacent pair for the same device is put in one order.
    out = list(items)
    i = 0
    while i < len(out) - 1:
        a, b = dict(out[i]), dict(out[i + 1])
        if (
            a.get("Event") == "QueueMemberStatus"
            and b.get("Event") == "DeviceStateChange"
            and a.get("StateInterface") == b.get("Device")
            and a.get("Status") == str(DEVICE_CODES.get(b.get("State", ""), -1))
        ):
            out[i], out[i + 1] = out[i + 1], out[i]
            i += 2
            continue
        i += 1
    return out


def split_streams(messages: list[list[tuple[str, str]]]) -> dict[str, list[tuple[tuple[str, str], ...]]]:
    streams: dict[str, list[tuple[tuple[str, str], ...]]] = {"main": [], "device": [], "originate": []}
    for m in messages:
        if not kept(m):
            continue
        streams[_stream(dict(m))].append(normalise(m))
    streams["device"] = _canonical_device_stream(streams["device"])
    return streams


def compare(expected: list[list[tuple[str, str]]], actual: list[list[tuple[str, str]]]) -> list[str]:
    """Differences between the trace and the simulator, one line per mismatch (empty: equal)."""
    import difflib

    exp, act = split_streams(expected), split_streams(actual)
    problems: list[str] = []
    for stream in exp:
        e = [" | ".join(f"{k}={v}" for k, v in m) for m in exp[stream]]
        a = [" | ".join(f"{k}={v}" for k, v in m) for m in act[stream]]
        if e != a:
            diff = difflib.unified_diff(e, a, "trace", "simulator", lineterm="", n=1)
            problems.append(f"[{stream}]\n" + "\n".join(diff))
    return problems


def trace_messages(name: str) -> list[Message]:
    """The trace as ("event"|"response"|"action", ordered headers)."""
    data = (TRACES / f"{name}.ami").read_bytes()
    # parse_trace returns dicts (insertion-ordered): header order is preserved.
    return [(kind, list(h.items())) for kind, h in parse_trace(data)]
