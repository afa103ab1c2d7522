"""Generate tests/data/addresses_dev.tsv: spoken-style Shanghai addresses with realistic ASR errors.

    .venv/bin/python bench/make_address_devset.py [--rows 400] [--seed 12348] [--out PATH]

Reproducible (seeded). Each row picks a committee from the gazetteer and says some of its
district / street / committee the way callers do, then damages the place names the way ASR does:

* homophones for ANY character, drawn from the 3,755 common characters of GB2312 level 1 grouped
  by toneless pinyin (not a hand list): 静安 -> 经安, 临汾 -> 林芬;
* near-homophones of a Shanghai accent (zh/z, ch/c, sh/s, n/l, -ng/-n), less often;
* a dropped character in longer names; dropped suffixes (区, 街道, 镇, 居委会, 村委会);
  abbreviations (浦东); fillers; house numbers read as Chinese numerals; full-width digits;
  a missing district.

Columns: id, text, district_code, street_code, committee_code (empty when not said), noise.

`--failure-kinds` appends (or renews) a second, tagged section (ids `kind0001`…) and leaves the
first section's rows as they are, so figures before and after stay comparable. It holds the kinds
of failure issue 20 lists, one tag each:

* `lane_committee_cn` / `lane_committee_digits`: committees named after a lane (宝山路四九九弄居委会),
  said with Chinese numerals and with digits (宝山路499弄);
* `own_street_name`: a committee of a street that has a committee named after itself (长桥街道 +
  长桥三村第一居委会, or + 罗秀居委会): the committee said must win, not the street's namesake;
* `village_vs_residents`: a core shared by a 村委会 and a 居委会 of one district (北桥村 / 北桥居委会),
  said with 村 or with 居委(会);
* `long_fuzzy_district`: a committee of five or more characters misheard (homophones), its
  district said, no street;
* `road_number`: the district and a road with a house number (静安区闻喜路768号), where the road
  is named by units of one street only; the street is the answer.
"""

from __future__ import annotations

import argparse
import random
import re
from collections import defaultdict
from pathlib import Path

from pypinyin import Style, lazy_pinyin

from routing.gazetteer import Committee, Gazetteer, load_gazetteer

ROOT = Path(__file__).resolve().parents[1]
GAZETTEER = ROOT.parent / "shared" / "gazetteer"
OUT = ROOT / "tests" / "data" / "addresses_dev.tsv"

PREFIXES = ["", "", "我住在", "我家在", "嗯，我家住在", "那个，我住", "就是", "我是", "在", "嗯…", "地址是"]
JOINERS = ["", "", "", "，", " ", "那个", "嗯", "，就是"]
TAILS = ["", "", "", "那边", "附近", "这里", "。", "吧"]
DIGITS = "零一二三四五六七八九"


def common_characters() -> list[str]:
    """GB2312 level 1: the 3,755 most common hanzi (rows 0xB0-0xD7), the natural ASR vocabulary."""
    chars = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def accent_variants(syllable: str) -> set[str]:
    """Syllables a Shanghai accent or a noisy line confuses with `syllable`."""
    out = set()
    for a, b in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if syllable.startswith(a):
            out.add(b + syllable[len(a) :])
        elif syllable.startswith(b) and not syllable.startswith(a):
            out.add(a + syllable[len(b) :])
    if syllable.startswith("n"):
        out.add("l" + syllable[1:])
    elif syllable.startswith("l"):
        out.add("n" + syllable[1:])
    for a in ("ing", "eng", "ang"):
        if syllable.endswith(a):
            out.add(syllable[:-1])
        elif syllable.endswith(a[:-1]):
            out.add(syllable + "g")
    return out


class AsrNoise:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.by_syllable: dict[str, list[str]] = defaultdict(list)
        for ch in common_characters():
            self.by_syllable[lazy_pinyin(ch, style=Style.NORMAL)[0]].append(ch)

    def homophone(self, ch: str, accent: bool) -> str | None:
        syllable = lazy_pinyin(ch, style=Style.NORMAL)[0]
        pool = [c for c in self.by_syllable.get(syllable, []) if c != ch]
        if accent:
            # sorted: a set's order changes with the hash seed, and the rows must be reproducible
            pool = [c for s in sorted(accent_variants(syllable)) for c in self.by_syllable.get(s, [])]
        return self.rng.choice(pool) if pool else None

    def damage(self, text: str, rate: float, tags: set[str]) -> str:
        out = []
        for ch in text:
            if "\u4e00" <= ch <= "\u9fff" and self.rng.random() < rate:
                accent = self.rng.random() < 0.25
                sub = self.homophone(ch, accent)
                if sub is not None:
                    tags.add("accent" if accent else "homophone")
                    out.append(sub)
                    continue
            out.append(ch)
        if len(out) >= 5 and self.rng.random() < 0.08:
            del out[self.rng.randrange(1, len(out) - 1)]
            tags.add("dropped_char")
        return "".join(out)


def say_number(rng: random.Random, n: int) -> str:
    if rng.random() < 0.5:
        return "".join(DIGITS[int(d)] for d in str(n)) if rng.random() < 0.5 else _positional(n)
    digits = str(n)
    return (
        digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        if rng.random() < 0.2
        else digits
    )


def _positional(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = (DIGITS[hundreds] + "百") if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else DIGITS[tens]) + "十"
    elif hundreds and ones:
        out += "零"
    if ones:
        out += DIGITS[ones]
    return out


def district_form(rng: random.Random, name: str, tags: set[str]) -> str:
    if rng.random() < 0.4:
        tags.add("no_suffix")
        return name[:-2] if name.endswith("新区") else name[:-1]
    return name


def street_form(rng: random.Random, name: str, tags: set[str]) -> str:
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2 and rng.random() < 0.35:
            tags.add("no_suffix")
            return name[: -len(suffix)]
    return name


def committee_form(rng: random.Random, name: str, tags: set[str]) -> str:
    core = re.sub(r"[（(][^）)]*[）)]", "", name)
    r = rng.random()
    if core.endswith("村委会"):
        if r < 0.5:
            tags.add("no_suffix")
            return core[:-3]  # 彭浦村
        return core
    if core.endswith("居委会"):
        if r < 0.3:
            tags.add("no_suffix")
            return core[:-3]
        if r < 0.5:
            return core[:-1]  # 居委
    return core


def road_phrase(rng: random.Random, gaz: Gazetteer, c: Committee, noise: AsrNoise, tags: set[str]) -> str:
    roads = [
        m.group(1)
        for other in gaz.committees_of(c.street_code)
        if (m := re.match(r"^(.{2,4}路)", other.name))
    ]
    if roads and rng.random() < 0.7:
        road = rng.choice(roads)
    else:
        pool = noise.by_syllable[rng.choice(sorted(noise.by_syllable))]
        road = rng.choice(pool) + rng.choice(noise.by_syllable[rng.choice(sorted(noise.by_syllable))]) + "路"
    tags.add("house_number")
    number = rng.randint(1, 999)
    if rng.random() < 0.25:
        tags.add("lane")
        return f"{road}{say_number(rng, number)}弄{say_number(rng, rng.randint(1, 60))}号"
    return f"{road}{say_number(rng, number)}号"


def make_rows(gaz: Gazetteer, count: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    noise = AsrNoise(rng)
    cores: dict[str, int] = defaultdict(int)
    for c in gaz.committees.values():
        cores[committee_form(random.Random(0), c.name, set())] += 1
    committees = sorted(gaz.committees.values(), key=lambda c: c.code)
    rows: list[list[str]] = []
    while len(rows) < count:
        c = rng.choice(committees)
        tags: set[str] = set()
        say_district = rng.random() < 0.7
        say_committee = rng.random() < 0.7
        say_street = not say_committee or rng.random() < 0.7
        if say_committee and not say_street and not say_district and cores[c.name] > 1:
            say_district = True  # a committee name used elsewhere needs some context
        if not say_district:
            tags.add("no_district")
        rate = rng.choice([0.0, 0.0, 0.1, 0.15, 0.25])
        parts = []
        if say_district:
            parts.append(
                noise.damage(district_form(rng, gaz.districts[c.district_code].name, tags), rate, tags)
            )
        if say_street:
            parts.append(noise.damage(street_form(rng, gaz.streets[c.street_code].name, tags), rate, tags))
        if say_committee:
            parts.append(noise.damage(committee_form(rng, c.name, tags), rate, tags))
        text = (
            rng.choice(PREFIXES) + rng.choice(JOINERS).join(parts)
            if rng.random() < 0.5
            else rng.choice(PREFIXES) + "".join(p + rng.choice(JOINERS) for p in parts)
        )
        if rng.random() < 0.35:
            text += rng.choice(["，", " ", "，那个", ""]) + road_phrase(rng, gaz, c, noise, tags)
        text += rng.choice(TAILS)
        if not tags & {"homophone", "accent", "dropped_char"}:
            tags.add("clean")
        rows.append(
            [
                f"dev{len(rows) + 1:04d}",
                text.replace("\t", " "),
                c.district_code,
                c.street_code,
                c.code if say_committee else "",
                ",".join(sorted(tags)),
            ]
        )
    return rows


KIND_ROWS = 30  # rows per failure kind
_NUMERAL = re.compile(r"[零〇一二三四五六七八九十百千]+(?=弄)")
_ROAD_IN_NAME = re.compile(r"^([\u4e00-\u9fff]{1,6}?(?:大道|公路|路))(?!街道$|镇$)")


def numerals_to_digits(text: str) -> str:
    """四九九 -> 499, 八十 -> 80, 一百零五 -> 105, 二千八百 -> 2800 (only before 弄)."""

    def value(m: re.Match[str]) -> str:
        said = m.group().replace("〇", "零")
        if not set(said) & set("十百千"):
            return "".join(str(DIGITS.index(ch)) for ch in said)
        total, current = 0, 0
        for ch in said:
            if ch == "千":
                total += (current or 1) * 1000
                current = 0
            elif ch == "百":
                total += (current or 1) * 100
                current = 0
            elif ch == "十":
                total += (current or 1) * 10
                current = 0
            else:
                current = DIGITS.index(ch)
        return str(total + current)

    return _NUMERAL.sub(value, text)


def make_failure_kind_rows(gaz: Gazetteer, seed: int) -> list[list[str]]:
    """The tagged section of failure kinds (see the module notes), `KIND_ROWS` of each."""
    rng = random.Random(seed)
    noise = AsrNoise(rng)
    committees = sorted(gaz.committees.values(), key=lambda c: c.code)
    out: list[tuple[str, Committee | None, str, str]] = []  # text, committee, street code, tag

    def district_said(code: str) -> str:
        return district_form(rng, gaz.districts[code].name, set())

    def street_core(code: str) -> str:
        return re.sub(r"(街道|镇|乡)$", "", gaz.streets[code].name)

    lanes = [c for c in committees if _NUMERAL.search(c.name)]
    for tag in ("lane_committee_cn", "lane_committee_digits"):
        for c in rng.sample(lanes, min(KIND_ROWS, len(lanes))):
            name = committee_form(rng, c.name, set())
            if tag == "lane_committee_digits":
                name = numerals_to_digits(name)
            street = gaz.streets[c.street_code].name if rng.random() < 0.5 else ""
            out.append((district_said(c.district_code) + street + name, c, c.street_code, tag))

    namesakes = [
        c
        for c in committees
        if any(o.name.startswith(street_core(c.street_code)) for o in gaz.committees_of(c.street_code))
    ]
    for c in rng.sample(namesakes, min(KIND_ROWS, len(namesakes))):
        text = gaz.streets[c.street_code].name + rng.choice(JOINERS) + committee_form(rng, c.name, set())
        if rng.random() < 0.5:
            text = district_said(c.district_code) + text
        out.append((text, c, c.street_code, "own_street_name"))

    def bare(c: Committee) -> str:
        core = re.sub(r"(村委会|居委会)$", "", c.name)
        return core[:-1] if c.name.endswith("村委会") and core.endswith("村") else core

    by_core: dict[tuple[str, str], list[Committee]] = defaultdict(list)
    for c in committees:
        by_core[(c.district_code, bare(c))].append(c)
    pairs = [
        c
        for group in by_core.values()
        if sorted(g.name.endswith("村委会") for g in group) == [False, True]  # one of each
        for c in group
    ]
    for c in rng.sample(pairs, min(KIND_ROWS, len(pairs))):
        said = bare(c) + ("村" if c.name.endswith("村委会") else rng.choice(["居委会", "居委"]))
        street = gaz.streets[c.street_code].name if rng.random() < 0.4 else ""
        out.append((district_said(c.district_code) + street + said, c, c.street_code, "village_vs_residents"))

    long = [c for c in committees if len(re.sub(r"[（(][^）)]*[）)]", "", c.name)) - 3 >= 5]
    while sum(1 for row in out if row[3] == "long_fuzzy_district") < KIND_ROWS:
        c = rng.choice(long)
        tags: set[str] = set()
        damaged = noise.damage(committee_form(rng, c.name, set()), 0.2, tags)
        if not tags & {"homophone", "accent"}:
            continue
        out.append((district_said(c.district_code) + damaged, c, c.street_code, "long_fuzzy_district"))

    roads: dict[str, set[str]] = defaultdict(set)
    for unit_name, street_code in [(s.name, s.code) for s in gaz.streets.values()] + [
        (c.name, c.street_code) for c in committees
    ]:
        if (named := _ROAD_IN_NAME.match(unit_name)) is not None:
            roads[named.group(1)].add(street_code)
    single = sorted((road, next(iter(codes))) for road, codes in roads.items() if len(codes) == 1)
    for road_name, code in rng.sample(single, min(KIND_ROWS, len(single))):
        number = f"{say_number(rng, rng.randint(1, 999))}号"
        district = gaz.streets[code].district_code
        out.append((district_said(district) + road_name + number, None, code, "road_number"))

    return [
        [
            f"kind{i:04d}",
            rng.choice(PREFIXES) + text,
            gaz.streets[street].district_code,
            street,
            c.code if c is not None else "",
            tag,
        ]
        for i, (text, c, street, tag) in enumerate(out, start=1)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--seed", type=int, default=12348)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--failure-kinds",
        action="store_true",
        help="append (or renew) the tagged section of failure kinds to --out, its other rows untouched",
    )
    args = parser.parse_args()
    header = "id\ttext\tdistrict_code\tstreet_code\tcommittee_code\tnoise\n"
    if args.failure_kinds:
        kept = [
            line
            for line in args.out.read_text(encoding="utf-8").splitlines(keepends=True)[1:]
            if not line.startswith("kind")
        ]
        kinds = make_failure_kind_rows(load_gazetteer(GAZETTEER), args.seed)
        body = "".join(kept) + "".join("\t".join(r) + "\n" for r in kinds)
        args.out.write_text(header + body, encoding="utf-8")
        print(f"kept {len(kept)} rows, wrote {len(kinds)} failure-kind rows to {args.out}")
        return
    rows = make_rows(load_gazetteer(GAZETTEER), args.rows, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(header + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} rows to {args.out}")


if __name__ == "__main__":
    main()
