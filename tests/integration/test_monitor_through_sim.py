"""A supervisor in a seat's live call (班长监听 / 耳语 / 强插 / 强拆), through the console's HTTP API.

The real app runs against the embedded simulator executing the rendered extensions.conf
([hotline-monitor]): the supervisor's console Originates the monitor's Local channel, its ;2 rings
the supervisor's own phone (registered in the simulator, as a seat's), and ;1 runs ChanSpy on seat
1001's leg. The tests read what Asterisk (the simulator) reported, what the console shows and
what the audit log kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from core.ids import UserId
from pbx.reconcile import summarise
from pbx.records import parse_cdr, parse_queue_log
from seats.state import SeatStatus
from store.supervisor_phones import SupervisorPhoneRepository
from tests.integration.test_transfers_through_sim import (
    CSRF,
    Live,
    _answered_by_1001,
    running_app,
    steady_phone,
)

pytestmark = pytest.mark.slow
T = TypeVar("T")

MONITOR = "/api/supervisor/monitor"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with running_app(tmp_path) as lv:
        yield lv


def supervisor(
    live: Live, username: str, user_id: str, phone: str, *, answers: bool = True
) -> dict[str, str]:
    """The supervisor's own phone (in the database and registered in the simulator) and their
    browser session's headers."""
    SupervisorPhoneRepository(live.runtime.repos.db).save(UserId(user_id), phone, f"pw{phone}")
    live.call(lambda: live.sim.register_phone(steady_phone(phone, answers=answers)))
    live.client.cookies.clear()
    r = live.client.post("/api/login", json={"username": username, "password": "demo12348"})
    assert r.status_code == 200, r.text
    cookie = "; ".join(f"{k}={v}" for k, v in live.client.cookies.items())
    live.client.cookies.clear()
    return {CSRF: r.json()["csrf_token"], "Cookie": cookie}


def monitor(live: Live, headers: dict[str, str]) -> dict[str, Any]:
    r = live.client.get(MONITOR, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def polled(check: Callable[[], T], what: str, within: float = 20.0) -> T:
    """`check()` (HTTP requests, database reads: off the app's loop) until it is truthy."""
    deadline = time.monotonic() + within
    while not (value := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value


def events(live: Live, name: str, **match: str) -> list[dict[str, str]]:
    return [
        e
        for e in list(live.events)
        if e.get("Event") == name and all(e.get(k, "").startswith(v) for k, v in match.items())
    ]


def monitor_channels(live: Live) -> list[str]:
    """The simulator's channels of monitors and of the supervisors' phones, still there."""
    return live.call(
        lambda: [c.name for c in live.sim.pbx.channels if c.name.startswith(("Local/m-", "PJSIP/80"))]
    )


def audit(live: Live) -> list[tuple[str, dict[str, Any]]]:
    entries = live.runtime.repos.audit.recent(prefixes=("monitor.", "call.force_hangup"))
    return [(e.action, dict(e.detail)) for e in reversed(entries)]


def test_given_a_call_answered_by_1001_when_the_supervisor_listens_whispers_and_barges_then_the_call_ends_the_monitor(
    live: Live,
) -> None:
    _me, number, call_id = _answered_by_1001(live)
    boss = supervisor(live, "banzhang", "u-city", "8001")
    leg = live.call(lambda: next(c.name for c in live.sim.pbx.channels if c.name.startswith("PJSIP/1001-")))

    r = live.client.post("/api/supervisor/seats/1001/monitor", json={"mode": "listen"}, headers=boss)
    assert r.status_code == 200, r.text
    assert (r.json()["active"], r.json()["connected"], r.json()["call_id"]) == (True, False, call_id)
    polled(lambda: monitor(live, boss)["connected"], "the supervisor's phone to answer and listen")
    # ChanSpy on the seat's leg, spied from the monitor's ;1; the supervisor's phone bridged to ;2.
    (first,) = events(live, "ChanSpyStart", SpyerChannel="Local/m-")
    assert first["SpyeeChannel"] == leg and first["SpyeeLinkedid"] == call_id
    assert first["SpyerChannel"].endswith(";1")
    phone_leg = events(live, "DialBegin", DestChannel="PJSIP/8001-")[0]["DestChannel"]
    bridged = {e["BridgeUniqueid"] for e in events(live, "BridgeEnter", Channel=phone_leg)}
    half = first["SpyerChannel"].removesuffix(";1") + ";2"
    assert bridged & {e["BridgeUniqueid"] for e in events(live, "BridgeEnter", Channel=half)}

    for mode, label in (("whisper", "耳语中"), ("barge", "强插中")):
        r = live.client.post(f"{MONITOR}/mode", json={"mode": mode}, headers=boss)
        assert r.status_code == 200, r.text
        polled(
            lambda m=mode: (s := monitor(live, boss))["connected"] and s["mode"] == m,
            f"the monitor to {mode}",
        )
        assert monitor(live, boss)["state_label"] == label
    spies = events(live, "ChanSpyStart", SpyerChannel="Local/m-")
    assert len(spies) == 3 and len({e["SpyerChannel"] for e in spies}) == 3
    assert all(e["SpyeeChannel"] == leg for e in spies)
    # Each switch hung up the monitor before: only the barge's is left.
    assert [c for c in monitor_channels(live) if c.startswith("Local/m-")] == [
        spies[-1]["SpyerChannel"],
        spies[-1]["SpyerChannel"].removesuffix(";1") + ";2",
    ]
    assert live.status("1001") is SeatStatus.TALKING  # the call went on through it all

    live.hang_up_caller(number)
    live.ended(call_id)
    polled(lambda: not monitor(live, boss)["active"], "the monitor to end with the call")
    assert monitor(live, boss)["message"] == "通话已结束，监听随之结束"
    polled(lambda: not monitor_channels(live), "the monitor's channels and the supervisor's phone to go")
    assert len(events(live, "ChanSpyStop", SpyerChannel="Local/m-")) == 3

    rows = polled(lambda: (a := audit(live)) and a[-1][0] == "monitor.end" and a, "the audit's end line")
    assert [(action, d["mode"], d["seat_id"], d["call_id"]) for action, d in rows] == [
        ("monitor.start", "listen", "1001", call_id),
        ("monitor.switch", "whisper", "1001", call_id),
        ("monitor.switch", "barge", "1001", call_id),
        ("monitor.end", "barge", "1001", call_id),
    ]
    assert [d.get("from") for _, d in rows[1:3]] == ["listen", "whisper"]
    assert rows[-1][1]["reason"] == "call_ended" and rows[-1][1]["seconds"] > 0

    # Asterisk's records, as the simulator wrote them: the reconciliation finds one citizen's call
    # there, not the monitors' Local channels nor the supervisor's phone.
    row = live.ended(call_id)
    live.until(lambda: [r for r in live.cdr(call_id) if r["channel"].startswith("PJSIP/")], "the CDR")
    lines = list(enumerate(live.sim.cdr_path.read_text().splitlines()))
    entries = list(enumerate(live.sim.queue_log_path.read_text().splitlines()))
    assert any(r["dstchannel"].startswith("PJSIP/8001-") for r in live.cdr(""))  # the phone was rung
    found = summarise(parse_queue_log(entries), parse_cdr(lines), cdr_expected=True, now=row.ended_at)  # type: ignore[arg-type]
    assert list(found) == [call_id]

    # The admin reads the same lines; the supervisor may not.
    admin = supervisor(live, "admin", "u-admin", "8009")
    r = live.client.get(f"{MONITOR}/audit", headers=admin)
    assert r.status_code == 200, r.text
    assert [e["action"] for e in r.json()["entries"]][::-1] == [a for a, _ in rows]
    assert all(e["actor"] == "u-city" for e in r.json()["entries"])
    assert live.client.get(f"{MONITOR}/audit", headers=boss).status_code == 403


def test_given_a_supervisor_whose_phone_does_not_answer_when_listening_then_a_clear_message_and_nothing_left(
    live: Live,
) -> None:
    _me, number, call_id = _answered_by_1001(live)
    boss = supervisor(live, "jingan", "u-jingan", "8002", answers=False)

    r = live.client.post("/api/supervisor/seats/1001/monitor", json={"mode": "listen"}, headers=boss)
    assert r.status_code == 200, r.text
    assert r.json()["state_label"] == "正在呼叫您的话机（监听）"
    polled(lambda: not monitor(live, boss)["active"], "the monitor to give up", within=30)

    assert monitor(live, boss)["message"] == "您的话机未接听或未登录，未能进入通话"
    assert not events(live, "ChanSpyStart", SpyerChannel="Local/m-")
    assert events(live, "DialBegin", DestChannel="PJSIP/8002-")  # it did ring
    polled(lambda: not monitor_channels(live), "the monitor's channels to go")
    assert live.status("1001") is SeatStatus.TALKING and live.call(lambda: live.seat_call("1001")) == call_id
    (row,) = [d for action, d in audit(live) if action == "monitor.end"]
    assert (row["reason"], row["seconds"], row["call_id"]) == ("no_answer", None, call_id)
    # Free to try again (nothing half-open on the console's side either).
    r = live.client.post(f"{MONITOR}/stop", headers=boss)
    assert r.status_code == 409 and r.json()["message"] == "当前没有进行中的监听"
    live.hang_up_caller(number)
    live.ended(call_id)


def test_given_a_call_answered_by_1001_when_the_supervisor_force_hangs_it_up_then_it_ends_and_is_audited(
    live: Live,
) -> None:
    _me, _number, call_id = _answered_by_1001(live)
    boss = supervisor(live, "banzhang", "u-city", "8001")

    r = live.client.post("/api/supervisor/seats/1001/hangup", headers=boss)

    assert r.status_code == 200, r.text
    assert r.json()["call_id"] == call_id
    record = live.ended(call_id)
    assert record.ended_at is not None
    assert [(a, d["seat_id"], d["call_id"]) for a, d in audit(live)] == [
        ("call.force_hangup", "1001", call_id)
    ]
    r = live.client.post("/api/supervisor/seats/1001/hangup", headers=boss)
    assert r.status_code == 409  # no call any more


# --- 接管 (take-over), compared with Asterisk 22.10.1 -------------------------------------------

TRACES = Path(__file__).resolve().parents[1] / "data" / "asterisk-traces"
# A take-over's events compared channel by channel (the rest: RTP, device states, variables).
COMPARED = {
    "BridgeEnter",
    "BridgeLeave",
    "HangupRequest",
    "SoftHangupRequest",
    "Hangup",
    "AgentComplete",
    "ChanSpyStop",
}


def takeover_roles(all_events: list[dict[str, str]], caller: str) -> dict[str, list[str]]:
    """From the last ChanSpyStart on (the barge the take-over started from), per channel role: its
    events of COMPARED in order (Asterisk's threads interleave different channels' differently)."""
    start = max(i for i, e in enumerate(all_events) if e.get("Event") == "ChanSpyStart")
    out: dict[str, list[str]] = {}
    for e in all_events[start + 1 :]:
        name = e.get("Event", "")
        if name not in COMPARED:
            continue
        channel = e.get("Channel") or e.get("SpyerChannel") or ""
        role = (
            "caller"
            if channel.startswith(f"PJSIP/{caller}-")
            else "seat"
            if channel.startswith("PJSIP/1001-")
            else "phone"
            if channel.startswith("PJSIP/80")
            else "local" + channel[-2:]
            if channel.startswith("Local/m-")
            else channel
        )
        out.setdefault(role, []).append(name)
    return out


def real_takeover(name: str) -> dict[str, list[str]]:
    from pbx.ami_event import parse_trace

    real = [h for kind, h in parse_trace((TRACES / name / "ami.ami").read_bytes()) if kind == "event"]
    caller = next(e["CallerIDNum"] for e in real if e.get("Event") == "QueueCallerJoin")
    return takeover_roles(real, caller)


@pytest.mark.parametrize(
    ("who_ends", "trace"), [("caller", "takeover"), ("supervisor", "takeover_supervisor_hangs_up")]
)
def test_given_a_barge_when_the_supervisor_takes_over_then_the_seat_drops_out_as_on_asterisk(
    live: Live, who_ends: str, trace: str
) -> None:
    _me, number, call_id = _answered_by_1001(live)
    boss = supervisor(live, "banzhang", "u-city", "8001")
    r = live.client.post("/api/supervisor/seats/1001/monitor", json={"mode": "barge"}, headers=boss)
    assert r.status_code == 200, r.text
    polled(lambda: monitor(live, boss)["connected"], "the supervisor's phone to answer and barge in")

    r = live.client.post(f"{MONITOR}/takeover", headers=boss)
    assert r.status_code == 200, r.text
    state = polled(
        lambda: (s := monitor(live, boss))["taken_over"] and s, "the take-over in Asterisk's events"
    )
    assert state["state_label"] == "已接管通话（坐席已退出）"
    polled(lambda: live.status("1001") is not SeatStatus.TALKING, "seat 1001 out of the call")
    # The supervisor's phone was not rung again: one Dial of it, now bridged with the caller.
    assert len(events(live, "DialBegin", DestChannel="PJSIP/8001-")) == 1
    assert not [c for c in monitor_channels(live) if c.startswith("Local/m-")]
    r = live.client.post(f"{MONITOR}/mode", json={"mode": "listen"}, headers=boss)
    assert r.status_code == 409 and "接管" in r.json()["message"]

    if who_ends == "caller":
        live.hang_up_caller(number)
    else:
        # The caller goes on to the survey and hangs up at its first question (as recorded): put
        # down the moment the simulator asks it, whatever the machine's load.
        def hang_up_at_the_survey(headers: list[tuple[str, str]]) -> None:
            h = dict(headers)
            mine = h.get("Event") == "AGIExecStart" and h.get("Channel", "").startswith(f"PJSIP/{number}-")
            if mine and h.get("Command", "").startswith("GET DATA"):
                live.sim.pbx.hangup_endpoint(number)

        live.call(lambda: live.sim.event_listeners.append(hang_up_at_the_survey))
        assert live.call(lambda: live.sim.pbx.hangup_endpoint("8001"))
    row = live.ended(call_id)
    polled(lambda: not monitor(live, boss)["active"], "the take-over session to end")
    assert row.status.value == "answered" and row.seat_id == "1001"
    seat, boss_leg = live.ended_legs(call_id, 2)
    assert (seat.kind, seat.party, boss_leg.kind, boss_leg.party) == ("seat", "1001", "supervisor", "8001")
    assert boss_leg.answered_at == seat.ended_at  # the supervisor's leg begins as the seat's ends
    rows = polled(lambda: (a := audit(live)) and a[-1][0] == "monitor.end" and a, "the audit's end line")
    assert [action for action, _ in rows] == ["monitor.start", "monitor.takeover", "monitor.end"]
    assert rows[-1][1]["reason"] == "takeover_ended"

    # Channel by channel, the simulator did what Asterisk did in the same take-over.
    mine, real = takeover_roles(list(live.events), number), real_takeover(trace)
    assert mine == real
    # app_queue's queue_log: one call, CONNECT then COMPLETECALLER with the whole talk (as recorded).
    log = [line.split("|") for line in live.sim.queue_log_path.read_text().splitlines()]
    assert [r[4] for r in log if r[1] == call_id] == ["ENTERQUEUE", "CONNECT", "COMPLETECALLER"]
    real_log = [line.split("|") for line in (TRACES / trace / "queue_log").read_text().splitlines()]
    assert [r[4] for r in real_log if r[1] not in ("MANAGER", "NONE")] == [
        "ENTERQUEUE",
        "CONNECT",
        "COMPLETECALLER",
    ]
