"""Installs the console (routes, static assets, error handler) on a FastAPI application, and
serves it with uvicorn (`serve`)."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from console_web.admin_api import build_admin_router
from console_web.board_api import build_board_router
from console_web.deps import STATIC
from console_web.errors import hotline_error_handler
from console_web.forward import ForwardToTelephony
from console_web.internal_api import build_internal_router
from console_web.knowledge_api import build_knowledge_router
from console_web.monitor_api import build_monitor_router
from console_web.offices_api import build_offices_router
from console_web.orders_api import build_orders_router
from console_web.qc_api import build_qc_router
from console_web.recordings_api import build_recordings_router
from console_web.reliability_api import build_reliability_router
from console_web.report_api import build_report_router
from console_web.routes import build_router
from console_web.schedule_api import build_schedule_router
from console_web.seat_api import build_seat_router
from console_web.security import SecurityConfig, install_security
from console_web.steer_api import build_steer_router
from console_web.supervisor_api import build_supervisor_router
from core.errors import HotlineError


def install_console(
    app: FastAPI, security: SecurityConfig | None = None, *, telephony_url: str | None = None
) -> None:
    """`telephony_url`: this is a web process (app role `web`); what it does not answer itself is
    forwarded there (`console_web.forward`)."""
    app.include_router(build_router())
    app.include_router(build_seat_router())
    app.include_router(build_supervisor_router())
    app.include_router(build_board_router())
    app.include_router(build_report_router())
    app.include_router(build_monitor_router())
    app.include_router(build_steer_router())
    app.include_router(build_admin_router())
    app.include_router(build_orders_router())
    app.include_router(build_offices_router())
    app.include_router(build_schedule_router())
    app.include_router(build_reliability_router())
    app.include_router(build_qc_router())
    app.include_router(build_recordings_router())
    app.include_router(build_knowledge_router())
    app.include_router(build_internal_router())
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(HotlineError, hotline_error_handler)
    if telephony_url:
        # Inside the security middlewares (added after it): a forwarded request is size-checked
        # and its client address made out here first, and its answer gets the headers too.
        app.add_middleware(ForwardToTelephony, target=telephony_url)
    install_security(app, security or SecurityConfig())


WS_MAX_MESSAGE_BYTES = 64 * 1024


def uvicorn_options(*, host: str, port: int, log_level: str) -> dict[str, object]:
    """How the console runs under uvicorn (a function, so that tests can read it)."""
    return {
        "host": host,
        "port": port,
        "log_level": log_level,
        "lifespan": "on",
        # Client addresses come from console_web.security.TrustedProxies, which believes
        # X-Forwarded-For only from HOTLINE_WEB__TRUSTED_PROXIES (uvicorn's own default trusts 127.0.0.1).
        "proxy_headers": False,
        # The console's websocket only pushes; a browser never needs to send more than a few bytes.
        "ws_max_size": WS_MAX_MESSAGE_BYTES,
        # Its frames are small JSON: per-message deflate cost more CPU than it saved bytes, and at
        # 200 concurrent calls it alone took the push's p50 from 85 ms to 1.2 s (issue 21).
        "ws_per_message_deflate": False,
    }


def serve(app: FastAPI, *, host: str, port: int, log_level: str) -> bool:
    """Serve `app` until stopped (Ctrl+C); False when it never started (its lifespan failed)."""
    import uvicorn

    config = uvicorn.Config(app, **uvicorn_options(host=host, port=port, log_level=log_level))  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    # Ctrl+C: uvicorn shuts the app down, then raises the signal again; nothing is left to report.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve())
    return bool(server.started)
