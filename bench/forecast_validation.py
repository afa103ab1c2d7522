"""Does the staffing forecast deliver its answer rate? Schedule its seats in the PBX simulator and see.

1. History: four past weeks of the same weekday, drawn from a 12348 day's shape (`default_volumes`
   scaled to `--daily-calls`), served first-come first-served by a fixed crew that is short at the
   peaks, so that callers abandon: exponential talk times (mean `--aht`) and patience (mean
   `--patience`). These are the stored calls the forecast reads.
2. Forecast: `stats.forecast.build_forecast` from that history, as the board runs it: volumes per
   weekday and half hour, AHT, patience estimated from the abandons (the true mean is printed
   beside it), Erlang A seats per half hour meeting answer rate >= 95 % and 80 % within 15 s.
3. Run: the simulator (`pbx.sim`, time-scaled, the project's dialplan, app_queue model, no app)
   gets the day's traffic from the same process, and each half hour exactly the forecast's seats
   taking calls (queue members unpaused; a seat going off finishes its call first).
4. Report: per hour and in total, the answer rate and the 15-second answer rate achieved, against
   the target and against what Erlang A predicted for the seats it was given.

    PYTHONPATH=. python bench/forecast_validation.py                 # 08:00-20:00, 4000 calls/day
    PYTHONPATH=. python bench/forecast_validation.py --start 0 --end 24 --scale 150   # a whole day

A whole day at scale 150 takes about 10 minutes of wall time on two cores; the default runs the
twelve busy hours (about 90 % of the day's calls).
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import math
import random
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.access import Scope  # noqa: E402
from core.calls import CallRecord, CallStatus  # noqa: E402
from core.clock import CHINA_TZ  # noqa: E402
from core.ids import CallId  # noqa: E402
from pbx.sim import CallerSpec, Dist, PhoneConfig, SimulatorConfig, run_simulator  # noqa: E402
from pbx.sim.config import QueueConfig  # noqa: E402
from stats.erlang import erlang_a  # noqa: E402
from stats.forecast import Forecast, build_forecast  # noqa: E402
from stats.kpi import (  # noqa: E402
    ANSWER_RATE_TARGET,
    FAST_ANSWER_SECONDS,
    FAST_ANSWER_TARGET,
    SLOT_SECONDS,
    SLOTS_PER_DAY,
    default_volumes,
)
from stats.reports import china_day_start  # noqa: E402

DAY = date(2026, 12, 9)  # a Wednesday
CITY = Scope(True, "全市", None, frozenset(), frozenset())


def arrivals(
    volumes: list[float], first: int, last: int, day_start: float, rng: random.Random
) -> list[float]:
    """Poisson arrival epochs, half hour by half hour, in slots [first, last)."""
    out = []
    for slot in range(first, last):
        rate = volumes[slot] / SLOT_SECONDS
        t = day_start + slot * SLOT_SECONDS
        end = t + SLOT_SECONDS
        while rate > 0:
            t += rng.expovariate(rate)
            if t >= end:
                break
            out.append(t)
    return out


def history(volumes: list[float], aht: float, patience: float, rng: random.Random) -> list[CallRecord]:
    """Four past same weekdays served FCFS by a crew 10 % short of the offered load at each peak."""
    calls: list[CallRecord] = []
    crew = max(1, math.floor(max(volumes) * aht / SLOT_SECONDS * 0.9))
    for week in range(1, 5):
        day = DAY - timedelta(weeks=week)
        start = china_day_start(day).timestamp()
        free = [start] * crew
        for n, t in enumerate(arrivals(volumes, 0, SLOTS_PER_DAY, start, rng)):
            give_up = rng.expovariate(1 / patience)
            begin = max(t, free[0])
            at = datetime.fromtimestamp(t, CHINA_TZ)
            cid = CallId(f"h{week}-{n}")
            if begin - t > give_up:
                calls.append(
                    CallRecord(
                        id=cid,
                        caller_number="138",
                        offered_at=at,
                        status=CallStatus.ABANDONED,
                        wait_seconds=give_up,
                    )
                )
                continue
            talk = rng.expovariate(1 / aht)
            heapq.heapreplace(free, begin + talk)
            calls.append(
                CallRecord(
                    id=cid,
                    caller_number="138",
                    offered_at=at,
                    status=CallStatus.ANSWERED,
                    answered_at=datetime.fromtimestamp(begin, CHINA_TZ),
                    wait_seconds=begin - t,
                    talk_seconds=talk,
                )
            )
    return calls


@dataclass
class Tally:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    within_15: int = 0
    predicted_answered: float = 0.0  # Erlang A's expected answered calls for the seats given
    predicted_within_15: float = 0.0

    def add(self, other: Tally) -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def rate(self, part: float) -> float:
        resolved = self.answered + self.abandoned
        return part / resolved if resolved else float("nan")


async def run_day(
    forecast: Forecast, volumes: list[float], args: argparse.Namespace, rng: random.Random
) -> dict[int, Tally]:
    first, last = args.start * 2, args.end * 2
    day_start = china_day_start(DAY).timestamp()
    seats = max(s.staffing.seats for s in forecast.slots[first:last])
    sim = await run_simulator(
        SimulatorConfig(
            ami_port=0,
            time_scale=args.scale,
            start_epoch=day_start + first * SLOT_SECONDS,
            queues=(QueueConfig(wrapuptime=0.0),),
            queue_timeout=24 * 3600.0,  # no queue timeout: callers leave by their patience alone
            seats=tuple(PhoneConfig(f"s{i:03d}", answer_delay=Dist.fixed(0.0)) for i in range(seats)),
            audio_dir=None,
            callers_speak=False,
            callers_say_address=False,
            survey_script=None,
            seed=args.seed,
        )
    )
    pbx = sim.pbx
    queue = pbx.queues["q-general"]
    members = [
        pbx.add_member("q-general", f"PJSIP/s{i:03d}", f"seat-{i}", f"PJSIP/s{i:03d}", 0)
        for i in range(seats)
    ]
    for m in members:
        pbx.pause_member(queue, m, True, "off shift")
    joined: dict[str, tuple[float, int]] = {}  # uniqueid -> (join time, hour)
    tallies: dict[int, Tally] = {h: Tally() for h in range(args.start, args.end)}

    def on_event(headers: list[tuple[str, str]]) -> None:
        h = dict(headers)
        name, uid = h.get("Event"), h.get("Uniqueid", "")
        if name == "QueueCallerJoin":
            local = datetime.fromtimestamp(sim.clock.now(), CHINA_TZ)
            joined[uid] = (sim.clock.now(), local.hour)
            tallies[local.hour].offered += 1
        elif name == "AgentConnect" and uid in joined:
            t0, hour = joined.pop(uid)
            tallies[hour].answered += 1
            tallies[hour].within_15 += sim.clock.now() - t0 <= FAST_ANSWER_SECONDS
        elif name == "QueueCallerAbandon" and uid in joined:
            tallies[joined.pop(uid)[1]].abandoned += 1

    sim.event_listeners.append(on_event)
    calls = arrivals(volumes, first, last, day_start, rng)
    lam_of = [v / SLOT_SECONDS for v in volumes]

    async def staff() -> None:
        for slot in range(first, last):
            wait = day_start + slot * SLOT_SECONDS - sim.clock.now()
            await sim.clock.sleep(wait)
            n = forecast.slots[slot].staffing.seats
            for i, m in enumerate(members):
                if m.paused != (i >= n):
                    pbx.pause_member(queue, m, i >= n, "off shift" if i >= n else "")
            fig = erlang_a(n, lam_of[slot], forecast.aht_seconds, args.patience, FAST_ANSWER_SECONDS)
            t = tallies[slot // 2]
            t.predicted_answered += fig.answer_rate * volumes[slot]
            t.predicted_within_15 += fig.service_level * volumes[slot]

    async def traffic() -> None:
        for at in calls:
            await sim.clock.sleep(at - sim.clock.now())
            sim.place_call(
                CallerSpec(
                    patience=rng.expovariate(1 / args.patience), talk_time=rng.expovariate(1 / args.aht)
                )
            )

    staffing = asyncio.create_task(staff())
    await traffic()
    await staffing
    deadline = sim.clock.now() + 3600
    while joined and sim.clock.now() < deadline:  # the last callers: answered or gone
        await sim.clock.sleep(30)
    await sim.stop()
    return tallies


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--daily-calls", type=float, default=4000.0, help="calls a day (a province's line)")
    p.add_argument("--aht", type=float, default=300.0, help="mean talk time, s (exponential)")
    p.add_argument("--patience", type=float, default=120.0, help="callers' mean patience, s (exponential)")
    p.add_argument("--start", type=int, default=8, help="first hour run in the simulator")
    p.add_argument("--end", type=int, default=20, help="hour the run ends")
    p.add_argument("--scale", type=float, default=100.0, help="simulator time scale")
    p.add_argument("--seed", type=int, default=12348)
    args = p.parse_args()
    rng = random.Random(args.seed)
    volumes = default_volumes(args.daily_calls)
    past = history(volumes, args.aht, args.patience, rng)
    forecast = build_forecast(CITY, DAY, past, wrap_up_s=0.0)
    print(
        f"history: {len(past)} calls over {forecast.history_days} days, "
        f"{sum(c.status is CallStatus.ABANDONED for c in past)} abandoned"
    )
    print(
        f"forecast: AHT {forecast.aht_seconds:.0f} s (true {args.aht:.0f}), patience "
        f"{forecast.patience_seconds:.0f} s estimated from {forecast.patience_abandons} abandons "
        f"(true {args.patience:.0f})"
    )
    print(
        f"targets: answer rate >= {ANSWER_RATE_TARGET:.0%}, {FAST_ANSWER_TARGET:.0%} within "
        f"{FAST_ANSWER_SECONDS:.0f} s; simulating {args.start:02d}:00-{args.end:02d}:00 at scale {args.scale:g}"
    )
    began = time.monotonic()
    tallies = asyncio.run(run_day(forecast, volumes, args, rng))
    total = Tally()
    print(
        f"{'hour':<7}{'seats':>7}{'offered':>9}{'answered':>10}{'abandoned':>11}{'answer':>9}"
        f"{'pred.':>8}{'15 s':>8}{'pred.':>8}"
    )
    for hour, t in tallies.items():
        total.add(t)
        seats = "/".join(str(forecast.slots[hour * 2 + i].staffing.seats) for i in range(2))
        print(
            f"{hour:02d}:00  {seats:>7}{t.offered:>9}{t.answered:>10}{t.abandoned:>11}"
            f"{t.rate(t.answered):>9.1%}{t.predicted_answered / max(sum(volumes[hour * 2 : hour * 2 + 2]), 1e-9):>8.1%}"
            f"{t.rate(t.within_15):>8.1%}{t.predicted_within_15 / max(sum(volumes[hour * 2 : hour * 2 + 2]), 1e-9):>8.1%}"
        )
    planned = sum(volumes[args.start * 2 : args.end * 2])
    achieved = total.rate(total.answered)
    print(
        f"total  {total.offered:>16}{total.answered:>10}{total.abandoned:>11}{achieved:>9.1%}"
        f"{total.predicted_answered / planned:>8.1%}{total.rate(total.within_15):>8.1%}"
        f"{total.predicted_within_15 / planned:>8.1%}"
    )
    print(
        f"answer rate achieved {achieved:.2%} against the target {ANSWER_RATE_TARGET:.0%}: "
        f"{(achieved - ANSWER_RATE_TARGET) * 100:+.2f} points "
        f"({'within' if abs(achieved - ANSWER_RATE_TARGET) <= 0.02 else 'NOT within'} 2 points); "
        f"15-second answer rate {total.rate(total.within_15):.2%} against {FAST_ANSWER_TARGET:.0%}"
    )
    print(f"wall time {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
