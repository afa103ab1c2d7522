"""Quality inspection (质检): the /qc page and its API.

The composition root puts a `QualityService` on `app.state.qc_backend`. Inspectors (质检员) and
supervisors read the queue of their scope and the QC report; inspectors score; a seat reads its own
scores and appeals each once; an inspector, a supervisor or an admin decides an appeal (never the
inspector who scored it: 403); a seat flags its own call for QC, the others a call of their scope;
only admins change the sampling rule, the scoring form (a new version each time) and the
transcript check's phrase lists (服务禁语, 规范用语: the calls checked after a change use them).
Every change is audited.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request

from console_web.deps import AppService, add_page, audit, parse_day, require_role
from console_web.qc_views import (
    AppealIn,
    DecisionIn,
    FlagIn,
    QcDetailOut,
    QcFormIn,
    QcFormOut,
    QcItemOut,
    QcMineOut,
    QcPhrasesIO,
    QcQueueOut,
    QcReportOut,
    QcRuleIO,
    ScoreIn,
)
from console_web.routes import Acting, User
from core.access import Principal, Role
from core.errors import InvalidInput
from core.ids import CallId
from stats.quality import QcReason, QcStatus
from stats.quality_service import QualityService
from stats.reports import Period, china_day

qc_backend = AppService[QualityService]("qc_backend", "质检服务尚未启动")

READERS = (Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN)


def _require_reader(p: Principal) -> None:
    require_role(p, READERS, "仅质检员、班长和管理员可以查看质检队列")


def _labelled(kind: type[QcReason] | type[QcStatus], value: str | None, what: str) -> str | None:
    if not value:
        return None
    if value not in {m.value for m in kind}:
        raise InvalidInput(f"未知的{what}", value=value)
    return value


def build_qc_router() -> APIRouter:
    router = APIRouter()

    add_page(router, "/qc", "qc.html")

    @router.get("/api/qc/items")
    def queue(
        auth: User,
        request: Request,
        team: str | None = None,
        seat: str | None = None,
        reason: str | None = None,
        status: str | None = None,
        limit: int = 300,
    ) -> QcQueueOut:
        _require_reader(auth.principal)
        why = _labelled(QcReason, reason, "抽检原因")
        state = _labelled(QcStatus, status, "质检状态")
        found = qc_backend(request).queue(
            auth.principal,
            team_id=team or None,
            seat_id=seat or None,
            reason=QcReason(why) if why else None,
            status=QcStatus(state) if state else None,
            limit=max(1, min(limit, 1000)),
        )
        return QcQueueOut.of(found)

    @router.get("/api/qc/mine")
    def mine(auth: User, request: Request) -> QcMineOut:
        require_role(auth.principal, (Role.SEAT,), "仅坐席可以查看本人的质检结果")
        return QcMineOut(items=[QcItemOut.listed(i) for i in qc_backend(request).mine(auth.principal)])

    @router.get("/api/qc/items/{call_id}")
    def detail(call_id: str, auth: User, request: Request) -> QcDetailOut:
        return QcDetailOut.of(qc_backend(request).detail(auth.principal, CallId(call_id)))

    @router.post("/api/qc/items/{call_id}/score")
    def score(call_id: str, body: ScoreIn, auth: Acting, request: Request) -> QcItemOut:
        require_role(auth.principal, (Role.INSPECTOR,), "仅质检员可以评分")
        item = qc_backend(request).score(auth.principal, CallId(call_id), body.scores, body.comment)
        audit(request, auth, "qc.score", call_id, {"scores": dict(item.scores), "total": item.total})
        return QcItemOut.of(item)

    @router.post("/api/qc/items/{call_id}/appeal")
    def appeal(call_id: str, body: AppealIn, auth: Acting, request: Request) -> QcItemOut:
        require_role(auth.principal, (Role.SEAT,), "仅被质检的坐席可以申诉")
        item = qc_backend(request).appeal(auth.principal, CallId(call_id), body.reason)
        audit(request, auth, "qc.appeal", call_id, {"reason": item.appeal_reason})
        return QcItemOut.of(item)

    @router.post("/api/qc/items/{call_id}/decision")
    def decide(call_id: str, body: DecisionIn, auth: Acting, request: Request) -> QcItemOut:
        require_role(auth.principal, READERS, "仅质检员、班长和管理员可以处理申诉")
        item = qc_backend(request).decide(
            auth.principal, CallId(call_id), upheld=body.upheld, note=body.note, scores=body.scores
        )
        detail = {"upheld": body.upheld, "note": item.decision_note, "total": item.total}
        audit(request, auth, "qc.appeal_decision", call_id, detail | {"before": item.original_total})
        return QcItemOut.of(item)

    @router.post("/api/qc/calls/{call_id}/flag")
    def flag(call_id: str, body: FlagIn, auth: Acting, request: Request) -> QcItemOut:
        item = qc_backend(request).flag(auth.principal, CallId(call_id), body.note)
        audit(request, auth, "qc.flag", call_id, {"note": body.note.strip()})
        return QcItemOut.of(item)

    @router.get("/api/qc/form")
    def form(auth: User, request: Request) -> QcFormOut:
        return QcFormOut.of(qc_backend(request).form())

    @router.put("/api/qc/form")
    def set_form(body: QcFormIn, auth: Acting, request: Request) -> QcFormOut:
        require_role(auth.principal, (Role.ADMIN,), "仅管理员可以修改质检表")
        saved = qc_backend(request).set_form(auth.principal, body.domain())
        audit(request, auth, "qc.form", f"v{saved.version}", {"items": [i.key for i in saved.items]})
        return QcFormOut.of(saved)

    @router.get("/api/qc/rule")
    def rule(auth: User, request: Request) -> QcRuleIO:
        _require_reader(auth.principal)
        return QcRuleIO.of(qc_backend(request).rule())

    @router.put("/api/qc/rule")
    def set_rule(body: QcRuleIO, auth: Acting, request: Request) -> QcRuleIO:
        require_role(auth.principal, (Role.ADMIN,), "仅管理员可以修改抽检规则")
        saved = qc_backend(request).set_rule(auth.principal, body.domain())
        audit(request, auth, "qc.rule", "qc_rule", body.model_dump())
        return QcRuleIO.of(saved)

    @router.get("/api/qc/phrases")
    def phrases(auth: User, request: Request) -> QcPhrasesIO:
        _require_reader(auth.principal)
        return QcPhrasesIO.of(qc_backend(request).phrases())

    @router.put("/api/qc/phrases")
    def set_phrases(body: QcPhrasesIO, auth: Acting, request: Request) -> QcPhrasesIO:
        require_role(auth.principal, (Role.ADMIN,), "仅管理员可以修改服务禁语和规范用语")
        before, after = qc_backend(request).set_phrases(auth.principal, body.domain())
        detail: dict[str, object] = {
            "before": QcPhrasesIO.of(before).model_dump(),
            "after": QcPhrasesIO.of(after).model_dump(),
        }
        audit(request, auth, "qc.phrases", "qc_phrases", detail)
        return QcPhrasesIO.of(after)

    @router.get("/api/qc/report")
    def report(
        auth: User,
        request: Request,
        start: str | None = None,
        end: str | None = None,
        period: str | None = None,
        date: str | None = None,
    ) -> QcReportOut:
        """From `start` to `end` (default: this week to today), or the supervisor report's
        `period` (day, week, month) holding `date` (default today)."""
        _require_reader(auth.principal)
        service = qc_backend(request)
        today = china_day(service.clock.now())
        if period:
            if period not in Period.__members__.values():
                raise InvalidInput("报表周期应为 day（日）、week（周）或 month（月）", period=period)
            first, last = Period(period).days(parse_day(date) or today)
        else:
            last = parse_day(end) or today
            first = parse_day(start) or last - timedelta(days=last.weekday())
        return QcReportOut.of(service.report(auth.principal, first, last))

    return router
