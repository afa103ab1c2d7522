"""Administrative units (district, street/town, committee) and their loader.

The gazetteer is data: three CSV files per city (see `../shared/gazetteer/README.md`).
`parse_gazetteer` is pure and takes the files' text; `load_gazetteer` is the one function here
that reads files, and only from the directory it is given.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigurationError

SHANGHAI_DIR = Path(__file__).resolve().parent / "data" / "shanghai"
"""The shipped gazetteer of the Shanghai deployment (read by the runtime and the office seed)."""


@dataclass(frozen=True, slots=True)
class District:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Street:
    """A street (街道), town (镇/乡) or special zone (开发区, 农场)."""

    code: str
    name: str
    district_code: str


@dataclass(frozen=True, slots=True)
class Committee:
    """A neighbourhood (居委会) or village (村委会) committee."""

    code: str
    name: str
    street_code: str
    district_code: str


class Gazetteer:
    """Districts, streets and committees of one city, indexed by code."""

    def __init__(
        self,
        districts: Iterable[District],
        streets: Iterable[Street],
        committees: Iterable[Committee],
    ) -> None:
        self.districts: Mapping[str, District] = {d.code: d for d in districts}
        self.streets: Mapping[str, Street] = {s.code: s for s in streets}
        self.committees: Mapping[str, Committee] = {c.code: c for c in committees}
        for s in self.streets.values():
            if s.district_code not in self.districts:
                raise ConfigurationError(f"街镇 {s.code} {s.name} 所属区 {s.district_code} 不存在")
        for c in self.committees.values():
            if c.street_code not in self.streets:
                raise ConfigurationError(f"居村委 {c.code} {c.name} 所属街镇 {c.street_code} 不存在")

    def streets_of(self, district_code: str) -> list[Street]:
        return [s for s in self.streets.values() if s.district_code == district_code]

    def committees_of(self, street_code: str) -> list[Committee]:
        return [c for c in self.committees.values() if c.street_code == street_code]


def _rows(text: str, required: tuple[str, ...], what: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise ConfigurationError(f"{what} 缺少列：{', '.join(missing)}")
    return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]


def parse_gazetteer(areas_csv: str, streets_csv: str, villages_csv: str) -> Gazetteer:
    """Build a gazetteer from the text of the three CSV files (columns as in the shared data)."""
    districts = [District(r["code"], r["name"]) for r in _rows(areas_csv, ("code", "name"), "区县表")]
    streets = [
        Street(r["code"], r["name"], r["areaCode"])
        for r in _rows(streets_csv, ("code", "name", "areaCode"), "街镇表")
    ]
    committees = [
        Committee(r["code"], r["name"], r["streetCode"], r["areaCode"])
        for r in _rows(villages_csv, ("code", "name", "streetCode", "areaCode"), "居村委表")
    ]
    return Gazetteer(districts, streets, committees)


def load_gazetteer(directory: Path, prefix: str = "shanghai") -> Gazetteer:
    """Read `{prefix}_areas.csv`, `{prefix}_streets.csv` and `{prefix}_villages.csv` from `directory`."""
    texts = [
        (directory / f"{prefix}_{part}.csv").read_text(encoding="utf-8")
        for part in ("areas", "streets", "villages")
    ]
    return parse_gazetteer(*texts)
