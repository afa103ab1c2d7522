"""Ports of the IVR: the AGI channel the flows talk to and the services injected by `app`.

Flows are written against `AgiChannel`; `ivr.agi_server.PanoramiskAgiChannel` implements it over
panoramisk's FastAGI request and `ivr.fakes.FakeAgiChannel` in memory. Every `AgiChannel` method
raises `ivr.errors.CallerHungUp` when the caller is gone and `ivr.errors.AgiError` when Asterisk
refuses the command.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from routing.nearest import AddressCandidate


@dataclass(frozen=True, slots=True)
class AgiEnvironment:
    """The `agi_*` block Asterisk sends when it opens a FastAGI session, parsed once."""

    network_script: str
    channel: str
    uniqueid: str
    callerid: str
    dnid: str = ""
    context: str = ""
    extension: str = ""
    language: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> AgiEnvironment:
        def get(name: str) -> str:
            value = headers.get(f"agi_{name}", "").strip()
            # Asterisk writes "unknown" for an absent caller id / rdnis.
            return "" if value == "unknown" else value

        return cls(
            network_script=get("network_script"),
            channel=get("channel"),
            uniqueid=get("uniqueid"),
            callerid=get("callerid"),
            dnid=get("dnid"),
            context=get("context"),
            extension=get("extension"),
            language=get("language"),
            headers=dict(headers),
        )


class AgiChannel(Protocol):
    """One caller's channel, as seen through AGI commands."""

    @property
    def env(self) -> AgiEnvironment: ...

    async def answer(self) -> None: ...

    async def stream_file(self, prompt: str, escape_digits: str = "") -> str | None:
        """Play a prompt; the digit that interrupted it, or None when it played to the end."""
        ...

    # `timeout` is GET DATA's own (Asterisk waits for the digits), not an asyncio deadline.
    async def get_data(self, prompt: str, timeout: float, max_digits: int) -> str:  # noqa: ASYNC109
        """Play a prompt and collect DTMF; "" when the caller pressed nothing before `timeout` (s)."""
        ...

    async def set_variable(self, name: str, value: str) -> None: ...

    async def get_variable(self, name: str) -> str | None:
        """The value, or None when the variable is not set."""
        ...

    async def exec(self, app: str, args: str = "") -> int:
        """Run a dialplan application; its return code (-1 is not always a hangup: AudioSocket
        returns -1 when the server closes the stream)."""
        ...

    async def hangup(self) -> None: ...


class ServiceHours(Protocol):
    """Is the human team open at `now`?"""

    def is_open(self, now: datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class WaitEstimate:
    seconds: float | None
    """Estimated wait; None when unknown (then no callback is offered for the wait)."""
    full: bool = False
    """The queue takes no more callers."""


class QueueWaitEstimator(Protocol):
    async def estimate(self, queue: str) -> WaitEstimate: ...


class QueueRouter(Protocol):
    def choose(self, district_code: str | None, category: str, now: datetime) -> tuple[str, str]:
        """(queue name, why in words) for a category and, when known, the caller's district."""
        ...


MAX_ADDRESS_CHOICES = 4
"""At most this many places are read to the caller as a keypad choice (按1…按4); more than that
is no menu a caller can hold in mind: the IVR asks again, then hands over to a seat."""


@dataclass(frozen=True, slots=True)
class AddressChoice:
    """One of the places the caller may have meant (read out as 按1，<place>), and the office
    that serves it (where the call goes when the caller presses its key)."""

    place: str  # 浦东新区川沙新镇果园村村委会
    office: AddressCandidate


@dataclass(frozen=True, slots=True)
class AddressVerdict:
    """What the address lookup made of the caller's words: for the IVR's follow-up question and
    for the seat's screen pop."""

    outcome: str  # routing.address.AddressOutcome's value: found / ambiguous / no_address / outside
    note: str  # in Chinese: 可能是：A 或 B；来电者说的不是上海地址：杭州市西湖区
    choices: tuple[AddressChoice, ...] = ()
    """Ambiguous between 2..`MAX_ADDRESS_CHOICES` named places: the caller picks one by key."""
    elsewhere: str = ""
    """Outside: the place the caller named (杭州市西湖区), to tell them plainly."""


class AddressLookup(Protocol):
    def lookup(self, text: str) -> list[AddressCandidate]:
        """Candidates, best first; empty when nothing matches."""
        ...

    def verdict(self, text: str) -> AddressVerdict:
        """The outcome for `text` and the seat's note on it (the candidates' places when several fit,
        the other city when the address is not in Shanghai)."""
        ...


class SpeechCapture(Protocol):
    def expect(self, stream_id: str) -> Awaitable[str | None]:
        """Register interest in the AudioSocket stream `stream_id` BEFORE Asterisk opens it.

        The awaitable resolves with the recognised text once the ASR server has ended the stream
        (endpointing), or None when nothing was recognised. The IVR applies its own timeout and
        cancels the awaitable when it stops waiting.
        """
        ...


class SpeechSynth(Protocol):
    @property
    def speaks_text(self) -> bool:
        """Whether `prompt_for` really speaks the text (False: a fixed stand-in prompt, so nothing
        that must be heard word for word, such as a list of places to choose from, is read)."""
        ...

    async def prompt_for(self, text: str) -> str:
        """A prompt name for STREAM FILE that speaks `text` (dynamic text: office names)."""
        ...
