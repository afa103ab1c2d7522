"""The satisfaction survey after Queue(...,c): only when the seat hangs up, over real FastAGI."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from pbx.sim import AgiTarget, CallerSpec, Dist, PhoneConfig, SimulatorConfig, run_simulator
from pbx.sim.model import Headers
from pbx.sim.simulator import Simulator

SCALE = 20.0


@dataclass
class SurveySession:
    env: dict[str, str]
    member_interface: str = ""
    digit: str | None = None


@dataclass
class FakeFastAgi:
    """Serves `ivr` (sets HOTLINE_QUEUE, returns) and `survey` (reads MEMBERINTERFACE, GET DATA)."""

    scripts: list[str] = field(default_factory=list)
    surveys: list[SurveySession] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @staticmethod
    async def _command(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: str) -> str:
        writer.write((line + "\n").encode())
        await writer.drain()
        return (await reader.readline()).decode().strip()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env: dict[str, str] = {}
        try:
            while (raw := (await reader.readline()).decode().strip()) != "":
                key, _, value = raw.partition(": ")
                env[key] = value
            script = env.get("agi_network_script", "")
            self.scripts.append(script)
            if script == "ivr":
                await self._command(reader, writer, "SET VARIABLE HOTLINE_QUEUE q-general")
            elif script == "survey":
                session = SurveySession(env)
                self.surveys.append(session)
                reply = await self._command(reader, writer, "GET VARIABLE MEMBERINTERFACE")
                session.member_interface = reply.partition("(")[2].rstrip(")")
                reply = await self._command(reader, writer, "GET DATA hotline/survey_ask 5000 1")
                result = reply.partition("result=")[2]
                session.digit = "" if "(timeout)" in result else result
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


@pytest.fixture
async def agi() -> AsyncIterator[FakeFastAgi]:
    server = FakeFastAgi()
    await server.start()
    yield server
    await server.stop()


async def _start(agi: FakeFastAgi, seat: PhoneConfig) -> tuple[Simulator, list[Headers]]:
    config = SimulatorConfig(
        ami_port=0,
        agi=AgiTarget("127.0.0.1", agi.port, "ivr"),
        seats=(seat,),
        time_scale=SCALE,
        audio_dir=None,
        patience=Dist.never(),
        survey_mix=(("2", 1.0),),
    )
    sim = await run_simulator(config)
    events: list[Headers] = []
    sim.event_listeners.append(events.append)
    sim.pbx.add_member("q-general", "PJSIP/1001", "seat-1001", "PJSIP/1001", 0)
    return sim, events


def _named(events: list[Headers], name: str) -> list[dict[str, str]]:
    return [dict(e) for e in events if dict(e).get("Event") == name]


async def test_given_seat_hangs_up_first_when_call_ends_then_caller_gets_survey_with_member_interface(
    agi: FakeFastAgi,
) -> None:
    sim, events = await _start(
        agi, PhoneConfig("1001", answer_delay=Dist.fixed(1.0), hangup_after=Dist.fixed(4.0))
    )
    try:
        await asyncio.wait_for(sim.place_call(CallerSpec()), timeout=10.0)
    finally:
        await sim.stop()

    assert agi.scripts == ["ivr", "survey"]
    (survey,) = agi.surveys
    assert survey.env["agi_network_script"] == "survey"
    assert survey.env["agi_request"] == f"agi://127.0.0.1:{agi.port}/survey"
    assert survey.env["agi_channel"].startswith("PJSIP/caller1-")
    assert survey.member_interface == "PJSIP/1001"
    assert survey.digit == "2"
    (complete,) = _named(events, "AgentComplete")
    assert complete["Reason"] == "agent"
    hangups = [e["Channel"] for e in _named(events, "Hangup")]
    assert hangups[0].startswith("PJSIP/1001-") and hangups[-1].startswith("PJSIP/caller1-")
    assert sim.active_channels == 0


async def test_given_caller_hangs_up_first_when_call_ends_then_no_survey(agi: FakeFastAgi) -> None:
    sim, events = await _start(agi, PhoneConfig("1001", answer_delay=Dist.fixed(1.0)))
    try:
        await asyncio.wait_for(sim.place_call(CallerSpec(talk_time=3.0)), timeout=10.0)
    finally:
        await sim.stop()

    assert agi.scripts == ["ivr"]
    assert agi.surveys == []
    (complete,) = _named(events, "AgentComplete")
    assert complete["Reason"] == "caller"
    assert sim.active_channels == 0
