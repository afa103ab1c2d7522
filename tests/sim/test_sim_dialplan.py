"""The simulator runs extensions.conf: parser, patterns, expressions, and the interpreter on real sockets.

The dialplans are the rendered `asterisk_conf` output (plus contexts written here to show that a
context the Python code has never heard of runs as written) and the recorded traces' file.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from core import dialplan as names
from pbx.sim import CallerSpec, Dist, PhoneConfig, SimulatorConfig, run_simulator
from pbx.sim.asterisk_files import parse_queues_conf, render_project_conf
from pbx.sim.dialplan import Dialplan, DialplanError, evaluate, expand, split_args
from pbx.sim.simulator import Simulator
from tests.support.polling import until

_spec = importlib.util.spec_from_file_location("sim_helpers", Path(__file__).with_name("sim_helpers.py"))
assert _spec is not None and _spec.loader is not None
helpers = sys.modules.get("sim_helpers") or importlib.util.module_from_spec(_spec)
if "sim_helpers" not in sys.modules:
    sys.modules["sim_helpers"] = helpers
    _spec.loader.exec_module(helpers)

REAL_CONF = helpers.TRACES / "project-dialplan-22.10.1" / "conf"
Event = dict[str, str]


# ------------------------------------------------------------------------------ parser and patterns
def test_given_rendered_dialplan_when_parsed_then_priorities_labels_and_patterns_as_asterisk_loaded_them() -> (
    None
):
    plan = Dialplan.load(REAL_CONF / "extensions.conf")

    incoming = plan.find(names.INCOMING, "12348")
    queue = plan.find(names.QUEUE, names.QUEUE_EXTEN)

    assert incoming is not None and queue is not None
    assert [(s.priority, s.app) for s in incoming.steps.values()] == [
        (1, "NoOp"),
        (2, "Answer"),
        (3, "AGI"),
        (4, "GotoIf"),
        (5, "GotoIf"),
        (6, "Goto"),
        (7, "Hangup"),
    ]
    assert incoming.labels == {"done": 7}
    assert queue.labels == {"overflow": 6}
    # The trace's asterisk_full.log shows these very matches.
    assert plan.find(names.TRANSFER, "q-city-labor").name == "_q-."  # type: ignore[union-attr]
    assert plan.find(names.TRANSFER, "12345").name == "_X."  # type: ignore[union-attr]
    # `_[a-z0-9+]!` also matches the `h` extension (a Dial on hangup, traces 05 and 08).
    assert plan.find(names.CALLBACK, "h") is not None
    assert plan.find(names.CALLBACK, "+8613900139000") is not None
    assert plan.find("callback", "13900139000") is None  # the context the code used to originate into
    assert plan.find(names.SEATS_OUT, "abc") is None


def test_given_patterns_when_matched_then_exact_beats_pattern_and_narrower_pattern_wins() -> None:
    plan = Dialplan.parse(
        "[c]\nexten => _X.,1,NoOp(any)\nexten => _1NXX,1,NoOp(narrow)\nexten => 1234,1,NoOp(exact)\n"
        "exten => _q-.,1,NoOp(queue)\n"
    )

    def app_data(exten: str) -> str | None:
        step = plan.step("c", exten, 1)
        return None if step is None else step.data

    assert app_data("1234") == "exact"
    assert app_data("1299") == "narrow"
    assert app_data("1199") == "any"  # N is 2-9
    assert app_data("5") is None  # `.` needs at least one more character
    assert app_data("q-city") == "queue"
    assert app_data("q") is None


def test_given_an_exact_extension_without_the_priority_when_stepping_then_a_matching_pattern_runs_it() -> (
    None
):
    # As Asterisk's pbx_find_extension: `h` priority 2 is not in `h`, so the catch-all pattern's
    # priority 2 runs (this is how a catch-all once dialled PJSIP/h on hang-up on a real Asterisk 22).
    plan = Dialplan.parse(
        "[c]\nexten => _[0-9a-z]!,1,NoOp(a)\n same => n,Dial(PJSIP/${EXTEN})\nexten => h,1,NoOp(h)\n"
    )
    first, second = plan.step("c", "h", 1), plan.step("c", "h", 2)
    assert first is not None and first.data == "h"
    assert second is not None and second.app == "Dial"


def test_given_the_rendered_dialplan_when_a_transferred_or_called_back_caller_hangs_up_then_nothing_is_dialled(
    tmp_path: Path,
) -> None:
    plan = Dialplan.parse(
        (render_project_conf(SimulatorConfig(), tmp_path) / "extensions.conf").read_text(encoding="utf-8")
    )
    for context in (names.SEAT_TRANSFER, names.CALLBACK):
        # What runs for `h`: its steps up to the first Hangup (nothing after it ever runs).
        steps = [plan.step(context, "h", p) for p in (1, 2, 3)]
        assert steps[0] is not None and steps[0].app == "Hangup", context
        ran = steps[: next(i for i, s in enumerate(steps) if s is None or s.app == "Hangup") + 1]
        assert all(s is None or s.app != "Dial" for s in ran), context


def test_given_bad_dialplan_lines_when_parsed_then_error_names_the_line() -> None:
    with pytest.raises(DialplanError, match=":2"):
        Dialplan.parse("[c]\nsame => n,NoOp()\n")
    with pytest.raises(DialplanError, match="priority"):
        Dialplan.parse("[c]\nexten => 1,x,NoOp()\n")
    with pytest.raises(DialplanError, match="parenthesis"):
        Dialplan.parse("[c]\nexten => 1,1,NoOp(\n")


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ('"queue"="callback"', "0"),
        ('""=""', "1"),
        ('"q-x"!=""', "1"),
        ("1 & 0", "0"),
        ("0 | 3", "3"),
        ("2 + 3 * 4", "14"),
        ("(2 + 3) * 4", "20"),
        ("10 > 9", "1"),  # numbers compare as numbers
        ('"10" < "9"', "0"),  # quoted digits are numbers too (ast_expr2 make_str)
        ("abc < abd", "1"),
        ("!0", "1"),
        ("1 ? yes : no", "yes"),
    ],
)
def test_given_expression_when_evaluated_then_value_as_ast_expr2(expr: str, value: str) -> None:
    assert evaluate(expr) == value


def test_given_variables_and_functions_when_expanded_then_innermost_first() -> None:
    variables = {"HOTLINE_QUEUE": "", "NUM": "13900139000"}

    def function(name: str, arg: str) -> str:
        assert name == "IF"
        cond, _, rest = arg.partition("?")
        yes, _, no = rest.partition(":")
        return yes if cond == "1" else no

    data = '${IF($["${HOTLINE_QUEUE}"!=""]?${HOTLINE_QUEUE}:q-city-other)},tc,,,300'

    assert expand(data, variables.get, function) == "q-city-other,tc,,,300"
    variables["HOTLINE_QUEUE"] = "q-310115-labor"
    assert expand(data, variables.get, function) == "q-310115-labor,tc,,,300"
    assert expand("${NUM:0:3}-${NUM:-4}", variables.get, function) == "139-9000"
    assert split_args("PJSIP/1002,20,${X(a,b)},\\,") == ["PJSIP/1002", "20", "${X(a,b)}", ","]


def test_given_rendered_queues_conf_when_parsed_then_template_values_reach_every_queue() -> None:
    queues = parse_queues_conf((REAL_CONF / "queues.conf").read_text())

    assert len(queues) > 10 and {q.name for q in queues} >= {"q-city-other", "q-afterhours"}
    assert {(q.strategy.value, q.timeout, q.wrapuptime, q.retry, q.setinterfacevar) for q in queues} == {
        ("rrmemory", 15.0, 10.0, 2.0, True)
    }


# ------------------------------------------------------------------------------ the interpreter, live
SEAT_TEST_CONTEXT = "seat-transfer-test"
SEAT_CONTEXT = f"""
[{SEAT_TEST_CONTEXT}]
; written here, unknown to the simulator's code: seat-to-seat transfer, back to the queue on failure
exten => _X.,1,Set({names.VAR_TRANSFERRED}=1)
 same => n,Set({names.VAR_TRANSFER_FROM}=${{CALLERID(num)}})
 same => n,Dial(PJSIP/${{EXTEN}},20)
 same => n,Goto({names.QUEUE},{names.QUEUE_EXTEN},1)

[trunk-test]
exten => _X.,1,Dial(PJSIP/${{EXTEN}}@{names.TRUNK_ENDPOINT},30)
 same => n,Hangup()

[broken]
exten => s,1,NoOp(about to fail)
 same => n,Frobnicate(x)
 same => n,Hangup()
"""


async def _start(tmp_path: Path, extra: str = "", **overrides: object) -> tuple[Simulator, list[Event]]:
    base = SimulatorConfig(queues=(), default_queue="q-city-other", queue_timeout=300)
    conf = render_project_conf(base, tmp_path / "conf")
    if extra:
        with (conf / "extensions.conf").open("a", encoding="utf-8") as f:
            f.write(extra)
    settings: dict[str, object] = {
        "ami_port": 0,
        "time_scale": 50.0,
        "asterisk_conf": conf,
        "default_queue": "q-city-other",
        "seats": (
            PhoneConfig("1001", answer_delay=Dist.fixed(1.0)),
            PhoneConfig("1002", answer_delay=Dist.fixed(2.0)),
        ),
        "audio_dir": None,
        **overrides,
    }
    sim = await run_simulator(SimulatorConfig(**settings))  # type: ignore[arg-type]
    events: list[Event] = []
    sim.event_listeners.append(lambda h: events.append(dict(h)))
    return sim, events


def _of(events: list[Event], name: str, **match: str) -> list[Event]:
    return [e for e in events if e.get("Event") == name and all(e.get(k) == v for k, v in match.items())]


async def test_given_seat_transfer_context_when_redirected_then_it_runs_as_written_and_shares_linkedid(
    tmp_path: Path,
) -> None:
    sim, events = await _start(tmp_path, SEAT_CONTEXT)
    try:
        sim.pbx.add_member("q-city-other", "PJSIP/1001", "seat-1001", "PJSIP/1001", 0)
        sim.place_call(CallerSpec("caller1", "13900139000", talk_time=30.0))
        await until(lambda: bool(_of(events, "AgentConnect")))
        caller = next(c for c in sim.pbx.channels if c.endpoint == "caller1")
        client = await helpers.AmiClient.connect(sim.port)
        await client.login()
        client.send(
            [
                ("Action", "Redirect"),
                ("ActionID", "r1"),
                ("Channel", caller.name),
                ("Context", SEAT_TEST_CONTEXT),
                ("Exten", "1002"),
                ("Priority", "1"),
            ]
        )
        await until(lambda: bool(_of(events, "Hangup", Channel=caller.name)), 20.0)
        await client.close()
    finally:
        await sim.stop()

    steps = [
        (e["Context"], e["Priority"], e["Application"], e["AppData"])
        for e in _of(events, "Newexten", Channel=caller.name)
    ]
    assert steps == [
        (names.INCOMING, "1", "NoOp", "12348 hotline 13900139000"),
        (names.INCOMING, "2", "Answer", ""),
        (names.INCOMING, "3", "MixMonitor", f"{tmp_path / 'recordings' / caller.uniqueid}.wav,b"),
        (names.INCOMING, "4", "AGI", "agi://127.0.0.1:4573/ivr"),
        (names.INCOMING, "5", "GotoIf", "0?done"),  # AGI failed: HOTLINE_NEXT is empty
        (names.INCOMING, "6", "GotoIf", "0?done"),
        (names.INCOMING, "7", "Goto", f"{names.QUEUE},s,1"),
        (names.QUEUE, "1", "Set", "MEMBERINTERFACE="),
        (names.QUEUE, "2", "Queue", "q-city-other,tc,,,300"),
        # The redirect: the snapshot still names Queue; Set at priority 1 shows no Newexten.
        (SEAT_TEST_CONTEXT, "1", "Queue", "q-city-other,tc,,,300"),
        (SEAT_TEST_CONTEXT, "2", "Set", f"{names.VAR_TRANSFER_FROM}=13900139000"),
        (SEAT_TEST_CONTEXT, "3", "Dial", "PJSIP/1002,20"),
    ]
    varsets = {(e["Variable"], e["Value"]) for e in _of(events, "VarSet", Channel=caller.name)}
    assert {(names.VAR_TRANSFERRED, "1"), ("AGISTATUS", "FAILURE"), ("DIALSTATUS", "ANSWER")} <= varsets
    dialled = _of(events, "DialBegin", Channel=caller.name)
    assert [e["DestChannel"].split("-")[0] for e in dialled] == ["PJSIP/1001", "PJSIP/1002"]
    # Every channel of the call carries the caller's Uniqueid as Linkedid.
    call_channels = _of(events, "Newchannel")
    assert [e["Linkedid"] for e in call_channels] == [caller.uniqueid] * 3
    # The first seat's queue call completes when the caller's channel ends (as Asterisk does).
    complete = _of(events, "AgentComplete")
    assert [(e["MemberName"], e["Reason"]) for e in complete] == [("seat-1001", "caller")]
    assert events.index(complete[0]) < events.index(_of(events, "Hangup", Channel=caller.name)[0])


async def test_given_trunk_dial_when_outside_party_answers_or_trunk_missing_then_answer_or_chanunavail(
    tmp_path: Path,
) -> None:
    sim, events = await _start(tmp_path, SEAT_CONTEXT, outside_failing=("12309",))
    try:
        for exten, context in (("12345", "trunk-test"), ("12309", "trunk-test"), ("12368", names.TRANSFER)):
            sim.place_call(CallerSpec(f"c{exten}", "13900139000", exten=exten, context=context))
        await until(lambda: len(_of(events, "Hangup")) >= 4, 20.0)
    finally:
        await sim.stop()

    def caller_events(exten: str) -> list[Event]:
        return [e for e in events if e.get("Channel", "").startswith(f"PJSIP/c{exten}-")]

    for exten in ("12345", "12368"):  # 12368 through the rendered hotline-transfer context
        mine = caller_events(exten)
        assert [e["DialStatus"] for e in mine if e["Event"] == "DialEnd"] == ["ANSWER"], exten
    outside = _of(events, "Newchannel", Exten="s")
    assert [e["Channel"].rsplit("-", 1)[0] for e in outside] == [f"PJSIP/{names.TRUNK_ENDPOINT}"] * 2
    # 12309 is configured unreachable at the carrier.
    mine = caller_events("12309")
    assert ("DIALSTATUS", "CHANUNAVAIL") in {(e.get("Variable"), e.get("Value")) for e in mine}
    assert [e["Cause"] for e in mine if e["Event"] == "Hangup"] == ["3"]


DIAL_G_CONTEXT = """
[dial-g-test]
; option g: the caller goes on when the called phone hangs up; without it the caller is hung up
exten => g,1,Dial(PJSIP/1002,20,g)
 same => n,NoOp(went on ${DIALSTATUS})
 same => n,Hangup()
exten => plain,1,Dial(PJSIP/1002,20)
 same => n,NoOp(went on ${DIALSTATUS})
 same => n,Hangup()
exten => after,1,NoOp(redirected)
 same => n,Hangup()
"""


@pytest.mark.parametrize(("exten", "goes_on"), [("g", True), ("plain", False)])
async def test_given_dial_option_g_when_the_called_phone_hangs_up_then_the_caller_goes_on_in_the_dialplan(
    tmp_path: Path, exten: str, goes_on: bool
) -> None:
    # app_dial's OPT_GO_ON (the gist in the docs: "if the other party hangs up we continue on"):
    # [hotline-seat] relies on it to take the caller to the survey after a seat transfer.
    callee = PhoneConfig("1002", answer_delay=Dist.fixed(1.0), hangup_after=Dist.fixed(3.0))
    sim, events = await _start(tmp_path, DIAL_G_CONTEXT, seats=(callee,))
    try:
        sim.place_call(
            CallerSpec("caller1", "13900139000", exten=exten, context="dial-g-test", talk_time=60.0)
        )
        await until(lambda: any(e["Channel"].startswith("PJSIP/caller1-") for e in _of(events, "Hangup")))
    finally:
        await sim.stop()

    caller = [e for e in events if e.get("Channel", "").startswith("PJSIP/caller1-")]
    steps = [(e["Priority"], e["Application"], e["AppData"]) for e in caller if e["Event"] == "Newexten"]
    hangups = [e["Channel"].split("-")[0] for e in _of(events, "Hangup")]
    assert hangups == ["PJSIP/1002", "PJSIP/caller1"]  # the called phone hung up first
    if goes_on:
        assert steps == [
            ("1", "Dial", "PJSIP/1002,20,g"),
            ("2", "NoOp", "went on ANSWER"),
            ("3", "Hangup", ""),
        ]
    else:
        assert steps == [("1", "Dial", "PJSIP/1002,20")]
    # The called leg left the bridge before the caller went on.
    leave = _of(events, "BridgeLeave")
    assert [e["Channel"].split("-")[0] for e in leave] == ["PJSIP/1002", "PJSIP/caller1"]


async def test_given_a_dialled_call_when_the_caller_is_redirected_then_it_goes_on_there_and_the_called_leg_is_hung_up(
    tmp_path: Path,
) -> None:
    # As out of Queue's bridge (trace 06): a seat that got the caller by a seat transfer (Dial in
    # [hotline-seat]) transfers it on; the caller must not be hung up with the called leg.
    callee = PhoneConfig("1002", answer_delay=Dist.fixed(1.0))
    sim, events = await _start(tmp_path, DIAL_G_CONTEXT, seats=(callee,))
    try:
        sim.place_call(
            CallerSpec("caller1", "13900139000", exten="plain", context="dial-g-test", talk_time=600.0)
        )
        await until(lambda: len(_of(events, "BridgeEnter")) == 2)
        caller = next(c for c in sim.pbx.channels if c.endpoint == "caller1")
        client = await helpers.AmiClient.connect(sim.port)
        await client.login()
        client.send(
            [("Action", "Redirect"), ("Channel", caller.name), ("Context", "dial-g-test"), ("Exten", "after")]
        )
        await until(lambda: any(e["Channel"] == caller.name for e in _of(events, "Hangup")))
        await client.close()
    finally:
        await sim.stop()

    mine = [e for e in events if e.get("Channel") == caller.name]
    steps = [(e["Exten"], e["Priority"], e["Application"]) for e in mine if e["Event"] == "Newexten"]
    # The redirect's Newexten still names Dial; NoOp at the same priority shows none.
    assert steps == [("plain", "1", "Dial"), ("after", "1", "Dial"), ("after", "2", "Hangup")]
    assert [e["Channel"].split("-")[0] for e in _of(events, "Hangup")] == ["PJSIP/1002", "PJSIP/caller1"]
    assert [e["Channel"].split("-")[0] for e in _of(events, "BridgeLeave")] == ["PJSIP/caller1", "PJSIP/1002"]
    # The caller is hung up only by its own Hangup() at the redirect's target.
    hangup_step = next(
        i
        for i, e in enumerate(mine)
        if e["Event"] == "Newexten" and e["Exten"] == "after" and e["Priority"] == "2"
    )
    requests = [i for i, e in enumerate(mine) if e["Event"] in ("HangupRequest", "SoftHangupRequest")]
    assert requests and all(i > hangup_step for i in requests)


async def test_given_unknown_application_when_reached_then_error_logged_and_channel_hung_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sim, events = await _start(tmp_path, SEAT_CONTEXT)
    try:
        sim.place_call(CallerSpec("c1", "13900139000", exten="s", context="broken"))
        await until(lambda: bool(_of(events, "Hangup")))
    finally:
        await sim.stop()

    assert [e["Application"] for e in _of(events, "Newexten")] == ["NoOp"]
    assert sim.pbx.unknown_applications == ["Frobnicate"]
    assert "No application 'Frobnicate'" in caplog.text


async def test_given_originate_into_missing_context_when_sent_then_extension_does_not_exist(
    tmp_path: Path,
) -> None:
    sim, _ = await _start(tmp_path)
    client = await helpers.AmiClient.connect(sim.port)
    try:
        await client.login()
        start = len(client.messages)
        for aid, context in (("o1", "callback"), ("o2", names.CALLBACK)):
            client.send(
                [
                    ("Action", "Originate"),
                    ("ActionID", aid),
                    ("Async", "true"),
                    ("Channel", "PJSIP/1001"),
                    ("Context", context),
                    ("Exten", "13900139000"),
                    ("Priority", "1"),
                ]
            )
        await client.wait_until(lambda: len(client.messages) >= start + 2)
    finally:
        await client.close()
        await sim.stop()

    replies = {dict(m).get("ActionID"): dict(m) for m in client.messages[start:] if "Response" in dict(m)}
    assert replies["o1"]["Response"] == "Error" and replies["o1"]["Message"] == "Extension does not exist."
    assert replies["o2"]["Response"] == "Success"


async def test_given_queues_conf_timings_when_calls_queue_then_ring_timeout_and_wrapup_are_honoured(
    tmp_path: Path,
) -> None:
    # Rendered queues.conf: timeout 15 (ring per attempt), wrapuptime 10, retry 2.
    sim, events = await _start(
        tmp_path,
        seats=(
            PhoneConfig("1001", answer_delay=Dist.fixed(1.0), hangup_after=Dist.fixed(4.0)),
            PhoneConfig("1002", answer_probability=0.0),
        ),
    )
    try:
        sim.pbx.add_member("q-city-other", "PJSIP/1001", "seat-1001", "PJSIP/1001", 0)
        sim.pbx.add_member("q-city-labor", "PJSIP/1002", "seat-1002", "PJSIP/1002", 0)
        sim.place_call(CallerSpec("first", "13900139000", talk_time=60.0))
        await until(lambda: bool(_of(events, "AgentComplete")))
        sim.place_call(CallerSpec("second", "13900139001", talk_time=60.0))
        await until(lambda: len(_of(events, "AgentConnect")) == 2, 20.0)
        # A third caller, moved to the labor queue whose only seat never answers.
        sim.place_call(CallerSpec("third", "13900139002", talk_time=60.0, patience=40.0))
        await until(lambda: any(e["Channel"].startswith("PJSIP/third-") for e in _of(events, "Newchannel")))
        chan = next(c for c in sim.pbx.channels if c.endpoint == "third")
        await until(lambda: chan.app == "Queue")
        client = await helpers.AmiClient.connect(sim.port)
        await client.login()
        client.send(
            [
                ("Action", "Redirect"),
                ("Channel", chan.name),
                ("Context", names.TRANSFER),
                ("Exten", "q-city-labor"),
            ]
        )
        await until(lambda: len(_of(events, "AgentRingNoAnswer")) >= 2, 20.0)
        await client.close()
    finally:
        await sim.stop()

    [first_done] = [e for e in _of(events, "AgentComplete") if e["Channel"].startswith("PJSIP/first-")]
    second_called = next(e for e in _of(events, "AgentCalled") if e["Channel"].startswith("PJSIP/second-"))
    # app_queue offers the member again only after wrapuptime (10 s) from the end of the call.
    assert float(second_called["Timestamp"]) - float(first_done["Timestamp"]) >= 10.0
    rna = _of(events, "AgentRingNoAnswer")
    assert all(abs(int(e["RingTime"]) - 15000) < 1000 for e in rna)  # timeout = 15 s per attempt
    called = [float(e["Timestamp"]) for e in _of(events, "AgentCalled", MemberName="seat-1002")]
    assert called[1] - called[0] >= 15.0 + 2.0 - 0.5  # ring 15 s, then retry = 2 s
