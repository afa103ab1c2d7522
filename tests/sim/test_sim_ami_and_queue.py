"""The simulator's AMI server basics and its app_queue behaviour, over real sockets."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pbx.sim import CallerSpec, Dist, PhoneConfig, SimulatorConfig, run_simulator
from pbx.sim.simulator import Simulator

_spec = importlib.util.spec_from_file_location("sim_helpers", Path(__file__).with_name("sim_helpers.py"))
assert _spec is not None and _spec.loader is not None
helpers = sys.modules.get("sim_helpers") or importlib.util.module_from_spec(_spec)
if "sim_helpers" not in sys.modules:
    sys.modules["sim_helpers"] = helpers
    _spec.loader.exec_module(helpers)


def _names(client: object) -> list[str]:
    return [dict(m).get("Event", "") for m in client.messages]  # type: ignore[attr-defined]


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    config = SimulatorConfig(
        ami_port=0,
        time_scale=50.0,
        seats=(
            PhoneConfig("1001", answer_probability=0.0),
            PhoneConfig("1002", answer_delay=Dist.fixed(1.0)),
        ),
    )
    s = await run_simulator(config)
    yield s
    await s.stop()


async def test_given_wrong_secret_when_login_then_authentication_failed_and_closed(sim: Simulator) -> None:
    client = await helpers.AmiClient.connect(sim.port)

    reply = await client.login(secret="wrong")
    await client.wait_until(lambda: client.closed.is_set())

    assert client.banner == "Asterisk Call Manager/9.0.0\r\n"
    assert reply == [("Response", "Error"), ("Message", "Authentication failed")]
    assert client.closed.is_set()
    await client.close()


async def test_given_logged_in_when_ping_and_unknown_action_then_pong_and_error(sim: Simulator) -> None:
    client = await helpers.AmiClient.connect(sim.port)
    await client.login()
    start = len(client.messages)

    client.send([("Action", "Ping"), ("ActionID", "p1")])
    client.send([("Action", "Frobnicate"), ("ActionID", "x1")])
    await client.wait_until(lambda: len(client.messages) >= start + 2)

    ping, unknown = client.messages[start], client.messages[start + 1]
    assert [k for k, _ in ping] == ["Response", "ActionID", "Ping", "Timestamp"]
    assert dict(ping)["Ping"] == "Pong"
    assert unknown == [("Response", "Error"), ("ActionID", "x1"), ("Message", "Invalid/unknown command")]
    await client.close()


async def test_given_first_seat_never_answers_when_call_queues_then_rings_next_seat(sim: Simulator) -> None:
    client = await helpers.AmiClient.connect(sim.port)
    await client.login()
    for seat in ("1001", "1002"):
        client.send(
            [
                ("Action", "QueueAdd"),
                ("Queue", "q-general"),
                ("Interface", f"PJSIP/{seat}"),
                ("MemberName", f"seat-{seat}"),
            ]
        )
    await client.wait_until(lambda: _names(client).count("QueueMemberAdded") == 2)

    sim.place_call(CallerSpec(talk_time=3.0))  # no AGI configured: straight to q-general
    await client.wait_until(lambda: "AgentComplete" in _names(client), within_s=15.0)

    events = [dict(m) for m in client.messages if "Event" in dict(m)]
    assert [e["Interface"] for e in events if e["Event"] == "AgentRingNoAnswer"] == ["PJSIP/1001"]
    assert [e["MemberName"] for e in events if e["Event"] == "AgentConnect"] == ["seat-1002"]
    assert [e["Reason"] for e in events if e["Event"] == "AgentComplete"] == ["caller"]
    await client.close()


async def test_given_paused_only_seat_when_queue_status_then_lists_waiting_caller(sim: Simulator) -> None:
    client = await helpers.AmiClient.connect(sim.port)
    await client.login()
    client.send(
        [
            ("Action", "QueueAdd"),
            ("Queue", "q-general"),
            ("Interface", "PJSIP/1002"),
            ("Paused", "true"),
            ("Reason", "lunch"),
        ]
    )
    await client.wait_until(lambda: "QueueMemberPause" in _names(client))
    sim.place_call(CallerSpec())
    await client.wait_until(lambda: "QueueCallerJoin" in _names(client))

    client.send([("Action", "QueueStatus"), ("ActionID", "s1")])
    await client.wait_until(lambda: "QueueStatusComplete" in _names(client))

    events = [dict(m) for m in client.messages if "Event" in dict(m)]
    entry = next(e for e in events if e["Event"] == "QueueEntry")
    member = next(e for e in events if e["Event"] == "QueueMember")
    assert (entry["Position"], entry["Channel"].startswith("PJSIP/caller1-")) == ("1", True)
    assert (member["Paused"], member["PausedReason"]) == ("1", "lunch")
    assert "AgentCalled" not in _names(client)
    await client.close()


async def test_given_same_seed_when_drawing_demo_callers_then_same_calls() -> None:
    config = SimulatorConfig(ami_port=0, seed=7, district_weights={"310115": 3.0, "310101": 1.0})
    first, second = await run_simulator(config), await run_simulator(config)
    try:
        a = [first.draw_caller() for _ in range(5)]
        b = [second.draw_caller() for _ in range(5)]
    finally:
        await first.stop()
        await second.stop()

    assert a == b
    assert {c.district for c in a} <= {"310115", "310101"}


async def test_given_a_waiting_caller_when_setvar_then_varset_published_and_missing_channel_refused(
    sim: Simulator,
) -> None:
    # The console sets HOTLINE_TRANSFER_FROM with AMI Setvar before it redirects (manager.c action_setvar).
    client = await helpers.AmiClient.connect(sim.port)
    await client.login()
    client.send(
        [("Action", "QueueAdd"), ("Queue", "q-general"), ("Interface", "PJSIP/1002"), ("Paused", "true")]
    )
    await client.wait_until(lambda: "QueueMemberPause" in _names(client))
    sim.place_call(CallerSpec())
    await client.wait_until(lambda: "QueueCallerJoin" in _names(client))
    join = next(dict(m) for m in client.messages if dict(m).get("Event") == "QueueCallerJoin")
    start = len(client.messages)

    client.send(
        [
            ("Action", "Setvar"),
            ("ActionID", "v1"),
            ("Channel", join["Channel"]),
            ("Variable", "HOTLINE_TRANSFER_FROM"),
            ("Value", "1002"),
        ]
    )
    client.send(
        [("Action", "Setvar"), ("ActionID", "v2"), ("Channel", "PJSIP/nobody-00000099"), ("Variable", "X")]
    )
    client.send([("Action", "Setvar"), ("ActionID", "v3"), ("Channel", join["Channel"])])
    replies = lambda: [dict(m) for m in client.messages[start:] if "Response" in dict(m)]  # noqa: E731
    await client.wait_until(lambda: len(replies()) >= 3)

    by_id = {r["ActionID"]: r for r in replies()}
    assert (by_id["v1"]["Response"], by_id["v1"]["Message"]) == ("Success", "Variable Set")
    assert (by_id["v2"]["Response"], by_id["v2"]["Message"]) == ("Error", "No such channel")
    assert (by_id["v3"]["Response"], by_id["v3"]["Message"]) == ("Error", "No variable specified")
    varsets = [
        dict(m)
        for m in client.messages[start:]
        if dict(m).get("Event") == "VarSet" and dict(m).get("Variable") == "HOTLINE_TRANSFER_FROM"
    ]
    assert [(v["Channel"], v["Value"]) for v in varsets] == [(join["Channel"], "1002")]
    await client.close()


async def test_given_a_channel_when_mute_audio_then_its_directions_are_suppressed_as_res_mutestream_answers(
    sim: Simulator,
) -> None:
    # res_mutestream manager_mutestream: each header checked in this order, then the channel; a
    # bare `Response: Success` (no Message); an unknown direction fails the mute itself.
    client = await helpers.AmiClient.connect(sim.port)
    await client.login()
    sim.place_call(CallerSpec())
    await client.wait_until(lambda: "QueueCallerJoin" in _names(client))
    chan = next(dict(m) for m in client.messages if dict(m).get("Event") == "QueueCallerJoin")["Channel"]
    start = len(client.messages)
    mute = [("Action", "MuteAudio"), ("Channel", chan)]
    client.send([*mute, ("ActionID", "m1"), ("Direction", "in"), ("State", "on")])
    client.send([*mute, ("ActionID", "m2"), ("Direction", "all"), ("State", "on")])
    client.send([*mute, ("ActionID", "m3"), ("Direction", "out"), ("State", "off")])
    client.send([*mute, ("ActionID", "m4"), ("Direction", "in")])
    client.send([*mute, ("ActionID", "m5"), ("Direction", "both"), ("State", "on")])
    client.send(
        [
            ("Action", "MuteAudio"),
            ("ActionID", "m6"),
            ("Channel", "PJSIP/x-1"),
            ("Direction", "in"),
            ("State", "on"),
        ]
    )
    replies = lambda: [dict(m) for m in client.messages[start:] if "Response" in dict(m)]  # noqa: E731
    await client.wait_until(lambda: len(replies()) >= 6)
    by_id = {r["ActionID"]: r for r in replies()}
    assert by_id["m1"] == {"Response": "Success", "ActionID": "m1"}
    assert (by_id["m4"]["Response"], by_id["m4"]["Message"]) == ("Error", "State not specified")
    assert (by_id["m5"]["Response"], by_id["m5"]["Message"]) == ("Error", "Failed to mute/unmute stream")
    assert (by_id["m6"]["Response"], by_id["m6"]["Message"]) == ("Error", "No such channel")
    channel = sim.pbx.find_channel(chan)
    assert channel is not None and channel.muted == frozenset({"in"})  # all on, then out off
    await client.close()


async def _caller_in_queue(sim: Simulator, client: object) -> str:
    sim.place_call(CallerSpec())
    await client.wait_until(lambda: "QueueCallerJoin" in _names(client))  # type: ignore[attr-defined]
    return next(dict(m) for m in client.messages if dict(m).get("Event") == "QueueCallerJoin")["Channel"]  # type: ignore[attr-defined]


def _originate_spy(client: object, channel_id: str, context: str, data: str, *extra: tuple[str, str]) -> None:
    """The console's Originate for 保持 / 三方通话 (`seats.local_spy.spy_from_local`)."""
    client.send(  # type: ignore[attr-defined]
        [
            ("Action", "Originate"),
            ("ActionID", channel_id),
            ("Channel", f"Local/{channel_id}@{context}"),
            ("ChannelId", channel_id),
            ("Application", "ChanSpy"),
            ("Data", data),
            *extra,
            ("Async", "true"),
        ]
    )


def _events(client: object, name: str, start: int = 0) -> list[dict[str, str]]:
    return [dict(m) for m in client.messages[start:] if dict(m).get("Event") == name]  # type: ignore[attr-defined]


async def test_given_a_caller_when_the_hold_is_originated_then_chanspy_whispers_until_its_channel_id_is_hung_up(
    sim: Simulator,
) -> None:
    # 保持 (seats/workspace.py): Originate Local/hold-<id>@hotline-hold with ChannelId, ChanSpy on
    # ;1; ;2 runs [hotline-hold] (Answer, Playback of the hold music in a loop). 恢复: AMI Hangup
    # of the ChannelId.
    client = await helpers.AmiClient.connect(sim.port)
    await client.login()
    caller = await _caller_in_queue(sim, client)
    start = len(client.messages)
    _originate_spy(client, "hold-t1", "hotline-hold", f"{caller},qwE")
    client.send(
        [
            ("Action", "Setvar"),
            ("ActionID", "v1"),
            ("Channel", caller),
            ("Variable", "VOLUME(RX)"),
            ("Value", "-32768"),
        ]
    )
    await client.wait_until(lambda: _events(client, "ChanSpyStart", start) != [])
    (response,) = _events(client, "OriginateResponse", start)
    assert (response["Response"], response["Uniqueid"]) == ("Success", "hold-t1")
    assert response["Channel"].startswith("Local/hold-t1@hotline-hold-") and response["Channel"].endswith(
        ";1"
    )
    (spy,) = _events(client, "ChanSpyStart", start)
    assert (spy["SpyerChannel"], spy["SpyeeChannel"]) == (response["Channel"], caller)
    musics = [e for e in _events(client, "Newexten", start) if e["Application"] == "Playback"]
    assert [(e["Channel"].rsplit(";", 1)[1], e["AppData"]) for e in musics] == [("2", "hotline/hold_music")]
    held = sim.pbx.find_channel(caller)
    assert held is not None and held.volume == {"RX": "-32768"}
    assert [e["Variable"] for e in _events(client, "VarSet", start)] == []  # a function is written, not set
    client.send([("Action", "Hangup"), ("ActionID", "h1"), ("Channel", "hold-t1")])  # by uniqueid
    await client.wait_until(
        lambda: len([e for e in _events(client, "Hangup", start) if "hold-t1" in e["Uniqueid"]]) == 2
    )
    assert _events(client, "ChanSpyStop", start) != []
    assert sim.pbx.find_channel(caller) is not None  # the caller is not touched
    await client.close()


async def test_given_a_caller_when_a_third_party_is_originated_then_it_is_dialled_and_spies_once_answered(
    sim: Simulator,
) -> None:
    # 三方通话: ;2 runs [hotline-conference] (Goto ${HOTLINE_THIRD}, Dial PJSIP/1002); seat 1002
    # answers after 1 s, then ;1 is Up and ChanSpy barges in; 移出第三方 hangs up the ChannelId.
    client = await helpers.AmiClient.connect(sim.port)
    await client.login()
    spied = await _caller_in_queue(sim, client)
    start = len(client.messages)
    _originate_spy(client, "c-t2", "hotline-conference", f"{spied},qBE", ("Variable", "HOTLINE_THIRD=1002"))
    await client.wait_until(lambda: _events(client, "ChanSpyStart", start) != [])
    (dial,) = _events(client, "DialBegin", start)
    assert dial["Channel"].endswith(";2") and dial["DestChannel"].startswith("PJSIP/1002-")
    (response,) = _events(client, "OriginateResponse", start)
    assert (response["Response"], response["Uniqueid"]) == ("Success", "c-t2")
    client.send([("Action", "Hangup"), ("ActionID", "h2"), ("Channel", "c-t2")])
    gone = lambda: {e["Channel"] for e in _events(client, "Hangup", start)}  # noqa: E731
    await client.wait_until(lambda: dial["DestChannel"] in gone() and len(gone()) == 3)
    assert sim.pbx.find_channel(spied) is not None
    await client.close()


TRACES = Path(__file__).parents[1] / "data" / "asterisk-traces"
_COMPARED = {
    "Newchannel",
    "Newexten",
    "Newstate",
    "OriginateResponse",
    "ChanSpyStart",
    "ChanSpyStop",
    "MusicOnHoldStart",
    "MusicOnHoldStop",
    "DialBegin",
    "DialEnd",
    "BridgeEnter",
    "BridgeLeave",
    "HangupRequest",
    "SoftHangupRequest",
    "Hangup",
}


def _per_half(events: list[dict[str, str]], prefix: str) -> dict[str, list[tuple[str, str]]]:
    """Each channel's own sequence (`;1`, `;2`, `third`: the one ;2 dialled) of the events that
    say what happens to it: the order across channels depends on Asterisk's threads."""
    third = {
        e["DestChannel"]
        for e in events
        if e.get("Event") == "DialBegin" and e.get("Channel", "").startswith(prefix)
    }
    out: dict[str, list[tuple[str, str]]] = {}
    for e in events:
        name = e.get("SpyerChannel") if e.get("Event", "").startswith("ChanSpy") else e.get("Channel", "")
        if e.get("Event") not in _COMPARED or not name:
            continue
        half = name.rsplit(";", 1)[1] if name.startswith(prefix) else "third" if name in third else ""
        if half:
            detail = (
                e.get("Application") or e.get("ChannelStateDesc", "")
                if e["Event"] in ("Newexten", "Newstate")
                else ""
            )
            out.setdefault(half, []).append((e["Event"], detail))
    return out


def _recorded(name: str) -> list[dict[str, str]]:
    lines = (TRACES / f"{name}.ami.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize(
    ("trace", "prefix", "context", "extra"),
    [
        ("hold_whisper", "Local/hold-", "hotline-hold", ()),
        ("three_way_barge", "Local/c-", "hotline-conference", (("Variable", "HOTLINE_THIRD=1002"),)),
    ],
)
async def test_given_a_recorded_hold_or_three_way_call_when_the_sim_does_the_same_then_each_channel_sees_the_same_events(
    sim: Simulator, trace: str, prefix: str, context: str, extra: tuple[tuple[str, str], ...]
) -> None:
    # Recorded on Asterisk 22.10.1 by tests/realpbx (AmiRecorder): Originate, ChanSpy running,
    # then AMI Hangup of the ChannelId (恢复 / 移出第三方).
    client = await helpers.AmiClient.connect(sim.port)
    await client.login()
    spied = await _caller_in_queue(sim, client)
    start = len(client.messages)
    channel_id = f"{prefix.removeprefix('Local/')}t3"
    _originate_spy(client, channel_id, context, f"{spied},q", *extra)
    await client.wait_until(lambda: _events(client, "ChanSpyStart", start) != [])
    client.send([("Action", "Hangup"), ("ActionID", "h3"), ("Channel", channel_id)])
    expected = _per_half(_recorded(trace), prefix)
    ended = len([half for half in expected if half])
    await client.wait_until(lambda: len({e["Channel"] for e in _events(client, "Hangup", start)}) >= ended)
    await asyncio.sleep(0.1)
    got = _per_half([dict(m) for m in client.messages[start:]], prefix)
    assert got == expected
    await client.close()
