"""Address understanding: from ASR or typed text to ranked district / street / committee matches.

How it works (all indexes are built once, in `AddressResolver.build`):

* Every unit gets a *core* name (静安区 -> 静安, 临汾路街道 -> 临汾路, 彭浦村村委会 -> 彭浦) and
  aliases (浦东 for 浦东新区, historic names such as 闸北 -> 静安区).
* Each core is indexed three ways: by its characters; by its toneless pinyin folded for the
  usual southern-Mandarin mergers (zh/z, ch/c, sh/s, n/l, -ng/-n) over every heteronym reading
  (长 chang/zhang); and by the pinyin with one syllable deleted (a symmetric-deletion index, so
  one inserted, dropped or substituted syllable still matches: 临汾 for 临汾路, 彭浦新春 for
  彭浦新村). Homophones are therefore matched for any character, not from a hand list.
* A query is normalised, turned into one folded syllable per character, and every substring of
  up to the longest core is looked up: a few thousand dict probes, well under a millisecond.
* A suffix after a match (区, 街道, 镇, 居委, 村…, itself compared by pinyin so 接到 counts as
  街道) raises its weight; overlapping matches keep the longer, better one.
* Candidates are (district, street, committee) triples scored from the evidence at each level,
  with a penalty where the text names another street or district.

Official names always resolve to their own unit (an exhaustive test checks the whole gazetteer):
names are indexed the way `normalize` turns the caller's words (三泉路四二四弄 as 三泉路424弄);
the reading of the text is the best segmentation into names, not the greedy longest match; the
same words never count for two levels; 村 / 居委会 and 镇 / 街道 said must fit the unit; a committee
named like a district or street (静安居委会, 合庆镇居委会) needs its suffix said.

`understand` gives an explicit outcome (`AddressOutcome`): found; ambiguous between named
candidates; no address (legal questions, chatter, garbage: a lone short sound-alike is chance);
outside Shanghai (the country's divisions, `routing.elsewhere`). Confidences are calibrated (the
share of right answers per raw score, `_CALIBRATION`). `resolve` is its candidate list, empty when
declined, which the IVR treats as an unknown address (it asks again, then hands over to a seat).
A road with a house number and nothing but a district besides is looked up in the road index (the
roads that unit names carry, an imported `routing.roads` table with house number ranges, and the
roads of the offices' addresses: `with_office_roads`).
"""

from __future__ import annotations

import bisect
import copy
import enum
import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar

from pypinyin import Style, pinyin

from routing.elsewhere import Elsewhere, ElsewhereIndex
from routing.gazetteer import Gazetteer
from routing.normalize import SEPARATOR, normalize
from routing.roads import RoadSegment

__all__ = [
    "DEFAULT_SCORER",
    "HISTORIC_DISTRICT_NAMES",
    "MAX_INPUT_CHARS",
    "SCORERS",
    "AddressMatch",
    "AddressOutcome",
    "AddressReading",
    "AddressResolver",
    "MatchLevel",
    "fold_syllable",
    "seat_note",
]


class AddressOutcome(enum.StrEnum):
    """What the resolver made of the text."""

    FOUND = "found"  # one place, the candidates ranked below it
    AMBIGUOUS = "ambiguous"  # several places fit equally well: ask the caller which (the candidates)
    NO_ADDRESS = "no_address"  # nothing in the text names a place
    OUTSIDE = "outside"  # the text names a place in another province or city


OUTCOME_LABEL: Mapping[AddressOutcome, str] = {
    AddressOutcome.FOUND: "已识别",
    AddressOutcome.AMBIGUOUS: "有多处可能，需确认",
    AddressOutcome.NO_ADDRESS: "未听到地址",
    AddressOutcome.OUTSIDE: "外省市地址",
}

MAX_INPUT_CHARS = 64
"""Only this many characters of the normalised text are read (the longest official name, district +
street + committee, has 46; a spoken address is shorter still), so long garbage stays fast."""


class MatchLevel(enum.StrEnum):
    DISTRICT = "district"
    STREET = "street"
    COMMITTEE = "committee"


HISTORIC_DISTRICT_NAMES: Mapping[str, str] = {
    "闸北": "310106",  # merged into 静安区 in 2015
    "卢湾": "310101",  # merged into 黄浦区 in 2011
    "南汇": "310115",  # merged into 浦东新区 in 2009
}
"""Former district names callers still use, mapped to today's district code (Shanghai)."""

_LEVEL_LABEL = {MatchLevel.DISTRICT: "区", MatchLevel.STREET: "街镇", MatchLevel.COMMITTEE: "居村委"}
_SUFFIXES: Mapping[MatchLevel, tuple[str, ...]] = {
    MatchLevel.DISTRICT: ("新区", "区", "县"),
    MatchLevel.STREET: ("街道", "镇", "乡", "街"),
    MatchLevel.COMMITTEE: (
        "虚拟生活区",
        "虚拟社区",
        "居民委员会",
        "村民委员会",
        "社区居委会",
        "居委会",
        "村委会",
        "居民区",
        "居委",
        "村委",
        "社区",
        "小区",
        "村",
    ),
}
_STRIP: Mapping[MatchLevel, tuple[str, ...]] = {
    MatchLevel.DISTRICT: ("新区", "区", "县"),
    MatchLevel.STREET: ("街道", "镇", "乡"),
    MatchLevel.COMMITTEE: ("社区居委会", "虚拟生活区", "虚拟社区", "居委会", "村委会"),
}
_PAREN = re.compile(r"[（(][^）)]*[）)]")

# Weights. Evidence is 0..1 per level; a candidate's score is a weighted sum.
_QUALITY = {"exact": 1.0, "pinyin": 0.93, "fuzzy": 0.85, "edit": 0.7, "historic": 0.9}
_QUALITY_LABEL = {
    "exact": "文字匹配",
    "pinyin": "拼音匹配",
    "fuzzy": "近音匹配",
    "edit": "容错匹配",
    "historic": "旧区名",
}
_W_COMMITTEE, _W_STREET, _W_DISTRICT = 0.55, 0.30, 0.15
_ABSENT = 0.45  # evidence assumed for a level the caller did not mention at all
_SUFFIX_BONUS = 0.15
_MIN_EVIDENCE = 0.6  # a candidate needs at least one piece of evidence this strong
_MAX_FUZZY_LEN = 10
_MAX_VARIANTS = 8
_SEP_ID = -1  # the syllable code of a pause (a separator in the normalised text)
_KIND_PENALTY = 0.1
_BARE_VILLAGE_PENALTY = 0.02
_OTHER_SUFFIX_PENALTY = 0.02
_SUFFIX_WEIGHT = 0.6  # per character of a suffix, in the weight that picks the reading of the text
_OTHER_DISTRICT_FACTOR = 0.85
_ALTERNATIVE_SHARE = 0.85  # a reading this close to the best of its words stays a candidate
_TIE = 0.005  # top scores this close name places the caller must choose between
# Raw score -> observed share of correct top candidates (bench/routing_accuracy.py --calibrate,
# on the dev set and on perturbed official names); piecewise linear, monotone.
_CALIBRATION: tuple[tuple[float, float], ...] = (
    (0.0, 0.0),
    (0.15, 0.25),
    (0.30, 0.55),
    (0.43, 0.64),
    (0.60, 0.945),
    (0.66, 0.95),
    (0.74, 0.985),
    (0.90, 0.99),
    (1.0, 0.995),
)
_ROAD_PENALTY = 0.08
# A street found from its road alone: the road may run on beyond the streets whose units carry
# its name, and no data measures how often (so this is a stated guess, not a calibrated value).
_ROAD_CONFIDENCE = 0.6
_ROAD_CHARS = 4  # a road's name as read before its number: 漕溪北路, 晨阳路
_SPLIT_COST = 1.0  # reading the text as one more place name costs this much weight

SCORERS = ("builtin", "rapidfuzz")
"""How a sound-alike match is scored. `builtin`: one fixed quality per kind of match (`_QUALITY`:
pinyin 0.93, near-homophone 0.85, one syllable off 0.7). `rapidfuzz` (optional package): the same
matches (the indexes find them either way), a near-homophone or one-syllable-off match graded by
rapidfuzz's normalised Indel similarity of the said pinyin (0.8) and characters (0.2) to the name's,
between 85 % and all of its kind's quality. (Graded above it, a near-homophone across two names,
镇向阳 for 政翔殷, outweighs the right reading 罗店镇 + 向阳: six short forms of the exhaustive test
failed.) Compared on the bench (`bench/routing_accuracy.py --scorer compare`): equal on official
names, declines, the dev set and issue 20's failure kinds, one more of 2,000 generated rows right,
about a fifth slower per lookup. A tie on accuracy, so latency decides: builtin is the default."""
DEFAULT_SCORER = "builtin"
_GRADE_FLOOR = 0.85  # rapidfuzz: the share of its kind's quality the least similar match keeps


def fold_syllable(syllable: str) -> str:
    """Fold a toneless syllable for the mergers common in Shanghai Mandarin and in ASR errors."""
    s = syllable
    if s[:2] in ("zh", "ch", "sh"):
        s = s[0] + s[2:]
    if s.startswith("n") and s != "ng":
        s = "l" + s[1:]
    if s.endswith(("ang", "eng", "ing")):
        s = s[:-1]
    return s


@dataclass(frozen=True, slots=True)
class _Name:
    level: MatchLevel
    code: str
    core: str
    display: str
    raw: frozenset[tuple[str, ...]]
    length: int
    alias: str  # "" for the unit's own name, else "简称" or "旧区名"
    needs_suffix: bool = False  # a committee named like a street (合庆镇居委会): only with 居委会 said
    edits: bool = True  # also indexed with one syllable deleted (not for 祁连村 of 祁连村村委会)
    spoken: tuple[str, ...] = ()  # the readings as text ("jing an"), for the rapidfuzz scorer


@dataclass(frozen=True, slots=True)
class _Mention:
    name: _Name
    start: int
    end: int  # after the suffix, if any
    text: str  # what the caller said for the core
    quality: str
    suffix: bool
    score: float
    weight: float  # for overlap resolution: longer, better matches win


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressMatch:
    """One candidate reading of the caller's address, with the reason in Chinese."""

    level: MatchLevel
    district_code: str
    district_name: str
    street_code: str | None
    street_name: str | None
    committee_code: str | None
    committee_name: str | None
    confidence: float
    reason: str
    road: str | None = None
    house_number: str | None = None
    evidence: tuple[str, ...] = field(default=())

    @property
    def admin_code(self) -> str:
        return self.committee_code or self.street_code or self.district_code

    @property
    def label(self) -> str:
        return "".join(p for p in (self.district_name, self.street_name, self.committee_name) if p)


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressReading:
    """The resolver's answer: an explicit outcome, a calibrated confidence (the estimated chance
    that `candidates[0]` is the caller's place; 0 when declined) and the reason in Chinese."""

    outcome: AddressOutcome
    confidence: float
    candidates: tuple[AddressMatch, ...]
    reason: str
    elsewhere: str | None = None  # the place outside the city, for OUTSIDE (杭州市西湖区)
    tied: int = 0
    """AMBIGUOUS: how many places fit equally well (the first of `candidates`, as far as `limit`
    reaches): the ones to ask the caller to choose between."""

    @property
    def declined(self) -> bool:
        return self.outcome in (AddressOutcome.NO_ADDRESS, AddressOutcome.OUTSIDE)


def _core(level: MatchLevel, name: str) -> str:
    core = _PAREN.sub("", name)
    for suffix in _STRIP[level]:
        if core.endswith(suffix) and len(core) - len(suffix) >= 2:
            core = core[: -len(suffix)]
            break
    if level is MatchLevel.COMMITTEE and name.endswith("村委会") and core.endswith("村") and len(core) >= 3:
        core = core[:-1]
    return core


def _suffix_kind(suffix: str) -> str:
    """村 for a village committee's suffix (村, 村委会…), 居 for a neighbourhood's, else ""."""
    if suffix.startswith("村"):
        return "村"
    if suffix.startswith(("居", "社区", "小区", "虚拟")):
        return "居"
    return {"街道": "街道", "街": "街道", "镇": "镇", "乡": "乡"}.get(suffix, "")


def _kind_penalty(name: _Name, said: str) -> float:
    """Saying 村 for a 居委会 (or 居委 for a 村委会) counts against it; so, a little, does a
    village's bare core (callers say 胡桥村 for 胡桥村村委会, 胡桥 for 胡桥居委会)."""
    village = name.display.endswith("村委会")
    if said:
        return 0.0 if (said == "村") == village else _KIND_PENALTY
    return _BARE_VILLAGE_PENALTY if village and not name.core.endswith("村") else 0.0


def _own_suffix(name: _Name, said: str) -> bool:
    """Whether `said` is the suffix of the committee's own name (社区居委会 of 金桥社区居委会)."""
    head = name.display[: -len(said)]
    return name.display.endswith(said) and bool(head) and head[-1] == name.core[-1]


def _index_forms(core: str, name: str = "") -> list[str]:
    """The forms a name is indexed under: as written and as `normalize` turns the caller's words
    (lane numbers as digits: 三泉路四二四弄 -> 三泉路424弄; 田林一、二村 -> 田林一 二村 and 田林一二村;
    a name with a bracket, 中国（上海）自由贸易试验区（保税片区）, also as said with pauses)."""
    forms = [core]
    for suffix in _STRIP[MatchLevel.COMMITTEE] + _STRIP[MatchLevel.STREET]:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    for text in (core, name) if _PAREN.search(name) else (core,):
        norm = normalize(text, drop_city=False)
        if len(norm.replace(SEPARATOR, "")) >= 2:
            forms += [norm, norm.replace(SEPARATOR, "")]
    return list(dict.fromkeys(forms))


_ROAD_RE = re.compile(r"([\u4e00-\u9fff]{1,8}?(?:大道|公路|路|街|弄|巷))(\d+(?:弄\d+)?(?:号|弄))")
_ROAD_ONLY_RE = re.compile(r"([\u4e00-\u9fff]{2,4}(?:大道|公路|路))(?![\u4e00-\u9fff]*?(?:街道|镇))")
_ROAD_IN_NAME = re.compile(r"^([\u4e00-\u9fff]{1,6}?(?:大道|公路|路))(?!街道$|镇$)")
_ADMIN_TAIL = re.compile(r".*(?:街道|新区|区|镇|乡|居委会|居委|村委会|村|社区)")


class AddressResolver:
    """Resolves free text to ranked `AddressMatch`es over one gazetteer."""

    def __init__(
        self,
        gazetteer: Gazetteer,
        names: Iterable[_Name],
        elsewhere: ElsewhereIndex | None = None,
        *,
        scorer: str = DEFAULT_SCORER,
    ) -> None:
        if scorer not in SCORERS:
            raise ValueError(f"未知的地址评分方式：{scorer}（可选：{'、'.join(SCORERS)}）")
        self._gaz = gazetteer
        self._elsewhere = elsewhere
        self._graded = _rapidfuzz_grade() if scorer == "rapidfuzz" else None
        self._name_roads: dict[str, frozenset[str]] = {}  # road -> the streets whose units are named after it
        self._table_roads: tuple[RoadSegment, ...] = ()  # an imported road table's rows
        self._roads: dict[str, tuple[str, ...]] = {}  # road -> streets, from all the sources
        self._road_segments: dict[str, tuple[RoadSegment, ...]] = {}  # house-number ranges and points
        self._chars: dict[str, list[_Name]] = {}
        self._syl: dict[tuple[int, ...], list[_Name]] = {}
        self._del: dict[tuple[int, ...], list[_Name]] = {}
        self._syl_id: dict[str, int] = {}
        self._char_cache: dict[str, tuple[int, str] | None] = {}
        self._suffixes: dict[MatchLevel, list[tuple[int, dict[tuple[int, ...], str]]]] = {}
        self._max_chars = 2
        self._char_prefixes: set[str] = set()
        self._syl_prefixes: set[tuple[int, ...]] = set()
        self._max_syl = 2
        for n in names:
            self._add(n)
        for level, suffixes in _SUFFIXES.items():
            keys = {self._fold_key(s): _suffix_kind(s) for s in suffixes}
            lengths = sorted({len(k) for k in keys}, reverse=True)
            self._suffixes[level] = [(n, {k: v for k, v in keys.items() if len(k) == n}) for n in lengths]

    @property
    def gazetteer(self) -> Gazetteer:
        """The administrative units this resolver indexes (district names, for display)."""
        return self._gaz

    # --- building --------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        gazetteer: Gazetteer,
        *,
        historic_names: Mapping[str, str] = HISTORIC_DISTRICT_NAMES,
        elsewhere: bool = True,
        roads: Iterable[RoadSegment] = (),
        scorer: str = DEFAULT_SCORER,
    ) -> AddressResolver:
        """Index `gazetteer` (about a second for Shanghai); reuse the resolver for every call.
        With `elsewhere`, the country's other provinces, cities and counties are loaded too, so
        an address outside the city is declined (`AddressOutcome.OUTSIDE`). `roads` (an imported
        road table, `routing.roads.parse_road_table`) adds to the road index those unit names give.
        `scorer` picks how sound-alike matches are scored (`SCORERS`)."""
        names: list[_Name] = []
        readings = _Readings()
        readings.prime()
        for d in gazetteer.districts.values():
            core = _core(MatchLevel.DISTRICT, d.name)
            names.append(readings.name(MatchLevel.DISTRICT, d.code, core, d.name, ""))
        for old, code in historic_names.items():
            if code in gazetteer.districts:
                display = gazetteer.districts[code].name
                names.append(readings.name(MatchLevel.DISTRICT, code, old, display, "旧区名"))
        # A committee named like a town (合庆镇居委会) is that committee only when 居委会 is said.
        # (At ranking, `_unshadowed` drops a committee said with no suffix in the very words that
        # name a district or street: 静安 is 静安区, not 静安居委会.)
        taken: set[str] = set()
        for s in gazetteer.streets.values():
            forms = _index_forms(_core(MatchLevel.STREET, s.name), s.name)
            taken.update(_index_forms(_PAREN.sub("", s.name)))
            for form in forms:
                names.append(readings.name(MatchLevel.STREET, s.code, form, s.name, ""))
        for c in gazetteer.committees.values():
            core = _core(MatchLevel.COMMITTEE, c.name)
            forms = _index_forms(core, c.name)
            village = []
            if c.name.endswith("村委会") and core != c.name[:-3]:  # 祁连村村委会: 祁连 and 祁连村
                village = [f for f in _index_forms(_PAREN.sub("", c.name[:-3])) if f not in forms]
            for form in forms + village:
                name = readings.name(MatchLevel.COMMITTEE, c.code, form, c.name, "")
                needs_suffix = form in taken
                if needs_suffix or form in village:
                    name = replace(name, needs_suffix=needs_suffix, edits=form not in village)
                names.append(name)
        road_index: dict[str, set[str]] = {}
        for unit_name, street_code in itertools.chain(
            ((s.name, s.code) for s in gazetteer.streets.values()),
            ((c.name, c.street_code) for c in gazetteer.committees.values()),
        ):
            if (road := _ROAD_IN_NAME.match(unit_name)) is not None:
                road_index.setdefault(road.group(1), set()).add(street_code)
        outside = None
        if elsewhere:
            local = {n.core for n in names} | {n.display for n in names}
            local |= {_PAREN.sub("", n.display) for n in names}
            province = next((c[:2] for c in gazetteer.districts), "31")
            outside = ElsewhereIndex.load(local, home_province=province)
        resolver = cls(gazetteer, names, outside, scorer=scorer)
        resolver._name_roads = {road: frozenset(codes) for road, codes in road_index.items()}
        resolver._table_roads = tuple(roads)
        resolver._index_roads(())
        return resolver

    def with_office_roads(self, segments: Iterable[RoadSegment]) -> AddressResolver:
        """This resolver with the road entries of the offices' addresses (`routing.roads.office_roads`)
        in its road index, in place of any earlier ones; the name indexes are shared, not rebuilt
        (milliseconds: called again after every edit of the office registry). Where the imported
        road table lists a road, its rows decide and the offices' entries for that road are left out."""
        clone = copy.copy(self)
        clone._index_roads(segments)
        return clone

    def _index_roads(self, office: Iterable[RoadSegment]) -> None:
        """road -> streets from the unit names, the imported table and the offices' addresses;
        road -> house-number segments from the table, else from the offices."""
        index = {road: set(codes) for road, codes in self._name_roads.items()}
        segments: dict[str, list[RoadSegment]] = {}
        for seg in self._table_roads:
            index.setdefault(seg.road, set()).add(seg.street_code)
            segments.setdefault(seg.road, []).append(seg)
        tabled = set(segments)
        for seg in office:
            if seg.road in tabled:
                continue
            index.setdefault(seg.road, set()).add(seg.street_code)
            segments.setdefault(seg.road, []).append(seg)
        self._roads = {road: tuple(sorted(codes)) for road, codes in index.items()}
        self._road_segments = {road: tuple(rows) for road, rows in segments.items()}

    def _sid(self, syllable: str) -> int:
        folded = fold_syllable(syllable)
        sid = self._syl_id.get(folded)
        if sid is None:
            sid = self._syl_id[folded] = len(self._syl_id)
        return sid

    def _fold_key(self, chars: str) -> tuple[int, ...]:
        return tuple(self._sid(_Readings.default(ch)) for ch in chars)

    def _add(self, n: _Name) -> None:
        bucket = self._chars.setdefault(n.core, [])
        if any(o.code == n.code and o.level is n.level for o in bucket):
            return
        bucket.append(n)
        self._max_chars = max(self._max_chars, len(n.core))
        self._char_prefixes.update(n.core[:k] for k in range(2, len(n.core) + 1))
        if SEPARATOR in n.core:  # a name with a pause in it ("田林一、二村"): matched as written only
            return
        digits = {i for i, ch in enumerate(n.core) if ch.isdigit()}
        self._max_syl = min(_MAX_FUZZY_LEN, max(self._max_syl, n.length + 1))
        keys = {tuple(self._sid(s) for s in raw) for raw in n.raw}
        for key in keys:
            self._syl_prefixes.update(key[:k] for k in range(1, len(key) + 1))
            bucket = self._syl.setdefault(key, [])
            if n not in bucket:
                bucket.append(n)
            if len(key) >= 3 and n.edits:
                for i in range(len(key)):
                    if i in digits:  # a lane number is never misheard into another one
                        continue
                    deleted = key[:i] + key[i + 1 :]
                    self._syl_prefixes.update(deleted[:k] for k in range(1, len(deleted) + 1))
                    dbucket = self._del.setdefault(deleted, [])
                    if n not in dbucket:
                        dbucket.append(n)

    # --- querying --------------------------------------------------------------------------

    def _char(self, ch: str) -> tuple[int, str] | None:
        if ch in self._char_cache:
            return self._char_cache[ch]
        result: tuple[int, str] | None = None
        if "\u4e00" <= ch <= "\u9fff":
            raw = _Readings.default(ch)
            result = (self._sid(raw), raw)
        elif "0" <= ch <= "9":
            result = (self._sid(ch), ch)
        elif ch == SEPARATOR:
            result = (_SEP_ID, ch)
        self._char_cache[ch] = result
        return result

    def resolve(self, text: str, *, limit: int = 5) -> list[AddressMatch]:
        """Ranked candidates for `text`, best first; empty when the resolver declines (nothing in
        it names a place, or the place is outside the city): see `understand`."""
        return list(self.understand(text, limit=limit).candidates)

    def understand(self, text: str, *, limit: int = 5) -> AddressReading:
        """The outcome for `text`: found, ambiguous between named candidates, no address, or
        outside the city; candidates ranked best first with calibrated confidences."""
        norm = normalize(text[: 4 * MAX_INPUT_CHARS], drop_city=False)[:MAX_INPUT_CHARS]
        content = sum(1 for ch in norm if "\u4e00" <= ch <= "\u9fff" or "0" <= ch <= "9")
        if sum(1 for ch in norm if "\u4e00" <= ch <= "\u9fff") < 2:
            return _declined(AddressOutcome.NO_ADDRESS, "没有可识别的地名")
        coded = [self._char(ch) for ch in norm]
        mentions = self._select(self._mentions(norm, coded))
        elsewhere = self._elsewhere.find(norm) if self._elsewhere is not None else []
        # Inside a longer Shanghai name (乐山一村居委会, 中山东一路居委会) a city's name is no city.
        elsewhere = [
            e
            for e in elsewhere
            if not any(
                m.start <= e.start and e.end <= m.end and m.end - m.start > e.end - e.start + 1
                for m in mentions
            )
        ]
        if elsewhere and not self._in_city(text[: 4 * MAX_INPUT_CHARS], mentions, elsewhere):
            place = "".join(e.name for e in elsewhere)
            province = elsewhere[0].province
            where = place if place.startswith(province) or not province else f"{province}{place}"
            return _declined(AddressOutcome.OUTSIDE, f"外省市地址：{where}", elsewhere=place)
        numbered = _numbered_road(norm, self._roads)
        said_road = numbered or self._bare_road(norm, mentions)
        if said_road is not None:
            by_road = self._by_road(said_road, mentions, limit)
            if by_road is not None:
                return by_road
        if not mentions:
            return _declined(AddressOutcome.NO_ADDRESS, "没有可识别的地名")
        if numbered is not None:
            start, end = numbered[0], numbered[1]
            # Words inside the road's own name are the road, not a place: 漕溪北 is no 西木北居委会,
            # 张杨路 no 张杨居委会 (a unit named exactly like the whole road stays a candidate).
            mentions = [
                m for m in mentions if not _in_road(m, start, end) or (m.quality == "exact" and m.end == end)
            ]
            if not mentions:
                return _declined(AddressOutcome.NO_ADDRESS, f"道路{numbered[2]}不在道路索引中，请问区和街道")
        road, house = _road_and_number(norm, mentions)
        # A candidate whose evidence is chance in other words (静安区，草家都: 家都 sounds like a
        # committee in 青浦) gives way to the next one that the words do support (静安区).
        ranked = [
            r
            for r in self._rank(mentions, road, house)
            if _supported(r[2], content, numbered=house is not None)
        ]
        if not ranked:
            return _declined(AddressOutcome.NO_ADDRESS, "话中没有可信的上海地名")
        top_score = ranked[0][0]
        tied = [m for score, m, _ in ranked if top_score - score < _TIE and m.level == ranked[0][1].level]
        calibrated = [replace(m, confidence=calibrate(score)) for score, m, _ in ranked[:limit]]
        if len(tied) > 1:
            share = round(calibrate(top_score) / len(tied), 3)
            note = f"同名或同音单位共{len(tied)}处，请向来电人确认"
            candidates = [
                _replace_confidence(m, share, note) if i < len(tied) else m for i, m in enumerate(calibrated)
            ]
            names = "、".join(m.label for m in tied[:3])
            return AddressReading(
                outcome=AddressOutcome.AMBIGUOUS,
                confidence=share,
                candidates=tuple(candidates),
                reason=f"{note}：{names}",
                tied=len(tied),
            )
        return AddressReading(
            outcome=AddressOutcome.FOUND,
            confidence=calibrated[0].confidence,
            candidates=tuple(calibrated),
            reason=calibrated[0].reason,
        )

    def _bare_road(self, norm: str, mentions: list[_Mention]) -> tuple[int, int, str, str] | None:
        """(start, end, road, "") of a known road said without a number (静安区闻喜路): the last
        one, by its longest known ending. None where a unit is named exactly so (共和新路 is
        共和新路街道, 阳曲路470弄 a committee): those are ranked as places."""
        for match in reversed(list(_ROAD_ONLY_RE.finditer(norm))):
            said = match.group(1)
            known = [said[-k:] for k in range(len(said), 2, -1) if said[-k:] in self._roads]
            if not known:
                continue
            end = match.end(1)
            start = end - len(known[0])
            if any(m.quality == "exact" and m.start <= start and end <= m.end for m in mentions):
                return None
            return start, end, known[0], ""
        return None

    def _by_road(
        self, numbered: tuple[int, int, str, str], mentions: list[_Mention], limit: int
    ) -> AddressReading | None:
        """Road, with or without a house number, and nothing but a district besides (静安区闻喜路768号):
        the streets whose units are named after the road (committee names carry road names; so do
        streets such as 临汾路街道), of the imported road table and of the offices' addresses.
        One street: found; several: ask which (or a cross road)."""
        start, end, road, house = numbered
        streets = self._roads.get(road)
        if not streets:
            return None
        # (静安 of 静安阳曲路 is the district: not also a committee 静安居委会 said besides the road.)
        outside = self._unshadowed([m for m in mentions if not _in_road(m, start, end)])
        if any(m.name.level is not MatchLevel.DISTRICT for m in outside):
            return None  # a street or committee said besides the road: the usual ranking
        said = {m.name.code for m in outside}
        fit = [code for code in streets if not said or self._gaz.streets[code].district_code in said]
        number = int(digits.group()) if (digits := re.match(r"\d+", house)) else None
        segments = self._road_segments.get(road, ())
        if number is not None and any(seg.first is not None for seg in segments):
            # The road table's house number ranges narrow it down (共和新路 3000-4999号 -> 彭浦新村).
            ranged = {seg.street_code for seg in segments if seg.first is not None and seg.holds(number)}
            fit = [code for code in fit if code in ranged] or fit
        if not fit:
            return None
        gaz = self._gaz
        share = round(_ROAD_CONFIDENCE / len(fit), 3)
        what = f"道路索引：{road}{house}"
        note = "" if len(fit) == 1 else f"；{road}跨{len(fit)}个街镇，请问街道或附近路口"
        candidates = tuple(
            AddressMatch(
                level=MatchLevel.STREET,
                district_code=gaz.streets[code].district_code,
                district_name=gaz.districts[gaz.streets[code].district_code].name,
                street_code=code,
                street_name=gaz.streets[code].name,
                committee_code=None,
                committee_name=None,
                confidence=share,
                reason=f"{what}→{gaz.streets[code].name}{note}",
                road=road,
                house_number=house or None,
                evidence=(what,),
            )
            for code in fit[:limit]
        )
        if len(fit) == 1:
            return AddressReading(
                outcome=AddressOutcome.FOUND,
                confidence=share,
                candidates=candidates,
                reason=candidates[0].reason,
            )
        names = "、".join(c.label for c in candidates[:3])
        return AddressReading(
            outcome=AddressOutcome.AMBIGUOUS,
            confidence=share,
            candidates=candidates,
            reason=f"{road}跨{len(fit)}个街镇：{names}，请问街道或附近路口",
            tied=len(fit),
        )

    @staticmethod
    def _in_city(said: str, mentions: list[_Mention], elsewhere: list[Elsewhere]) -> bool:
        """A place elsewhere was named; the text is still about Shanghai where it says 上海 (read
        in what was `said`: the normalised text has lost a 上海市) or names a Shanghai district
        plainly (我住浦东新区，户口在安徽)."""
        if "上海" in said:
            return True
        return any(
            m.name.level is MatchLevel.DISTRICT
            and (m.quality in ("exact", "historic") or (m.quality == "pinyin" and m.suffix))
            and not any(e.start < m.end and m.start < e.end for e in elsewhere)
            for m in mentions
        )

    def _mentions(self, norm: str, coded: list[tuple[int, str] | None]) -> list[_Mention]:
        found: dict[tuple[str, str, int, int, bool], _Mention] = {}
        memo: dict[tuple[MatchLevel, int, bool], tuple[int, str]] = {}
        n = len(norm)
        for i in range(n):
            if coded[i] is None or norm[i] == SEPARATOR:
                continue
            paused = False
            known = 1
            for length in range(2, max(self._max_chars, self._max_syl) + 1):
                j = i + length
                if j > n or coded[j - 1] is None:
                    break
                sub = norm[i:j]
                if (paused or length > self._max_syl) and sub not in self._char_prefixes:
                    break  # beyond sound-alike lengths only exact names remain: none starts so
                if norm[j - 1] == SEPARATOR:
                    paused = True
                    continue
                for name in self._chars.get(sub, ()):
                    self._note(
                        found,
                        name,
                        i,
                        j,
                        norm,
                        "historic" if name.alias == "旧区名" else "exact",
                        coded,
                        memo,
                    )
                if paused or length > self._max_syl:
                    continue
                key = tuple(c[0] for c in coded[i:j] if c is not None)
                if key in self._syl_prefixes:
                    known = length  # the longest start of the window that starts some indexed key
                    raw = tuple(c[1] for c in coded[i:j] if c is not None)
                    for name in self._syl.get(key, ()):
                        quality = "pinyin" if raw in name.raw else "fuzzy"
                        self._note(found, name, i, j, norm, quality, coded, memo)
                    for name in self._del.get(key, ()):  # the caller dropped a syllable
                        self._note(found, name, i, j, norm, "edit", coded, memo)
                if length >= 3:
                    # Without syllable k the window starts with key[:k]: only k <= known can match.
                    for k in range(min(length, known + 1)):
                        if norm[i + k].isdigit():
                            continue
                        deleted = key[:k] + key[k + 1 :]
                        if 0 < k < length - 1:  # one syllable too many (at an edge: a plain substring)
                            for name in self._syl.get(deleted, ()):
                                self._note(found, name, i, j, norm, "edit", coded, memo)
                        for name in self._del.get(deleted, ()):  # one syllable misheard
                            if name.length == length:
                                self._note(found, name, i, j, norm, "edit", coded, memo)
        return list(found.values())

    def _note(
        self,
        found: dict[tuple[str, str, int, int, bool], _Mention],
        name: _Name,
        start: int,
        end: int,
        norm: str,
        quality: str,
        coded: list[tuple[int, str] | None],
        memo: dict[tuple[MatchLevel, int, bool], tuple[int, str]],
    ) -> None:
        if name.alias == "旧区名" and quality in ("exact", "pinyin", "fuzzy"):
            quality = "historic"
        q = _QUALITY[quality]
        if self._graded is not None and quality in ("fuzzy", "edit"):
            said = tuple(c[1] for c in coded[start:end] if c is not None)
            q *= self._graded(said, norm[start:end], name)
        suffix_end, kind = self._suffix_end(name.level, coded, end, memo, SEPARATOR in name.core)
        # With a suffix and, where one follows, also without it: 堡镇 向阳… is 堡镇 + 向阳, not 堡镇乡.
        for with_suffix in (True, False) if suffix_end > end else (False,):
            if name.needs_suffix and not with_suffix:
                continue
            key = (name.level.value, name.code, start, end, with_suffix)
            old = found.get(key)
            if old is not None and _QUALITY[old.quality] >= _QUALITY[quality]:
                continue
            stop = suffix_end if with_suffix else end
            matched = min(end - start, name.length)
            if name.level is MatchLevel.DISTRICT:
                length_factor = 1.0
            else:
                length_factor = {1: 0.5, 2: 0.8, 3: 0.92}.get(matched, 1.0)
            score = min(q, q * length_factor + (_SUFFIX_BONUS if with_suffix else 0.0))
            penalty = 0.0
            if name.level is MatchLevel.STREET and with_suffix and kind and not name.display.endswith(kind):
                penalty = _KIND_PENALTY  # 虹桥镇 is not 虹桥街道
            if name.level is MatchLevel.COMMITTEE:
                penalty = _kind_penalty(name, kind if with_suffix else "")
                if not with_suffix and end < len(norm) and norm[end].isdigit():
                    penalty += _ROAD_PENALTY  # 金都路77号: the road; the committee named after it only likely
                if with_suffix and not _own_suffix(name, norm[end:stop]):  # 新成居委会 for 新成社区居委会
                    penalty += _OTHER_SUFFIX_PENALTY
            score -= penalty
            # An edit match has one wrong syllable, so it weighs as one syllable shorter.
            weight = (matched - (quality == "edit") + _SUFFIX_WEIGHT * (stop - end)) * q * (1.0 - penalty)
            found[key] = _Mention(name, start, stop, norm[start:stop], quality, with_suffix, score, weight)

    def _suffix_end(
        self,
        level: MatchLevel,
        coded: list[tuple[int, str] | None],
        end: int,
        memo: dict[tuple[MatchLevel, int, bool], tuple[int, str]],
        pause: bool = False,
    ) -> tuple[int, str]:
        """Where the suffix after `end` ends (`end` without one), and its kind (村 / 居 / "").
        With `pause`, for a name said with pauses in it (自由贸易试验区（保税片区）虚拟社区), one may
        come before the suffix too."""
        cached = memo.get((level, end, pause))
        if cached is not None:
            return cached
        result = (end, "")
        after = coded[end] if pause and end < len(coded) else None
        gap = 1 if after is not None and after[0] == _SEP_ID else 0
        for length, keys in self._suffixes[level]:
            j = end + gap + length
            if j <= len(coded):
                window = coded[end + gap : j]
                if all(window):
                    kind = keys.get(tuple(c[0] for c in window if c))
                    if kind is not None:
                        result = (j, kind)
                        break
        memo[(level, end, pause)] = result
        return result

    @staticmethod
    def _select(mentions: list[_Mention]) -> list[_Mention]:
        """Keep the best reading of the text: the non-overlapping spans of greatest total weight
        (so 罗店镇 + 向阳居委会 beat one longer near-homophone 镇向阳居委会 across both), plus any
        mention that those spans do not clearly outweigh (equally good alternatives)."""
        span_weight: dict[tuple[int, int], float] = {}
        for m in mentions:
            key = (m.start, m.end)
            span_weight[key] = max(span_weight.get(key, 0.0), m.weight)
        spans = sorted(span_weight, key=lambda sp: sp[1])
        ends = [sp[1] for sp in spans]
        best = [0.0] * (len(spans) + 1)
        prior = [0] * len(spans)
        took = [False] * len(spans)
        for idx, span in enumerate(spans):
            prior[idx] = bisect.bisect_right(ends, span[0], 0, idx)
            take = best[prior[idx]] + span_weight[span] - _SPLIT_COST
            took[idx] = take > best[idx] + 1e-12
            best[idx + 1] = take if took[idx] else best[idx]
        chosen: set[tuple[int, int]] = set()
        idx = len(spans)
        while idx > 0:
            if took[idx - 1]:
                chosen.add(spans[idx - 1])
                idx = prior[idx - 1]
            else:
                idx -= 1
        kept: list[_Mention] = []
        for m in mentions:
            if (m.start, m.end) in chosen:
                if m.weight >= _ALTERNATIVE_SHARE * span_weight[(m.start, m.end)] - 1e-9:
                    kept.append(m)
                continue
            cover = sum(span_weight[sp] for sp in chosen if sp[0] < m.end and m.start < sp[1])
            if cover <= m.weight + 1e-9:
                kept.append(m)
        kept.sort(key=lambda m: (-m.weight, -m.score, m.start))
        return kept

    def _rank(
        self, mentions: list[_Mention], road: str | None, house: str | None
    ) -> list[tuple[float, AddressMatch, list[_Mention]]]:
        best: dict[MatchLevel, dict[str, _Mention]] = {level: {} for level in MatchLevel}
        for m in self._unshadowed(mentions):
            slot = best[m.name.level]
            old = slot.get(m.name.code)
            if old is None or m.score > old.score:
                slot[m.name.code] = m
        districts, streets, committees = (
            best[MatchLevel.DISTRICT],
            best[MatchLevel.STREET],
            best[MatchLevel.COMMITTEE],
        )
        triples: set[tuple[str, str | None, str | None]] = set()
        for code in committees:
            unit = self._gaz.committees[code]
            triples.add((unit.district_code, unit.street_code, unit.code))
        for code in streets:
            triples.add((self._gaz.streets[code].district_code, code, None))
        for code in districts:
            triples.add((code, None, None))

        named_district = {
            code for code, m in districts.items() if m.quality in ("exact", "pinyin", "historic")
        }
        scored: list[tuple[float, AddressMatch, list[_Mention]]] = []
        for d, s, c in triples:
            used: list[_Mention] = []
            ec = self._evidence(committees, c, used, absent=_ABSENT)
            es = self._evidence(streets, s, used, absent=_ABSENT if c is None or not streets else 0.0)
            ed = self._evidence(districts, d, used, absent=_ABSENT if not districts else 0.0)
            # The same words never count twice (虹桥 for both 虹桥镇 and its 虹桥居委会).
            mc, ms, md = committees.get(c or ""), streets.get(s or ""), districts.get(d)
            if mc is not None and ms is not None and _overlap(mc, ms):
                es = _ABSENT
                used.remove(ms)
            if md is not None and any(m is not md and _overlap(m, md) for m in used):
                ed = _ABSENT
                used.remove(md)
            if not any(_is_anchor(m) for m in used):
                continue
            score = _W_COMMITTEE * ec + _W_STREET * es + _W_DISTRICT * ed
            if (
                named_district
                and d not in named_district
                and any(m.quality in ("fuzzy", "edit") for m in used)
            ):
                # The caller said the district plainly: a near-homophone elsewhere does not move it.
                score *= _OTHER_DISTRICT_FACTOR
            scored.append((score, self._match(d, s, c, score, used, road, house, bool(districts)), used))
        scored.sort(key=lambda t: (-t[0], t[1].admin_code))
        return scored

    def _unshadowed(self, mentions: list[_Mention]) -> list[_Mention]:
        """Drop a committee said without a suffix in the very words that name a district or street
        which nothing else in the text contradicts: 静安 is 静安区 (not 静安居委会), 浦东张江 is 张江镇,
        静安共和新路 is 共和新路街道. Where another street is said (南京东路街道新桥, 虹桥街道虹桥) the
        words name the committee."""
        places = [m for m in mentions if m.name.level is not MatchLevel.COMMITTEE]
        if not places:
            return mentions
        out = []
        for m in mentions:
            if m.name.level is MatchLevel.COMMITTEE and not m.suffix:
                others = [o for o in places if o.end <= m.start or m.end <= o.start]
                if any(
                    self._uncontradicted(k, others) for k in places if k.start <= m.start and m.end <= k.end
                ):
                    continue
            out.append(m)
        return out

    def _uncontradicted(self, k: _Mention, others: list[_Mention]) -> bool:
        district = (
            k.name.code
            if k.name.level is MatchLevel.DISTRICT
            else self._gaz.streets[k.name.code].district_code
        )
        for o in others:
            if o.name.level is k.name.level:
                return False
            if o.name.level is MatchLevel.DISTRICT and o.name.code != district:
                return False
            if o.name.level is MatchLevel.STREET and self._gaz.streets[o.name.code].district_code != district:
                return False
        return True

    @staticmethod
    def _evidence(slot: dict[str, _Mention], code: str | None, used: list[_Mention], absent: float) -> float:
        if code is None:
            return _ABSENT
        m = slot.get(code)
        if m is None:
            return absent
        used.append(m)
        return m.score

    def _match(
        self,
        d: str,
        s: str | None,
        c: str | None,
        score: float,
        used: list[_Mention],
        road: str | None,
        house: str | None,
        district_said: bool,
    ) -> AddressMatch:
        gaz = self._gaz
        evidence = tuple(_describe(m) for m in sorted(used, key=lambda m: m.start))
        reasons = list(evidence)
        if not district_said:
            reasons.append("区由" + ("居村委" if c and not s else "街镇" if s else "") + "推断")
        if road:
            reasons.append(f"道路：{road}{house or ''}")
        level = MatchLevel.COMMITTEE if c else MatchLevel.STREET if s else MatchLevel.DISTRICT
        return AddressMatch(
            level=level,
            district_code=d,
            district_name=gaz.districts[d].name,
            street_code=s,
            street_name=gaz.streets[s].name if s else None,
            committee_code=c,
            committee_name=gaz.committees[c].name if c else None,
            confidence=round(min(1.0, max(0.0, score)), 3),
            reason="；".join(reasons),
            road=road,
            house_number=house,
            evidence=evidence,
        )


def _rapidfuzz_grade() -> Callable[[tuple[str, ...], str, _Name], float]:
    """The `rapidfuzz` scorer: a sound-alike match graded by how close it is, not by its kind."""
    try:
        from rapidfuzz.distance import Indel
    except ImportError as exc:  # only for the bench's comparison: the builtin scorer needs nothing
        raise ValueError("评分方式 rapidfuzz 需要安装 rapidfuzz（pip install rapidfuzz==3.14.6）") from exc

    def grade(said: tuple[str, ...], chars: str, name: _Name) -> float:
        heard = " ".join(said)
        sound = max(Indel.normalized_similarity(heard, reading) for reading in name.spoken)
        written = Indel.normalized_similarity(chars, name.core)
        return _GRADE_FLOOR + (1.0 - _GRADE_FLOOR) * (0.8 * sound + 0.2 * written)

    return grade


def _in_road(m: _Mention, start: int, end: int) -> bool:
    """Whether a mention is words of the road's name `start`..`end`: inside it, or a sound-alike
    across its first character said without a suffix (区阳 of 静安区阳曲路四十号 is no 巨杨居委会:
    the road is; 北桥寸村委烩 before 拴锤路 is a committee said with its 村委会)."""
    if start <= m.start and m.end <= end:
        return True
    return m.start < start < m.end <= end and m.quality != "exact" and not m.suffix


def _overlap(a: _Mention, b: _Mention) -> bool:
    return a.start < b.end and b.start < a.end


def _is_anchor(m: _Mention) -> bool:
    """Evidence strong enough to stand alone: an edit match needs four syllables or a suffix."""
    if m.score < _MIN_EVIDENCE:
        return False
    return m.quality != "edit" or m.suffix or min(m.end - m.start, m.name.length) >= 4


def _describe(m: _Mention) -> str:
    """`拼音匹配：经安区→静安区`, `简称：浦东→浦东新区`, `文字匹配：静安区`."""
    label = _QUALITY_LABEL[m.quality]
    if m.quality == "exact" and m.name.level is MatchLevel.DISTRICT and not m.suffix:
        label = "简称"
    if m.text == m.name.display:
        return f"{label}：{m.name.display}"
    return f"{label}：{m.text}→{m.name.display}"


def _supported(used: list[_Mention], content: int, *, numbered: bool) -> bool:
    """Whether the evidence for the best candidate is an address and not chance in other words:
    房东 (landlord) is 方东社区 by sound, 交通 (traffic) a committee's name. A lone short name
    without 区 / 街道 / 居委会 after it must be most of what was said, unless a road and house
    number (`numbered`: 藤沛路673号) show the text is an address."""
    if len(used) >= 2 or numbered:
        return True
    m = used[0]
    if m.suffix and (m.quality == "exact" or m.text.endswith(_SUFFIXES[m.name.level])):
        return True  # (a suffix heard only by its sound, 嫌 for 乡, is no proof)
    said = m.end - m.start
    coverage = said / max(1, content)
    if m.quality in ("exact", "historic"):
        return said >= 4 or coverage >= 0.5 or (said >= 3 and coverage >= 0.3)
    if m.quality == "pinyin" and said >= 4:
        return coverage >= 0.3
    if said <= 2 and m.name.level is MatchLevel.COMMITTEE:
        return False  # two syllables sounding like one of six thousand committees: chance
    return coverage >= 0.6


def seat_note(reading: AddressReading, *, places: int = 3) -> str:
    """What the seat's screen pop says of the caller's address, in Chinese: 可能是：A 或 B (ambiguous),
    来电者说的不是上海地址：杭州市西湖区 (outside), 未听到可识别的地址 (none), 识别为：A (found)."""
    if reading.outcome is AddressOutcome.OUTSIDE:
        return "来电者说的不是上海地址" + (f"：{reading.elsewhere}" if reading.elsewhere else "")
    if reading.outcome is AddressOutcome.NO_ADDRESS:
        return f"未听到可识别的地址（{reading.reason}）"
    labels = list(dict.fromkeys(m.label for m in reading.candidates))[:places]
    if reading.outcome is AddressOutcome.AMBIGUOUS:
        if len(labels) == 1:
            return f"可能是：{labels[0]}，请向来电人确认"
        return "可能是：" + "、".join(labels[:-1]) + f" 或 {labels[-1]}，请向来电人确认"
    return f"识别为：{labels[0]}（把握 {reading.confidence:.0%}）"


def _declined(outcome: AddressOutcome, reason: str, *, elsewhere: str | None = None) -> AddressReading:
    return AddressReading(outcome=outcome, confidence=0.0, candidates=(), reason=reason, elsewhere=elsewhere)


def calibrate(score: float) -> float:
    """The raw score of a candidate as the estimated chance that it is right (see `_CALIBRATION`)."""
    points = _CALIBRATION
    if score <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if score <= x1:
            return round(y0 + (y1 - y0) * (score - x0) / (x1 - x0), 3)
    return points[-1][1]


def _replace_confidence(m: AddressMatch, confidence: float, note: str) -> AddressMatch:
    return replace(m, confidence=confidence, reason=f"{m.reason}；{note}")


def _numbered_road(norm: str, roads: Mapping[str, object]) -> tuple[int, int, str, str] | None:
    """(start, end, road, house number) of the last road said with a number: 闻喜路768号. The road
    is its last few characters (思凡三晨阳路: 三晨阳路, so the committee 思凡三… before it stays)."""
    for match in reversed(list(_ROAD_RE.finditer(norm))):
        said = _ADMIN_TAIL.sub("", match.group(1))
        road = said[-_ROAD_CHARS:]
        if len(road) >= 2 and road.endswith(("路", "大道", "公路", "街")):
            # The longest ending of what was said that is a known road (中山南二路), else the last
            # few characters.
            known = [said[-k:] for k in range(min(len(said), 8), 1, -1) if said[-k:] in roads]
            road = known[0] if known else road
            return match.end(1) - min(len(road), _ROAD_CHARS), match.end(1), road, match.group(2)
    return None


def _road_and_number(norm: str, mentions: list[_Mention]) -> tuple[str | None, str | None]:
    """The road and house number (汾西路 123号) where the text has them."""
    for match in reversed(list(_ROAD_RE.finditer(norm))):
        road = _ADMIN_TAIL.sub("", match.group(1))
        if len(road) >= 2:
            return road[-6:], match.group(2)
    taken = [(m.start, m.end) for m in mentions if m.name.level is MatchLevel.STREET]
    for match in reversed(list(_ROAD_ONLY_RE.finditer(norm))):
        if any(a < match.end() and match.start() < b for a, b in taken):
            continue
        return _ADMIN_TAIL.sub("", match.group(1)) or match.group(1), None
    return None, None


class _Readings:
    """Toneless pinyin readings, every heteronym of each character, memoised."""

    _cache: ClassVar[dict[str, tuple[str, ...]]] = {}

    @classmethod
    def of(cls, ch: str) -> tuple[str, ...]:
        got = cls._cache.get(ch)
        if got is None:
            readings = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="default")[0]
            got = cls._cache[ch] = tuple(dict.fromkeys(r for r in readings if r)) or (ch,)
        return got

    @classmethod
    def prime(cls) -> None:
        """Read every CJK Unified Ideograph once, so no lookup pays for pypinyin later."""
        if len(cls._cache) < 0x9FA6 - 0x4E00:
            for code in range(0x4E00, 0x9FA6):
                cls.of(chr(code))

    @classmethod
    def default(cls, ch: str) -> str:
        return cls.of(ch)[0]

    def name(self, level: MatchLevel, code: str, core: str, display: str, alias: str) -> _Name:
        options = [self.of(ch)[:3] for ch in core]
        raw = frozenset(itertools.islice(itertools.product(*options), _MAX_VARIANTS))
        if len(core) >= 2:
            phrase = tuple(p[0] for p in pinyin(core, style=Style.NORMAL))
            if len(phrase) == len(core):
                raw = raw | {phrase}
        spoken = tuple(sorted({" ".join(r) for r in raw}))
        return _Name(level, code, core, display, raw, len(core), alias, spoken=spoken)
