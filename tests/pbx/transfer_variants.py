"""Synthetic but faithful AMI streams for what the real 22.10.1 runs did not exercise: a caller's
channel created Down, transfers with the phone's own transfer key (Asterisk 11 to 22), and the
new dialplan's seat-transfer context and trunk.

Every stream starts from REAL events: the project's own AMI session of run 2 on Asterisk 22.10.1
(`project-dialplan-22.10.1/project_ami_run2_session1.ami`), its login snapshot and its events up
to the moment seat 1001 is bridged with caller 13800138000 (call 1796162190.7), plus the real
`QueueMemberAdded` of seat 1002 from the same session. Only the variant part is written here,
with the header set each version documents:

* channel snapshot headers (`Channel`, `ChannelState`, `ChannelStateDesc`, `CallerIDNum`,
  `CallerIDName`, `ConnectedLineNum`, `ConnectedLineName`, `Language`, `AccountCode`, `Context`,
  `Exten`, `Priority`, `Uniqueid`, `Linkedid`): as in every channel event of the 22.10.1 trace;
  Asterisk 13 has no `Language`/`Linkedid` in prefixed snapshots (docs: Asterisk 13
  ManagerEvent_AttendedTransfer);
* `BlindTransfer` (Asterisk 12+; docs.asterisk.org Asterisk_16/18/20 and Certified 20.7
  "AMI_Events/BlindTransfer"): `Result` (Fail, Invalid, Not Permitted, Success), `Transferer*`
  and `Transferee*` snapshots, `Bridge*`, `IsExternal`, `Context`, `Extension`;
* `AttendedTransfer` (Asterisk 12+; docs.asterisk.org Asterisk_18/20/22 "AMI_Events/
  AttendedTransfer"): `Result`, `OrigTransferer*` + `OrigBridge*`, `SecondTransferer*` +
  `SecondBridge*`, `Transferee*` and `TransferTarget*` (13.x and later), `IsExternal`,
  `DestType` (Bridge, App, Link, Threeway, Fail), `DestBridgeUniqueid`;
* `Transfer` (Asterisk 1.6 to 11, chan_sip; fields as asterisk-java's TransferEvent maps them):
  `TransferMethod` SIP, `TransferType` Blind/Attended, `Channel`/`Uniqueid` of the transferer,
  `SIP-Callid`, `TargetChannel`/`TargetUniqueid`, `TransferExten`, `TransferContext`,
  `Transfer2Parking`;
* the new dialplan (`core.dialplan`): Redirect into `hotline-seat`/<seat> then
  `Set(HOTLINE_TRANSFERRED=1)`, `Set(HOTLINE_TRANSFER_FROM=<seat>)`, `Dial(PJSIP/<seat>)`; and
  `Dial(PJSIP/12345@hotline-trunk)` that fails and sends the caller back to the queue. After an
  AMI Redirect the first Newexten still names the old application (seen in the real trace).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_traces_22 import read_session

from core import dialplan
from core.events import DomainEvent
from pbx.ami_event import AmiEvent
from pbx.tracker import CallTracker

CALL = "1796162190.7"
CALLER = ("PJSIP/13800138000-00000007", CALL, "13800138000")
SEAT_1001 = ("PJSIP/1001-00000008", "1796162235.8", "1001")
BRIDGE = "f670fd3a-4c71-42b5-98a9-c5b3dea388ba"
T_BRIDGED = 1796162238.321342  # the caller's BridgeEnter with seat 1001 in the real trace


@dataclass(frozen=True, slots=True)
class Chan:
    name: str
    uid: str
    number: str
    linkedid: str = CALL
    context: str = "hotline-queue"
    exten: str = "s"
    state: str = "6"


STATE_DESC = {"0": "Down", "4": "Ring", "5": "Ringing", "6": "Up"}

CALLER_CHAN = Chan(*CALLER)
SEAT_CHAN = Chan(*SEAT_1001, context="seats-out")


def snap(prefix: str, c: Chan, *, version: int = 22) -> dict[str, str]:
    """One channel snapshot as the version's AMI writes it (`prefix` + the header names)."""
    h = {
        "Channel": c.name,
        "ChannelState": c.state,
        "ChannelStateDesc": STATE_DESC[c.state],
        "CallerIDNum": c.number,
        "CallerIDName": "<unknown>",
        "ConnectedLineNum": "<unknown>",
        "ConnectedLineName": "<unknown>",
        "Language": "zh",
        "AccountCode": "",
        "Context": c.context,
        "Exten": c.exten,
        "Priority": "1",
        "Uniqueid": c.uid,
        "Linkedid": c.linkedid,
    }
    if version < 16:
        del h["Language"], h["Linkedid"]
    return {prefix + k: v for k, v in h.items()}


def bridge(prefix: str, uid: str) -> dict[str, str]:
    return {
        f"{prefix}BridgeUniqueid": uid,
        f"{prefix}BridgeType": "basic",
        f"{prefix}BridgeTechnology": "simple_bridge",
        f"{prefix}BridgeCreator": "<unknown>",
        f"{prefix}BridgeName": "<unknown>",
        f"{prefix}BridgeNumChannels": "2",
        f"{prefix}BridgeVideoSourceMode": "none",
    }


def event(name: str, at: float, privilege: str, **headers: str) -> AmiEvent:
    return AmiEvent.from_headers({"Event": name, "Privilege": privilege, "Timestamp": f"{at:.6f}", **headers})


def chan_event(name: str, at: float, c: Chan, privilege: str = "call,all", **extra: str) -> AmiEvent:
    return event(name, at, privilege, **snap("", c), **extra)


def dial(at: float, caller: Chan, dest: Chan, *, end: str = "") -> AmiEvent:
    extra = {"DialStatus": end} if end else {"DialString": dest.number}
    return event(
        "DialEnd" if end else "DialBegin", at, "call,all", **snap("", caller), **snap("Dest", dest), **extra
    )


def hangup(at: float, c: Chan, cause: str = "16") -> list[AmiEvent]:
    text = {"16": "Normal Clearing", "3": "No route to destination"}.get(cause, "")
    return [chan_event("Hangup", at, c, Cause=cause, **{"Cause-txt": text})]


def prefix_events() -> list[AmiEvent]:
    """The real run-2 session up to seat 1001 bridged with the caller of call 1796162190.7."""
    session = read_session("project_ami_run2_session1.ami")
    live = session.live
    end = next(i for i, e in enumerate(live) if e.name == "BridgeEnter" and e.uniqueid == CALL)
    added_1002 = [e for e in live if e.name == "QueueMemberAdded" and e.get("MemberName") == "seat-1002"]
    assert added_1002, "the session adds seat 1002"
    return [*added_1002, *live[: end + 1]]


def run(variant: list[AmiEvent]) -> list[DomainEvent]:
    session = read_session("project_ami_run2_session1.ami")
    tracker = CallTracker()
    out = tracker.rebuild(session.channels, session.queue_status, session.login_at)
    for e in [*prefix_events(), *variant]:
        out += tracker.apply(e)
    return out


def of_call(events: list[DomainEvent], call_id: str = CALL) -> list[DomainEvent]:
    return [e for e in events if getattr(e, "call_id", None) == call_id]


# --- the variants --------------------------------------------------------------------------------

SEAT_1002 = Chan("PJSIP/1002-0000000b", "1796162250.11", "1002", context="seats-out", exten="1002")


def blind_transfer(*, result: str = "Success", version: int = 22) -> list[AmiEvent]:
    """Seat 1001 presses its phone's blind transfer key to 1002 (REFER): Asterisk sends the
    caller to 1002@seats-out, whose dialplan dials PJSIP/1002."""
    t = T_BRIDGED + 10
    out = [
        event(
            "BlindTransfer",
            t,
            "call,all",
            Result=result,
            **snap("Transferer", SEAT_CHAN, version=version),
            **snap("Transferee", CALLER_CHAN, version=version),
            **bridge("", BRIDGE),
            IsExternal="Yes",
            Context="seats-out",
            Extension="1002",
        )
    ]
    if result != "Success":
        return [*out, *hangup(t + 20, SEAT_CHAN), *hangup(t + 20.01, CALLER_CHAN)]
    moved = Chan(CALLER_CHAN.name, CALL, "13800138000", context="seats-out", exten="1002")
    return [
        *out,
        *hangup(t + 0.01, SEAT_CHAN),
        chan_event(
            "Newexten", t + 0.02, moved, privilege="dialplan,all", Application="Dial", AppData="PJSIP/1002,30"
        ),
        dial(t + 0.03, moved, SEAT_1002),
        dial(t + 3.03, moved, SEAT_1002, end="ANSWER"),
        *hangup(t + 25.03, SEAT_1002),
        *hangup(t + 25.04, moved),
    ]


def attended_transfer(
    *, result: str = "Success", dest_type: str = "Bridge", version: int = 22
) -> list[AmiEvent]:
    """Seat 1001 holds the caller, calls 1002 from its phone (a call of its own, in seats-out),
    talks, then completes the transfer: the caller and 1002 are joined."""
    t = T_BRIDGED + 10
    consult_uid = "1796162250.12"
    seat_b = Chan(
        "PJSIP/1001-0000000c",
        consult_uid,
        "1001",
        linkedid=consult_uid,
        context="seats-out",
        exten="1002",
        state="4",
    )
    target = Chan(
        "PJSIP/1002-0000000d", "1796162250.13", "1002", linkedid=consult_uid, context="seats-out", exten="s"
    )
    out = [
        chan_event("Newchannel", t, seat_b),
        chan_event(
            "Newchannel", t + 0.01, Chan(target.name, target.uid, "1002", consult_uid, "seats-out", "s", "0")
        ),
        dial(t + 0.02, seat_b, target),
        dial(t + 2.02, seat_b, target, end="ANSWER"),
    ]
    headers = {
        "Result": result,
        **snap("OrigTransferer", SEAT_CHAN, version=version),
        **bridge("Orig", BRIDGE),
        **snap("SecondTransferer", seat_b, version=version),
        **bridge("Second", "b2"),
        "IsExternal": "No",
        "DestType": dest_type,
    }
    if version >= 16:
        headers |= snap("Transferee", CALLER_CHAN, version=version) | snap(
            "TransferTarget", target, version=version
        )
    if dest_type == "Bridge":
        headers["DestBridgeUniqueid"] = BRIDGE
    out.append(event("AttendedTransfer", t + 8, "call,all", **headers))
    if result != "Success" or dest_type == "Fail":
        return [
            *out,
            *hangup(t + 9, seat_b),
            *hangup(t + 9.01, target),
            *hangup(t + 30, SEAT_CHAN),
            *hangup(t + 30.01, CALLER_CHAN),
        ]
    return [
        *out,
        *hangup(t + 8.01, SEAT_CHAN),
        *hangup(t + 8.02, seat_b),
        *hangup(t + 20, target),
        *hangup(t + 20.01, CALLER_CHAN),
    ]


def transfer_11(kind: str = "Blind") -> list[AmiEvent]:
    """Asterisk 11 chan_sip: the seat's phone REFERs the caller to 1002."""
    t = T_BRIDGED + 10
    headers = {
        "TransferMethod": "SIP",
        "TransferType": kind,
        "Channel": SEAT_CHAN.name,
        "Uniqueid": SEAT_CHAN.uid,
        "SIP-Callid": "4b227777d4dd1fc61c6f884f48641d02@127.0.0.1:5072",
        "TargetChannel": CALLER_CHAN.name if kind == "Blind" else SEAT_1002.name,
        "TargetUniqueid": CALLER_CHAN.uid if kind == "Blind" else SEAT_1002.uid,
        "TransferExten": "1002",
        "TransferContext": "seats-out",
        "Transfer2Parking": "No",
    }
    moved = Chan(CALLER_CHAN.name, CALL, "13800138000", context="seats-out", exten="1002")
    if kind != "Blind":
        # Attended: the seat had already reached 1002; the REFER joins the caller to it.
        return [
            event("Transfer", t, "call,all", **headers),
            *hangup(t + 0.01, SEAT_CHAN),
            *hangup(t + 12.03, moved),
        ]
    return [
        event("Transfer", t, "call,all", **headers),
        *hangup(t + 0.01, SEAT_CHAN),
        dial(t + 0.03, moved, SEAT_1002),
        dial(t + 2.03, moved, SEAT_1002, end="ANSWER"),
        *hangup(t + 12.03, moved),
    ]


def redirect(at: float, context: str, exten: str) -> AmiEvent:
    # The first Newexten after an AMI Redirect still names the application that was running.
    moved = Chan(CALLER_CHAN.name, CALL, "13800138000", context=context, exten=exten)
    return chan_event(
        "Newexten", at, moved, privilege="dialplan,all", Application="Queue", AppData="q-afterhours,tc,,,300"
    )


def varset(at: float, c: Chan, variable: str, value: str) -> AmiEvent:
    return chan_event("VarSet", at, c, privilege="dialplan,all", Variable=variable, Value=value)


def new_dialplan_seat_transfer() -> list[AmiEvent]:
    t = T_BRIDGED + 8
    moved = Chan(CALLER_CHAN.name, CALL, "13800138000", context=dialplan.SEAT_TRANSFER, exten="1002")
    return [
        redirect(t, dialplan.SEAT_TRANSFER, "1002"),
        varset(t + 0.001, moved, dialplan.VAR_TRANSFERRED, "1"),
        varset(t + 0.002, moved, dialplan.VAR_TRANSFER_FROM, "1001"),
        *hangup(t + 0.003, SEAT_CHAN),
        chan_event(
            "Newexten",
            t + 0.004,
            moved,
            privilege="dialplan,all",
            Application="Dial",
            AppData="PJSIP/1002,30",
        ),
        dial(t + 0.01, moved, SEAT_1002),
        dial(t + 4.01, moved, SEAT_1002, end="ANSWER"),
        *hangup(t + 34.01, SEAT_1002),
        *hangup(t + 34.02, moved),
    ]


TRUNK = Chan("PJSIP/hotline-trunk-0000000e", "1796162250.14", "12345", context="hotline-queue")


def new_dialplan_trunk(*, answered: bool) -> list[AmiEvent]:
    """Dial(PJSIP/12345@hotline-trunk,60): answered, or not answered and back to the queue where
    seat 1001 (a new channel) takes the caller again."""
    t = T_BRIDGED + 8
    moved = Chan(CALLER_CHAN.name, CALL, "13800138000", context=dialplan.TRANSFER, exten="12345")
    out = [
        redirect(t, dialplan.TRANSFER, "12345"),
        varset(t + 0.001, moved, dialplan.VAR_TRANSFERRED, "1"),
        *hangup(t + 0.003, SEAT_CHAN),
        chan_event(
            "Newexten",
            t + 0.004,
            moved,
            privilege="dialplan,all",
            Application="Dial",
            AppData="PJSIP/12345@hotline-trunk,60",
        ),
        dial(t + 0.01, moved, TRUNK),
    ]
    if answered:
        return [
            *out,
            dial(t + 5.01, moved, TRUNK, end="ANSWER"),
            *hangup(t + 65.01, TRUNK),
            *hangup(t + 65.02, moved),
        ]
    return [
        *out,
        dial(t + 60.01, moved, TRUNK, end="NOANSWER"),
        varset(t + 60.02, moved, "DIALSTATUS", "NOANSWER"),
        *back_in_queue_answered_by_1001(t + 60.03),
    ]


def back_in_queue_answered_by_1001(t: float) -> list[AmiEvent]:
    """The caller runs Queue() again and seat 1001 (a new channel) answers, then both hang up."""
    back = Chan(CALLER_CHAN.name, CALL, "13800138000", context=dialplan.QUEUE, exten="s")
    seat_again = Chan("PJSIP/1001-0000000f", "1796162310.15", "1001", context="seats-out")
    member = {"Queue": "q-afterhours", "MemberName": "seat-1001", "Interface": "PJSIP/1001"}
    return [
        chan_event(
            "Newexten",
            t,
            back,
            privilege="dialplan,all",
            Application="Queue",
            AppData="q-afterhours,tc,,,300",
        ),
        chan_event(
            "QueueCallerJoin",
            t + 0.01,
            back,
            privilege="agent,all",
            Queue="q-afterhours",
            Position="1",
            Count="1",
        ),
        chan_event(
            "Newchannel",
            t + 0.02,
            Chan(seat_again.name, seat_again.uid, "1001", CALL, "seats-out", "s", "0"),
        ),
        event("AgentCalled", t + 0.03, "agent,all", **snap("", back), **snap("Dest", seat_again), **member),
        dial(t + 0.03, back, seat_again),
        dial(t + 3.03, back, seat_again, end="ANSWER"),
        event(
            "AgentConnect",
            t + 3.04,
            "agent,all",
            **snap("", back),
            **snap("Dest", seat_again),
            **member,
            HoldTime="3",
            RingTime="3",
        ),
        *hangup(t + 13.04, seat_again),
        *hangup(t + 13.05, back),
    ]


def new_dialplan_seat_unanswered() -> list[AmiEvent]:
    """[hotline-seat]: seat 1002 does not answer within 30 s; GotoIf sends the caller on to
    `requeue` in [hotline-transfer] (a prompt), which queues the caller again."""
    t = T_BRIDGED + 8
    moved = Chan(CALLER_CHAN.name, CALL, "13800138000", context=dialplan.SEAT_TRANSFER, exten="1002")
    requeue = Chan(
        CALLER_CHAN.name, CALL, "13800138000", context=dialplan.TRANSFER, exten=dialplan.REQUEUE_EXTEN
    )
    return [
        redirect(t, dialplan.SEAT_TRANSFER, "1002"),
        varset(t + 0.001, moved, dialplan.VAR_TRANSFERRED, "1"),
        *hangup(t + 0.003, SEAT_CHAN),
        chan_event(
            "Newexten",
            t + 0.004,
            moved,
            privilege="dialplan,all",
            Application="Dial",
            AppData="PJSIP/1002,30,g",
        ),
        dial(t + 0.01, moved, SEAT_1002),
        dial(t + 30.01, moved, SEAT_1002, end="NOANSWER"),
        varset(t + 30.02, moved, "DIALSTATUS", "NOANSWER"),
        chan_event(
            "Newexten",
            t + 30.03,
            requeue,
            privilege="dialplan,all",
            Application="Playback",
            AppData="hotline/transfer_failed",
        ),
        *back_in_queue_answered_by_1001(t + 33.03),
    ]


def down_then(state: str, *, via_newexten: bool = False) -> list[AmiEvent]:
    """A caller's channel created Down (ChannelState 0), then Ring/Up by Newstate, or only seen
    entering the incoming context (the rest of the call is the real trace's caller of run 2)."""
    t = 1796162300.0
    uid = "1796162300.20"
    down = Chan(
        "PJSIP/13800138000-00000020",
        uid,
        "13800138000",
        linkedid=uid,
        context=dialplan.INCOMING,
        exten="12348",
        state="0",
    )
    out = [chan_event("Newchannel", t, down)]
    if via_newexten:
        out.append(
            chan_event(
                "Newexten",
                t + 0.01,
                down,
                privilege="dialplan,all",
                Application="NoOp",
                AppData="12348 hotline",
            )
        )
    else:
        up = Chan(
            down.name, uid, down.number, linkedid=uid, context=dialplan.INCOMING, exten="12348", state=state
        )
        out.append(chan_event("Newstate", t + 0.01, up))
    return [
        *out,
        *hangup(
            t + 5, Chan(down.name, uid, down.number, linkedid=uid, context=dialplan.INCOMING, exten="12348")
        ),
    ]


def seat_hangs_up_then_survey_elsewhere() -> list[AmiEvent]:
    """Queue option c: the seat hangs up and the caller goes on to a survey, here in a context of
    its own (`hotline-survey`, not one the tracker knows), reported before the seat's Hangup."""
    t = T_BRIDGED + 20
    member = {"Queue": "q-afterhours", "MemberName": "seat-1001", "Interface": "PJSIP/1001"}
    survey = Chan(CALLER_CHAN.name, CALL, "13800138000", context="hotline-survey", exten="s")
    return [
        chan_event("HangupRequest", t, SEAT_CHAN, Cause="16"),
        event(
            "AgentComplete",
            t + 0.001,
            "agent,all",
            **snap("", CALLER_CHAN),
            **snap("Dest", SEAT_CHAN),
            **member,
            HoldTime="3",
            TalkTime="20",
            Reason="agent",
        ),
        chan_event(
            "Newexten",
            t + 0.002,
            survey,
            privilege="dialplan,all",
            Application="AGI",
            AppData="agi://x/survey",
        ),
        *hangup(t + 0.003, SEAT_CHAN),
        *hangup(t + 10, survey),
    ]
