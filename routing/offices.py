"""Public legal service offices: the registry and its CSV form.

Three levels, as in Shanghai's network: one district centre (区公共法律服务中心) per district, one
station (街镇公共法律服务工作站) per street or town, one room (居村公共法律服务工作室) per
committee. `build_offices` derives this network from the gazetteer; a city with real addresses,
phones and coordinates loads its own file with `read_offices_csv`. The registry is data.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from core.access import district_team
from core.csvsafe import safe_csv, unescape_cell
from core.errors import InvalidInput, NotFound
from core.ids import OfficeId, TeamId
from core.labels import LabelledEnum
from routing.gazetteer import Gazetteer, load_gazetteer, parse_gazetteer

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_OPENING_HOURS",
    "DEMO_MARK",
    "Office",
    "OfficeCsvError",
    "OfficeLevel",
    "OfficeRegistry",
    "build_offices",
    "edit_problems",
    "load_gazetteer",
    "parse_gazetteer",
    "read_offices_csv",
    "write_offices_csv",
]

DEFAULT_OPENING_HOURS = "工作日 9:00-17:00（法定节假日除外）"


class OfficeLevel(LabelledEnum):
    CENTRE = "centre", "区公共法律服务中心"
    STATION = "station", "街镇公共法律服务工作站"
    ROOM = "room", "居村公共法律服务工作室"


_PARENT_LEVEL = {OfficeLevel.STATION: OfficeLevel.CENTRE, OfficeLevel.ROOM: OfficeLevel.STATION}


@dataclass(frozen=True, slots=True, kw_only=True)
class Office:
    id: OfficeId
    name: str
    level: OfficeLevel
    parent_id: OfficeId | None
    admin_code: str
    district_code: str
    street_code: str | None
    team_id: TeamId
    address: str = ""
    phone: str = ""
    opening_hours: str = DEFAULT_OPENING_HOURS
    lat: float | None = None
    lon: float | None = None

    @property
    def has_coordinates(self) -> bool:
        return self.lat is not None and self.lon is not None


class OfficeRegistry:
    """All offices of a city, indexed by id, admin code and district."""

    def __init__(self, offices: Iterable[Office]) -> None:
        self._by_id: dict[OfficeId, Office] = {}
        self._by_admin: dict[tuple[OfficeLevel, str], Office] = {}
        self._by_district: dict[str, list[Office]] = {}
        for office in offices:
            if office.id in self._by_id:
                raise InvalidInput(f"机构编号重复：{office.id}", office_id=office.id)
            self._by_id[office.id] = office
            self._by_admin.setdefault((office.level, office.admin_code), office)
            self._by_district.setdefault(office.district_code, []).append(office)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Office]:
        return iter(self._by_id.values())

    def get(self, office_id: OfficeId) -> Office:
        try:
            return self._by_id[office_id]
        except KeyError:
            raise NotFound(f"没有编号为 {office_id} 的机构", office_id=office_id) from None

    def find(self, level: OfficeLevel, admin_code: str) -> Office | None:
        return self._by_admin.get((level, admin_code))

    def in_district(self, district_code: str) -> list[Office]:
        return list(self._by_district.get(district_code, ()))

    def district_codes(self) -> list[str]:
        return sorted(self._by_district)


DEMO_MARK = "（演示数据）"


def build_offices(gazetteer: Gazetteer, *, demo_contacts: bool = False) -> OfficeRegistry:
    """One centre per district, one station per street/town, one room per committee.

    `demo_contacts` (the demo only): each office gets an address made from its place in the
    gazetteer (the district's justice bureau, the street's community service centre, the
    committee's own office) and a phone number in the form 021-12348-NNNN, which no Shanghai
    line has; both are marked `DEMO_MARK` and never stand for a real office's."""
    offices: list[Office] = []
    for d in gazetteer.districts.values():
        # 静安区公共法律服务中心
        offices.append(_built(d.code, f"{d.name}公共法律服务中心", OfficeLevel.CENTRE, None, d.code, None))
        if demo_contacts:
            offices[-1] = _with_contacts(offices[-1], f"上海市{d.name}司法局内", len(offices))
    for s in gazetteer.streets.values():
        district = gazetteer.districts[s.district_code]
        name = f"{district.name}{s.name}公共法律服务工作站"
        offices.append(_built(s.code, name, OfficeLevel.STATION, s.district_code, s.district_code, s.code))
        if demo_contacts:
            where = f"上海市{district.name}{s.name}社区事务受理服务中心内"
            offices[-1] = _with_contacts(offices[-1], where, len(offices))
    for c in gazetteer.committees.values():
        street = gazetteer.streets[c.street_code]
        name = f"{street.name}{c.name}公共法律服务工作室"
        offices.append(_built(c.code, name, OfficeLevel.ROOM, c.street_code, c.district_code, c.street_code))
        if demo_contacts:
            district = gazetteer.districts[c.district_code]
            where = f"上海市{district.name}{street.name}{c.name}办公室内"
            offices[-1] = _with_contacts(offices[-1], where, len(offices))
    return OfficeRegistry(offices)


def _with_contacts(office: Office, address: str, number: int) -> Office:
    return replace(office, address=address + DEMO_MARK, phone=f"021-12348-{number:04d}")


def _built(
    code: str,
    name: str,
    level: OfficeLevel,
    parent_code: str | None,
    district_code: str,
    street_code: str | None,
) -> Office:
    """A built office: its id (and its parent's) is `office-<admin code>`; the district's team
    serves it."""
    return Office(
        id=OfficeId(f"office-{code}"),
        name=name,
        level=level,
        parent_id=OfficeId(f"office-{parent_code}") if parent_code else None,
        admin_code=code,
        district_code=district_code,
        street_code=street_code,
        team_id=district_team(district_code),
    )


# --- CSV -----------------------------------------------------------------------------------

CSV_COLUMNS = (
    "id",
    "name",
    "level",
    "parent_id",
    "admin_code",
    "district_code",
    "street_code",
    "address",
    "phone",
    "opening_hours",
    "lat",
    "lon",
    "team_id",
)
COLUMN_LABELS = {
    "id": "编号",
    "name": "名称",
    "level": "层级",
    "parent_id": "上级编号",
    "admin_code": "行政区划代码",
    "district_code": "区代码",
    "street_code": "街镇代码",
    "address": "地址",
    "phone": "电话",
    "opening_hours": "开放时间",
    "lat": "纬度",
    "lon": "经度",
    "team_id": "团队编号",
}
"""Each CSV column's Chinese name: errors name a column so, with its header in brackets."""


def _col(column: str) -> str:
    return f"{COLUMN_LABELS[column]}（{column}）"


_REQUIRED = ("id", "name", "level", "admin_code", "district_code", "team_id")
_CODE = re.compile(r"^\d{6,12}$")
_PHONE = re.compile(r"^[0-9+\-() ]{3,30}$")
_LEVEL_ALIASES = {level.value: level for level in OfficeLevel} | {level.label: level for level in OfficeLevel}


class OfficeCsvError(InvalidInput):
    """The offices file has bad rows; `errors` lists each one as `第N行：...` (N counts the header)."""

    error_id = "routing.offices_csv_invalid"

    def __init__(self, errors: list[str]) -> None:
        super().__init__("机构表有误：" + "；".join(errors), rows=len(errors))
        self.errors = errors


_BOUNDS = {"lat": (-90.0, 90.0), "lon": (-180.0, 180.0)}


def _in_range(value: float, name: str, shown: str, problems: list[str]) -> float | None:
    low, high = _BOUNDS[name]
    if not math.isfinite(value) or not low <= value <= high:
        problems.append(f"{_col(name)}超出范围 [{low}, {high}]：{shown}")
        return None
    return value


def _coordinate(raw: str, name: str, problems: list[str]) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{_col(name)}不是数字：{raw!r}")
        return None
    return _in_range(value, name, raw, problems)


def _check_phone(phone: str, problems: list[str]) -> None:
    if phone and not _PHONE.match(phone):
        problems.append(f"{_col('phone')}格式无效：{phone!r}")


def _check_pair(lat: float | None, lon: float | None, problems: list[str]) -> None:
    if (lat is None) != (lon is None) and not problems:
        problems.append(f"{_col('lat')}与{_col('lon')}须同时填写或同时留空")


def edit_problems(office: Office) -> list[str]:
    """What is wrong with an office edited in the console (name, phone, coordinates), by the CSV
    file's rules; its place in the network (level, codes, parent) is not editable there."""
    problems: list[str] = [] if office.name.strip() else [f"缺少{_col('name')}"]
    _check_phone(office.phone, problems)
    for name, value in (("lat", office.lat), ("lon", office.lon)):
        if value is not None:
            _in_range(value, name, repr(value), problems)
    _check_pair(office.lat, office.lon, problems)
    return problems


def _parse_row(row: dict[str, str], problems: list[str]) -> Office | None:
    for col in _REQUIRED:
        if not row.get(col):
            problems.append(f"缺少{_col(col)}")
    level = _LEVEL_ALIASES.get(row.get("level", ""))
    if row.get("level") and level is None:
        problems.append(f"{_col('level')}无效：{row['level']!r}（应为 centre/station/room）")
    for col in ("admin_code", "district_code", "street_code"):
        value = row.get(col, "")
        if value and not _CODE.match(value):
            problems.append(f"{_col(col)}应为 6 至 12 位数字：{value!r}")
    _check_phone(row.get("phone", ""), problems)
    lat = _coordinate(row.get("lat", ""), "lat", problems)
    lon = _coordinate(row.get("lon", ""), "lon", problems)
    _check_pair(lat, lon, problems)
    if level is not None and level is not OfficeLevel.CENTRE and not row.get("parent_id"):
        problems.append(f"{level.label}须填写{_col('parent_id')}")
    if level is not None and level is not OfficeLevel.CENTRE and not row.get("street_code"):
        problems.append(f"{level.label}须填写{_col('street_code')}")
    if problems or level is None:
        return None
    return Office(
        id=OfficeId(row["id"]),
        name=row["name"],
        level=level,
        parent_id=OfficeId(row["parent_id"]) if row.get("parent_id") else None,
        admin_code=row["admin_code"],
        district_code=row["district_code"],
        street_code=row.get("street_code") or None,
        team_id=TeamId(row["team_id"]),
        address=row.get("address", ""),
        phone=row.get("phone", ""),
        opening_hours=row.get("opening_hours") or DEFAULT_OPENING_HOURS,
        lat=lat,
        lon=lon,
    )


def read_offices_csv(text: str) -> list[Office]:
    """Parse and validate an offices file; raise `OfficeCsvError` naming every bad row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise OfficeCsvError([f"第1行（表头）：缺少列 {'、'.join(_col(c) for c in missing)}"])
    errors: list[str] = []
    offices: list[Office] = []
    line_of: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        row = {k: unescape_cell((v or "").strip()) for k, v in raw.items() if k is not None}
        if None in raw:
            errors.append(f"第{line}行：列数多于表头")
            continue
        problems: list[str] = []
        office = _parse_row(row, problems)
        if office is not None and office.id in line_of:
            problems.append(f"{_col('id')} {office.id} 与第{line_of[office.id]}行重复")
        if problems:
            errors.append(f"第{line}行（{row.get('id') or '无编号'}）：" + "，".join(problems))
            continue
        assert office is not None
        line_of[office.id] = line
        offices.append(office)
    by_id = {o.id: o for o in offices}
    for office in offices:
        if office.parent_id is None:
            continue
        parent = by_id.get(office.parent_id)
        if parent is None:
            errors.append(f"第{line_of[office.id]}行（{office.id}）：上级机构 {office.parent_id} 不在表中")
        elif parent.level is not _PARENT_LEVEL.get(office.level):
            errors.append(
                f"第{line_of[office.id]}行（{office.id}）：上级 {parent.id} 是{parent.level.label}，"
                f"不能作为{office.level.label}的上级"
            )
        elif parent.district_code != office.district_code:
            errors.append(f"第{line_of[office.id]}行（{office.id}）：与上级 {parent.id} 不在同一个区")
    if errors:
        raise OfficeCsvError(sorted(errors, key=_line_number))
    return offices


def _line_number(message: str) -> int:
    match = re.match(r"第(\d+)行", message)
    return int(match.group(1)) if match else 0


def _fmt(value: float | None) -> str:
    return "" if value is None else repr(value)


def write_offices_csv(offices: Iterable[Office]) -> str:
    """The CSV text of `offices`, readable by `read_offices_csv`."""
    return safe_csv(
        CSV_COLUMNS,
        (
            [
                o.id,
                o.name,
                o.level.value,
                o.parent_id or "",
                o.admin_code,
                o.district_code,
                o.street_code or "",
                o.address,
                o.phone,
                o.opening_hours,
                _fmt(o.lat),
                _fmt(o.lon),
                o.team_id,
            ]
            for o in offices
        ),
    )
