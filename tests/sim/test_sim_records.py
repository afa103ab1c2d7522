"""The simulator's queue_log and Master.csv have the shapes of the real Asterisk files.

One simulator run (answered with the seat ending, ring-no-answer then queue timeout, abandon, a
callback, a pause of all queues) writes both files; they and the real files of
shared/asterisk-traces/project-dialplan-22.10.1 are read with the same parsers, and every line
is reduced to its field shapes (number, uniqueid, queue, interface, member, time, text...). Each
simulated shape must be one the real file shows for that event (queue_log) or that row kind
(CDR); events the real run never produced are checked against app_queue's documented fields.
The values are then checked against the AMI events of the same run.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import defaultdict
from pathlib import Path

from core import dialplan as names
from pbx.sim import CallerSpec, Dist, PhoneConfig, SimulatorConfig, run_simulator
from pbx.sim.asterisk_files import render_project_conf
from pbx.sim.records import CDR_FIELDS, Records, parse_cdr_csv, parse_queue_log
from tests.support.polling import until

_spec = importlib.util.spec_from_file_location("sim_helpers", Path(__file__).with_name("sim_helpers.py"))
assert _spec is not None and _spec.loader is not None
helpers = sys.modules.get("sim_helpers") or importlib.util.module_from_spec(_spec)
if "sim_helpers" not in sys.modules:
    sys.modules["sim_helpers"] = helpers
    _spec.loader.exec_module(helpers)

REAL = helpers.TRACES / "project-dialplan-22.10.1"
EXTRA = f"""
[test-queue]
; a caller the IVR sent to ${{EXTEN}}
exten => _q-.,1,Answer()
 same => n,Set({names.VAR_QUEUE}=${{EXTEN}})
 same => n,Goto({names.QUEUE},{names.QUEUE_EXTEN},1)
"""


def shape(value: str) -> str:
    for kind, pattern in (
        ("empty", r""),
        ("uniqueid", r"\d{10}\.\d+"),
        ("epoch", r"\d{10}"),
        ("int", r"-?\d+"),
        ("queue", r"q-[a-z0-9-]+"),
        ("interface", r"PJSIP/[A-Za-z0-9+]+"),
        ("channel", r"(PJSIP/[A-Za-z0-9+-]+|Local/[^;]+;[12])-?[0-9a-f]*"),
        ("member", r"seat-\d+"),
        ("time", r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"),
        ("clid", r'"[^"]*" <[^>]*>'),
        ("word", r"[A-Z][A-Z ]+"),
    ):
        if re.fullmatch(pattern, value):
            return kind
    return "text"


def queue_log_shapes(lines: list[list[str]]) -> dict[str, set[tuple[str, ...]]]:
    out: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for fields in lines:
        out[fields[4]].add(tuple(shape(f) for f in fields))
    return out


def cdr_shapes(rows: list[dict[str, str]]) -> set[tuple[str, ...]]:
    # The kind of row (lastapp) and the shape of each field.
    return {
        (r["lastapp"], *(shape(r[f]) for f in CDR_FIELDS if f not in ("lastapp", "lastdata"))) for r in rows
    }


async def _run(tmp_path: Path) -> tuple[list[list[str]], list[dict[str, str]], list[dict[str, str]]]:
    base = SimulatorConfig(queues=(), default_queue="q-city-other", queue_timeout=25)
    conf = render_project_conf(base, tmp_path / "conf")
    with (conf / "extensions.conf").open("a", encoding="utf-8") as f:
        f.write(EXTRA)
    sim = await run_simulator(
        SimulatorConfig(
            ami_port=0,
            time_scale=50.0,
            asterisk_conf=conf,
            run_dir=tmp_path / "run",
            default_queue="q-city-other",
            audio_dir=None,
            seats=(
                PhoneConfig("1001", answer_delay=Dist.fixed(1.0), hangup_after=Dist.fixed(5.0)),
                PhoneConfig("1002", answer_probability=0.0),
                PhoneConfig("13900139000", answer_delay=Dist.fixed(2.0), hangup_after=Dist.fixed(4.0)),
            ),
        )
    )
    events: list[dict[str, str]] = []
    sim.event_listeners.append(lambda h: events.append(dict(h)))
    client = await helpers.AmiClient.connect(sim.port)
    try:
        await client.login()
        for queue, iface, member in (
            ("q-city-other", "PJSIP/1001", "seat-1001"),
            ("q-city-labor", "PJSIP/1002", "seat-1002"),
        ):
            client.send(
                [("Action", "QueueAdd"), ("Queue", queue), ("Interface", iface), ("MemberName", member)]
            )
        await until(lambda: len([e for e in events if e["Event"] == "QueueMemberAdded"]) == 2, timeout=20.0)
        sim.place_call(CallerSpec("c-answered", "13800138000", talk_time=60.0))
        sim.place_call(CallerSpec("c-timeout", "13800138001", exten="q-city-labor", context="test-queue"))
        sim.place_call(
            CallerSpec("c-abandon", "13800138002", exten="q-city-family", context="test-queue", patience=4.0)
        )
        await until(lambda: len([e for e in events if e["Event"] == "Hangup"]) >= 4, 30.0)
        client.send(
            [
                ("Action", "Originate"),
                ("Channel", "PJSIP/1001"),
                ("Context", names.CALLBACK),
                ("Exten", "13900139000"),
                ("Priority", "1"),
                ("CallerID", '"12348回拨" <12348>'),
                ("Async", "true"),
            ]
        )
        await until(
            lambda: any(e["Event"] == "Hangup" and "13900139000" in e["Channel"] for e in events),
            timeout=20.0,
        )
        await until(lambda: not sim.pbx.channels, timeout=20.0)
        pause = [("Action", "QueuePause"), ("Interface", "PJSIP/1001")]
        client.send([*pause, ("Paused", "true"), ("Reason", "rest")])
        client.send([*pause, ("Paused", "false")])
        await until(lambda: len([e for e in events if e["Event"] == "QueueMemberPause"]) == 2, timeout=20.0)
    finally:
        await client.close()
        await sim.stop()
    assert sim.queue_log_path == tmp_path / "run" / "queue_log"
    assert sim.cdr_path == tmp_path / "run" / "cdr-csv" / "Master.csv"
    return (
        parse_queue_log(sim.queue_log_path.read_text(encoding="utf-8")),
        parse_cdr_csv(sim.cdr_path.read_text(encoding="utf-8")),
        events,
    )


async def test_given_a_simulated_run_when_records_written_then_queue_log_and_cdr_have_asterisks_shapes(
    tmp_path: Path,
) -> None:
    qlog, cdr, events = await _run(tmp_path)

    real_qlog = queue_log_shapes(parse_queue_log((REAL / "queue_log").read_text(encoding="utf-8")))
    real_cdr = cdr_shapes(parse_cdr_csv((REAL / "Master.csv").read_text(encoding="utf-8")))
    mine = queue_log_shapes(qlog)
    assert set(mine) >= {"QUEUESTART", "ADDMEMBER", "ENTERQUEUE", "CONNECT", "COMPLETEAGENT", "ABANDON"}
    assert set(mine) >= {"RINGNOANSWER", "EXITWITHTIMEOUT", "PAUSEALL", "PAUSE", "UNPAUSEALL", "UNPAUSE"}
    for event, shapes in mine.items():
        if event in real_qlog:
            assert shapes <= real_qlog[event], (event, shapes - real_qlog[event])
    # Not in the real run; app_queue's fields: RINGNOANSWER ringtime(ms), EXITWITHTIMEOUT
    # position|original position|waittime.
    assert mine["RINGNOANSWER"] == {("epoch", "uniqueid", "queue", "member", "word", "int")}
    assert mine["EXITWITHTIMEOUT"] == {("epoch", "uniqueid", "queue", "word", "word", "int", "int", "int")}
    mine_cdr = cdr_shapes(cdr)
    assert mine_cdr <= real_cdr, mine_cdr - real_cdr
    assert {r["lastapp"] for r in cdr} >= {"Queue", "Hangup", "Dial"}

    # The same facts as the AMI events of the run.
    connect = next(e for e in events if e["Event"] == "AgentConnect")
    [line] = [f for f in qlog if f[4] == "CONNECT"]
    assert line[1:4] == [connect["Uniqueid"], connect["Queue"], connect["MemberName"]]
    assert line[5:] == [connect["HoldTime"], connect["DestUniqueid"], connect["RingTime"]]
    complete = next(e for e in events if e["Event"] == "AgentComplete")
    [line] = [f for f in qlog if f[4] == "COMPLETEAGENT"]
    assert line[5:7] == [complete["HoldTime"], complete["TalkTime"]]
    [timeout] = [f for f in qlog if f[4] == "EXITWITHTIMEOUT"]
    assert int(timeout[-1]) >= 25  # Queue(...,25): not before the queue timeout
    [abandon] = [f for f in qlog if f[4] == "ABANDON"]
    assert 3 <= int(abandon[-1]) <= 5  # the caller's patience, 4 s
    answered = [r for r in cdr if r["channel"].startswith("PJSIP/c-answered-")]
    assert [r["lastapp"] for r in answered] == ["Queue", "Hangup"]
    assert answered[0]["dstchannel"].startswith("PJSIP/1001-") and answered[1]["dstchannel"] == ""
    assert int(answered[0]["billsec"]) <= int(answered[0]["duration"])
    callback = [r for r in cdr if r["dcontext"] == names.CALLBACK]
    assert [r["disposition"] for r in callback] == ["ANSWERED"]
    assert callback[0]["clid"] == '"12348回拨" <12348>' and callback[0]["dst"] == "13900139000"
    uniqueids = {e["Channel"]: e["Uniqueid"] for e in events if e["Event"] == "Newchannel"}
    assert all(uniqueids[r["channel"]] == r["uniqueid"] for r in cdr)


def test_given_a_transfer_dial_that_created_no_channel_when_the_caller_is_queued_again_then_lastapp_stays_dial_and_dst_follows(
    tmp_path: Path,
) -> None:
    # cdr.c (base_process_party_a): once Dial ran, the CDR's application is locked
    # (AST_CDR_LOCK_APP), but its context and extension follow every snapshot of the channel.
    records = Records(tmp_path / "queue_log", tmp_path / "Master.csv")
    caller = "PJSIP/13900139000-00000000"
    base = {"Channel": caller, "Uniqueid": "1796162463.16", "CallerIDNum": "13900139000", "CallerIDName": ""}

    def event(name: str, at: float, **extra: str) -> None:
        records.on_event(list({"Event": name, "Timestamp": f"{at:.6f}", **base, **extra}.items()))

    event("Newchannel", 100.0, Context=names.TRANSFER, Exten="12345")
    event("Newstate", 100.0, ChannelStateDesc="Up")
    event(
        "Newexten",
        101.0,
        Context=names.TRANSFER,
        Exten="12345",
        Application="Dial",
        AppData="PJSIP/12345@x,60",
    )
    records.dial_failed_without_channel(caller)  # CHANUNAVAIL: no DialBegin, no new CDR
    event("Newexten", 101.0, Context=names.TRANSFER, Exten="requeue", Application="Playback", AppData="p")
    event("Newexten", 103.0, Context=names.QUEUE, Exten="s", Application="Queue", AppData="q-city-labor")
    event("DialBegin", 104.0, DestChannel="PJSIP/1001-00000002")
    event("Hangup", 110.0)

    [row] = parse_cdr_csv(records.cdr_path.read_text(encoding="utf-8"))
    assert (row["lastapp"], row["lastdata"]) == ("Dial", "PJSIP/12345@x,60")
    assert (row["dcontext"], row["dst"], row["dstchannel"]) == (names.QUEUE, "s", "PJSIP/1001-00000002")
