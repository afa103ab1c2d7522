"""The AMI stream contract: invariants every Asterisk event stream keeps, and per-call shapes.

`check_stream(events, queues)` lists every broken invariant (empty: the stream keeps them all):
  - Timestamp present and never going backwards; Uniqueid `<epoch>.<seq>`, one per channel;
  - Linkedid: every channel's Linkedid is the Uniqueid of the call's first channel, and the legs
    a Dial()/Queue() creates carry their caller's Linkedid; a channel's Linkedid never changes;
  - every Newchannel ends in exactly one Hangup, nothing follows it; Cause is a Q.850 cause
    with its own Cause-txt;
  - bridges: BridgeEnter/Leave only between BridgeCreate and BridgeDestroy of that
    BridgeUniqueid, BridgeNumChannels counting, a BridgeLeave only for a channel that entered;
  - queues: every queue name is one of queues.conf's; Leave after Join; AgentConnect after its
    AgentCalled, AgentComplete after its AgentConnect with the same HoldTime;
  - durations against the timestamps (tolerance TOL_S): HoldTime, TalkTime, RingTime (seconds
    on AgentConnect, milliseconds on AgentRingNoAnswer), QueueCallerAbandon's HoldTime;
  - VarSet presence: QUEUEPOSITION after QueueCallerLeave, QUEUEWAIT before AgentConnect,
    AGISTATUS after an AGI() step, DIALSTATUS after a Dial() step (unless the channel hung up);
  - no event published twice (identical headers, Timestamp included);
  - order: the first occurrences of a call's milestones in an order the reference stream (the
    real observer trace) also shows for some call.
Imported by path (tests use --import-mode=importlib).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from pbx.ami_event import parse_trace

Event = dict[str, str]

TOL_S = 2.0
UNIQUEID = re.compile(r"^\d{9,10}\.\d+$")
# main/causes.h / channel.c's causes[] table: code -> Cause-txt.
CAUSES = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    3: "No route to destination",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    21: "Call Rejected",
    27: "Destination out of order",
    34: "Circuit/channel congestion",
    38: "Network out of order",
}
MILESTONES = (
    "Newchannel",
    "QueueCallerJoin",
    "AgentCalled",
    "DialBegin",
    "DialEnd",
    "QueueCallerLeave",
    "AgentConnect",
    "BridgeEnter",
    "AgentComplete",
    "QueueCallerAbandon",
    "BridgeLeave",
    "HangupRequest",
    "SoftHangupRequest",
    "Hangup",
)
# Asterisk publishes these again, unchanged, each time a bridge changes technology.
REPEATED_VARSETS = {"BRIDGEPEER", "BRIDGEPVTCALLID"}
NOISE = {"RTCPSent", "RTCPReceived", "ChallengeSent", "SuccessfulAuth", "FullyBooted"}


def observer_events(path: Path) -> list[Event]:
    # Events carrying an ActionID answer one client's action (CoreShowChannel...): not broadcast.
    return [
        h
        for kind, h in parse_trace(path.read_bytes())
        if kind == "event" and h["Event"] not in NOISE and "ActionID" not in h
    ]


def _ts(e: Event) -> float:
    return float(e.get("Timestamp", "nan"))


def calls(events: Iterable[Event]) -> dict[str, list[Event]]:
    """Channel events by Linkedid (Local channels and channel-less events left out)."""
    out: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        lid = e.get("Linkedid")
        if lid and not e.get("Channel", "").startswith("Local/"):
            out[lid].append(e)
    return out


def milestone_orders(events: Iterable[Event]) -> set[tuple[str, str]]:
    """(a, b) pairs: in some call, the first `a` came before the first `b`."""
    seen: set[tuple[str, str]] = set()
    for call in calls(events).values():
        firsts: dict[str, int] = {}
        for i, e in enumerate(call):
            if e["Event"] in MILESTONES:
                firsts.setdefault(e["Event"], i)
        for a, ia in firsts.items():
            for b, ib in firsts.items():
                if ia < ib:
                    seen.add((a, b))
    return seen


def check_stream(events: list[Event], queues: set[str], reference_orders: set[tuple[str, str]]) -> list[str]:
    problems: list[str] = []

    def bad(i: int, e: Event, what: str) -> None:
        problems.append(f"#{i} {e.get('Event')} {e.get('Channel', e.get('BridgeUniqueid', ''))}: {what}")

    last_ts = float("-inf")
    channels: dict[str, Event] = {}  # name -> Newchannel
    uniqueids: set[str] = set()
    hung_up: set[str] = set()
    bridges: dict[str, set[str]] = {}
    destroyed: set[str] = set()
    joins: dict[tuple[str, str], float] = {}
    called: dict[tuple[str, str], float] = {}
    connects: dict[tuple[str, str], tuple[float, str]] = {}
    pending_var: dict[str, tuple[str, int]] = {}
    seen_exact: set[tuple[tuple[str, str], ...]] = set()
    for i, e in enumerate(events):
        name = e.get("Event", "")
        ts = _ts(e)
        if ts != ts:
            bad(i, e, "no Timestamp")
        elif ts < last_ts:
            bad(i, e, f"Timestamp goes backwards ({ts:.6f} < {last_ts:.6f})")
        else:
            last_ts = ts
        key = tuple(e.items())
        if key in seen_exact and not (name == "VarSet" and e.get("Variable") in REPEATED_VARSETS):
            bad(i, e, "published twice")
        seen_exact.add(key)
        chan = e.get("Channel", "")
        if chan and not chan.startswith("Local/") and "Uniqueid" in e and name != "OriginateResponse":
            if name == "Newchannel":
                if chan in channels:
                    bad(i, e, "channel created twice")
                if not UNIQUEID.match(e["Uniqueid"]):
                    bad(i, e, f"Uniqueid {e['Uniqueid']!r} is not <epoch>.<seq>")
                if e["Uniqueid"] in uniqueids:
                    bad(i, e, "Uniqueid reused")
                lid = e.get("Linkedid", "")
                if lid != e["Uniqueid"] and lid not in uniqueids:
                    bad(i, e, f"Linkedid {lid} is no earlier channel's Uniqueid")
                uniqueids.add(e["Uniqueid"])
                channels[chan] = e
            elif chan not in channels:
                bad(i, e, "event for a channel that was never created")
            else:
                first = channels[chan]
                if chan in hung_up:
                    bad(i, e, "event after the channel's Hangup")
                if e["Uniqueid"] != first["Uniqueid"]:
                    bad(i, e, "Uniqueid differs from the channel's")
                if e.get("Linkedid") != first.get("Linkedid"):
                    bad(
                        i,
                        e,
                        f"Linkedid {e.get('Linkedid')} differs from the channel's {first.get('Linkedid')}",
                    )
            if name == "Hangup":
                hung_up.add(chan)
                try:
                    cause = int(e.get("Cause", ""))
                except ValueError:
                    cause = -1
                if CAUSES.get(cause) != e.get("Cause-txt"):
                    bad(i, e, f"Cause {e.get('Cause')} / Cause-txt {e.get('Cause-txt')!r} is no Q.850 pair")
        dest = e.get("DestChannel", "")
        if (
            name in ("DialBegin", "AgentCalled")
            and chan
            and dest in channels
            and channels[dest].get("Linkedid") != channels.get(chan, {}).get("Linkedid")
        ):
            bad(i, e, f"the dialled leg {dest} does not share its caller's Linkedid")
        # Bridges.
        bid = e.get("BridgeUniqueid")
        if name == "BridgeCreate":
            bridges[bid or ""] = set()
        elif name in ("BridgeEnter", "BridgeLeave", "BridgeDestroy") and bid is not None:
            if bid not in bridges or bid in destroyed:
                bad(i, e, f"BridgeUniqueid {bid} not created (or already destroyed)")
            members = bridges.setdefault(bid, set())
            if name == "BridgeEnter":
                members.add(chan)
            elif name == "BridgeLeave":
                if chan not in members:
                    bad(i, e, f"leaves bridge {bid} it never entered")
                members.discard(chan)
            else:
                destroyed.add(bid)
            if name != "BridgeDestroy" and e.get("BridgeNumChannels") != str(len(members)):
                bad(i, e, f"BridgeNumChannels {e.get('BridgeNumChannels')} but {len(members)} in the bridge")
        # Queues.
        queue = e.get("Queue")
        if queue is not None and name.startswith(("QueueCaller", "Agent")):
            if queue not in queues:
                bad(i, e, f"queue {queue!r} is not in queues.conf")
            uid = e.get("Uniqueid", "")
            if name == "QueueCallerJoin":
                joins[(uid, queue)] = ts
            elif name in ("QueueCallerLeave", "QueueCallerAbandon") and (uid, queue) not in joins:
                bad(i, e, "leaves a queue it never joined")
            if name == "QueueCallerAbandon" and (uid, queue) in joins:
                _near(bad, i, e, "HoldTime", float(e.get("HoldTime", "nan")), ts - joins[(uid, queue)])
            if name == "AgentCalled":
                called[(uid, e.get("DestChannel", ""))] = ts
            if name == "AgentRingNoAnswer" and (uid, e.get("DestChannel", "")) in called:
                ring = ts - called[(uid, e.get("DestChannel", ""))]
                _near(bad, i, e, "RingTime (ms)", float(e.get("RingTime", "nan")) / 1000, ring)
            if name == "AgentConnect":
                if (uid, e.get("DestChannel", "")) not in called:
                    bad(i, e, "connects a member that was never called")
                else:
                    ring = ts - called[(uid, e.get("DestChannel", ""))]
                    _near(bad, i, e, "RingTime", float(e.get("RingTime", "nan")), ring)
                if (uid, queue) in joins:
                    _near(bad, i, e, "HoldTime", float(e.get("HoldTime", "nan")), ts - joins[(uid, queue)])
                connects[(uid, queue)] = (ts, e.get("HoldTime", ""))
            if name == "AgentComplete":
                if (uid, queue) not in connects:
                    bad(i, e, "completes a call that never connected")
                else:
                    at, hold = connects[(uid, queue)]
                    if e.get("HoldTime") != hold:
                        bad(i, e, f"HoldTime {e.get('HoldTime')} differs from AgentConnect's {hold}")
                    _near(bad, i, e, "TalkTime", float(e.get("TalkTime", "nan")), ts - at)
        # VarSet presence.
        if name == "QueueCallerLeave":
            pending_var[chan] = ("QUEUEPOSITION", i)
        elif name == "Newexten" and e.get("Application") in ("AGI", "Dial") and e.get("Exten") != "h":
            pending_var[chan] = ("AGISTATUS" if e["Application"] == "AGI" else "DIALSTATUS", i)
        elif name == "VarSet" and chan in pending_var:
            want, _ = pending_var[chan]
            if e.get("Variable") == want and (want != "DIALSTATUS" or e.get("Value")):
                pending_var.pop(chan)
        elif name in ("Newexten", "Hangup", "AgentConnect") and chan in pending_var:
            want, at_i = pending_var[chan]
            if not (name == "Hangup" and want in ("AGISTATUS", "DIALSTATUS")):
                bad(at_i, events[at_i], f"no VarSet {want} before the channel's next {name}")
            pending_var.pop(chan)
        if name == "AgentConnect" and not any(
            x.get("Variable") == "QUEUEWAIT" and x.get("Channel") == chan and x.get("Value")
            for x in events[max(0, i - 8) : i]
        ):
            bad(i, e, "no VarSet QUEUEWAIT before AgentConnect")
    for chan, e in channels.items():
        if chan not in hung_up:
            problems.append(f"{e['Event']} {chan}: never hung up")
    for lid, call in calls(events).items():
        firsts: dict[str, int] = {}
        for j, e in enumerate(call):
            if e["Event"] in MILESTONES:
                firsts.setdefault(e["Event"], j)
        for a, ia in firsts.items():
            for b, ib in firsts.items():
                if ia < ib and (a, b) not in reference_orders:
                    problems.append(f"call {lid}: {a} before {b}, an order the real stream never shows")
    return problems


def _near(bad: object, i: int, e: Event, what: str, value: float, expected: float) -> None:
    if not abs(value - expected) <= TOL_S:
        assert callable(bad)
        bad(i, e, f"{what} {value:g} s but the timestamps say {expected:.1f} s")
