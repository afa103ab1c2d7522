"""`KnowledgeService`: what the seat's screen and the knowledge pages ask of the knowledge base.

* `suggest`: during a call, the articles, published entries and similar past cases for what is known
  of it: its legal category, its IVR path, and the record being typed (the transcript's text too,
  where the page sends it). With nothing typed the category's own words stand for the question.
* `check_citations`: the citations of a record, each checked (`knowledge.cite`).
* the entries' review (草稿 -> 已审核 -> 已发布 -> 已停用), with rights: any seat, supervisor or
  admin may propose a draft; the author edits their own draft; supervisors and admins (the
  hotline's reviewing lawyers) edit any entry, review, publish and retire. Every change is kept
  with its author (`EntryChange`).

The service holds the in-memory `KnowledgeBase`; `load()` fills it (a blocking read and index build:
run it off the event loop) and `refresh_cases()` adds the records submitted since.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from core.access import Principal, Role
from core.clock import Clock
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.ids import new_id
from core.privacy import mask_text
from core.values import copy_fields
from knowledge.base import CATEGORY_WORDS, ArticleHit, CaseHit, EntryHit, KnowledgeBase
from knowledge.cite import CitationCheck, check_text
from knowledge.csvio import export_entries, parse_entries
from knowledge.models import TRANSITIONS, Entry, EntryChange, EntryDraft, PastCase, ReviewState
from knowledge.ports import ArticleStore, EntryStore, PastCases
from knowledge.segment import available, query_terms, warm_up
from routing.queues import LegalCategory

log = logging.getLogger(__name__)

PROPOSERS = frozenset({Role.SEAT, Role.SUPERVISOR, Role.ADMIN})
REVIEWERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
CASE_REFRESH = timedelta(seconds=30)
LAW_REFRESH = timedelta(minutes=5)
"""How often the stored articles' signature is compared with the loaded one: an import of laws
while the app runs (`hotline knowledge import-laws`) is searched after at most this, no restart."""
UNSEARCHABLE = "知识库检索未启用：未安装中文分词组件（运行 make install 安装 knowledge 扩展）"
MAX_QUERY_CHARS = 2000
_ID_CARD = re.compile(r"(?<![0-9])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9])")
_ACTION = {
    ReviewState.REVIEWED: "review",
    ReviewState.PUBLISHED: "publish",
    ReviewState.RETIRED: "retire",
    ReviewState.DRAFT: "reopen",
}


def mask_personal(text: str) -> str:
    """A past case as another seat may read it: phone numbers and ID card numbers masked."""
    return _ID_CARD.sub(lambda m: m.group(1) + "********" + m.group(2), mask_text(text))


@dataclass(frozen=True, slots=True, kw_only=True)
class CallContext:
    """What is known of a call when the seat's screen asks: each part optional."""

    category: LegalCategory | None = None
    ivr_path: Sequence[str] = ()  # the IVR menu's labels (劳动争议 > 工资报酬)
    text: str = ""  # the record being typed (question and advice), the transcript
    call_id: str = ""  # this call's own record is not a "similar past case"


@dataclass(frozen=True, slots=True, kw_only=True)
class Suggestions:
    ready: bool  # False while the base is still loading at start
    words: tuple[str, ...]  # the query's own words (shown as 检索词)
    articles: list[ArticleHit]
    entries: list[EntryHit]
    cases: list[CaseHit]
    note: str = ""  # why there is nothing to suggest, where it is not the question's fault


class KnowledgeService:
    def __init__(
        self, *, articles: ArticleStore, entries: EntryStore, cases: PastCases, clock: Clock
    ) -> None:
        self._articles, self._entries, self._cases, self._clock = articles, entries, cases, clock
        self.base = KnowledgeBase()
        self._ready = False
        self._searchable = False
        self._loaded = threading.Event()
        self._lock = threading.RLock()
        self._cases_until: datetime | None = None
        self._cases_checked: datetime | None = None
        self._laws: tuple[int, ...] | None = None  # the signature of the articles loaded
        self._laws_checked: datetime | None = None
        self._reloading: threading.Thread | None = None
        self.reloads = 0

    @property
    def ready(self) -> bool:
        return self._ready

    def start_loading(self) -> threading.Thread:
        """`load()` on a thread of its own, so that the app starts at once: until it is done,
        suggestions answer `ready=False` (the console says 知识库加载中). A failed load is logged and
        leaves the base empty (the seat's screen works without it)."""

        def run() -> None:
            try:
                self.load()
            except Exception:
                log.exception("知识库加载失败")
            finally:
                self._loaded.set()

        thread = threading.Thread(target=run, name="knowledge-load", daemon=True)
        thread.start()
        return thread

    def wait_loaded(self, timeout: float) -> bool:
        """Whether the load started by `start_loading` finished within `timeout` seconds."""
        return self._loaded.wait(timeout)

    # --- loading --------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the articles, the entries and the past cases and index them (blocking)."""
        base = KnowledgeBase()
        self._laws = self._signature()
        self._laws_checked = self._clock.now()
        if not available():
            log.warning("未安装中文分词组件 jieba（knowledge 扩展）：知识库只做引用核对，不做检索推荐")
            base.load_articles(self._articles.all_articles(), search=False)
            with self._lock:
                self.base, self._searchable, self._ready = base, False, True
            return
        warm_up()
        if not base.load_articles(self._articles.all_articles()):
            log.warning(
                "知识库中尚无法律法规：请运行 hotline knowledge import-laws（make install 会自动导入）"
            )
        base.load_entries(self._entries.all())
        cases = self._cases.past_cases(None, 1_000_000)
        base.load_cases(self._masked(cases))
        with self._lock:
            self.base, self._searchable = base, True
            self._cases_until = max((c.at for c in cases if c.at), default=None)
            self._cases_checked = self._clock.now()
            self._ready = True

    def _signature(self) -> tuple[int, ...] | None:
        try:
            return self._articles.signature()
        except Exception:
            log.exception("读取法律法规摘要失败")
            return None

    def refresh_laws(self) -> threading.Thread | None:
        """When the stored articles changed since the load (an import while the app runs), load
        everything again on a thread of its own; the current base serves until the new one is
        swapped in. Looked at most every `LAW_REFRESH` (blocking: one aggregate query)."""
        now = self._clock.now()
        if not self._ready or (self._laws_checked and now - self._laws_checked < LAW_REFRESH):
            return None
        if self._reloading is not None and self._reloading.is_alive():
            return None
        self._laws_checked = now
        signature = self._signature()
        if signature is None or signature == self._laws:
            return None
        log.info("法律法规已更新（%s → %s）：重新加载知识库", self._laws, signature)

        def run() -> None:
            try:
                self.load()
                self.reloads += 1
            except Exception:
                log.exception("知识库重新加载失败：继续使用已加载的内容")

        self._reloading = threading.Thread(target=run, name="knowledge-reload", daemon=True)
        self._reloading.start()
        return self._reloading

    def refresh_cases(self) -> None:
        """Add the cases closed since the last look (at most every `CASE_REFRESH`; blocking)."""
        now = self._clock.now()
        if not self._ready or (self._cases_checked and now - self._cases_checked < CASE_REFRESH):
            return
        self._cases_checked = now
        new = self._cases.past_cases(self._cases_until, 10_000)
        for case in self._masked(new):
            self.base.add_case(case)
        if new:
            self._cases_until = max((c.at for c in new if c.at), default=self._cases_until)

    @staticmethod
    def _masked(cases: Sequence[PastCase]) -> list[PastCase]:
        return [replace(c, question=mask_personal(c.question), advice=mask_personal(c.advice)) for c in cases]

    # --- the seat's screen --------------------------------------------------------------------

    def suggest(self, call: CallContext, *, k: int = 5) -> Suggestions:
        if self._ready and not self._searchable:
            return Suggestions(ready=True, words=(), articles=[], entries=[], cases=[], note=UNSEARCHABLE)
        if not self._ready:
            return Suggestions(ready=False, words=(), articles=[], entries=[], cases=[])
        text = call.text[:MAX_QUERY_CHARS]
        spoken = " ".join([*call.ivr_path, text])
        query = query_terms(spoken)
        if call.category is not None and (len(query) < 3 or not text.strip()):
            # Little or nothing typed yet: the category's words stand for the question.
            for w, weight in query_terms(CATEGORY_WORDS.get(call.category, "")).items():
                query.setdefault(w, weight * 0.8)
        if not query:
            return Suggestions(ready=True, words=(), articles=[], entries=[], cases=[])
        exclude = frozenset({f"record:{call.call_id}"}) if call.call_id else frozenset()
        self.refresh_laws()
        # One search at a time: the indexes grow (new records) and are swapped (entries) under it.
        with self._lock:
            self.refresh_cases()
            base = self.base
            return Suggestions(
                ready=True,
                words=tuple(w for w, weight in query.items() if weight >= 1.0),
                articles=base.search_articles(query, category=call.category, k=k),
                entries=base.search_entries(query, category=call.category, k=3),
                cases=base.search_cases(query, category=call.category, k=3, exclude=exclude),
            )

    def check_citations(self, text: str) -> list[CitationCheck]:
        return check_text(text[:20_000], self.base)

    # --- entries (问答与典型案例) --------------------------------------------------------------

    def entries(self, state: ReviewState | None = None) -> list[Entry]:
        return [e for e in self._entries.all() if state is None or e.state is state]

    def history(self, entry_id: str) -> Sequence[EntryChange]:
        return self._entries.history(entry_id)

    def propose(self, who: Principal, draft: EntryDraft) -> Entry:
        if who.role not in PROPOSERS:
            raise PermissionDenied("无权撰写知识条目")
        draft = _checked(draft)
        now = self._clock.now()
        entry = Entry(
            id=new_id("kb_"),
            **_written(draft),
            state=ReviewState.DRAFT,
            author=who.username,
            version=1,
            updated_at=now,
            updated_by=who.username,
        )
        self._entries.save(entry, _change(entry, "create"), expected_version=None)
        return entry

    def edit(self, who: Principal, entry_id: str, draft: EntryDraft, *, version: int) -> Entry:
        entry = self._get(entry_id)
        own_draft = entry.author == who.username and entry.state is ReviewState.DRAFT
        if who.role not in REVIEWERS and not (own_draft and who.role in PROPOSERS):
            raise PermissionDenied("只能修改自己的草稿；审核、发布由班长或管理员进行")
        draft = _checked(draft)
        # An edit of a reviewed or published entry sends it back to review: what seats see was reviewed.
        state = ReviewState.DRAFT if entry.state is not ReviewState.RETIRED else entry.state
        return self._next_version(who, entry, "edit", version=version, **_written(draft), state=state)

    def move(
        self, who: Principal, entry_id: str, state: ReviewState, *, version: int, note: str = ""
    ) -> Entry:
        if who.role not in REVIEWERS:
            raise PermissionDenied("审核、发布和停用由班长或管理员进行")
        entry = self._get(entry_id)
        if state not in TRANSITIONS[entry.state]:
            raise Conflict(f"条目为“{entry.state.label}”，不能改为“{state.label}”", entry_id=entry_id)
        return self._next_version(who, entry, _ACTION[state], note[:500], version=version, state=state)

    def import_csv(self, who: Principal, text: str) -> list[Entry]:
        """Each line proposed as a draft (`knowledge.csvio`); all or nothing."""
        if who.role not in REVIEWERS:
            raise PermissionDenied("导入知识条目由班长或管理员进行")
        drafts, errors = parse_entries(text)
        checked: list[EntryDraft] = []
        for i, draft in enumerate(drafts, start=2):
            try:
                checked.append(_checked(draft))
            except InvalidInput as exc:
                errors.append(f"第 {i} 条：{exc.message}")
        if errors:
            raise InvalidInput("导入文件有错误，未导入任何条目", errors=errors)
        return [self.propose(who, d) for d in checked]

    def export_csv(self) -> str:
        return export_entries(self._entries.all())

    def _next_version(
        self, who: Principal, entry: Entry, action: str, note: str = "", *, version: int, **changes: Any
    ) -> Entry:
        """`entry` with `changes` as its next version by `who`, saved if `version` is still the
        stored one (else Conflict), its change kept, and the index updated."""
        new = replace(
            entry, **changes, version=entry.version + 1, updated_at=self._clock.now(), updated_by=who.username
        )
        self._entries.save(new, _change(new, action, note), expected_version=version)
        self._reindex_if(entry, new)
        return new

    def _get(self, entry_id: str) -> Entry:
        entry = self._entries.get(entry_id)
        if entry is None:
            raise NotFound("知识条目不存在", entry_id=entry_id)
        return entry

    def _reindex_if(self, old: Entry, new: Entry) -> None:
        """What seats see changes only when a published entry comes or goes (blocking: a read)."""
        if ReviewState.PUBLISHED in (old.state, new.state) and self._searchable:
            entries = self._entries.all()
            with self._lock:
                self.base.load_entries(entries)


def _checked(draft: EntryDraft) -> EntryDraft:
    title, answer = draft.title.strip(), draft.answer.strip()
    if not title or len(title) > 200:
        raise InvalidInput("标题不能为空，且不超过 200 字")
    if not answer:
        raise InvalidInput("解答或裁判要旨不能为空")
    if len(answer) > 20_000 or len(draft.question) > 20_000:
        raise InvalidInput("内容过长（不超过 20000 字）")
    citations = tuple(c.strip() for c in draft.citations if c.strip())[:50]
    return replace(draft, title=title, answer=answer, question=draft.question.strip(), citations=citations)


def _written(draft: EntryDraft) -> dict[str, Any]:
    """What the author wrote (every field of the draft), for the entry made or edited from it."""
    return {f.name: getattr(draft, f.name) for f in fields(EntryDraft)}


def _change(entry: Entry, action: str, note: str = "") -> EntryChange:
    """The entry's version, state and text as they now stand, with who saved it and when."""
    return copy_fields(
        EntryChange,
        entry,
        entry_id=entry.id,
        action=action,
        by=entry.updated_by,
        at=entry.updated_at,
        note=note,
    )
