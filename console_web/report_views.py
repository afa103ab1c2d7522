"""Response models of the report routes: the period's breakdown with its hot topics (打印版报表),
and the archived workbooks (报表归档)."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import quote

from pydantic import BaseModel

from console_web.report_archive import ArchivedFile
from console_web.report_xlsx import COLUMNS
from console_web.supervisor_views import ReportOut
from console_web.views import FromFields, IsoTime, from_fields
from stats.breakdown import Breakdown
from stats.hot_topics import HotTopics
from stats.kpi import DEFINITIONS, Kpis


class ColumnOut(BaseModel):
    key: str  # the field of a row's kpis
    header: str  # as in the workbook
    percent: bool
    decimals: int  # places shown, as the workbook's number format


class RowOut(BaseModel):
    key: str
    label: str
    kpis: Kpis


class TableOut(BaseModel):
    title: str  # 按区, 按团队, 按坐席, 按队列, 按法律类别
    rows: list[RowOut]


class CategoryTrendOut(BaseModel):
    key: str
    label: str
    count: int
    previous: int
    change: int
    change_rate: float | None


class WordOut(FromFields):
    """A word of the records and how often it came (`stats.hot_topics.WordCount`)."""

    word: str
    count: int


class HotTopicsOut(BaseModel):
    """热点: categories against the previous period of the same length, and the records' words."""

    previous_start: date
    previous_end: date
    categories: list[CategoryTrendOut]
    words: list[WordOut]
    records: int
    words_available: bool

    @classmethod
    def of(cls, h: HotTopics) -> HotTopicsOut:
        return from_fields(
            cls,
            h,
            previous_start=h.previous_first,
            previous_end=h.previous_last,
            categories=[
                from_fields(
                    CategoryTrendOut,
                    t,
                    change=t.change,
                    change_rate=None if t.change_rate is None else round(t.change_rate, 4),
                )
                for t in h.categories
            ],
            words=[WordOut.of(w) for w in h.words],
        )


class BreakdownOut(BaseModel):
    """The figures of the XLSX report as JSON: the summary, each dimension's table, the hot topics."""

    report: ReportOut
    columns: list[ColumnOut]
    tables: list[TableOut]
    hot: HotTopicsOut | None
    definitions: dict[str, str]
    generated_at: IsoTime

    @classmethod
    def of(cls, b: Breakdown, at: datetime) -> BreakdownOut:
        return cls(
            report=ReportOut.of(b.report),
            columns=[
                ColumnOut(
                    key=k,
                    header=h,
                    percent="%" in f,
                    decimals=len(f.split(".")[1].rstrip("%")) if "." in f else 0,
                )
                for k, h, f in COLUMNS
            ],
            tables=[
                TableOut(
                    title=title, rows=[RowOut(key=r.key, label=r.label, kpis=r.kpis.rounded()) for r in rows]
                )
                for title, rows in b.dimensions
            ],
            hot=HotTopicsOut.of(b.hot) if b.hot is not None else None,
            definitions=DEFINITIONS,
            generated_at=at,
        )


class ArchivedFileOut(BaseModel):
    period: str
    period_label: str
    name: str
    size: int
    modified: IsoTime
    url: str


class ArchiveOut(BaseModel):
    """报表归档: the workbooks kept, those this principal may read; `kept` False: no archive set up."""

    kept: bool
    files: list[ArchivedFileOut]

    @classmethod
    def of(cls, kept: bool, files: list[ArchivedFile]) -> ArchiveOut:
        return cls(
            kept=kept,
            files=[
                ArchivedFileOut(
                    period=f.period.value,
                    period_label=f.period.label,
                    name=f.name,
                    size=f.size,
                    modified=f.modified,
                    url=f"/api/supervisor/report-archive/{f.period.value}/{quote(f.name)}",
                )
                for f in files
            ],
        )
