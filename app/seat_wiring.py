"""Wiring of the seat workspace (`seats.workspace.SeatWorkspace`) over a started `Runtime`."""

from __future__ import annotations

from app.runtime import Runtime
from core.ports import CallControl
from seats.service import SeatService
from seats.workspace import SeatWorkspace
from store.consultations import ConsultationRepository


def build_seat_workspace(runtime: Runtime, *, control: CallControl | None = None) -> SeatWorkspace:
    """The workspace over the runtime's tracker, board, store and PBX. `control`: another PBX
    connection for the seats' commands (a test's fake); the runtime's otherwise.

    Call it inside the running event loop, after `runtime.start()`: it subscribes to the bus."""
    board = runtime.board
    if board is None:
        raise RuntimeError("runtime not started")
    repos = runtime.repos
    commands = runtime.seat_service
    if control is not None:
        commands = SeatService(control, repos.seats, repos.teams, runtime.rules, board, clock=runtime.clock)
    routing = runtime.routing
    districts = {} if routing is None else routing.resolver.gazetteer.districts
    return SeatWorkspace(
        board=board,
        views=runtime.call_views,
        live=runtime.tracker,
        bus=runtime.bus,
        clock=runtime.clock,
        rules=runtime.rules,
        seats=repos.seats,
        teams=repos.teams,
        calls=repos.calls,
        records=ConsultationRepository(repos.db),
        transcripts=repos.transcripts,
        orders=repos.work_orders,
        offices=None if routing is None else routing.lookup,
        district_names={code: d.name for code, d in districts.items()},
        transfer_numbers=runtime.settings.web.transfer_numbers,
        wrap_up_seconds=runtime.settings.seats.wrap_up_s,
        commands=commands,
        control=control or runtime.control,
        after_call=runtime.after_call,
    )
