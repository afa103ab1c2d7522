"""`build_app(settings)`: the composition root for the web process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.runtime import Runtime
from app.settings import Settings
from console_web.mirror import live_snapshot
from console_web.report_archive import ReportArchive
from console_web.security import SecurityConfig
from console_web.web import install_console
from core.blocking import offload, on_loop
from core.clock import Clock
from core.ports import CallControl
from pbx.offline import PbxOffline
from routing.gazetteer import SHANGHAI_DIR
from routing.office_admin import OfficeAdmin, seed_offices_if_empty
from seats.rota import subscribe_seat_log
from seats.service import SeatService
from seats.workspace import SeatWorkspace
from seats.wrap_up import WrapUpPolicyService
from stats.supervision import seeded_live_board
from store import services
from store.consultations import ConsultationRepository
from store.knowledge import start_knowledge
from store.policies import ServicePolicyRepository
from store.schedules import SeatLogRepository


def build_seat_workspace(runtime: Runtime, *, control: CallControl | None = None) -> SeatWorkspace:
    """The workspace over the runtime's tracker, board, store and PBX. `control`: another PBX
    connection for the seats' commands (a test's fake); the runtime's otherwise.

    Call it inside the running event loop, after `runtime.start()`: it subscribes to the bus."""
    board = runtime.board
    if board is None:
        raise RuntimeError("runtime not started")
    repos = runtime.repos
    commands = runtime.seats.service
    if control is not None:
        commands = SeatService(control, repos.seats, repos.teams, runtime.rules, board, clock=runtime.clock)
    routing = runtime.routes.routing
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
        control=control or runtime.ami.control,
        after_call=runtime.seats.after_call,
        policies=ServicePolicyRepository(repos.db),
    )


def build_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    """A FastAPI app whose lifespan starts every component and stops them in reverse order."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(settings, clock=clock)
        await runtime.start()
        web = settings.role == "web"  # a web process: reads and pushes; the rest is forwarded
        app.state.runtime = app.state.backend = runtime
        app.state.reliability_backend = runtime.health  # /api/admin: dead letters, reliability, process
        if settings.role == "telephony":  # what the web processes mirror when they start
            app.state.telephony_snapshot = lambda: live_snapshot(runtime.board, runtime.call_views)
            app.state.internal_token = runtime.internal_token
        repos, bus, clock_, calendar = runtime.repos, runtime.bus, runtime.clock, runtime.calendar
        # Built inside the running loop: they subscribe to the bus, and read what the loop owns.
        app.state.seat_console = build_seat_workspace(runtime)
        app.state.seat_day = services.seat_day(repos, clock_)
        app.state.knowledge_backend = await start_knowledge(repos.db, clock_)  # 知识库
        if not web:  # the one process that writes what start-up writes
            await offload(seed_offices_if_empty, repos.offices, SHANGHAI_DIR)
            subscribe_seat_log(bus, SeatLogRepository(repos.db), guard=runtime.journals.guard)
        app.state.schedule_backend = rota = services.rota(repos, clock_)
        live = seeded_live_board(runtime.call_views, runtime.board.states.values() if runtime.board else ())
        app.state.supervisor_backend = supervision = services.supervision(
            repos, live=live, roster=rota, clock=clock_, calendar=calendar, wrap_up_s=settings.seats.wrap_up_s,
            rules=runtime.rules)  # fmt: skip
        bus.subscribe("supervisor-live", supervision.follow)
        app.state.qc_backend = services.quality(repos, clock_, None if web else bus)
        app.state.recordings_backend = runtime.recordings.library(runtime.scope_of)  # 录音与转写检索
        # The registry is loaded on a worker thread (after every edit too) and swapped on the loop.
        swap = on_loop(runtime.routes.use_registry)
        app.state.offices_backend = offices = OfficeAdmin(repos.offices, repos.teams, on_reload=swap)
        await offload(offices.reload)
        stops = [runtime.stop]
        if not web:  # what acts on the PBX or runs on a timer: the telephony process's alone
            app.state.board_alerts = alerts = services.board_alerts(repos, live, clock_, calendar, settings.web.alerts)  # fmt: skip
            await alerts.run()  # 告警: its rules checked on the live board, its episodes kept in board_alerts
            app.state.report_archive = archive = ReportArchive.started(settings.web, supervision)  # 报表归档
            o = await services.oversight(
                repos,
                defaults=settings.web.monitor.rights(),
                board=runtime.board,
                live=runtime.tracker,
                live_monitors=lambda: runtime.tracker.monitor_keys,
                bus=bus,
                clock=clock_,
                control=lambda: runtime.ami.control,
                commands=lambda: runtime.seats.service,
                rules=runtime.rules,
                scope_of=runtime.scope_of,
            )
            app.state.rights_backend, app.state.audit_backend = o.rights, o.audit
            app.state.monitor_backend, app.state.steer_backend = o.monitor, o.steering
            app.state.wrap_up_policy = WrapUpPolicyService(ServicePolicyRepository(repos.db), clock_)
            app.state.orders_backend = services.workbench(
                repos,
                live=lambda: runtime.callback_part.service,
                board=lambda: runtime.board,
                offline=PbxOffline(),
                dialling=lambda: (
                    runtime.callback_part.service is not None and runtime.ami.control is not None
                ),
                bus=bus,
                clock=clock_,
                calendar=calendar,
                calls=runtime.call_views.get,
                folder=settings.voicemail.folder(),
            )
            stops[:0] = [o.steering.stop, alerts.stop, archive.stop]
        try:
            yield
        finally:
            for stop in stops:
                await stop()

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
        telephony_url=settings.web.telephony_url if settings.role == "web" else None,
    )
    return app
