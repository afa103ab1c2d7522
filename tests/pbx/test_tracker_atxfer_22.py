"""The console's attended transfer (咨询转接) as a real Asterisk 22.10.1 reported it, fed through
`CallTracker` (traces: tests/data/asterisk-traces/atxfer_*, README there). Ground truth is
Asterisk's own: queue_log and the full log's bridge lines, never the project's records."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest

from core.call_events import (
    CallAnswered,
    CallEnded,
    CallLegAnswered,
    CallLegEnded,
    CallTransferred,
    HangupParty,
    LegKind,
    TransferKind,
    TransferStatus,
)
from core.events import DomainEvent
from pbx.ami_event import AmiEvent, parse_trace
from pbx.tracker import CallTracker

TRACES = Path(__file__).resolve().parents[1] / "data" / "asterisk-traces"
_SNAPSHOT = {"CoreShowChannel", "CoreShowChannelsComplete", "QueueParams", "QueueMember", "QueueEntry"}
_BRIDGE = re.compile(r"^\[([\d-]+ [\d:.]+)\] Channel (\S+) (joined|left|swapped with \S+ into) ")


def replay(name: str) -> list[DomainEvent]:
    """As the bridge does: rebuild from the login's snapshot, then every live event in order."""
    tracker = CallTracker()
    snapshot: list[AmiEvent] = []
    live: list[AmiEvent] = []
    last = datetime(2026, 1, 1, tzinfo=UTC)
    for kind, headers in parse_trace((TRACES / name / "ami.ami").read_bytes()):
        if kind != "event":
            continue
        event = AmiEvent.from_headers(headers, received_at=last)
        last = event.at
        (
            snapshot if event.name in _SNAPSHOT | {"QueueStatusComplete"} and "ActionID" in headers else live
        ).append(event)
    login = next(e.at for e in live if e.name == "SuccessfulAuth")
    snapshot = [AmiEvent(e.name, e.uniqueid, e.linkedid, login, e.headers) for e in snapshot]
    out = tracker.rebuild(
        [e for e in snapshot if e.name == "CoreShowChannel"],
        [e for e in snapshot if e.name != "CoreShowChannel"],
        login,
    )
    for event in live:
        out += tracker.apply(event)
    return out


def bridged_with_caller(name: str, *party: str) -> float:
    """Seconds the channels named `party...` spent in the caller's bridge (bridges.log; a swap-in
    counts: the consultation's Local half stands for its target until Local optimisation)."""
    caller_bridge = ""
    joined: datetime | None = None
    total = 0.0
    for line in (TRACES / name / "bridges.log").read_text(encoding="utf-8").splitlines():
        m = _BRIDGE.match(line)
        assert m, line
        at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f")
        bridge = line.rsplit("<", 1)[1].rstrip(">")
        if m.group(2).startswith("PJSIP/13900139000"):
            caller_bridge = caller_bridge or bridge
        if not m.group(2).startswith(party) or bridge != caller_bridge:
            continue
        if m.group(3) == "left" and joined is not None:
            total += (at - joined).total_seconds()
            joined = None
        elif m.group(3) != "left":
            joined = at
    return total


def queue_log(name: str) -> list[list[str]]:
    return [r.split("|") for r in (TRACES / name / "queue_log").read_text().splitlines() if r]


T = TypeVar("T")


def of_type(events: list[DomainEvent], kind: type[T]) -> list[T]:
    return [e for e in events if isinstance(e, kind)]


@pytest.mark.parametrize("trace", ["atxfer_seat_completed", "atxfer_seat_completed_untargeted"])
def test_given_a_completed_consultation_then_the_caller_is_transferred_to_the_consulted_seat(
    trace: str,
) -> None:
    events = replay(trace)

    (transfer,) = of_type(events, CallTransferred)
    assert (transfer.kind, transfer.target, transfer.status) == (
        TransferKind.ATTENDED,
        "1002",
        TransferStatus.OK,
    )
    assert (transfer.seat_id, transfer.context, transfer.exten) == ("1001", "hotline-consult", "1002")
    assert [a.seat_id for a in of_type(events, CallAnswered)] == ["1001", "1002"]
    legs = {leg.leg_id: leg for leg in of_type(events, CallLegAnswered)}
    assert [(leg.kind, leg.party, leg.channel[:11]) for leg in legs.values()] == [
        (LegKind.SEAT, "1001", "PJSIP/1001-"),
        (LegKind.SEAT, "1002", "PJSIP/1002-"),
    ]
    ended = {e.party: e.talk_seconds for e in of_type(events, CallLegEnded)}
    assert set(ended) == {"1001", "1002"}  # the Local halves of the consultation are no legs
    # 1001 was on the call from its answer until it left, the consultation included (queue_log's
    # ATTENDEDTRANSFER calltime); 1002 from the transfer until the caller hung up (bridges.log).
    (xfer,) = [r for r in queue_log(trace) if r[4] == "ATTENDEDTRANSFER"]
    assert ended["1001"] is not None and abs(ended["1001"] - int(xfer[8])) < 1.0
    assert ended["1002"] is not None
    talk_1002 = bridged_with_caller(trace, "PJSIP/1002", "Local/1002@")
    assert abs(ended["1002"] - talk_1002) < 0.01
    (end,) = of_type(events, CallEnded)
    assert end.hung_up_by is HangupParty.CALLER and end.seat_id == "1002"
    assert end.talk_seconds == round(ended["1001"] + ended["1002"], 3)


@pytest.mark.parametrize(
    ("trace", "target"), [("atxfer_seat_cancelled", "1002"), ("atxfer_12345_cancelled", "12345")]
)
def test_given_a_cancelled_consultation_then_the_seat_keeps_the_caller_and_the_transfer_failed(
    trace: str, target: str
) -> None:
    events = replay(trace)

    (transfer,) = of_type(events, CallTransferred)
    assert (transfer.kind, transfer.target, transfer.status, transfer.detail) == (
        TransferKind.ATTENDED,
        target,
        TransferStatus.FAILED,
        "cancelled",
    )
    assert (transfer.context, transfer.exten) == ("hotline-consult", target)
    assert [a.seat_id for a in of_type(events, CallAnswered)] == ["1001"]
    (leg,) = of_type(events, CallLegEnded)
    assert leg.party == "1001"
    assert leg.talk_seconds is not None
    (complete,) = [r for r in queue_log(trace) if r[4] == "COMPLETECALLER"]
    assert abs(leg.talk_seconds - int(complete[6])) <= 1.0
    (end,) = of_type(events, CallEnded)
    # The consulted seat's hang-up is not the caller's call ending: the caller hung up.
    assert end.hung_up_by is HangupParty.CALLER and end.seat_id == "1001"
