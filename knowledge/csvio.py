"""Export and import of the Q&A entries and typical cases as CSV (导入导出).

An export holds every entry as it stands (with its state and version); an import proposes each line
as a new draft (草稿) by the importing user, to be reviewed like any other: nothing imported is
shown to seats before a reviewer publishes it. All or nothing: a file with a bad line imports none.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from core.csvsafe import safe_csv, unescape_cell
from core.errors import InvalidInput
from knowledge.models import Entry, EntryDraft, EntryKind
from routing.queues import LegalCategory

HEADER = ("类型", "标题", "问题或案情", "解答或裁判要旨", "法律类别", "引用条文", "状态", "版本", "作者")


def export_entries(entries: Sequence[Entry]) -> str:
    rows = (
        (e.kind.label, e.title, e.question, e.answer, e.category.label, "；".join(e.citations),
         e.state.label, e.version, e.author)
        for e in entries
    )  # fmt: skip
    return safe_csv(HEADER, rows)


def _kind(text: str) -> EntryKind:
    kind = EntryKind.of_text(text)
    if kind is not None:
        return kind
    raise InvalidInput(f"类型应为“问答”或“典型案例”：{text!r}")


def parse_entries(text: str) -> tuple[list[EntryDraft], list[str]]:
    """The drafts of a CSV in the export's form (the first five columns are read; 引用条文 split
    on ；or ;), and the errors by line number."""
    drafts: list[EntryDraft] = []
    errors: list[str] = []
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip() for h in header[:4]] != list(HEADER[:4]):
        return [], [f"表头应为：{'，'.join(HEADER[:6])}"]
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [unescape_cell(c) for c in row] + [""] * 6
        try:
            drafts.append(
                EntryDraft(
                    kind=_kind(cells[0]),
                    title=cells[1].strip(),
                    question=cells[2].strip(),
                    answer=cells[3].strip(),
                    category=LegalCategory.parse(cells[4]),
                    citations=tuple(c.strip() for c in cells[5].replace(";", "；").split("；") if c.strip()),
                )
            )
        except InvalidInput as exc:
            errors.append(f"第 {line} 行：{exc.message}")
    return drafts, errors
