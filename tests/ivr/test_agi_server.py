"""The FastAGI adapter and server: error translation, odd peers, start/stop."""

from __future__ import annotations

import asyncio

import pytest

from ivr.agi_server import AgiServer, PanoramiskAgiChannel
from ivr.errors import AgiError, CallerHungUp
from ivr.fakes import Caller, FakeAsterisk, Hangup, InMemoryAgiRequest, Key, Silence
from ivr.ports import AgiChannel


def channel(env_block: str, *inputs, **variables) -> tuple[PanoramiskAgiChannel, FakeAsterisk]:
    asterisk = FakeAsterisk(env_block, Caller(list(inputs), variables=dict(variables)))
    return PanoramiskAgiChannel(InMemoryAgiRequest(asterisk)), asterisk


async def test_given_recorded_environment_when_parsed_then_fields_are_read(env_block):
    ch, _ = channel(env_block)

    assert ch.env.uniqueid == "1795299094.0"
    assert ch.env.callerid == "caller1"
    assert ch.env.dnid == "12348"
    assert ch.env.channel == "PJSIP/caller1-00000000"


async def test_given_replies_when_commands_sent_then_values_are_parsed(env_block):
    ch, _ = channel(env_block, Key("5"), Silence(), Key("3", barge=True), X="a b")

    assert await ch.get_data("p", 1.0, 1) == "5"
    assert await ch.get_data("p", 1.0, 1) == ""
    assert await ch.stream_file("p", "3") == "3"
    assert await ch.stream_file("p") is None
    assert await ch.get_variable("X") == "a b"
    assert await ch.get_variable("NOPE") is None
    assert await ch.exec("Wait", "1") == 0
    assert await ch.exec("AudioSocket", "u,127.0.0.1:9092") == -1


@pytest.mark.parametrize("style", ["result", "line", "dead"])
async def test_given_each_hangup_form_when_command_sent_then_caller_hung_up(env_block, style):
    ch, _ = channel(env_block, Hangup(style))

    with pytest.raises(CallerHungUp):
        await ch.get_data("p", 1.0, 1)
    with pytest.raises(CallerHungUp):
        await ch.answer()


async def test_given_unknown_command_when_sent_then_agi_error_not_hangup(env_block):
    ch, _ = channel(env_block)

    with pytest.raises(AgiError) as caught:
        await ch._send("FLY AWAY")
    assert not isinstance(caught.value, CallerHungUp)


async def test_given_value_with_quotes_when_set_then_escaped(env_block):
    ch, asterisk = channel(env_block)

    await ch.set_variable("V", 'say "hi" \\ bye')

    assert asterisk.variables["V"] == 'say "hi" \\ bye'


async def run_server(flow_calls: list[str]) -> AgiServer:
    async def flow(ch: AgiChannel) -> None:
        flow_calls.append(ch.env.network_script)
        await ch.get_data("hotline/main_menu", 1.0, 1)

    server = AgiServer({"ivr": flow})
    await server.start("127.0.0.1", 0)
    return server


async def test_given_unknown_script_when_asterisk_connects_then_connection_closed_without_running(env_block):
    calls: list[str] = []
    server = await run_server(calls)
    try:
        asterisk = FakeAsterisk(env_block, Caller(), script="nope")
        await asterisk.run("127.0.0.1", server.port)
    finally:
        await server.stop()

    assert calls == []
    assert asterisk.transcript == []


async def test_given_peer_closing_mid_environment_when_connected_then_server_goes_on(env_block):
    calls: list[str] = []
    server = await run_server(calls)
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"agi_network: yes\nagi_network_script: ivr\n")
        writer.close()
        await writer.wait_closed()
        asterisk = FakeAsterisk(env_block, Caller([Key("1")]))
        await asterisk.run("127.0.0.1", server.port)
    finally:
        await server.stop()

    assert calls == ["ivr"]
    assert asterisk.commands == ["GET DATA hotline/main_menu 1000 1"]


async def test_given_peer_vanishing_mid_command_when_flow_waits_then_session_ends(env_block):
    calls: list[str] = []
    server = await run_server(calls)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(env_block.encode())
        await reader.readline()  # the GET DATA
        writer.close()
        await writer.wait_closed()
        asterisk = FakeAsterisk(env_block, Caller([Key("1")]))
        await asterisk.run("127.0.0.1", server.port)
    finally:
        await server.stop()

    assert calls == ["ivr", "ivr"]


async def test_given_started_server_when_stopped_then_port_refuses(env_block):
    server = await run_server([])
    port = server.port
    await server.stop()

    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
    with pytest.raises(RuntimeError):
        _ = server.port
