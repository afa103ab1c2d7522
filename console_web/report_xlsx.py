"""The period report as an XLSX workbook (报表下载), written with openpyxl.

Sheets: 汇总 (the report's rows, hour by hour or day by day, and its total, with a line chart of
the offered and answered calls), then 按区, 按团队, 按坐席, 按队列, 按法律类别, 热点 (the legal
categories trending against the previous period, and the frequent words of the consultation
records: `stats.hot_topics`), and 指标说明 (each figure's definition, the same text as on the board). Every data sheet starts with the title, the
scope (全市 or the district) and the period, so a printed or forwarded sheet says whose figures
they are. Rates are stored as fractions with a percent format (Excel sums and charts them as
numbers); a rate with no denominator is an empty cell, never 0.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from stats.breakdown import Breakdown, BreakdownRow
from stats.hot_topics import HotTopics
from stats.kpi import DEFINITIONS, FAST_ANSWER_SECONDS, SERVICE_LEVEL_SECONDS, Kpis

# (field of Kpis, header, number format)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("offered", "进线量", "0"),
    ("answered", "接通量", "0"),
    ("abandoned", "放弃量", "0"),
    ("answer_rate", "接通率", "0.0%"),
    ("answer_rate_15s", f"{FAST_ANSWER_SECONDS:.0f}秒接通率", "0.0%"),
    ("service_level", f"服务水平({SERVICE_LEVEL_SECONDS:.0f}秒)", "0.0%"),
    ("abandon_rate", "放弃率", "0.0%"),
    ("asa_seconds", "平均应答时长(秒)", "0.0"),
    ("aht_seconds", "平均处理时长(秒)", "0.0"),
    ("survey_answers", "满意度评价数", "0"),
    ("satisfaction_rate", "满意率", "0.0%"),
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class XlsxResponse(Response):
    """A workbook download (the OpenAPI document names its type, not JSON)."""

    media_type = XLSX_TYPE


_HEAD_FILL = PatternFill("solid", fgColor="8B0000")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_THIN = Side(style="thin", color="BBBBBB")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_ROW = 4  # rows 1-3: title, scope and period, generated at


def file_name(b: Breakdown) -> str:
    """12348报表-静安区-日报-2026-11-25.xlsx; a week or month: its first and last day."""
    r = b.report
    span = r.first.isoformat() if r.first == r.last else f"{r.first.isoformat()}至{r.last.isoformat()}"
    return f"12348报表-{r.scope}-{r.period.label}-{span}.xlsx"


def content_disposition(name: str) -> str:
    """attachment with an ASCII fallback and the Chinese name (RFC 6266 / 5987)."""
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _title(ws: Worksheet, b: Breakdown, title: str, generated_at: datetime) -> None:
    """A sheet's first three rows: its title, the scope and period, when it was made."""
    r = b.report
    ws["A1"] = f"12348 公共法律服务热线 {title}"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = f"范围：{r.scope}    周期：{r.period.label} {r.first.isoformat()} 至 {r.last.isoformat()}"
    ws["A3"] = f"生成时间：{generated_at.strftime('%Y-%m-%d %H:%M')}（北京时间）"
    ws["A3"].font = Font(color="777777", size=9)


def _head(ws: Worksheet, b: Breakdown, title: str, first_header: str, generated_at: datetime) -> None:
    _title(ws, b, title, generated_at)
    for col, text in enumerate([first_header, *(h for _, h, _ in COLUMNS)], start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=text)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BOX
    ws.column_dimensions["A"].width = 24
    for col in range(2, len(COLUMNS) + 2):
        ws.column_dimensions[get_column_letter(col)].width = 13
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=2)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0


def _row(ws: Worksheet, at: int, label: str, k: Kpis, *, total: bool = False) -> None:
    cells = [ws.cell(row=at, column=1, value=label)]
    for col, (key, _, fmt) in enumerate(COLUMNS, start=2):
        value = getattr(k, key)
        cell = ws.cell(row=at, column=col, value=value)
        cell.number_format = fmt
        cells.append(cell)
    for cell in cells:
        cell.border = _BOX
        if total:
            cell.font = Font(bold=True)
            cell.fill = _TOTAL_FILL


def _summary(wb: Workbook, b: Breakdown, generated_at: datetime) -> None:
    ws = wb.active
    assert ws is not None
    ws.title = "汇总"
    _head(ws, b, f"{b.report.period.label}（汇总）", "时段", generated_at)
    at = HEADER_ROW
    for r in b.report.rows:
        at += 1
        _row(ws, at, r.label, r)
    last = at
    _row(ws, at + 1, "合计", b.report.total, total=True)
    chart = LineChart()
    chart.title = "进线量与接通量"
    chart.y_axis.title = "来电（通）"
    chart.height, chart.width = 8, 22
    chart.add_data(
        Reference(ws, min_col=2, max_col=3, min_row=HEADER_ROW, max_row=last), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=HEADER_ROW + 1, max_row=last))
    ws.add_chart(chart, f"A{at + 4}")


def _dimension(
    wb: Workbook, b: Breakdown, title: str, rows: Sequence[BreakdownRow], generated_at: datetime
) -> None:
    ws = wb.create_sheet(title)
    _head(ws, b, f"{b.report.period.label}（{title}）", title.removeprefix("按"), generated_at)
    at = HEADER_ROW
    for row in rows:
        at += 1
        _row(ws, at, row.label, row.kpis)
    _row(ws, at + 1, "合计", b.report.total, total=True)


def _header_cells(ws: Worksheet, row: int, texts: Sequence[str]) -> None:
    for col, text in enumerate(texts, start=1):
        cell = ws.cell(row=row, column=col, value=text)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEAD_FILL
        cell.border = _BOX


def _hot(wb: Workbook, b: Breakdown, hot: HotTopics, generated_at: datetime) -> None:
    ws = wb.create_sheet("热点")
    _title(ws, b, f"{b.report.period.label}（热点）", generated_at)
    ws["A5"] = (
        f"法律类别来电变化（本期与上期 {hot.previous_first.isoformat()} 至 {hot.previous_last.isoformat()} 比较，"
        "按增量排序）"
    )
    ws["A5"].font = Font(bold=True)
    _header_cells(ws, 6, ["法律类别", "本期来电", "上期来电", "增减", "增减率"])
    at = 6
    for t in hot.categories:
        at += 1
        values = [t.label, t.count, t.previous, t.change, t.change_rate]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=at, column=col, value=value)
            cell.border = _BOX
        ws.cell(row=at, column=5).number_format = "+0.0%;-0.0%;0.0%"
    at += 2
    ws.cell(
        row=at, column=1, value=f"咨询记录高频词（前 {len(hot.words)} 个，共 {hot.records} 条记录）"
    ).font = Font(bold=True)
    if not hot.words_available:
        ws.cell(row=at + 1, column=1, value="未安装分词组件（jieba），无法统计高频词")
        at += 1
    at += 1
    _header_cells(ws, at, ["词语", "出现次数"])
    for w in hot.words:
        at += 1
        ws.cell(row=at, column=1, value=w.word).border = _BOX
        ws.cell(row=at, column=2, value=w.count).border = _BOX
    ws.column_dimensions["A"].width = 24
    for letter in "BCDE":
        ws.column_dimensions[letter].width = 13


def _definitions(wb: Workbook, b: Breakdown) -> None:
    ws = wb.create_sheet("指标说明")
    ws["A1"] = "指标说明"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = f"范围：{b.report.scope}    周期：{b.report.period.label} {b.report.first} 至 {b.report.last}"
    ws["A3"] = "按坐席、团队统计时，经转接的来电计入最后接听的坐席；未接通的来电计入“未接通”。"
    for i, (key, text) in enumerate(DEFINITIONS.items(), start=5):
        ws.cell(row=i, column=1, value=next((h for k, h, _ in COLUMNS if k == key), "进线量"))
        ws.cell(row=i, column=2, value=text)
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 100


def report_workbook(b: Breakdown, generated_at: datetime) -> bytes:
    """The workbook's bytes."""
    wb = Workbook()
    _summary(wb, b, generated_at)
    for title, rows in b.dimensions:
        _dimension(wb, b, title, rows, generated_at)
    if b.hot is not None:
        _hot(wb, b, b.hot, generated_at)
    _definitions(wb, b)
    wb.properties.title = file_name(b).removesuffix(".xlsx")
    wb.properties.creator = "12348 坐席系统"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
