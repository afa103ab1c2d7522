"""`AmiCallControl` against the fake AMI server: headers sent, replies normalised, errors mapped."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fake_ami_server import (
    FakeAmiConnection,
    FakeAmiServer,
    ReceivedAction,
    RecordingTracker,
    eventually,
    frame,
    snapshot_lists,
    trace_files,
)

from core import dialplan
from core.errors import InvalidInput, PbxActionFailed, PbxUnavailable
from core.ports import CallControl
from pbx.ami_bridge import AmiBridge
from pbx.ami_control import AmiCallControl

TRACE_02 = next(p for p in trace_files() if p.name.startswith("02_"))

Call = Callable[[AmiCallControl], Awaitable[Any]]

# (what the port is asked, the AMI headers that must go on the wire, ActionID aside)
CASES: list[tuple[str, Call, set[tuple[str, str]]]] = [
    ("ping", lambda c: c.ping(), {("Action", "Ping")}),
    (
        "queue_add",
        lambda c: c.queue_add(
            "q-general", "PJSIP/1001", member_name="seat-1001", state_interface="PJSIP/1001"
        ),
        {
            ("Action", "QueueAdd"),
            ("Queue", "q-general"),
            ("Interface", "PJSIP/1001"),
            ("MemberName", "seat-1001"),
            ("StateInterface", "PJSIP/1001"),
            ("Penalty", "0"),
        },
    ),
    (
        "queue_add_paused",
        lambda c: c.queue_add("q-general", "PJSIP/1002", member_name="seat-1002", penalty=2, paused=True),
        {
            ("Action", "QueueAdd"),
            ("Queue", "q-general"),
            ("Interface", "PJSIP/1002"),
            ("MemberName", "seat-1002"),
            ("Penalty", "2"),
            ("Paused", "true"),
        },
    ),
    (
        "queue_remove",
        lambda c: c.queue_remove("q-general", "PJSIP/1001"),
        {("Action", "QueueRemove"), ("Queue", "q-general"), ("Interface", "PJSIP/1001")},
    ),
    (
        "queue_pause",
        lambda c: c.queue_pause("PJSIP/1001", paused=True, queue="q-general", reason="lunch"),
        {
            ("Action", "QueuePause"),
            ("Queue", "q-general"),
            ("Interface", "PJSIP/1001"),
            ("Paused", "true"),
            ("Reason", "lunch"),
        },
    ),
    (
        "queue_unpause_everywhere",
        lambda c: c.queue_pause("PJSIP/1001", paused=False),
        {("Action", "QueuePause"), ("Interface", "PJSIP/1001"), ("Paused", "false")},
    ),
    (
        "originate_dialplan",
        lambda c: c.originate(
            "PJSIP/1001",
            context=dialplan.CALLBACK,
            exten="caller1",
            caller_id='"12348 callback" <12348>',
            variables={"WORK_ORDER_ID": "wo-42", "NOTE": "a=b,c"},
            timeout_ms=20_000,
        ),
        {
            ("Action", "Originate"),
            ("Channel", "PJSIP/1001"),
            ("Context", dialplan.CALLBACK),
            ("Exten", "caller1"),
            ("Priority", "1"),
            ("CallerID", '"12348 callback" <12348>'),
            ("Timeout", "20000"),
            ("Variable", "WORK_ORDER_ID=wo-42"),
            ("Variable", "NOTE=a=b,c"),
            ("Async", "true"),
        },
    ),
    (
        "originate_application",
        lambda c: c.originate(
            "Local/tap@asr-tap",
            context="",
            exten="",
            application="AudioSocket",
            data="0b3c1c6e-0000-4000-8000-000000000001,127.0.0.1:9092",
            variables={"SPY": "PJSIP/caller1-00000000"},
        ),
        {
            ("Action", "Originate"),
            ("Channel", "Local/tap@asr-tap"),
            ("Application", "AudioSocket"),
            ("Data", "0b3c1c6e-0000-4000-8000-000000000001,127.0.0.1:9092"),
            ("Variable", "SPY=PJSIP/caller1-00000000"),
            ("Timeout", "30000"),
            ("Async", "true"),
        },
    ),
    (
        "redirect",
        lambda c: c.redirect("PJSIP/caller1-00000005", context="transfer", exten="12345"),
        {
            ("Action", "Redirect"),
            ("Channel", "PJSIP/caller1-00000005"),
            ("Context", "transfer"),
            ("Exten", "12345"),
            ("Priority", "1"),
        },
    ),
    (
        "hangup",
        lambda c: c.hangup("PJSIP/caller1-00000005", cause=16),
        {("Action", "Hangup"), ("Channel", "PJSIP/caller1-00000005"), ("Cause", "16")},
    ),
    (
        "queue_status",
        lambda c: c.queue_status("q-general"),
        {("Action", "QueueStatus"), ("Queue", "q-general")},
    ),
    ("core_show_channels", lambda c: c.core_show_channels(), {("Action", "CoreShowChannels")}),
    (
        "set_variable",
        lambda c: c.set_variable("PJSIP/caller1-00000005", dialplan.VAR_TRANSFER_FROM, "1001"),
        {
            ("Action", "Setvar"),
            ("Channel", "PJSIP/caller1-00000005"),
            ("Variable", dialplan.VAR_TRANSFER_FROM),
            ("Value", "1001"),
        },
    ),
    ("reload_module", lambda c: c.reload("app_queue.so"), {("Action", "Reload"), ("Module", "app_queue.so")}),
    ("reload_all", lambda c: c.reload(), {("Action", "Reload")}),
    (
        "bridge",
        lambda c: c.bridge("PJSIP/caller1-00000005", "PJSIP/8001-0000000c"),
        {
            ("Action", "Bridge"),
            ("Channel1", "PJSIP/caller1-00000005"),
            ("Channel2", "PJSIP/8001-0000000c"),
            ("Tone", "no"),
        },
    ),
]


def test_given_the_adapter_when_checked_against_the_port_then_every_command_has_the_ports_signature() -> None:
    # A structural check at run time: every command of the CallControl port is an async method of the
    # adapter with the very same parameters (names, kinds, defaults), so callers written against the
    # port cannot hit a TypeError on the real adapter.
    commands = [n for n, v in vars(CallControl).items() if callable(v) and not n.startswith("_")]
    assert "originate" in commands and "redirect" in commands
    for name in commands:
        adapter = getattr(AmiCallControl, name, None)
        assert adapter is not None, f"AmiCallControl lacks {name}"
        assert inspect.iscoroutinefunction(adapter), name
        assert inspect.signature(adapter) == inspect.signature(getattr(CallControl, name)), name


@pytest.mark.parametrize(("label", "call", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_given_a_command_when_sent_then_asterisk_receives_exactly_these_headers(
    connected_bridge: AmiBridge,
    ami_server: FakeAmiServer,
    label: str,
    call: Call,
    expected: set[tuple[str, str]],
) -> None:
    control = AmiCallControl(connected_bridge, timeout=5.0)
    before = len(ami_server.actions)
    await asyncio.wait_for(call(control), 5.0)
    sent = ami_server.actions[before:]
    assert len(sent) == 1
    assert sent[0].without_action_id() == expected
    assert len(sent[0].headers) == len(expected) + 1  # nothing repeated or extra, plus the ActionID
    assert sent[0].get("ActionID")


async def test_given_an_action_id_when_originating_then_it_is_used_and_the_originate_response_reaches_the_tracker(
    connected_bridge: AmiBridge, ami_server: FakeAmiServer, recording_tracker: RecordingTracker
) -> None:
    # panoramisk 1.4 takes "Originate successfully queued" for the start of a list and would
    # swallow the OriginateResponse event (same ActionID) into the reply.
    control = AmiCallControl(connected_bridge, timeout=5.0)
    await control.originate("PJSIP/1001", context=dialplan.CALLBACK, exten="caller1", action_id="wo-42-try-1")
    assert ami_server.actions_named("Originate")[0].get("ActionID") == "wo-42-try-1"
    ami_server.send(
        frame(
            {
                "Event": "OriginateResponse",
                "Privilege": "call,all",
                "Timestamp": "1795299185.085857",
                "ActionID": "wo-42-try-1",
                "Response": "Success",
                "Channel": "PJSIP/1001-00000008",
                "Reason": "4",
                "Uniqueid": "1795299184.8",
            }
        )
    )
    await eventually(
        lambda: any(e.name == "OriginateResponse" for e in recording_tracker.applied),
        "OriginateResponse applied",
    )
    event = next(e for e in recording_tracker.applied if e.name == "OriginateResponse")
    assert (event.get("ActionID"), event.get("Reason"), event.uniqueid) == (
        "wo-42-try-1",
        "4",
        "1795299184.8",
    )


async def test_given_list_actions_when_asterisk_lists_items_then_the_items_come_back_without_the_complete_event(
    connected_bridge: AmiBridge, ami_server: FakeAmiServer
) -> None:
    data = TRACE_02.read_bytes()
    ami_server.channels = snapshot_lists(data, "b1")
    ami_server.queue_status = snapshot_lists(data, "b2")
    control = AmiCallControl(connected_bridge, timeout=5.0)
    channels = await control.core_show_channels()
    queues = await control.queue_status()
    assert [c["Channel"] for c in channels] == ["PJSIP/1001-00000001", "PJSIP/caller1-00000000"]
    assert [q["Event"] for q in queues] == ["QueueParams", "QueueMember"]
    assert all(isinstance(v, str) for q in queues for v in q.values())
    assert "content" not in channels[0]  # panoramisk's body pseudo-header is not a header


async def test_given_an_empty_list_when_listing_channels_then_the_result_is_empty(
    connected_bridge: AmiBridge,
) -> None:
    assert list(await AmiCallControl(connected_bridge).core_show_channels()) == []


@pytest.mark.parametrize(
    ("action", "message", "call"),
    [
        ("QueueAdd", "Unable to add interface: Already there", CASES[1][1]),
        ("QueueRemove", "Unable to remove interface: Not there", CASES[3][1]),
        ("QueuePause", "Interface not found", CASES[4][1]),
        ("Originate", "Originate failed", CASES[6][1]),
        ("Redirect", "Channel does not exist: PJSIP/caller1-00000005", CASES[8][1]),
        ("Hangup", "No such channel", CASES[9][1]),
        ("QueueStatus", "Permission denied", CASES[10][1]),
        ("CoreShowChannels", "Permission denied", CASES[11][1]),
    ],
)
async def test_given_asterisk_answers_error_when_a_command_is_sent_then_pbx_action_failed_carries_its_message(
    connected_bridge: AmiBridge, ami_server: FakeAmiServer, action: str, message: str, call: Call
) -> None:
    ami_server.fail(action, message)
    control = AmiCallControl(connected_bridge, timeout=30.0)  # an error must not wait for the timeout
    with pytest.raises(PbxActionFailed) as caught:
        await asyncio.wait_for(call(control), 5.0)
    assert caught.value.context["asterisk_message"] == message
    assert message in caught.value.message and action in caught.value.message
    assert caught.value.error_id == "pbx.action_failed"


async def test_given_asterisk_stays_silent_when_a_command_is_sent_then_pbx_unavailable_after_the_timeout(
    connected_bridge: AmiBridge, ami_server: FakeAmiServer
) -> None:
    ami_server.silence("Redirect")
    control = AmiCallControl(connected_bridge, timeout=0.05)
    with pytest.raises(PbxUnavailable) as caught:
        await control.redirect("PJSIP/caller1-00000005", context="transfer", exten="12345")
    assert caught.value.context["reason"] == "timeout"
    assert caught.value.error_id == "pbx.unavailable"
    # The connection still works after a timeout.
    await control.ping()
    assert connected_bridge.status.connected


async def test_given_a_late_reply_after_a_timeout_when_it_arrives_then_it_is_ignored_and_the_session_goes_on(
    connected_bridge: AmiBridge, ami_server: FakeAmiServer
) -> None:
    held: list[tuple[FakeAmiConnection, ReceivedAction]] = []

    def hold(conn: FakeAmiConnection, action: ReceivedAction) -> None:
        held.append((conn, action))

    ami_server.on("Hangup", hold)
    control = AmiCallControl(connected_bridge, timeout=0.05)
    with pytest.raises(PbxUnavailable):
        await control.hangup("PJSIP/1001-00000001")
    conn, action = held[0]
    conn.write(
        frame({"Response": "Success", "ActionID": action.get("ActionID"), "Message": "Channel Hungup"})
    )
    await control.ping()
    assert connected_bridge.status.connected


async def test_given_no_connection_when_a_command_is_sent_then_pbx_unavailable_at_once() -> None:
    control = AmiCallControl(_NeverConnected(), timeout=30.0)
    with pytest.raises(PbxUnavailable):
        await asyncio.wait_for(control.ping(), 5.0)


async def test_given_a_stopped_bridge_when_a_command_is_sent_then_pbx_unavailable(
    connected_bridge: AmiBridge,
) -> None:
    await connected_bridge.stop()
    with pytest.raises(PbxUnavailable) as caught:
        await AmiCallControl(connected_bridge).hangup("PJSIP/1001-00000001")
    assert caught.value.context["reason"] == "not connected"


async def test_given_a_pending_command_when_the_connection_drops_then_pbx_unavailable_without_waiting_the_timeout(
    connected_bridge: AmiBridge, ami_server: FakeAmiServer
) -> None:
    ami_server.silence("Originate")
    control = AmiCallControl(connected_bridge, timeout=30.0)
    pending = asyncio.ensure_future(
        control.originate("PJSIP/1001", context=dialplan.CALLBACK, exten="caller1")
    )
    await eventually(lambda: bool(ami_server.actions_named("Originate")), "Originate on the wire")
    ami_server.drop()
    with pytest.raises(PbxUnavailable) as caught:
        await asyncio.wait_for(pending, 5.0)
    assert "ConnectionError" in caught.value.context["reason"] or "closed" in caught.value.context["reason"]
    # And it is never replayed on the next session (it might already have rung the citizen).
    await eventually(lambda: connected_bridge.status.resyncs == 2, "reconnected")
    await AmiCallControl(connected_bridge).ping()
    assert len(ami_server.actions_named("Originate")) == 1


@pytest.mark.parametrize("bad", ["lunch\r\nAction: Hangup", "x\ny", "x\r"])
async def test_given_a_line_break_in_a_value_when_sending_then_invalid_input_and_nothing_is_written(
    connected_bridge: AmiBridge, ami_server: FakeAmiServer, bad: str
) -> None:
    before = len(ami_server.actions)
    with pytest.raises(InvalidInput):
        await AmiCallControl(connected_bridge).queue_pause("PJSIP/1001", paused=True, reason=bad)
    await AmiCallControl(connected_bridge).ping()
    assert [a.name for a in ami_server.actions[before:]] == ["Ping"]


def test_given_a_non_positive_timeout_when_building_then_it_is_refused() -> None:
    with pytest.raises(ValueError):
        AmiCallControl(_NeverConnected(), timeout=0)


class _NeverConnected:
    def send_action(self, action: Any, *, as_list: bool | None) -> asyncio.Future[Any]:
        raise PbxUnavailable("AMI 未连接", reason="not connected")


async def test_given_a_module_reload_when_asterisk_answers_then_its_message_comes_back(
    connected_bridge: AmiBridge,
) -> None:
    control = AmiCallControl(connected_bridge, timeout=5.0)

    assert await control.reload("res_pjsip.so") == "Module Reloaded."


async def test_given_an_unknown_module_when_reloading_then_asterisks_refusal_is_an_error(
    connected_bridge: AmiBridge, ami_server: FakeAmiServer
) -> None:
    ami_server.fail("Reload", "No such module.")
    control = AmiCallControl(connected_bridge, timeout=5.0)

    with pytest.raises(PbxActionFailed, match="No such module"):
        await control.reload("app_nothing.so")


async def test_given_a_silent_asterisk_when_reloading_then_the_timeout_says_so(
    connected_bridge: AmiBridge, ami_server: FakeAmiServer
) -> None:
    ami_server.silence("Reload")
    control = AmiCallControl(connected_bridge, timeout=0.3)

    with pytest.raises(PbxUnavailable, match="Reload"):
        await control.reload("app_queue.so")
