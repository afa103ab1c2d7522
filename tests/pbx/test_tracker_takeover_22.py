"""`CallTracker` on a real Asterisk 22.10.1 take-over (班长接管, tests/data/asterisk-traces/takeover:
seat 1001 answered from q-city-labor; the 班长's desk phone 8001 barged in through
[hotline-monitor] (ChanSpy qBE); the console's AMI Bridge of the caller's channel with the desk
phone's moved both into a new bridge; Asterisk hung up 1001's leg and the monitor's Local pair;
the caller talked on with the 班长 and hung up 10 s later)."""

from __future__ import annotations

from pathlib import Path

from core.call_events import (
    CallAnswered,
    CallEnded,
    CallLegAnswered,
    CallLegEnded,
    CallTakenOver,
    LegKind,
    MonitorConnected,
    MonitorEnded,
)
from core.events import DomainEvent
from pbx.ami_event import AmiEvent, parse_trace
from pbx.tracker import CallTracker

TRACE = Path(__file__).resolve().parents[1] / "data" / "asterisk-traces" / "takeover"


def _events() -> list[dict[str, str]]:
    return [h for kind, h in parse_trace((TRACE / "ami.ami").read_bytes()) if kind == "event"]


def _tracked(events: list[dict[str, str]]) -> tuple[CallTracker, list[DomainEvent]]:
    tracker = CallTracker()
    out: list[DomainEvent] = []
    for h in events:
        out += tracker.apply(AmiEvent.from_headers(h))
    return tracker, out


def _bridge_times() -> dict[str, list[float]]:
    """Each channel's bridged spans (s), from Asterisk's own log (bridges.log)."""
    from datetime import datetime

    joined: dict[str, datetime] = {}
    spans: dict[str, list[float]] = {}
    for line in (TRACE / "bridges.log").read_text().splitlines():
        stamp, _, rest = line.partition("] ")
        at = datetime.strptime(stamp.lstrip("["), "%Y-%m-%d %H:%M:%S.%f")
        words = rest.split()
        channel, what = words[1], words[2]
        if what == "joined":
            joined[channel] = at
        elif channel in joined:
            spans.setdefault(channel.rsplit("-", 1)[0], []).append((at - joined.pop(channel)).total_seconds())
    return spans


def test_given_the_real_take_over_then_the_supervisors_leg_follows_the_seats_and_the_call_stays_one() -> None:
    _tracker, out = _tracked(_events())

    (taken,) = [e for e in out if isinstance(e, CallTakenOver)]
    (connected,) = [e for e in out if isinstance(e, MonitorConnected)]
    assert taken.monitor_id == connected.monitor_id and taken.call_id == connected.call_id
    assert connected.phone_channel == taken.channel and taken.channel.startswith("PJSIP/8001-")
    assert (taken.seat_id, taken.party) == ("1001", "8001")
    answered = [(e.kind, e.party) for e in out if isinstance(e, CallLegAnswered)]
    assert answered == [(LegKind.SEAT, "1001"), (LegKind.SUPERVISOR, "8001")]
    ended = {e.party: e for e in out if isinstance(e, CallLegEnded)}
    spans = _bridge_times()
    # The seat talked until the Bridge took the caller away; the 班长 from then on (its first span
    # is the barge, with the monitor's ;2).
    assert abs((ended["1001"].talk_seconds or 0) - spans["PJSIP/1001"][0]) < 0.02
    assert abs((ended["8001"].talk_seconds or 0) - spans["PJSIP/8001"][1]) < 0.02
    # One call: one answer by a seat, one end; the monitor ended when the Bridge took its phone.
    assert len([e for e in out if isinstance(e, CallAnswered)]) == 1
    (end,) = [e for e in out if isinstance(e, CallEnded)]
    # The call's talk is both legs' (app_queue's queue_log counts it whole too: COMPLETECALLER 14 s).
    talk = (ended["1001"].talk_seconds or 0) + (ended["8001"].talk_seconds or 0)
    assert end.seat_id == "1001" and end.talk_seconds is not None and abs(end.talk_seconds - talk) < 0.05
    (monitor_end,) = [e for e in out if isinstance(e, MonitorEnded)]
    # The seat's leg ends as the 班长's begins; the monitor's Local pair goes just after.
    assert monitor_end.connected and ended["1001"].at == taken.at < monitor_end.at


def test_given_a_reconnect_during_the_take_over_then_the_snapshot_adopts_the_supervisors_leg() -> None:
    # The tracker restarts after the take-over: a CoreShowChannels snapshot as Asterisk lists the
    # two channels then (the desk phone keeps the monitor's Linkedid; both share the new bridge).
    events = _events()
    taken_at = next(
        i
        for i, h in enumerate(events)
        if h.get("Event") == "BridgeEnter" and h["Channel"].startswith("PJSIP/8001-")
    )
    caller = next(h for h in events if h.get("Event") == "QueueCallerJoin")
    phone = events[taken_at]
    before, _ = _tracked(events[: next(i for i, h in enumerate(events) if h.get("Event") == "ChanSpyStart")])
    snapshot = [
        AmiEvent.from_headers(
            {
                "Event": "CoreShowChannel",
                "Channel": h["Channel"],
                "Uniqueid": h["Uniqueid"],
                "Linkedid": h["Linkedid"],
                "Context": h["Context"],
                "Exten": h["Exten"],
                "Priority": h["Priority"],
                "ChannelState": "6",
                "ChannelStateDesc": "Up",
                "Application": app,
                "ApplicationData": data,
                "BridgeId": phone["BridgeUniqueid"],
                "CallerIDNum": h.get("CallerIDNum", ""),
            }
        )
        for h, app, data in ((caller, "Queue", "q-city-labor"), (phone, "AppDial", "(Outgoing Line)"))
    ]
    fresh = CallTracker()
    fresh_out = fresh.rebuild(snapshot, [], at=AmiEvent.from_headers(phone).at)
    (taken,) = [e for e in fresh_out if isinstance(e, CallTakenOver)]
    assert taken.party == "8001" and taken.call_id == caller["Linkedid"]
    legs = [(e.kind, e.party) for e in fresh_out if isinstance(e, CallLegAnswered)]
    assert (LegKind.SUPERVISOR, "8001") in legs
    # A tracker that saw the monitor begin adopts the same way, and its seat's leg is ended.
    again = before.rebuild(snapshot, [], at=AmiEvent.from_headers(phone).at)
    assert [e.party for e in again if isinstance(e, CallTakenOver)] == ["8001"]
    assert [e.party for e in again if isinstance(e, CallLegEnded)] == ["1001"]
