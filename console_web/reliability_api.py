"""Admin view of what the system could not store (dead letters) and of the reconciliation with
Asterisk's records: `/api/admin/dead-letters`, `/api/admin/reliability`; and of the process that
answers: `/api/admin/process`.

The composition root puts an object satisfying `ReliabilityBackend` on
`app.state.reliability_backend`. Admins only.
"""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter, Request
from pydantic import BaseModel

from console_web.deps import AppService, require_role
from console_web.routes import User
from core.access import Role

SUBSCRIBER_LABELS = {
    "call-recorder": "通话留痕",
    "callbacks": "回拨工单",
    "ivr-outcomes": "满意度与回拨请求",
    "seat-status-log": "坐席状态记录（考勤）",
}
DEAD_LETTER_COLUMNS = {
    "at": "转入时间",
    "subscriber_label": "处理环节",
    "event_type": "事件类型",
    "call_id": "通话编号",
    "tries": "重试次数",
    "error": "错误",
}


class ReliabilityBackend(Protocol):
    def dead_letters(self, limit: int) -> list[dict[str, object]]: ...

    async def reliability(self) -> dict[str, object]:
        """Reads loop-owned state (journal backlog, last reconciliation): awaited on the loop."""
        ...

    def process(self) -> dict[str, object]:
        """This process's own health: its role, pid, open sockets and event-loop lag."""
        ...


class DeadLetterOut(BaseModel):
    at: str
    subscriber: str
    subscriber_label: str
    event_id: str
    event_type: str
    call_id: str
    tries: int
    error: str


class DeadLettersOut(BaseModel):
    title: str = "无法写入的事件（死信）"
    columns: dict[str, str] = DEAD_LETTER_COLUMNS
    items: list[DeadLetterOut]


class ReconciliationOut(BaseModel):
    """The last pass over Asterisk's records (`pbx.reconcile.ReconcileReport` and its summary)."""

    reason: str
    lines: dict[str, int]
    skipped: dict[str, int]
    restarted: list[str]
    missing: list[str]
    closed: int
    created: int
    corrected: int
    misses: int
    live: int
    incomplete: int
    open_unresolved: int
    closed_unseen: int
    summary: str


class ReliabilityOut(BaseModel):
    journal_backlog: dict[str, int]
    journal_labels: dict[str, str] = SUBSCRIBER_LABELS
    dead_letters: int
    last_reconciliation: ReconciliationOut | None
    # The event loop's lag since start (core.loopwatch): samples, p50_ms, p99_ms, max_ms.
    loop_lag: dict[str, float] = {}


class StallOut(BaseModel):
    ms: float
    stack: str


class ProcessOut(BaseModel):
    """One process of a deployment (`hotline serve --role`), answered by that process itself: a
    web process answers this route, unlike the rest of /api/admin (console_web.forward)."""

    role: str
    pid: int
    sockets: int
    # How old the last pushed events were when the hub offered them to the sockets (ms).
    push_age_ms: dict[str, float]
    loop_lag: dict[str, float]
    # The latest long stalls of the event loop (ms) with the end of the stack they were caught in.
    stalls: list[StallOut] = []


_backend = AppService[ReliabilityBackend]("reliability_backend", "运行状态服务尚未启动")


def _require_admin(auth: User) -> None:
    require_role(auth.principal, (Role.ADMIN,), "仅管理员可以查看死信与核对记录")


def build_reliability_router() -> APIRouter:
    router = APIRouter()

    @router.get("/api/admin/dead-letters", response_model=DeadLettersOut)
    def dead_letters(auth: User, request: Request, limit: int = 200) -> DeadLettersOut:
        _require_admin(auth)
        rows = _backend(request).dead_letters(max(1, min(limit, 1000)))
        items = [
            DeadLetterOut(
                at=str(r["at"]),
                subscriber=str(r["subscriber"]),
                subscriber_label=SUBSCRIBER_LABELS.get(str(r["subscriber"]), str(r["subscriber"])),
                event_id=str(r["event_id"]),
                event_type=str(r["event_type"]),
                call_id=str(r["call_id"]),
                tries=int(str(r["tries"])),
                error=str(r["error"]),
            )
            for r in rows
        ]
        return DeadLettersOut(items=items)

    @router.get("/api/admin/reliability", response_model=ReliabilityOut)
    async def reliability(auth: User, request: Request) -> ReliabilityOut:
        _require_admin(auth)
        return ReliabilityOut.model_validate(await _backend(request).reliability())

    @router.get("/api/admin/process", response_model=ProcessOut)
    async def process(auth: User, request: Request) -> ProcessOut:
        _require_admin(auth)
        return ProcessOut.model_validate(_backend(request).process())

    return router
