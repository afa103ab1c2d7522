"""The demo's traffic is sized with the forecast's Erlang A (issue 14; issue 17: was Erlang C): the default rate is one the
demo's seats carry at a healthy answer rate, `--overload`'s is one they cannot; and with no speech
model the IVR hears the simulated caller's scripted address, marked as such."""

from __future__ import annotations

import asyncio

from app.seed import DEMO_SEATS
from asterisk_conf.render import QUEUE_WRAPUP_S
from pbx.sim.demo import (
    OVERLOAD_CALLS_PER_HOUR,
    SCRIPTED_MARK,
    ScriptedAddressCapture,
    SimulatorSettings,
    demo_aht,
    demo_answer_rate,
    demo_staffing,
)
from stats.kpi import ANSWER_RATE_TARGET

SEATS = len(DEMO_SEATS)


def test_given_the_demos_rate_when_sized_by_erlang_a_then_fewer_seats_than_the_demo_has_are_needed() -> None:
    demo = SimulatorSettings()

    staffing = demo_staffing(demo, QUEUE_WRAPUP_S)

    assert 50 < demo_aht(demo, QUEUE_WRAPUP_S) < 90  # ring + the shorter side's talk + wrap-up
    assert staffing.seats < SEATS  # a seat to spare: the seats' skills split the calls
    assert demo_answer_rate(demo, QUEUE_WRAPUP_S, SEATS) >= ANSWER_RATE_TARGET


def test_given_the_overload_rate_when_sized_then_the_demo_seats_cannot_carry_it() -> None:
    overload = SimulatorSettings(calls_per_hour=OVERLOAD_CALLS_PER_HOUR)

    assert demo_staffing(overload, QUEUE_WRAPUP_S).seats > SEATS
    assert demo_answer_rate(overload, QUEUE_WRAPUP_S, SEATS) < 0.8


async def test_given_a_stream_when_the_caller_says_the_address_then_its_script_is_heard_marked() -> None:
    capture = ScriptedAddressCapture(timeout_s=5.0)
    waiting = asyncio.ensure_future(capture.expect("s-1"))
    await asyncio.sleep(0)

    capture.said("s-2", "别的来电")
    capture.said("s-1", "我在徐汇区田林街道")

    assert await waiting == "我在徐汇区田林街道" + SCRIPTED_MARK


async def test_given_nothing_said_when_the_wait_ends_then_nothing_is_heard() -> None:
    capture = ScriptedAddressCapture(timeout_s=0.05)

    assert await capture.expect("s-1") is None
