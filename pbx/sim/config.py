"""Configuration of the PBX simulator: queues, seat phones, traffic, distributions, the clock.

Everything the simulator draws at random goes through one seeded `random.Random`, so a run with the
same `SimulatorConfig` and the same client actions gives the same calls in the same order.
"""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from core import dialplan as names

DEFAULT_AUDIO_DIR = Path(__file__).resolve().with_name("audio")
"""The packaged caller voices (pbx/sim/audio: 8 kHz mono 16-bit WAV; see its README)."""

SHANGHAI_DISTRICTS: tuple[tuple[str, str], ...] = (
    ("310101", "黄浦区"),
    ("310104", "徐汇区"),
    ("310105", "长宁区"),
    ("310106", "静安区"),
    ("310107", "普陀区"),
    ("310109", "虹口区"),
    ("310110", "杨浦区"),
    ("310112", "闵行区"),
    ("310113", "宝山区"),
    ("310114", "嘉定区"),
    ("310115", "浦东新区"),
    ("310116", "金山区"),
    ("310117", "松江区"),
    ("310118", "青浦区"),
    ("310120", "奉贤区"),
    ("310151", "崇明区"),
)
"""The 16 districts of Shanghai (codes as in shared/gazetteer/shanghai_areas.csv)."""


class DistKind(StrEnum):
    FIXED = "fixed"
    EXPONENTIAL = "exponential"
    UNIFORM = "uniform"
    LOGNORMAL = "lognormal"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class Dist:
    """A duration distribution in (virtual) seconds.

    fixed: always `mean`; exponential: mean `mean`; uniform: mean +- spread; lognormal: median `mean`,
    sigma `spread`; never: infinity (a phone that never answers, a caller with endless patience).
    """

    kind: DistKind = DistKind.FIXED
    mean: float = 0.0
    spread: float = 0.0

    def draw(self, rng: random.Random) -> float:
        if self.kind is DistKind.NEVER:
            return math.inf
        if self.kind is DistKind.EXPONENTIAL:
            return rng.expovariate(1.0 / self.mean) if self.mean > 0 else 0.0
        if self.kind is DistKind.UNIFORM:
            return max(0.0, rng.uniform(self.mean - self.spread, self.mean + self.spread))
        if self.kind is DistKind.LOGNORMAL:
            return rng.lognormvariate(math.log(max(self.mean, 1e-9)), self.spread)
        return self.mean

    @classmethod
    def fixed(cls, seconds: float) -> Dist:
        return cls(DistKind.FIXED, seconds)

    @classmethod
    def never(cls) -> Dist:
        return cls(DistKind.NEVER)


class Strategy(StrEnum):
    """The app_queue strategies the simulator implements."""

    RRMEMORY = "rrmemory"
    LEASTRECENT = "leastrecent"


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """One app_queue queue (queues.conf); defaults are those of the recorded `q-general`."""

    name: str = "q-general"
    strategy: Strategy = Strategy.RRMEMORY
    timeout: float = 10.0  # member ring time per attempt
    retry: float = 5.0  # app_queue's default pause before ringing the members again
    wrapuptime: float = 2.0
    joinempty: bool = True
    setinterfacevar: bool = False  # MEMBERINTERFACE, MEMBERNAME... on the caller's channel


@dataclass(frozen=True, slots=True)
class PhoneConfig:
    """A registered PJSIP endpoint (a seat phone or a caller's phone) and how it behaves.

    `answer_probability` is drawn once per ring; `answer_delay` is how long it rings before
    answering; `hangup_after` is how long after answering this side hangs up (talk time; `never`
    leaves it to the other side).
    """

    endpoint: str
    answer_probability: float = 1.0
    answer_delay: Dist = field(default_factory=lambda: Dist.fixed(1.0))
    hangup_after: Dist = field(default_factory=Dist.never)
    context: str = names.SEATS_OUT


@dataclass(frozen=True, slots=True)
class AgiTarget:
    """Where the dialplan's `AGI(agi://host:port/script)` connects."""

    host: str = "127.0.0.1"
    port: int = 4573
    script: str = "ivr"

    @property
    def url(self) -> str:
        return f"agi://{self.host}:{self.port}/{self.script}"


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """Everything a simulator run needs. `time_scale` 1.0 is real time, 20.0 runs 20x faster.

    The dialplan and the queues come from `asterisk_conf` (a directory with extensions.conf and
    queues.conf); None renders the project's own files (asterisk_conf.render) into `run_dir`
    from `queues`, `default_queue`, `queue_timeout` and `agi` (pbx/sim/asterisk_files.py).
    """

    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_username: str = "hotline"
    ami_secret: str = "CHANGE-ME"
    ami_version: str = "9.0.0"
    queues: tuple[QueueConfig, ...] = (QueueConfig(),)
    default_queue: str = "q-general"
    queue_timeout: float = 300.0  # Queue() timeout rendered into extensions.conf (asterisk_conf default)
    asterisk_conf: Path | None = None
    run_dir: Path | None = None  # rendered conf, queue_log, Master.csv (None: a temporary dir)
    queue_log_path: Path | None = None  # None: <run_dir>/queue_log, as /var/log/asterisk/queue_log
    cdr_path: Path | None = None  # None: <run_dir>/cdr-csv/Master.csv, as cdr_csv writes it
    # Where the rendered dialplan's MixMonitor records every answered call (录音); None:
    # <run_dir>/recordings. Only for the project's own dialplan (asterisk_conf None).
    recordings_dir: Path | None = None
    # The context callers' phones send their calls to (their pjsip.conf `context`).
    incoming_context: str = names.INCOMING
    hotline_number: str = "12348"
    # Dial(PJSIP/<number>@<trunk>) reaches a simulated outside party behind one of these
    # endpoints (another endpoint: CHANUNAVAIL, as Asterisk's "endpoint was not found").
    trunks: tuple[str, ...] = (names.TRUNK_ENDPOINT,)
    outside_party: PhoneConfig = field(
        default_factory=lambda: PhoneConfig(
            "outside", answer_delay=Dist.fixed(3.0), hangup_after=Dist.fixed(20.0)
        )
    )
    outside_failing: tuple[str, ...] = ()  # outside numbers that cannot be reached (CHANUNAVAIL)
    agi: AgiTarget | None = None
    audiosocket: tuple[str, int] | None = None
    seats: tuple[PhoneConfig, ...] = ()
    # Traffic (demo mode). A rate of 0 generates no calls; scripted scenarios place their own.
    calls_per_hour: float = 0.0
    district_weights: dict[str, float] = field(default_factory=dict)
    patience: Dist = field(default_factory=lambda: Dist(DistKind.EXPONENTIAL, 90.0))
    talk_time: Dist = field(default_factory=lambda: Dist(DistKind.LOGNORMAL, 180.0, 0.5))
    caller_answer_delay: Dist = field(default_factory=lambda: Dist(DistKind.UNIFORM, 4.0, 3.0))
    caller_reachable_probability: float = 0.8
    # What callers key in the IVR: (digits, weight). Empty: callers press nothing.
    dtmf_mix: tuple[tuple[str, float], ...] = ()
    seed: int = 12348
    time_scale: float = 1.0
    start_epoch: float | None = None  # virtual time of the start; None: the wall clock
    # Voices (pbx/sim/voice.py). Each caller draws one `speech-*` recording and one `address-*`
    # utterance from `audio_dir`; None: every caller is silent (AudioSocket gets zero frames).
    audio_dir: Path | None = DEFAULT_AUDIO_DIR
    callers_speak: bool = True  # conversation speech on taps and AudioSocket(12349); off: silence
    callers_say_address: bool = True  # address utterance on the IVR's EXEC AudioSocket; off: silence
    speech_gap: float = 1.0  # silence between two plays of the conversation recording (s)
    address_max: float = 15.0  # the longest an EXEC AudioSocket streams before giving up (s)
    # Unused: a tap is any Local/<exten>@<context> whose dialplan step 1 is ChanSpy (kept so
    # existing configurations still load).
    tap_contexts: tuple[str, ...] = (names.ASR_TAP,)
    # The hotline's own dialplan (asterisk_conf/templates/extensions.conf): Queue(...,tc,...), and
    # when the SEAT hangs up with the caller still on the line, `AGI(agi://host:port/<script>)` on
    # the caller's channel (MEMBERINTERFACE set by `setinterfacevar`). Needs `agi` as well. None:
    # the recorded traces' dialplan (Queue option t only, nothing after it; scenarios use this).
    survey_script: str | None = "survey"
    # What callers key in the survey's GET DATA: (key, weight); "" presses nothing (timeout).
    survey_mix: tuple[tuple[str, float], ...] = (("1", 0.75), ("2", 0.17), ("3", 0.05), ("", 0.03))


class SimClock:
    """Virtual time on top of the asyncio loop: `now()` runs `time_scale` times faster than real.

    Asterisk stamps events with epoch seconds (`Timestamp: 1795299092.304193`); the simulator does
    the same with virtual seconds, so a run at scale 20 shows a 3-minute call lasting 3 minutes.
    """

    def __init__(self, time_scale: float = 1.0, start_epoch: float | None = None) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        import time

        self.scale = time_scale
        self._start = start_epoch if start_epoch is not None else time.time()
        self._t0: float | None = None

    @property
    def start(self) -> float:
        """Virtual epoch seconds at the start (virtual time zero)."""
        return self._start

    def _loop_time(self) -> float:
        loop_time = asyncio.get_running_loop().time()
        if self._t0 is None:
            self._t0 = loop_time
        return loop_time

    def now(self) -> float:
        """Virtual epoch seconds."""
        loop_time = self._loop_time()
        assert self._t0 is not None
        return self._start + (loop_time - self._t0) * self.scale

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of virtual time."""
        await asyncio.sleep(max(0.0, seconds) / self.scale)

    def real(self, seconds: float) -> float:
        """Real seconds for a virtual span (for `asyncio.wait_for` timeouts)."""
        return seconds / self.scale
