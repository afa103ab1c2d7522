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

The offices operators enter are a third source (`office_roads`): a station's or a room's address,
徐汇区漕溪北路88号, says that 漕溪北路 88号 lies in that office's street. Each such address gives a
one-number segment (漕溪北路, the office's street, 88..88): the road joins the road index, and the
very number narrows it to that street. Where an imported road table lists the same road, the table
decides (an operator's address is one point, the table a deliberate survey of the road's ranges):
`AddressResolver.with_office_roads` drops office entries for the table's roads. An address that
gives no road (empty, made-up demo text, no road and number in it, another district named, a
district centre that belongs to no street) is skipped with a note; nothing fails for it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from routing.gazetteer import Gazetteer
from routing.normalize import normalize
from routing.offices import DEMO_MARK, Office

__all__ = ["OfficeRoadNote", "RoadSegment", "RoadTableError", "office_roads", "parse_road_table"]

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


@dataclass(frozen=True, slots=True)
class OfficeRoadNote:
    """Why an office's address gave no road entry (in Chinese, for the log and the operator)."""

    office_id: str
    office_name: str
    message: str


_OFFICE_ROAD = re.compile(r"([\u4e00-\u9fff]{2,16}?(?:大道|公路|路|街(?!道)|巷))(\d+)(?:号|弄)")
_ADMIN_HEAD = re.compile(r".*(?:上海市|街道|新区|区|镇|乡|居委会|村委会|村|社区)")
_MAX_ROAD_CHARS = 6


def office_roads(
    offices: Iterable[Office], gazetteer: Gazetteer
) -> tuple[list[RoadSegment], list[OfficeRoadNote]]:
    """One segment per office whose address has a road and house number (徐汇区漕溪北路88号 ->
    漕溪北路, the office's street, 88..88), and a note for every address that gives none. Empty
    addresses and the demo's made-up ones (`DEMO_MARK`) are passed over without a note."""
    segments: list[RoadSegment] = []
    notes: list[OfficeRoadNote] = []
    district_names = {d.name: d.code for d in gazetteer.districts.values()}
    for office in offices:
        address = office.address.strip()
        if not address or DEMO_MARK in address:
            continue

        def note(message: str, office: Office = office) -> None:
            notes.append(OfficeRoadNote(office.id, office.name, message))

        norm = normalize(address).replace(" ", "")
        found = list(_OFFICE_ROAD.finditer(norm))
        if not found:
            note(f"地址“{address}”中没有“道路+门牌号”，未用于道路索引")
            continue
        said = [code for name, code in district_names.items() if name in norm]
        if said and office.district_code not in said:
            names = "、".join(gazetteer.districts[c].name for c in said)
            note(f"地址“{address}”中的区（{names}）与机构所在区不符，未用于道路索引")
            continue
        if office.street_code is None or office.street_code not in gazetteer.streets:
            note(f"“{office.name}”不属于某个街镇（区中心），地址“{address}”未用于道路索引")
            continue
        match = found[0]
        road = _ADMIN_HEAD.sub("", match.group(1))
        if len(road) < 2 or len(road) > _MAX_ROAD_CHARS or not road.endswith(_ROAD_ENDINGS):
            note(f"地址“{address}”中的道路名“{road}”无法确定，未用于道路索引")
            continue
        number = int(match.group(2))
        segments.append(RoadSegment(road, office.street_code, number, number))
    return segments, notes
