"""Hand-written fakes for the IVR's ports, and a fake Asterisk FastAGI client.

`FakeAsterisk` connects to a real `AgiServer` over TCP, sends an `agi_*` environment block (as
recorded from Asterisk 22 in shared/asterisk-traces/fastagi_sessions.json) and answers each
command the way Asterisk does, driven by a scripted caller (`Caller`).
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from core.events import DomainEvent
from core.ids import OfficeId
from ivr.ports import AddressVerdict, AgiEnvironment, WaitEstimate
from routing.nearest import AddressCandidate

# -- ports ---------------------------------------------------------------------------------------


class RecordingPublisher:
    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    async def publish(self, event: DomainEvent) -> None:
        self.events.append(event)

    def of(self, kind: type[DomainEvent]) -> list[DomainEvent]:
        return [e for e in self.events if isinstance(e, kind)]


class FixedServiceHours:
    def __init__(self, open_: bool = True) -> None:
        self.open = open_

    def is_open(self, now: datetime) -> bool:
        return self.open


class FakeQueueRouter:
    """q-<district>-<category> when the district is known, else the city pool q-city-<category>
    (the naming of routing/queue_rules.toml)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, str]] = []

    def choose(self, district_code: str | None, category: str, now: datetime) -> tuple[str, str]:
        self.calls.append((district_code, category))
        if district_code:
            return f"q-{district_code}-{category}", f"按区 {district_code} 与类别 {category} 选择队列"
        return f"q-city-{category}", f"区未知，类别 {category} 进入全市队列"


class FakeWaitEstimator:
    def __init__(self, seconds: float | None = 30.0, *, full: bool = False) -> None:
        self.estimate_value = WaitEstimate(seconds, full)

    async def estimate(self, queue: str) -> WaitEstimate:
        return self.estimate_value


JINGAN_CENTRE = AddressCandidate(
    office_id=OfficeId("office-310106-centre"),
    office_name="静安区公共法律服务中心",
    office_address="静安区常德路1000号",
    opening_hours="周一至周五9点至17点",
    district_code="310106",
    confidence=0.92,
    reason="街道“南京西路街道”属静安区",
)


class FakeAddressLookup:
    """Known texts map to candidates; anything else matches nothing."""

    def __init__(self, known: Mapping[str, list[AddressCandidate]] | None = None) -> None:
        self.known = dict(known or {"静安区南京西路街道": [JINGAN_CENTRE]})
        self.verdicts: dict[str, AddressVerdict] = {}
        self.texts: list[str] = []

    def lookup(self, text: str) -> list[AddressCandidate]:
        self.texts.append(text)
        return list(self.known.get(text, []))

    def verdict(self, text: str) -> AddressVerdict:
        """Found for a known text (the first candidate's office), else no address; `verdicts` overrides."""
        if text in self.verdicts:
            return self.verdicts[text]
        found = self.known.get(text)
        if found:
            return AddressVerdict(outcome="found", note=f"识别为：{found[0].office_name}")
        return AddressVerdict(outcome="no_address", note="未听到可识别的地址")


class FakeSpeechCapture:
    """Hands out scripted transcripts in order; `HANG` never resolves (the IVR's timeout fires)."""

    HANG = object()

    def __init__(self, transcripts: Iterable[str | object | None] = ()) -> None:
        self._transcripts = list(transcripts)
        self.stream_ids: list[str] = []

    def add(self, *transcripts: str | object | None) -> None:
        self._transcripts.extend(transcripts)

    def expect(self, stream_id: str) -> Awaitable[str | None]:
        self.stream_ids.append(stream_id)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()
        item = self._transcripts.pop(0) if self._transcripts else None
        if isinstance(item, Late):
            loop.call_later(item.delay_s, _settle, future, item.text)
        elif item is not self.HANG:
            future.set_result(item if isinstance(item, str) else None)
        return future


def _settle(future: asyncio.Future[str | None], text: str) -> None:
    if not future.done():  # the IVR stopped waiting and cancelled it
        future.set_result(text)


@dataclass(frozen=True, slots=True)
class Late:
    """A transcript that comes, but only `delay_s` after the stream ends (a slow recogniser)."""

    text: str
    delay_s: float


class FakeSpeechSynth:
    def __init__(self, prompt_base: str = "hotline", *, speaks: bool = True) -> None:
        self.texts: list[str] = []
        self._base = prompt_base
        self.speaks = speaks

    @property
    def speaks_text(self) -> bool:
        return self.speaks

    async def prompt_for(self, text: str) -> str:
        self.texts.append(text)
        return f"{self._base}/dyn/tts-{len(self.texts)}"


# -- the fake Asterisk ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Key:
    """The caller presses `digits` when asked (GET DATA), or during a prompt if `barge`."""

    digits: str
    barge: bool = False


@dataclass(frozen=True, slots=True)
class Silence:
    """The caller presses nothing: GET DATA times out."""


@dataclass(frozen=True, slots=True)
class Hangup:
    """The caller hangs up during the next GET DATA / STREAM FILE / EXEC.

    style: "result" (`200 result=-1`), "line" (an unsolicited `HANGUP` line instead of the reply)
    or "dead" (`511` on a dead channel). Later commands get `511`, as from Asterisk.
    """

    style: str = "result"
    at: str | None = None
    """Only during this prompt (a STREAM FILE / GET DATA file name, `record`: during Record(),
    `audiosocket`: while saying the address); None: the next one."""

    def applies(self, prompt: str) -> bool:
        return self.at is None or self.at == prompt


@dataclass(frozen=True, slots=True)
class RecordFails:
    """Record() cannot write the file (a full disk, a missing folder): RECORD_STATUS=ERROR."""


Input = Key | Silence | Hangup | RecordFails

DEAD = "511 Command Not Permitted on a dead channel or intercept routine"


@dataclass
class Caller:
    inputs: list[Input] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    missing_prompts: frozenset[str] = frozenset()


class FakeAsterisk:
    """Plays Asterisk's side of one FastAGI session against a real server socket."""

    def __init__(self, env_block: str, caller: Caller, *, script: str = "ivr") -> None:
        self._env = _with_script(env_block, script)
        self.caller = caller
        self.transcript: list[tuple[str, str]] = []
        self.variables = dict(caller.variables)
        self.hung_up = False
        self.prompts_played: list[str] = []
        self.recordings: list[str] = []  # the arguments of each EXEC Record

    @property
    def commands(self) -> list[str]:
        return [c for c, _ in self.transcript]

    async def run(self, host: str, port: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(self._env.encode())
            await writer.drain()
            while True:
                line = await reader.readline()
                if not line:
                    break
                command = line.decode().rstrip("\n")
                replies = self.answer(command)
                self.transcript.append((command, " | ".join(replies)))
                for reply in replies:
                    writer.write((reply + "\n").encode())
                await writer.drain()
        finally:
            writer.close()
            await writer.wait_closed()

    def _next_input(self) -> Input:
        return self.caller.inputs.pop(0) if self.caller.inputs else Silence()

    def _hangup(self, hangup: Hangup, result: str = "200 result=-1") -> list[str]:
        self.hung_up = True
        if hangup.style == "line":
            return ["HANGUP"]
        if hangup.style == "dead":
            return [DEAD]
        return [result]

    def answer(self, command: str) -> list[str]:
        if self.hung_up:
            return [DEAD]
        words = shlex.split(command)
        verb = " ".join(words[:2]).upper()
        if verb == "GET VARIABLE":
            value = self.variables.get(words[2])
            return [f"200 result=1 ({value})" if value is not None else "200 result=0"]
        if verb == "SET VARIABLE":
            self.variables[words[2]] = words[3] if len(words) > 3 else ""
            return ["200 result=1"]
        if verb == "STREAM FILE":
            prompt, escape = words[2], words[3] if len(words) > 3 else ""
            self.prompts_played.append(prompt)
            if prompt in self.caller.missing_prompts:
                return ["200 result=-1 endpos=0"]
            nxt = self.caller.inputs[0] if self.caller.inputs else None
            if isinstance(nxt, Hangup) and nxt.applies(prompt):
                self.caller.inputs.pop(0)
                return self._hangup(nxt, "200 result=-1 endpos=0")
            if isinstance(nxt, Key) and nxt.barge and nxt.digits in escape:
                self.caller.inputs.pop(0)
                return [f"200 result={ord(nxt.digits)} endpos=8000"]
            return ["200 result=0 endpos=16000"]
        if verb == "GET DATA":
            self.prompts_played.append(words[2])
            nxt = self._next_input()
            if isinstance(nxt, Hangup):
                return self._hangup(nxt)
            if isinstance(nxt, Key):
                return [f"200 result={nxt.digits}"]
            return ["200 result= (timeout)"]
        if words[:2] == ["EXEC", "Record"]:
            return self._record(words[2] if len(words) > 2 else "")
        if words[:1] == ["EXEC"]:
            if words[1:2] != ["AudioSocket"]:
                return ["200 result=0"]
            nxt = self.caller.inputs[0] if self.caller.inputs else None
            if isinstance(nxt, Hangup) and nxt.applies("audiosocket"):
                self.caller.inputs.pop(0)
                return self._hangup(nxt)
            # AudioSocket returns -1 when the server ends the stream, as the real one does.
            return ["200 result=-1"]
        if verb == "CHANNEL STATUS":
            return ["200 result=6"]
        if words[:1] == ["ANSWER"]:
            return ["200 result=0"]
        if words[:1] == ["HANGUP"]:
            self.hung_up = True
            return ["200 result=1"]
        if words[:1] == ["VERBOSE"]:
            return ["200 result=1"]
        return ["510 Invalid or unknown command"]

    def _record(self, args: str) -> list[str]:
        """app_record: `#` (or the `t` option's `*`) ends it with DTMF, no key with SILENCE (the caller
        stops talking), a hangup with HANGUP (Record returns -1), a failure with ERROR."""
        self.recordings.append(args)
        nxt = self._next_input()
        if isinstance(nxt, Hangup):
            self.variables["RECORD_STATUS"] = "HANGUP"
            return self._hangup(nxt)
        if isinstance(nxt, RecordFails):
            self.variables["RECORD_STATUS"] = "ERROR"
            return ["200 result=-1"]
        self.variables["RECORD_STATUS"] = "DTMF" if isinstance(nxt, Key) else "SILENCE"
        return ["200 result=0"]


class InMemoryAgiRequest:
    """A stand-in for panoramisk's `Request` answering from a `FakeAsterisk`, without a socket:
    wrap it in `PanoramiskAgiChannel` for a unit-test `AgiChannel` that parses like the real one."""

    def __init__(self, asterisk: FakeAsterisk) -> None:
        self._asterisk = asterisk
        self.headers = dict(line.split(": ", 1) for line in asterisk._env.split("\n") if ": " in line)

    async def send_command(self, command: str) -> dict[str, object]:
        from panoramisk.utils import parse_agi_result

        replies = self._asterisk.answer(command)
        self._asterisk.transcript.append((command, " | ".join(replies)))
        result: dict[str, object] = parse_agi_result(replies[0])
        return result


def _with_script(env_block: str, script: str) -> str:
    lines = []
    for line in env_block.rstrip("\n").split("\n"):
        if line.startswith("agi_network_script:"):
            line = f"agi_network_script: {script}"
        elif line.startswith("agi_request:"):
            line = f"agi_request: agi://127.0.0.1:4573/{script}"
        lines.append(line)
    return "\n".join(lines) + "\n\n"


def env_of(env_block: str) -> AgiEnvironment:
    headers = dict(line.split(": ", 1) for line in env_block.split("\n") if ": " in line)
    return AgiEnvironment.from_headers(headers)
