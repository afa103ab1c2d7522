"""Installs the console (routes, static assets, error handler) on a FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from console_web.errors import hotline_error_handler
from console_web.offices_api import build_offices_router
from console_web.orders_api import build_orders_router
from console_web.reliability_api import build_reliability_router
from console_web.routes import STATIC, build_router
from console_web.schedule_api import build_schedule_router
from console_web.seat_api import build_seat_router
from console_web.security import SecurityConfig, install_security
from console_web.supervisor_api import build_supervisor_router
from core.errors import HotlineError


def install_console(app: FastAPI, security: SecurityConfig | None = None) -> None:
    app.include_router(build_router())
    app.include_router(build_seat_router())
    app.include_router(build_supervisor_router())
    app.include_router(build_orders_router())
    app.include_router(build_offices_router())
    app.include_router(build_schedule_router())
    app.include_router(build_reliability_router())
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(HotlineError, hotline_error_handler)
    install_security(app, security or SecurityConfig())
