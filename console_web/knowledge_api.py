"""The knowledge base (知识库, issue 19): suggestions on the seat's screen, search, the citation check,
and the Q&A entries and typical cases with their review.

The composition root puts a `knowledge.service.KnowledgeService` on `app.state.knowledge_backend`.

* `POST /api/seat/calls/{call_id}/knowledge`: a seat, on one of its own calls (another call: 404),
  gets the articles, published entries and similar past cases for the call's category, IVR path and
  the text it sends (the record being typed). A POST: what is typed is personal data and stays out
  of URLs and access logs.
* `GET /api/knowledge/search`, `POST /api/knowledge/check`: every logged-in user (the check refuses
  nothing: it lists each citation with its problem, if any).
* entries: any seat, supervisor or admin proposes a draft; reviewing, publishing, retiring, import
  and export are for supervisors and admins (the service decides and answers 403); seats list the
  published entries and their own drafts. Every change is audited and kept in the entry's history.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from console_web.deps import (
    AppService,
    add_page,
    audit,
    enum_of,
    import_refused,
    require_role,
    uploaded_csv,
)
from console_web.knowledge_views import (
    ChangeOut,
    CheckOut,
    ChecksOut,
    EntriesOut,
    EntryEditIn,
    EntryIn,
    EntryOut,
    HistoryOut,
    StateIn,
    SuggestionsOut,
    TextIn,
)
from console_web.routes import Acting, User
from console_web.seat_api import SeatActing, SeatConsoleBackend, _call_id, _seat_of
from core.blocking import offload
from core.errors import InvalidInput
from knowledge.models import ReviewState
from knowledge.service import REVIEWERS, CallContext, KnowledgeService
from routing.queues import LegalCategory

knowledge_backend = AppService[KnowledgeService]("knowledge_backend", "知识库尚未启动")


def _category(code: str | None) -> LegalCategory | None:
    if not code:
        return None
    try:
        return LegalCategory.parse(code)
    except InvalidInput:
        return None


def _state(code: str) -> ReviewState:
    return enum_of(ReviewState, code, "条目状态无效", state=code)


def build_knowledge_router() -> APIRouter:
    router = APIRouter()

    add_page(router, "/knowledge", "knowledge.html")

    @router.post("/api/seat/calls/{call_id}/knowledge", response_model=SuggestionsOut)
    async def suggest(call_id: str, form: TextIn, auth: SeatActing, request: Request) -> SuggestionsOut:
        cid = _call_id(call_id)
        console: SeatConsoleBackend = request.app.state.seat_console
        category, ivr_path = await console.call_topic(_seat_of(auth), cid)
        call = CallContext(category=_category(category), ivr_path=ivr_path, text=form.text, call_id=cid)
        found = await offload(knowledge_backend(request).suggest, call)
        return SuggestionsOut.of(found)

    @router.get("/api/knowledge/search", response_model=SuggestionsOut)
    def search(
        auth: User,
        request: Request,
        q: Annotated[str, Query(min_length=1, max_length=500)],
        category: str | None = None,
    ) -> SuggestionsOut:
        return SuggestionsOut.of(
            knowledge_backend(request).suggest(CallContext(category=_category(category), text=q))
        )

    @router.post("/api/knowledge/check", response_model=ChecksOut)
    def check(form: TextIn, auth: Acting, request: Request) -> ChecksOut:
        checks = [CheckOut.of(c) for c in knowledge_backend(request).check_citations(form.text)]
        return ChecksOut(checks=checks, problems=sum(1 for c in checks if not c.ok))

    @router.get("/api/knowledge/entries", response_model=EntriesOut)
    def entries(auth: User, request: Request, state: str | None = None) -> EntriesOut:
        p = auth.principal
        wanted = _state(state) if state else None
        found = knowledge_backend(request).entries(wanted)
        if p.role not in REVIEWERS:  # the others: what seats are shown, and their own drafts
            found = [e for e in found if e.state is ReviewState.PUBLISHED or e.author == p.username]
        return EntriesOut(entries=[EntryOut.of(e) for e in found])

    @router.post("/api/knowledge/entries", response_model=EntryOut)
    def propose(form: EntryIn, auth: Acting, request: Request) -> EntryOut:
        entry = knowledge_backend(request).propose(auth.principal, form.draft())
        audit(request, auth, "knowledge.propose", entry.id, {"title": entry.title, "kind": entry.kind.value})
        return EntryOut.of(entry)

    @router.put("/api/knowledge/entries/{entry_id}", response_model=EntryOut)
    def edit(entry_id: str, form: EntryEditIn, auth: Acting, request: Request) -> EntryOut:
        entry = knowledge_backend(request).edit(auth.principal, entry_id, form.draft(), version=form.version)
        audit(request, auth, "knowledge.edit", entry.id, {"version": entry.version})
        return EntryOut.of(entry)

    @router.post("/api/knowledge/entries/{entry_id}/state", response_model=EntryOut)
    def move(entry_id: str, form: StateIn, auth: Acting, request: Request) -> EntryOut:
        kb = knowledge_backend(request)
        entry = kb.move(auth.principal, entry_id, _state(form.state), version=form.version, note=form.note)
        audit(request, auth, f"knowledge.{entry.state.value}", entry.id, {"version": entry.version})
        return EntryOut.of(entry)

    @router.get("/api/knowledge/entries/{entry_id}/history", response_model=HistoryOut)
    def history(entry_id: str, auth: User, request: Request) -> HistoryOut:
        require_role(auth.principal, REVIEWERS, "仅班长和管理员可以查看条目的修改记录")
        return HistoryOut(changes=[ChangeOut.of(c) for c in knowledge_backend(request).history(entry_id)])

    @router.get(
        "/api/knowledge/export.csv",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}, "description": "知识条目 CSV"}},
    )
    def export_csv(auth: User, request: Request) -> Response:
        require_role(auth.principal, REVIEWERS, "仅班长和管理员可以导出知识条目")
        return Response(
            "\ufeff" + knowledge_backend(request).export_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="knowledge.csv"'},
        )

    @router.post("/api/knowledge/import", response_model=EntriesOut)
    async def import_csv(auth: Acting, request: Request) -> EntriesOut | JSONResponse:
        require_role(auth.principal, REVIEWERS, "仅班长和管理员可以导入知识条目")
        text = await uploaded_csv(request)
        try:
            added = await offload(knowledge_backend(request).import_csv, auth.principal, text)
        except InvalidInput as exc:
            errors = exc.context.get("errors")
            if isinstance(errors, list):
                return import_refused(exc, "知识条目文件", [str(e) for e in errors])
            raise
        await offload(audit, request, auth, "knowledge.import", "", {"entries": len(added)})
        return EntriesOut(entries=[EntryOut.of(e) for e in added])

    return router
