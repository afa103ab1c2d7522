"""`Simulator`: the AMI server, the PBX model and (in demo mode) the call generator, together.

`await run_simulator(config)` binds the AMI port, starts the Poisson call generator when
`config.calls_per_hour > 0`, and returns the running `Simulator`; `await sim.stop()` ends it.
Callers arrive as a Poisson process (exponential gaps of mean 3600/rate virtual seconds); each is
given a district drawn from `district_weights` (Shanghai's 16 districts, equal weights when
empty), a mobile number, a patience and a talk time from the configured distributions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from pathlib import Path

from pbx.sim.ami_server import Action, AmiServer
from pbx.sim.config import SHANGHAI_DISTRICTS, PhoneConfig, SimClock, SimulatorConfig
from pbx.sim.model import CallerSpec, Headers, SimPbx

log = logging.getLogger(__name__)


class Simulator:
    """A running simulated PBX."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.clock = SimClock(config.time_scale, config.start_epoch)
        self.pbx = SimPbx(config, self.clock, self.rng, self._emit)
        self.ami = AmiServer(
            self.pbx,
            host=config.ami_host,
            port=config.ami_port,
            username=config.ami_username,
            secret=config.ami_secret,
            version=config.ami_version,
        )
        self.event_listeners: list[Callable[[Headers], None]] = [self.pbx.records.on_event]
        self._actions: list[str] = []
        self._action_seen = asyncio.Event()
        self.logged_in = asyncio.Event()
        self.ami.action_listeners.append(self._on_action)
        self.ami.login_listeners.append(self.logged_in.set)
        self._generator: asyncio.Task[None] | None = None
        self.calls_placed = 0
        self.script_task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        return self.ami.port

    def _emit(self, headers: Headers) -> None:
        self.ami.broadcast(headers)
        for listener in self.event_listeners:
            listener(headers)

    def _on_action(self, action: Action) -> None:
        self._actions.append(action.get("action", "").lower())
        self._action_seen.set()
        self._action_seen = asyncio.Event()

    async def wait_for_action(self, name: str, within_s: float = 10.0) -> bool:
        """Until a client has sent `name` (real seconds); used by scripted scenarios."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        while name.lower() not in self._actions:
            left = deadline - loop.time()
            if left <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._action_seen.wait(), left)
        return True

    @property
    def queue_log_path(self) -> Path:
        """Asterisk's queue_log of this run (pbx/sim/records.py)."""
        return self.pbx.records.queue_log_path

    @property
    def cdr_path(self) -> Path:
        """The run's CDR, cdr_csv's Master.csv format."""
        return self.pbx.records.cdr_path

    async def start(self) -> None:
        self.pbx.records.started(self.clock.now())  # pins virtual time zero to now
        await self.ami.start()
        log.info(
            "模拟器运行目录 %s：拨号计划 %s，队列日志 %s，话单 %s",
            self.pbx.run_dir,
            self.pbx.conf_dir / "extensions.conf",
            self.queue_log_path,
            self.cdr_path,
        )
        if self.config.calls_per_hour > 0:
            self._generator = asyncio.get_running_loop().create_task(self._generate())

    async def stop_traffic(self) -> None:
        """No new callers from now on; calls in progress carry on to their end."""
        if self._generator is not None:
            self._generator.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._generator
            self._generator = None

    @property
    def active_channels(self) -> int:
        return len(self.pbx.channels)

    async def stop(self) -> None:
        await self.stop_traffic()
        await self.pbx.close()
        await self.ami.stop()

    # ------------------------------------------------------------------ seat phones
    def register_phone(self, phone: PhoneConfig) -> None:
        """A SIP phone registers (it can now be rung)."""
        self.pbx.register_phone(phone)

    def unregister_phone(self, endpoint: str) -> None:
        self.pbx.unregister_phone(endpoint)

    def place_call(self, spec: CallerSpec) -> asyncio.Task[None]:
        self.calls_placed += 1
        return self.pbx.place_call(spec)

    # ------------------------------------------------------------------ demo traffic
    def draw_caller(self) -> CallerSpec:
        cfg = self.config
        weights = cfg.district_weights or {code: 1.0 for code, _ in SHANGHAI_DISTRICTS}
        codes = list(weights)
        district = self.rng.choices(codes, weights=[weights[c] for c in codes])[0]
        number = "1" + self.rng.choice("3456789") + "".join(self.rng.choice("0123456789") for _ in range(9))
        if self.rng.random() < cfg.caller_reachable_probability:
            # The caller's phone can be called back (trace 05); otherwise it is offline (trace 08).
            self.pbx.register_phone(
                PhoneConfig(
                    number,
                    answer_delay=cfg.caller_answer_delay,
                    hangup_after=cfg.talk_time,
                    context=cfg.incoming_context,
                )
            )
        dtmf = ""
        if cfg.dtmf_mix:
            keys = [k for k, _ in cfg.dtmf_mix]
            dtmf = self.rng.choices(keys, weights=[w for _, w in cfg.dtmf_mix])[0]
        return CallerSpec(
            endpoint=number,
            number=number,
            exten=cfg.hotline_number,
            patience=cfg.patience.draw(self.rng),
            talk_time=cfg.talk_time.draw(self.rng),
            district=district,
            dtmf=dtmf,
        )

    async def _generate(self) -> None:
        mean_gap = 3600.0 / self.config.calls_per_hour
        while True:
            await self.clock.sleep(self.rng.expovariate(1.0 / mean_gap))
            self.place_call(self.draw_caller())


async def run_simulator(config: SimulatorConfig) -> Simulator:
    """Start the AMI server (and the call generator) and return the running simulator."""
    sim = Simulator(config)
    await sim.start()
    return sim
