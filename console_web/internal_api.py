"""Between the processes of one deployment (app roles, issue 21): what a web process reads from the
telephony process when it starts, to mirror the live state it then follows through Redis.

Not for browsers: the route answers only a request carrying `internal_token(secret)` of the
deployment's session secret (every process of a deployment shares it), in `X-Hotline-Internal`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from fastapi import APIRouter, Request
from pydantic import BaseModel

from console_web.deps import AppService
from core.errors import NotAuthenticated
from seats.board import SeatSnapshot

HEADER = "X-Hotline-Internal"


def internal_token(secret: str) -> str:
    return hmac.new(secret.encode(), b"hotline-internal-snapshot", hashlib.sha256).hexdigest()


class LiveSnapshot(BaseModel):
    """The telephony process's live state: each seat as its board holds it
    (`SeatBoard.snapshot`), and the calls its views hold now (read from their trail)."""

    seats: list[SeatSnapshot]
    calls: list[str]


Snapshot = Callable[[], LiveSnapshot]


_snapshot: AppService[Snapshot] = AppService("telephony_snapshot", "实时状态快照")


def build_internal_router() -> APIRouter:
    router = APIRouter()

    @router.get("/api/internal/snapshot", include_in_schema=False)
    async def snapshot(request: Request) -> LiveSnapshot:
        expected = getattr(request.app.state, "internal_token", None)
        given = request.headers.get(HEADER, "")
        if not expected or not hmac.compare_digest(given, expected):
            raise NotAuthenticated("仅供本系统内部进程调用")
        return _snapshot(request)()

    return router
