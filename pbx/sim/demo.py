"""The demo's traffic: the embedded simulator's settings and its start with the demo seats' phones.

The demo is staffed by the forecast's own maths (stats.erlang's Erlang A, callers who give up
included, and both of the forecast's targets): `demo_staffing` sizes the seats the call rate needs, `DEMO_CALLS_PER_HOUR` is a rate the seven demo seats carry with room to
spare, `OVERLOAD_CALLS_PER_HOUR` (`hotline demo --overload`) one they cannot.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from pathlib import Path
from statistics import NormalDist

from pydantic import BaseModel

from pbx.settings import AmiSettings
from pbx.sim.config import AgiTarget, Dist, DistKind, PhoneConfig, QueueConfig, SimulatorConfig
from pbx.sim.simulator import Simulator, run_simulator
from seats.models import Seat
from stats.erlang import StaffingA, erlang_a, seats_for_targets
from stats.kpi import ANSWER_RATE_TARGET, FAST_ANSWER_SECONDS, FAST_ANSWER_TARGET

log = logging.getLogger(__name__)

# What simulated callers key in the IVR (digits, weight): mostly 法律咨询 sub-menus, some legal
# aid, notary / forensic / mediation, a few straight to a human and a few who press nothing.
# "41x": 就近服务点查询: the caller says an address, confirms the office read back (1), then asks
# for a person (0: a seat's screen pop shows the district and the office) or books a visit (1).
DEMO_DTMF = (
    ("12", 22.0),
    ("11", 13.0),
    ("13", 9.0),
    ("14", 7.0),
    ("15", 5.0),
    ("16", 5.0),
    ("2", 9.0),
    ("31", 5.0),
    ("32", 2.0),
    ("33", 4.0),
    ("410", 10.0),
    ("411", 2.0),
    ("0", 5.0),
    ("", 2.0),
)

# What simulated callers key in the satisfaction survey (key, weight): 1 满意, 2 基本满意, 3 不满意,
# "" nothing. More 不满意 than a real hotline hears (the simulator's own default is 5 %), so that a
# fresh demo shows 回访 orders (follow-ups of 不满意 ratings) within its first minutes: some half of
# the answered callers hear the survey (those whose seat hangs up first).
DEMO_SURVEY = (("1", 0.62), ("2", 0.20), ("3", 0.15), ("", 0.03))

DEMO_CALLS_PER_HOUR = 150.0
"""Erlang A (`demo_staffing`) needs 4 seats for it at the demo's handling time; the demo has 7, as
the seats' skills split the calls between queues."""
OVERLOAD_CALLS_PER_HOUR = 560.0
"""`hotline demo --overload`: about 12 seats' worth of calls for the demo's 7 (an answer rate near
72 %, as 480 an hour gave the demo's first 6): the board in trouble."""
RING_S = 3.0  # the demo phones' mean answer delay (below)
PATIENCE_SIGMA = 1.0  # callers' patience: lognormal, few hang up in the first seconds of a wait
SCRIPTED_MARK = "（演示：模拟来电者的台词文本，未经语音识别）"


class SimulatorSettings(BaseModel):
    """The embedded PBX simulator: listens for AMI on `ami.host:ami.port`."""

    enabled: bool = False
    calls_per_hour: float = DEMO_CALLS_PER_HOUR
    mean_talk_s: float = 60.0
    mean_patience_s: float = 120.0  # the median of the callers' patience (lognormal, PATIENCE_SIGMA)
    seed: int = 12348
    time_scale: float = 1.0
    auto_login_seats: bool = True
    # With traffic on, as many callers as seats call as soon as the seats are in (they ask for a
    # person, so every seat rings within a minute of the start, at any hour).
    opening_callers: bool = True
    # `hotline demo --after-hours`: the hotline out of service at any hour (`routing.queues.
    # after_hours_all_day`): callers meet the after-hours menu and leave 留言 or ask for a callback.
    after_hours: bool = False
    # Where the simulator renders its Asterisk config and writes queue_log and cdr-csv/Master.csv
    # (None: a fresh temporary directory, logged at start).
    run_dir: Path | None = None


DEMO_SUPERVISOR_PHONES = ("8001", "8002", "8003", "8004")
"""Desk phones registered in the demo's simulator for the supervisors' own phones."""


def demo_aht(sim: SimulatorSettings, wrap_up_s: float) -> float:
    """The demo's mean handling time: the ring, the talk (whichever side hangs up first: the
    shorter of two lognormal talk times of median `mean_talk_s`, sigma 0.5) and the wrap-up."""
    talk = NormalDist(math.log(sim.mean_talk_s), 0.5)
    step = sim.mean_talk_s / 200
    # E[min(X, Y)] = integral of P(X > t)^2 dt (midpoint rule, to 20 medians).
    shorter = sum((1.0 - talk.cdf(math.log((i + 0.5) * step))) ** 2 * step for i in range(4000))
    return RING_S + shorter + wrap_up_s


def demo_patience(sim: SimulatorSettings) -> float:
    """The callers' mean patience: the mean of the simulator's lognormal (median `mean_patience_s`,
    sigma `PATIENCE_SIGMA`), the exponential patience Erlang A assumes."""
    return sim.mean_patience_s * math.exp(PATIENCE_SIGMA**2 / 2)


def demo_staffing(sim: SimulatorSettings, wrap_up_s: float) -> StaffingA:
    """The seats Erlang A asks for the demo's calls: the forecast's targets (接通率 95 %, 15秒接通率
    80 %), callers hanging up after their mean patience."""
    return seats_for_targets(
        sim.calls_per_hour,
        demo_aht(sim, wrap_up_s),
        demo_patience(sim),
        interval_s=3600.0,
        answer_rate_target=ANSWER_RATE_TARGET,
        service_level_target=FAST_ANSWER_TARGET,
        threshold_s=FAST_ANSWER_SECONDS,
    )


def demo_answer_rate(sim: SimulatorSettings, wrap_up_s: float, seats: int) -> float:
    """The answer rate Erlang A expects from `seats` pooled seats (answered / offered)."""
    if sim.calls_per_hour <= 0:
        return 1.0
    fig = erlang_a(seats, sim.calls_per_hour / 3600.0, demo_aht(sim, wrap_up_s), demo_patience(sim), 0.0)
    return fig.answer_rate


class ScriptedAddressCapture:
    """ivr.ports.SpeechCapture for the demo when no recogniser runs (no Vosk model): the text of
    the address the simulated caller was scripted to say (pbx/sim/audio/addresses.tsv), marked
    `SCRIPTED_MARK`; nothing is recognised. Fed by the simulator (`SimPbx.address_listeners`)."""

    def __init__(self, timeout_s: float = 20.0) -> None:
        self._timeout = timeout_s
        self._waiting: dict[str, asyncio.Future[str]] = {}

    def expect(self, stream_id: str) -> Awaitable[str | None]:
        said = self._waiting[stream_id] = asyncio.get_running_loop().create_future()

        async def heard() -> str | None:
            try:
                return await asyncio.wait_for(said, self._timeout)
            except TimeoutError:
                return None
            finally:
                self._waiting.pop(stream_id, None)

        return heard()

    def said(self, stream_id: str, text: str) -> None:
        waiting = self._waiting.get(stream_id)
        if waiting is not None and not waiting.done():
            waiting.set_result(text + SCRIPTED_MARK)


async def start_demo_simulator(
    sim: SimulatorSettings,
    ami: AmiSettings,
    *,
    ami_port: int,
    agi: AgiTarget | None,
    queues: Iterable[str],
    wrapuptime: float,
    seats: Iterable[Seat],
    address_listener: Callable[[str, str], None] | None = None,
    recordings_dir: str | None = None,
) -> Simulator:
    """The simulator, listening for AMI on `ami.host:ami_port`, with one answering phone per seat
    and the demo's call mix."""
    phones = tuple(
        PhoneConfig(
            endpoint=seat.interface.split("/", 1)[-1],
            answer_probability=0.93,
            answer_delay=Dist(DistKind.UNIFORM, RING_S, 1.5),
            # The seat ends the conversation about half the time (the caller's own talk time is
            # drawn alike): those callers then hear the satisfaction survey.
            hangup_after=Dist(DistKind.LOGNORMAL, sim.mean_talk_s, 0.5),
        )
        for seat in seats
    )
    # The supervisors' desk phones (班长监听 rings them first): an admin assigns one to a supervisor
    # (PUT /api/supervisor/phones/{user_id}); they answer after 2 s and leave hanging up to the app.
    desks = tuple(PhoneConfig(endpoint=e, answer_delay=Dist.fixed(2.0)) for e in DEMO_SUPERVISOR_PHONES)
    config = SimulatorConfig(
        ami_host=ami.host,
        ami_port=ami_port,
        ami_username=ami.username,
        ami_secret=ami.secret.get_secret_value(),
        queues=tuple(QueueConfig(name=q, timeout=15.0, wrapuptime=wrapuptime) for q in queues),
        default_queue="q-city-other",
        agi=agi,
        seats=phones + desks,
        calls_per_hour=sim.calls_per_hour,
        patience=Dist(DistKind.LOGNORMAL, sim.mean_patience_s, PATIENCE_SIGMA),
        talk_time=Dist(DistKind.LOGNORMAL, sim.mean_talk_s, 0.5),
        seed=sim.seed,
        time_scale=sim.time_scale,
        dtmf_mix=DEMO_DTMF,
        survey_mix=DEMO_SURVEY,
        run_dir=sim.run_dir,
        recordings_dir=Path(recordings_dir) if recordings_dir else None,
    )
    staffing = demo_staffing(sim, wrapuptime)
    log.info(
        "演示话务：每小时 %.0f 通，平均处理时长 %.0f 秒（%.1f 爱尔兰），按 Erlang A 需 %d 名坐席，"
        "演示在席 %d 名，预计接通率 %.1f%%",
        sim.calls_per_hour,
        demo_aht(sim, wrapuptime),
        staffing.traffic,
        staffing.seats,
        len(phones),
        100 * demo_answer_rate(sim, wrapuptime, len(phones)),
    )
    simulator = await run_simulator(config)
    if address_listener is not None:
        simulator.pbx.address_listeners.append(address_listener)
    if sim.opening_callers and sim.calls_per_hour > 0:
        simulator.pbx.spawn(_opening_callers(simulator, len(phones)))  # the seats' phones, not the desks
    return simulator


async def _opening_callers(simulator: Simulator, count: int) -> None:
    """Once the seats are in (every demo seat serves "other", the city pool of a caller who asks
    for a person; a minute at most): `count` such callers, so every seat rings at the start."""
    pool = simulator.pbx.queues[simulator.config.default_queue]
    for _ in range(60):
        if len(pool.members) >= count:
            break
        await simulator.clock.sleep(1.0)
    for _ in range(count):
        simulator.place_call(replace(simulator.draw_caller(), dtmf="0"))
