"""`build_app(settings)`: the composition root for the web process."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.runtime import Runtime
from app.seat_wiring import build_seat_workspace
from app.settings import Settings
from app.supervision import build_supervision
from callbacks.service import CallbackService
from callbacks.sla import SlaPolicy
from callbacks.workbench import Workbench
from console_web.security import SecurityConfig
from console_web.web import install_console
from core.blocking import offload
from core.clock import Clock
from core.errors import PbxUnavailable
from pbx.offline import PbxOffline
from routing.gazetteer import SHANGHAI_DIR
from routing.office_admin import OfficeAdmin, seed_offices_if_empty
from seats.board import SeatBoard
from seats.rota import Rota, subscribe_seat_log
from store.callback_repo_extras import CallbackLedgerRepository
from store.callback_seats import CallbackSeats
from store.schedules import ScheduleRepository, SeatLogRepository


def build_workbench(runtime: Runtime) -> Workbench:
    """The work-order pages over the runtime's callback service. Without the AMI link the runtime
    builds none: orders are then claimed, assigned, released and closed through one of our own
    whose PBX refuses every command (calling back answers 503)."""
    sla = SlaPolicy(calendar=runtime.calendar)

    @functools.cache
    def offline(board: SeatBoard) -> CallbackService:
        return CallbackService(
            store=runtime.repos.work_orders,
            ledger=CallbackLedgerRepository(runtime.repos.db),
            calls=PbxOffline(),
            bus=runtime.bus,
            clock=runtime.clock,
            seats=CallbackSeats(runtime.repos, board),
            sla=sla,
        )

    def service() -> CallbackService:
        if runtime.callbacks is not None:
            return runtime.callbacks
        if runtime.board is None:
            raise PbxUnavailable("坐席状态服务未启动")
        return offline(runtime.board)

    return Workbench(
        orders=runtime.repos.work_orders,
        teams=runtime.repos.teams,
        seats=runtime.repos.seats,
        clock=runtime.clock,
        sla=sla,
        service=service,
        dialling=lambda: runtime.callbacks is not None and runtime.control is not None,
    )


def build_rota(runtime: Runtime) -> Rota:
    return Rota(
        shifts=ScheduleRepository(runtime.repos.db),
        log=SeatLogRepository(runtime.repos.db),
        teams=runtime.repos.teams,
        seats=runtime.repos.seats,
        clock=runtime.clock,
    )


def build_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    """A FastAPI app whose lifespan starts every component and stops them in reverse order."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(settings, clock=clock)
        await runtime.start()
        app.state.runtime = runtime
        app.state.backend = runtime
        app.state.reliability_backend = runtime
        # Built inside the running loop: it subscribes to the bus.
        app.state.seat_console = build_seat_workspace(runtime)
        await offload(seed_offices_if_empty, runtime.repos.offices, SHANGHAI_DIR)
        subscribe_seat_log(runtime.bus, SeatLogRepository(runtime.repos.db), guard=runtime.journals.guard)
        app.state.schedule_backend = rota = build_rota(runtime)
        app.state.supervisor_backend = build_supervision(runtime, shifts=rota.shifts_on)
        app.state.orders_backend = build_workbench(runtime)
        app.state.offices_backend = offices = OfficeAdmin(
            runtime.repos.offices, runtime.repos.teams, on_reload=runtime.use_office_registry
        )
        await offload(offices.reload)
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="12348 公共法律服务热线坐席系统",
        description="坐席控制台与监控接口",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_console(
        app,
        SecurityConfig(
            max_body_bytes=settings.web.max_body_bytes,
            max_import_bytes=settings.web.max_import_bytes,
            trusted_proxies=tuple(settings.web.trusted_proxies),
        ),
    )
    return app
