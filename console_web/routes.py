"""HTTP and websocket routes of the console.

Services are injected: the composition root puts an object satisfying `ConsoleBackend` on
`app.state.backend` during start-up; nothing here knows how it is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse

from console_web.hub import WebsocketHub
from core.calls import CallRecord
from core.privacy import mask_number

STATIC = Path(__file__).resolve().parent / "static"


class ConsoleBackend(Protocol):
    hub: WebsocketHub

    def component_status(self) -> list[dict[str, object]]: ...

    def recent_calls(self, limit: int) -> list[CallRecord]: ...


def _backend(request: Request | WebSocket) -> ConsoleBackend:
    backend: ConsoleBackend = request.app.state.backend
    return backend


def _call_json(call: CallRecord) -> dict[str, Any]:
    return {
        "id": call.id,
        "caller": mask_number(call.caller_number),
        "status": call.status.value,
        "queue": call.queue,
        "category": call.category,
        "district_code": call.district_code,
        "seat_id": call.seat_id,
        "offered_at": call.offered_at.isoformat(),
        "wait_seconds": call.wait_seconds,
        "talk_seconds": call.talk_seconds,
    }


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    @router.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        status = _backend(request).component_status()
        ok = all(c["up"] for c in status if c.get("required", True))
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)

    @router.get("/api/status")
    async def api_status(request: Request) -> dict[str, Any]:
        return {"components": _backend(request).component_status()}

    @router.get("/api/calls/recent")
    def recent_calls(request: Request, limit: int = 50) -> dict[str, Any]:
        limit = max(1, min(limit, 500))
        return {"calls": [_call_json(c) for c in _backend(request).recent_calls(limit)]}

    @router.websocket("/ws/events")
    async def events(ws: WebSocket) -> None:
        await ws.accept()
        await _backend(ws).hub.serve(ws)

    return router
