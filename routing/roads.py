"""An importable road-to-street table: which street (街道 / 镇) a road, or a stretch of its house
numbers, lies in.

The gazetteer has no roads; the resolver's own road index comes from the unit names that carry one
(汾西路二六一弄居委会, 临汾路街道). Where an operator knows more, a CSV table adds it:

    road,street_code,from,to
    共和新路,310106020,3000,4999
    共和新路,310106018,1,2999
    汾西路,310106021,,

`from` / `to` (inclusive house numbers) are optional: empty means the whole road within that street.
`parse_road_table` is pure and reports every bad row with its line number in Chinese; the good rows
are kept.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from routing.gazetteer import Gazetteer

__all__ = ["RoadSegment", "RoadTableError", "parse_road_table"]

_COLUMNS = ("road", "street_code")
_ROAD_ENDINGS = ("路", "大道", "公路", "街", "巷")


@dataclass(frozen=True, slots=True)
class RoadSegment:
    """A road, or the house numbers `first`..`last` of it, inside one street."""

    road: str
    street_code: str
    first: int | None = None
    last: int | None = None

    def holds(self, number: int) -> bool:
        return self.first is None or self.last is None or self.first <= number <= self.last


@dataclass(frozen=True, slots=True)
class RoadTableError:
    line: int
    message: str


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def parse_road_table(text: str, gazetteer: Gazetteer) -> tuple[list[RoadSegment], list[RoadTableError]]:
    """The good rows of a road table and an error for every bad one (line numbers as in the file)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [], [
            RoadTableError(1, f"缺少列：{', '.join(missing)}（需要 road, street_code，可选 from, to）")
        ]
    rows: list[RoadSegment] = []
    errors: list[RoadTableError] = []
    for line, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        road, code = row.get("road", ""), row.get("street_code", "")
        first_text, last_text = row.get("from", ""), row.get("to", "")
        if not road:
            errors.append(RoadTableError(line, "道路名为空"))
        elif not road.endswith(_ROAD_ENDINGS) or len(road) < 2:
            errors.append(RoadTableError(line, f"“{road}”不像道路名（应以路、大道、公路、街或巷结尾）"))
        elif code not in gazetteer.streets:
            errors.append(RoadTableError(line, f"街镇代码“{code}”不在行政区划中"))
        elif (first_text and _number(first_text) is None) or (last_text and _number(last_text) is None):
            errors.append(RoadTableError(line, f"门牌号范围“{first_text}”至“{last_text}”应为正整数"))
        elif bool(first_text) != bool(last_text):
            errors.append(RoadTableError(line, "门牌号范围须同时填写起止，或都不填"))
        else:
            first, last = _number(first_text), _number(last_text)
            if first is not None and last is not None and first > last:
                errors.append(RoadTableError(line, f"门牌号起始 {first} 大于结束 {last}"))
            else:
                rows.append(RoadSegment(road, code, first, last))
    return rows, errors
