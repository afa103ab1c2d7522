"""Edge cases of `CallTracker.apply`: odd input, Local channels, failed callbacks, helpers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import dialplan
from core.call_events import (
    CallAbandoned,
    CallbackLeg,
    CallbackLegOutcome,
    CallbackOutcome,
    CallEnded,
    CallLegEnded,
    CallOffered,
    HangupParty,
    SeatDeviceStatus,
    SeatDeviceStatusChanged,
    SeatLeftQueue,
    seat_id_from_member,
)
from core.calls import CallStatus
from core.ids import CallId
from pbx.ami_event import AmiEvent
from pbx.tracker import CallTracker, interface_of_channel

T0 = 1_795_300_000.0


def ev(name: str, dt: float, **headers: str) -> AmiEvent:
    """A synthetic AMI event `dt` seconds after T0; `Cause_txt` is written `Cause-txt`."""
    fixed = {k.replace("_txt", "-txt"): v for k, v in headers.items()}
    return AmiEvent.from_headers({"Event": name, "Timestamp": f"{T0 + dt:.6f}", **fixed})


def caller_leg(name: str, dt: float, **headers: str) -> AmiEvent:
    return ev(
        name,
        dt,
        Channel="PJSIP/trunk-00000010",
        Uniqueid="1795300000.16",
        Linkedid="1795300000.16",
        CallerIDNum="13800138000",
        **headers,
    )


def offered(tracker: CallTracker) -> None:
    tracker.apply(caller_leg("Newchannel", 0, ChannelState="4", Context="incoming", Exten="12348"))


def test_given_an_unknown_event_when_applied_then_nothing_is_emitted_and_state_is_unchanged() -> None:
    tracker = CallTracker()
    offered(tracker)
    before = dict(tracker.calls)

    assert tracker.apply(ev("FullyBooted", 1, Status="Fully Booted")) == []
    assert tracker.apply(ev("RTCPSent", 1, Uniqueid="1795300000.16")) == []
    assert dict(tracker.calls) == before


@pytest.mark.parametrize(
    "name",
    [
        "Newchannel",
        "Newexten",
        "AGIExecStart",
        "VarSet",
        "DialEnd",
        "HangupRequest",
        "Hangup",
        "QueueCallerJoin",
        "QueueCallerLeave",
        "QueueCallerAbandon",
        "AgentCalled",
        "AgentRingNoAnswer",
        "AgentConnect",
        "AgentComplete",
        "OriginateResponse",
        "QueueMemberAdded",
        "QueueMemberRemoved",
        "QueueMemberPause",
        "QueueMemberStatus",
    ],
)
def test_given_a_handled_event_without_headers_when_applied_then_nothing_is_emitted(name: str) -> None:
    tracker = CallTracker()
    offered(tracker)

    assert tracker.apply(ev(name, 1)) == []
    assert list(tracker.calls) == ["1795300000.16"]


@pytest.mark.parametrize(
    "name", ["QueueCallerAbandon", "AgentConnect", "AgentRingNoAnswer", "AgentComplete", "Hangup"]
)
def test_given_a_known_call_when_an_event_with_only_ids_arrives_then_the_tracker_does_not_crash(
    name: str,
) -> None:
    tracker = CallTracker()
    offered(tracker)

    events = tracker.apply(ev(name, 1, Uniqueid="1795300000.16", Linkedid="1795300000.16"))

    assert all(e.at == datetime.fromtimestamp(T0 + 1, UTC) for e in events)


def test_given_no_such_channel_when_a_hangup_arrives_then_nothing_is_emitted() -> None:
    tracker = CallTracker()
    offered(tracker)

    events = tracker.apply(
        ev("Hangup", 2, Channel="PJSIP/x-000000ff", Uniqueid="9.9", Linkedid="9.9", Cause="16")
    )

    assert events == []
    assert list(tracker.calls) == ["1795300000.16"]


def test_given_an_originated_channel_when_it_appears_then_no_call_is_offered() -> None:
    tracker = CallTracker()

    events = tracker.apply(
        ev(
            "Newchannel",
            0,
            Channel="Local/tap@asr-tap-00000001;1",
            ChannelState="0",
            Uniqueid="5.1",
            Linkedid="5.1",
        )
    )

    assert events == []
    assert dict(tracker.calls) == {}


def test_given_a_queued_call_when_viewed_then_the_view_is_a_frozen_snapshot() -> None:
    tracker = CallTracker()
    offered(tracker)
    tracker.apply(caller_leg("QueueCallerJoin", 1, Queue="q-general", Position="3", Count="3"))

    view = tracker.calls[CallId("1795300000.16")]

    assert (view.status, view.queue, view.position) == (CallStatus.QUEUED, "q-general", 3)
    with pytest.raises(TypeError):
        tracker.calls["x"] = view  # type: ignore[index]
    with pytest.raises(AttributeError):
        view.queue = "other"  # type: ignore[misc]


def local_member_stream() -> list[AmiEvent]:
    """A queue member reached through a Local channel: Local ;1 is dialled by app_queue, ;2 runs
    the dialplan that dials the phone. All four channels share the caller's Linkedid."""
    link = {"Linkedid": "1795300000.16"}
    return [
        caller_leg("Newchannel", 0, ChannelState="4", Context="incoming", Exten="12348"),
        caller_leg("QueueCallerJoin", 1, Queue="q-general", Position="1", Count="1"),
        ev(
            "Newchannel",
            1.1,
            Channel="Local/1002@seats-00000001;1",
            Uniqueid="1795300001.17",
            ChannelState="0",
            **link,
        ),
        ev(
            "Newchannel",
            1.1,
            Channel="Local/1002@seats-00000001;2",
            Uniqueid="1795300001.18",
            ChannelState="4",
            **link,
        ),
        caller_leg(
            "AgentCalled",
            1.2,
            Queue="q-general",
            Interface="Local/1002@seats/n",
            MemberName="seat-1002",
            DestChannel="Local/1002@seats-00000001;1",
            DestUniqueid="1795300001.17",
        ),
        ev(
            "Newchannel",
            1.3,
            Channel="PJSIP/1002-00000012",
            Uniqueid="1795300001.19",
            ChannelState="0",
            **link,
        ),
        caller_leg(
            "AgentConnect",
            3,
            Queue="q-general",
            Interface="Local/1002@seats/n",
            MemberName="seat-1002",
            DestUniqueid="1795300001.17",
            HoldTime="2",
            RingTime="2",
        ),
        # The seat's phone sends BYE: HangupRequest on the PJSIP leg behind Local ;2.
        ev("HangupRequest", 9, Channel="PJSIP/1002-00000012", Uniqueid="1795300001.19", **link),
        ev("Hangup", 9.01, Channel="PJSIP/1002-00000012", Uniqueid="1795300001.19", Cause="16", **link),
        ev("HangupRequest", 9.02, Channel="Local/1002@seats-00000001;1", Uniqueid="1795300001.17", **link),
        ev(
            "Hangup",
            9.03,
            Channel="Local/1002@seats-00000001;2",
            Uniqueid="1795300001.18",
            Cause="16",
            **link,
        ),
        caller_leg(
            "AgentComplete", 9.04, Queue="q-general", MemberName="seat-1002", TalkTime="6", Reason="agent"
        ),
        ev(
            "Hangup",
            9.05,
            Channel="Local/1002@seats-00000001;1",
            Uniqueid="1795300001.17",
            Cause="16",
            **link,
        ),
        caller_leg("Hangup", 9.06, Cause="16", Cause_txt="Normal Clearing"),
    ]


def test_given_a_local_channel_member_when_the_seat_hangs_up_then_one_call_ends_by_the_seat() -> None:
    tracker = CallTracker()

    events = [e for a in local_member_stream() for e in tracker.apply(a)]

    types = [e.event_type for e in events]
    assert types == [
        "CallOffered",
        "CallQueued",
        "SeatRinging",
        "CallAnswered",
        "CallLegAnswered",
        "CallLegEnded",
        "CallEnded",
    ]
    ended = events[-1]
    assert isinstance(ended, CallEnded)
    assert (ended.hung_up_by, ended.seat_id, ended.talk_seconds, ended.call_id) == (
        HangupParty.SEAT,
        "1002",
        6.05,  # the leg's measure; AgentComplete's whole-second TalkTime says 6
        "1795300000.16",
    )
    assert dict(tracker.calls) == {}


def test_given_a_talk_time_the_leg_does_not_agree_with_then_app_queues_whole_seconds_are_kept() -> None:
    tracker = CallTracker()
    stream = [
        AmiEvent.from_headers({**a.headers, "TalkTime": "9"}) if a.name == "AgentComplete" else a
        for a in local_member_stream()
    ]
    events = [e for a in stream for e in tracker.apply(a)]

    ended = events[-1]
    leg = next(e for e in events if isinstance(e, CallLegEnded))
    assert isinstance(ended, CallEnded) and leg.talk_seconds == 6.05
    assert ended.talk_seconds == 9.0  # 2.95 s apart: more than the records' resolution


def test_given_a_caller_hanging_up_while_ringing_a_seat_when_abandoned_then_it_is_an_abandon() -> None:
    tracker = CallTracker()
    stream = [
        caller_leg("Newchannel", 0, ChannelState="4", Context="incoming", Exten="12348"),
        caller_leg("QueueCallerJoin", 1, Queue="q-law", Position="2", Count="2"),
        caller_leg("HangupRequest", 21.5),
        caller_leg(
            "QueueCallerAbandon", 21.6, Queue="q-law", Position="1", OriginalPosition="2", HoldTime="20"
        ),
        caller_leg("Hangup", 21.7, Cause="16"),
    ]

    events = [e for a in stream for e in tracker.apply(a)]

    abandoned = [e for e in events if isinstance(e, CallAbandoned)]
    assert len(abandoned) == 1
    assert (abandoned[0].wait_seconds, abandoned[0].position, abandoned[0].original_position) == (20.6, 1, 2)
    assert abandoned[0].caller_number == "13800138000"
    assert abandoned[0].event_id == "1795300000.16:abandoned"


def callback_seat(name: str, dt: float, **headers: str) -> AmiEvent:
    return ev(
        name, dt, Channel="PJSIP/1001-00000020", Uniqueid="1795300100.32", Linkedid="1795300100.32", **headers
    )


def test_given_a_callback_whose_seat_does_not_answer_when_the_originate_fails_then_seat_no_answer() -> None:
    tracker = CallTracker()
    stream = [
        callback_seat("Newchannel", 0, ChannelState="0", Context="seats-out", Exten="s"),
        callback_seat("VarSet", 0.01, Variable="WORK_ORDER_ID", Value="wo-77"),
        callback_seat("Hangup", 20, Cause="19", Cause_txt="No answer"),
        # With an Originate `ChannelId`, Asterisk reports that id even though the channel is gone.
        ev(
            "OriginateResponse",
            20.01,
            ActionID="cb-wo-77-1",
            Response="Failure",
            Channel="PJSIP/1001",
            Context=dialplan.CALLBACK,
            Exten="13800138000",
            Reason="3",
            Uniqueid="1795300100.32",
        ),
    ]

    events = [e for a in stream for e in tracker.apply(a)]

    assert [e.event_type for e in events] == ["CallbackOriginated", "CallEnded", "CallbackLegOutcome"]
    outcome = events[-1]
    assert isinstance(outcome, CallbackLegOutcome)
    assert (outcome.leg, outcome.outcome, outcome.work_order_id, outcome.seat_id) == (
        CallbackLeg.SEAT,
        CallbackOutcome.NO_ANSWER,
        "wo-77",
        "1001",
    )
    ended = events[1]
    assert isinstance(ended, CallEnded)
    assert (ended.answered, ended.hung_up_by) == (False, HangupParty.SYSTEM)


def test_given_an_originate_that_never_made_a_channel_when_it_fails_then_the_action_id_names_it() -> None:
    tracker = CallTracker()

    events = tracker.apply(
        ev(
            "OriginateResponse",
            1,
            ActionID="cb-wo-78-1",
            Response="Failure",
            Channel="PJSIP/1003",
            Context=dialplan.CALLBACK,
            Exten="13900139000",
            Reason="0",
            Uniqueid="<null>",
        )
    )

    assert len(events) == 1
    outcome = events[0]
    assert isinstance(outcome, CallbackLegOutcome)
    assert (outcome.call_id, outcome.outcome, outcome.seat_id, outcome.action_id) == (
        "originate:cb-wo-78-1",
        CallbackOutcome.UNREACHABLE,
        "1003",
        "cb-wo-78-1",
    )


def test_given_an_originate_outside_the_callback_context_when_it_answers_then_nothing_is_emitted() -> None:
    tracker = CallTracker()
    tracker.apply(
        ev(
            "Newchannel",
            0,
            Channel="Local/tap@asr-tap-00000002;1",
            ChannelState="0",
            Uniqueid="6.1",
            Linkedid="6.1",
        )
    )

    events = tracker.apply(
        ev(
            "OriginateResponse",
            1,
            ActionID="tap-1",
            Response="Success",
            Channel="Local/tap@asr-tap-00000002;1",
            Reason="4",
            Uniqueid="6.1",
        )
    )

    assert events == []


def test_given_a_callback_when_the_citizen_is_busy_then_the_customer_leg_is_busy_once() -> None:
    tracker = CallTracker()
    stream = [
        callback_seat("Newchannel", 0, ChannelState="0"),
        callback_seat("VarSet", 0.01, Variable="WORK_ORDER_ID", Value="wo-79"),
        ev(
            "OriginateResponse",
            2,
            ActionID="a",
            Response="Success",
            Context=dialplan.CALLBACK,
            Exten="139",
            Reason="4",
            Uniqueid="1795300100.32",
        ),
        callback_seat("DialEnd", 3, DialStatus="BUSY", DestUniqueid="1795300103.33"),
        callback_seat("VarSet", 3.01, Variable="DIALSTATUS", Value="BUSY"),
        callback_seat("VarSet", 3.5, Variable="DIALSTATUS", Value="CANCEL"),
        callback_seat("Hangup", 3.6, Cause="17"),
    ]

    events = [e for a in stream for e in tracker.apply(a)]

    customer = [e for e in events if isinstance(e, CallbackLegOutcome) and e.leg is CallbackLeg.CUSTOMER]
    assert [(e.outcome, e.detail) for e in customer] == [(CallbackOutcome.BUSY, "BUSY")]
    assert events[-1].event_type == "CallEnded"


def test_given_a_member_when_removed_then_the_seat_left_the_queue() -> None:
    tracker = CallTracker()
    member = {
        "Queue": "q-law",
        "MemberName": "seat-2001",
        "Interface": "PJSIP/2001",
        "LoginTime": "1795300000",
    }
    tracker.apply(ev("QueueMemberAdded", 0, Status="1", Paused="0", **member))

    events = tracker.apply(ev("QueueMemberRemoved", 60, **member))

    assert [(type(e), e.seat_id, e.queue) for e in events if isinstance(e, SeatLeftQueue)] == [
        (SeatLeftQueue, "2001", "q-law")
    ]
    assert dict(tracker.members) == {}


def test_given_the_same_member_status_twice_when_applied_then_only_the_change_is_reported() -> None:
    tracker = CallTracker()
    member = {
        "Queue": "q-law",
        "MemberName": "seat-2001",
        "Interface": "PJSIP/2001",
        "Status": "2",
        "InCall": "1",
    }

    first = tracker.apply(ev("QueueMemberStatus", 0, **member))
    again = tracker.apply(ev("QueueMemberStatus", 1, **member))

    assert [e.event_type for e in first] == ["SeatDeviceStatusChanged"]
    assert again == []
    assert tracker.members[("q-law", "PJSIP/2001")].status is SeatDeviceStatus.IN_USE


def test_given_a_seat_in_many_queues_when_its_phone_changes_then_the_change_is_told_once() -> None:
    tracker = CallTracker()
    queues = [f"q-{n}" for n in range(20)]

    def reports(dt: float, status: str, in_call: dict[str, str] | None = None) -> list[str]:
        told = []
        for q in queues:
            headers = {"Queue": q, "MemberName": "seat-2001", "Interface": "PJSIP/2001", "Status": status}
            headers["InCall"] = (in_call or {}).get(q, "0")
            for e in tracker.apply(ev("QueueMemberStatus", dt, **headers)):
                assert isinstance(e, SeatDeviceStatusChanged)
                told.append(f"{e.queue}:{e.status.value}:{int(e.in_call)}")
        return told

    assert reports(0, "6") == ["q-0:ringing:0"]  # twenty reports of one change: told once
    # The call is q-7's: its member alone is in a call, a state of its own.
    assert reports(1, "2", {"q-7": "1"}) == ["q-0:in_use:0", "q-7:in_use:1", "q-8:in_use:0"]
    assert reports(2, "2", {"q-7": "1"}) == []  # nothing changed
    assert reports(3, "1") == ["q-0:not_in_use:0"]
    # Every queue's member keeps its own state all the same.
    assert {m.status for m in tracker.members.values()} == {SeatDeviceStatus.NOT_IN_USE}
    assert len(tracker.members) == 20


@pytest.mark.parametrize(
    ("member_name", "interface", "seat"),
    [
        ("seat-1001", "PJSIP/1001", "1001"),
        ("seat-A17", "PJSIP/9999", "A17"),
        ("王律师", "PJSIP/1005", "1005"),
        ("", "Local/1002@seats/n", "1002"),
        ("", "PJSIP/1003", "1003"),
        ("seat-", "SIP/1004", "1004"),
    ],
)
def test_given_a_queue_member_when_its_seat_is_derived_then_the_convention_holds(
    member_name: str, interface: str, seat: str
) -> None:
    assert seat_id_from_member(member_name, interface) == seat


@pytest.mark.parametrize(
    ("channel", "interface"),
    [
        ("PJSIP/1001-00000001", "PJSIP/1001"),
        ("Local/1002@seats-0000000b;2", "Local/1002@seats"),
        ("PJSIP/1001", "PJSIP/1001"),
    ],
)
def test_given_a_channel_name_when_its_interface_is_taken_then_the_suffix_is_dropped(
    channel: str, interface: str
) -> None:
    assert interface_of_channel(channel) == interface


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("1", SeatDeviceStatus.NOT_IN_USE),
        ("6", SeatDeviceStatus.RINGING),
        ("8", SeatDeviceStatus.ON_HOLD),
        ("9", SeatDeviceStatus.UNKNOWN),
        ("-1", SeatDeviceStatus.UNKNOWN),
        ("", SeatDeviceStatus.UNKNOWN),
    ],
)
def test_given_an_ami_member_status_code_when_mapped_then_the_enum_matches(
    code: str, status: SeatDeviceStatus
) -> None:
    assert SeatDeviceStatus.from_ami(code) is status


def test_given_an_inbound_call_without_caller_id_when_offered_then_the_number_is_empty() -> None:
    tracker = CallTracker()

    events = tracker.apply(
        ev(
            "Newchannel",
            0,
            Channel="PJSIP/trunk-1",
            ChannelState="4",
            CallerIDNum="<unknown>",
            Uniqueid="7.1",
            Linkedid="7.1",
            Exten="12348",
        )
    )

    assert isinstance(events[0], CallOffered)
    assert events[0].caller_number == ""
