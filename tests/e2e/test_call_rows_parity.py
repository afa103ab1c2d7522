"""The board's fold of pushed call events (console_web/static/lib/call_rows.js) against the server.

For calls' stories told as events: the row `GET /api/calls/recent` serves for the call before an
event (`project_call`, then `CallOut.of`, masked as the response is), with that event folded in by
the page as the hub pushes it (`to_wire`, masked for a viewer without full numbers), must be the row
the API serves after it, labels included (the page's come from `/api/labels`). The rows have no
state beyond what the API serves, so a whole story folds as the server projects it. Where the page
says it cannot fold an event, it reads the API instead: allowed for the few events the push does
not say exactly, and only those. Skipped only when `node` is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from console_web.routes import CallOut, state_labels
from core.call_events import (
    CallAbandoned,
    CallAnswered,
    CallbackLeg,
    CallbackLegOutcome,
    CallbackOriginated,
    CallbackOutcome,
    CallDirection,
    CallEnded,
    CallLegAnswered,
    CallOffered,
    CallQueued,
    CallReconciled,
    CallTimedOut,
    CallTransferred,
    CallTransferSettled,
    HangupParty,
    LegKind,
    SeatRinging,
    SeatRingNoAnswer,
    TransferKind,
    TransferStatus,
)
from core.call_view import project_call
from core.calls import CallRecord
from core.events import DomainEvent, to_wire
from core.ids import CallId, SeatId
from core.privacy import mask_phone_numbers
from tests.support.events import routed_to_jingan_labor

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
LIB = ROOT / "console_web" / "static" / "lib" / "call_rows.js"
T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
Q = "q-310106-labor"
NUMBER = "13812345678"

pytestmark = pytest.mark.skipif(NODE is None, reason="需要 node")

# Events the page may decline to fold (it reads the API instead): what the push does not say exactly.
RELOADED = {"CallReconciled", "CallEnded(inferred)", "CallLegAnswered(customer)"}

_DRIVER = """
import { foldCall } from %s;
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { labels, steps } = JSON.parse(input);
const out = steps.map(([row, ev]) => {
  const r = foldCall(row === null ? undefined : row, ev, labels);
  return r === null ? { none: true } : r.reload ? { reload: true } : { row: r.row };
});
process.stdout.write(JSON.stringify(out));
"""


def _at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def _seat_event(cls: type[Any], call: str, s: float, seat: str = "1001", **kw: Any) -> DomainEvent:
    event: DomainEvent = cls(
        at=_at(s), call_id=CallId(call), seat_id=SeatId(seat), interface=f"PJSIP/{seat}", queue=Q, **kw
    )
    return event


def _offered(call: str) -> DomainEvent:
    return CallOffered(
        at=_at(0), call_id=CallId(call), channel=f"PJSIP/{NUMBER}-0001", caller_number=NUMBER, dialed="12348"
    )


def _queued(call: str, s: float = 20) -> DomainEvent:
    return CallQueued(at=_at(s), call_id=CallId(call), queue=Q, position=1, caller_number=NUMBER)


def _ended(
    call: str,
    s: float,
    *,
    answered: bool,
    talk: float | None,
    inferred: bool = False,
    seat: str | None = None,
) -> DomainEvent:
    return CallEnded(
        at=_at(s),
        call_id=CallId(call),
        direction=CallDirection.INBOUND,
        hung_up_by=HangupParty.CALLER,
        answered=answered,
        talk_seconds=talk,
        duration_seconds=s,
        cause=16,
        seat_id=SeatId(seat) if seat else None,
        queue=Q,
        caller_number=NUMBER,
        inferred=inferred,
    )


def _answered(call: str, s: float, seat: str = "1001", wait: float | None = 4.5) -> DomainEvent:
    return _seat_event(CallAnswered, call, s, seat, wait_seconds=wait, caller_number=NUMBER)


def _transfer(call: str, s: float, status: TransferStatus, seq: int = 1) -> DomainEvent:
    return CallTransferred(
        at=_at(s),
        call_id=CallId(call),
        context="hotline-transfer",
        exten="1002",
        seat_id=SeatId("1001"),
        kind=TransferKind.SEAT,
        target="1002",
        status=status,
        seq=seq,
    )


def _stories() -> list[list[DomainEvent]]:
    answered = [
        _offered("c-ok"),
        routed_to_jingan_labor("c-ok", NUMBER, _at(15), why="按键"),
        _queued("c-ok"),
        _seat_event(SeatRinging, "c-ok", 21),
        _seat_event(SeatRingNoAnswer, "c-ok", 36, ring_seconds=15.0),
        _seat_event(SeatRinging, "c-ok", 37, "1002"),
        _answered("c-ok", 40, "1002"),
        _ended("c-ok", 100, answered=True, talk=60.125, seat="1002"),
    ]
    abandoned = [
        _offered("c-gone"),
        _queued("c-gone"),
        CallAbandoned(
            at=_at(50),
            call_id=CallId("c-gone"),
            queue=Q,
            wait_seconds=30.0,
            position=2,
            original_position=3,
            caller_number=NUMBER,
        ),
        _ended("c-gone", 50, answered=False, talk=None),
    ]
    timed_out = [
        _offered("c-late"),
        _queued("c-late"),
        CallTimedOut(
            at=_at(320),
            call_id=CallId("c-late"),
            queue=Q,
            wait_seconds=300.0,
            position=1,
            original_position=1,
            caller_number=NUMBER,
        ),
        _ended("c-late", 321, answered=False, talk=None),
    ]
    transferred = [
        _offered("c-tr"),
        _queued("c-tr"),
        _answered("c-tr", 30),
        _transfer("c-tr", 60, TransferStatus.PENDING),
        CallTransferSettled(
            at=_at(65),
            call_id=CallId("c-tr"),
            seq=1,
            kind=TransferKind.SEAT,
            target="1002",
            status=TransferStatus.OK,
            seat_id=SeatId("1002"),
        ),
        _answered("c-tr", 65, "1002", wait=5.0),
        _ended("c-tr", 120, answered=True, talk=85.5, seat="1002"),
    ]
    failed_transfers = [
        _offered("c-tf"),
        _queued("c-tf"),
        _answered("c-tf", 30),
        _transfer("c-tf", 60, TransferStatus.FAILED),
        _transfer("c-tf", 70, TransferStatus.PENDING, seq=2),
        CallTransferSettled(
            at=_at(80),
            call_id=CallId("c-tf"),
            seq=2,
            kind=TransferKind.SEAT,
            target="1002",
            status=TransferStatus.FAILED,
            detail="NOANSWER",
        ),
        _ended("c-tf", 90, answered=True, talk=60.0, seat="1001"),
    ]
    callback = [
        CallbackOriginated(
            at=_at(0),
            call_id=CallId("c-cb"),
            work_order_id="wo-1",
            seat_id=SeatId("1001"),
            interface="PJSIP/1001",
            channel="PJSIP/1001-0009",
        ),
        CallbackLegOutcome(
            at=_at(5),
            call_id=CallId("c-cb"),
            leg=CallbackLeg.SEAT,
            outcome=CallbackOutcome.ANSWERED,
            work_order_id="wo-1",
            seat_id=SeatId("1001"),
        ),
        CallLegAnswered(
            at=_at(12), call_id=CallId("c-cb"), leg_id="c-cb:2", kind=LegKind.CUSTOMER, party=NUMBER
        ),
        CallbackLegOutcome(
            at=_at(12),
            call_id=CallId("c-cb"),
            leg=CallbackLeg.CUSTOMER,
            outcome=CallbackOutcome.ANSWERED,
            work_order_id="wo-1",
        ),
    ]
    guessed = [
        _offered("c-guess"),
        _queued("c-guess"),
        _answered("c-guess", 30),
        _ended("c-guess", 200, answered=True, talk=None, inferred=True, seat="1001"),
        CallReconciled(at=_at(190), call_id=CallId("c-guess"), status="answered", talk_seconds=158.0),
    ]
    return [answered, abandoned, timed_out, transferred, failed_transfers, callback, guessed]


def _kind(event: DomainEvent) -> str:
    name = event.event_type
    if isinstance(event, CallEnded) and event.inferred:
        return f"{name}(inferred)"
    if isinstance(event, CallLegAnswered):
        return f"{name}({event.kind.value})"
    return name


def _served(record: CallRecord, full_numbers: bool) -> dict[str, Any]:
    """The row as the API's response carries it (`console_web.security.MaskPhoneNumbers`)."""
    row = CallOut.of(record).model_dump()
    served: dict[str, Any] = row if full_numbers else mask_phone_numbers(row)
    return served


def _pushed(event: DomainEvent, full_numbers: bool) -> dict[str, Any]:
    """The event as the hub sends it (`WebsocketHub._dispatch`)."""
    wire = to_wire(event)
    pushed: dict[str, Any] = wire if full_numbers else mask_phone_numbers(wire)
    return pushed


# A viewer without full numbers (everyone today: `core.access.sees_full_numbers`), and one with
# them: the API masks the caller for both (`CallOut.of`), so the page must too.
@pytest.mark.parametrize("full_numbers", [False, True], ids=["masked", "full-numbers"])
def test_the_page_folds_each_pushed_event_into_the_row_the_api_serves(full_numbers: bool) -> None:
    assert NODE is not None
    steps: list[tuple[str, dict[str, Any] | None, dict[str, Any]]] = []
    expected: list[dict[str, Any]] = []
    for story in _stories():
        record: CallRecord | None = None
        for event in story:
            before = None if record is None else _served(record, full_numbers)
            record = project_call(record, event)
            assert record is not None
            steps.append((_kind(event), before, _pushed(event, full_numbers)))
            expected.append(_served(record, full_numbers))
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", _DRIVER % json.dumps(LIB.as_uri())],
        input=json.dumps({"labels": state_labels().call_status, "steps": [s[1:] for s in steps]}).encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    folded = json.loads(done.stdout)
    reloaded = set()
    for (kind, before, pushed), out, served in zip(steps, folded, expected, strict=True):
        if out.get("reload"):
            reloaded.add(kind)
            continue
        assert "row" in out, (kind, out)
        assert out["row"] == served, (pushed["data"]["call_id"], kind, before)
    assert reloaded <= RELOADED, reloaded
    assert reloaded, "the stories include events the push does not say exactly"
    assert len(steps) - len(reloaded) >= 30
