"""One read model of a call (`core.call_view`) over the real Asterisk 22.10.1 runs: the projection
of a call's events is the row the recorder stores, the consoles' in-memory views hold that same
row, and a seat's screen pop of a call known only to the database (after a restart) is the one
it had from memory."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pbx"))

from real_traces_22 import FOLDER, all_events, readme_linkedids

from core.call_events import CallAnswered, CallOffered
from core.call_view import CallViews, project_call
from core.calls import CallRecord, CallStatus
from core.events import DomainEvent, call_id_of
from core.ids import CallId, EventId, OfficeId, TeamId
from core.ivr_events import AppointmentRequested
from seats.board import SeatBoard
from seats.models import Seat, SeatKind
from seats.state import SeatState, SeatStatus
from seats.workspace import SeatWorkspace
from store.db import Database
from store.repositories import CallRepository
from tests.seats.test_workspace import Threads, workspace_over
from tests.support.events import routed_to_jingan_labor
from tests.support.recording import record

pytestmark = pytest.mark.skipif(not FOLDER.is_dir(), reason="shared traces missing")


def _projected(events: list[DomainEvent]) -> dict[CallId, CallRecord | None]:
    """`project_call` folded over each call's events, each event id once (as the trail keeps them)."""
    out: dict[CallId, CallRecord | None] = {}
    seen: set[EventId] = set()
    for event in events:
        call_id = call_id_of(event)
        if call_id and event.event_id not in seen:
            seen.add(event.event_id)
            out[call_id] = project_call(out.get(call_id), event)
    return out


async def test_given_the_real_runs_then_the_projection_of_a_calls_events_is_its_stored_row_and_its_view(
    db: Database,
) -> None:
    events = all_events()
    calls = await record(db, events + events)  # a replay changes nothing
    views = CallViews(keep=len(events))
    for event in events + events:
        views.apply(event)
    projected = _projected(events)

    ids = [CallId(linkedid) for linkedid in readme_linkedids()]
    in_memory = [call_id for call_id in ids if views.get(call_id) is not None]
    for call_id in ids:
        assert calls.find(call_id) == projected[call_id], call_id
    for call_id in in_memory:
        view = views.get(call_id)
        assert view is not None and view.record == calls.find(call_id), call_id
    assert in_memory == ids  # every call of the runs was seen opening (none only by a resync)


async def test_given_a_call_only_in_the_database_after_a_restart_then_its_screen_pop_is_the_live_one(
    db: Database,
) -> None:
    events = all_events()
    answered = next(e for e in events if isinstance(e, CallAnswered) and e.seat_id)
    call_id, seat_id = answered.call_id, answered.seat_id
    offered = next(e for e in events if isinstance(e, CallOffered) and e.call_id == call_id)
    after_ivr = offered.at + timedelta(seconds=5)
    ivr = [
        routed_to_jingan_labor(call_id, offered.caller_number, after_ivr, why="按键选择：劳动争议"),
        AppointmentRequested(
            at=after_ivr,
            call_id=call_id,
            caller_number=offered.caller_number,
            office_id=OfficeId("office-310106-01"),
            office_name="静安区公共法律服务中心",
            district_code="310106",
            spoken_address="静安区南京西路1号",
        ),
    ]
    at = events.index(offered) + 1
    events = [*events[:at], *ivr, *events[at:]]
    await record(db, events)
    views = CallViews(keep=len(events))
    for event in events:
        views.apply(event)
    assert views.get(call_id) is not None

    def workspace(remembered: CallViews) -> SeatWorkspace:
        seat = Seat(id=seat_id, name="坐席", kind=SeatKind.LAWYER, team_id=TeamId("t"), interface="PJSIP/x")
        board = SeatBoard([seat])
        board.states[seat_id] = SeatState(seat_id=seat_id, team_id=TeamId("t"), status=SeatStatus.AVAILABLE)
        return workspace_over(Threads(), board, remembered, calls=CallRepository(db))

    live = await workspace(views).screen_pop(seat_id, call_id)
    restarted = await workspace(CallViews()).screen_pop(seat_id, call_id)

    assert restarted == live
    assert (live.ivr_path, live.ivr_why, live.address) == (
        ("法律咨询", "劳动争议"),
        "按键选择：劳动争议",
        "静安区南京西路1号",
    )
    assert live.office is not None and live.office.id == "office-310106-01"
    assert live.category_label == "劳动争议" and live.district_name == "静安区"
    assert live.status is CallStatus.ANSWERED
