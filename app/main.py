"""`build_app(settings)`: the composition root for the web process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.console_schedule import ScheduleConsole, subscribe_seat_log
from app.console_seat import SeatConsole
from app.console_supervisor import OfficesConsole, OrdersConsole, SupervisorConsole, seed_offices_if_empty
from app.runtime import Runtime
from app.settings import Settings
from console_web.security import SecurityConfig
from console_web.web import install_console
from core.blocking import offload
from core.clock import Clock


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
        app.state.seat_console = SeatConsole(runtime)
        await offload(seed_offices_if_empty, runtime)
        subscribe_seat_log(runtime)
        app.state.schedule_backend = schedule = ScheduleConsole(runtime)
        app.state.supervisor_backend = SupervisorConsole(runtime, shifts=schedule.shifts_on)
        app.state.orders_backend = OrdersConsole(runtime)
        app.state.offices_backend = offices = OfficesConsole(runtime, on_reload=runtime.use_office_registry)
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
