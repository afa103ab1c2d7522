"""Accuracy, declines, calibration and latency of `routing.address.AddressResolver`.

    .venv/bin/python bench/routing_accuracy.py [--failures N] [--calibrate] [--scorer builtin|rapidfuzz|compare]

Prints:

* official names: every district, street and committee of the gazetteer by its full official name
  (区 + 街镇 + 居村委), top-1 must be the unit itself (target 100 %);
* declines: `tests/data/address_declines.tsv` (legal questions and chatter with no address, addresses
  in other provinces and cities): the share declined with the right outcome (target >= 95 %);
* the dev set (`tests/data/addresses_dev.tsv`): top-1 accuracy at district / street / committee level
  and per noise tag (targets street >= 95 %, committee >= 85 %), counting a declined row as a miss;
* calibration: per confidence band, how often the top candidate is right (dev set plus 2,000 fresh
  rows of the dev-set generator with another seed);
* latency per lookup (p50 / p99 / max) over the dev set, the official names, the declines and
  the longest inputs (10 kB of garbage among them); target p99 < 5 ms.

`--scorer compare` runs the bench with every scorer of `routing.address.SCORERS` (the builtin
one and rapidfuzz's) and prints the headline figures side by side.

`--calibrate` prints the isotonic fit of raw score -> share correct, for `_CALIBRATION`.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from routing.address import DEFAULT_SCORER, SCORERS, AddressOutcome, AddressResolver
from routing.gazetteer import Gazetteer, load_gazetteer

ROOT = Path(__file__).resolve().parents[1]
GAZETTEER = ROOT.parent / "shared" / "gazetteer"
DEVSET = ROOT / "tests" / "data" / "addresses_dev.tsv"
DECLINES = ROOT / "tests" / "data" / "address_declines.tsv"
LONG_INPUTS = ["啊" * 5000, "的" * 3000, "静安区" * 2000, "x" * 10000, "我想问一下" * 500, "０１２３" * 500]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


Expected = tuple[str, str | None, str | None]


def official_names(gaz: Gazetteer) -> list[tuple[str, Expected]]:
    """(text, the (district, street, committee) the top candidate must be) for every unit."""
    out: list[tuple[str, Expected]] = []
    for c in gaz.committees.values():
        text = gaz.districts[c.district_code].name + gaz.streets[c.street_code].name + c.name
        out.append((text, (c.district_code, c.street_code, c.code)))
    for s in gaz.streets.values():
        out.append((gaz.districts[s.district_code].name + s.name, (s.district_code, s.code, None)))
    for d in gaz.districts.values():
        out.append((d.name, (d.code, None, None)))
    return out


def isotonic(points: list[tuple[float, int]]) -> list[tuple[float, float, int]]:
    """Pool-adjacent-violators: (mean score, share correct, count) blocks, increasing."""
    blocks: list[list[float]] = []  # [sum score, sum correct, n]
    for score, ok in sorted(points):
        blocks.append([score, float(ok), 1])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            last = blocks.pop()
            for i in range(3):
                blocks[-1][i] += last[i]
    return [(s / n, c / n, int(n)) for s, c, n in blocks]


def main() -> None:
    parser = argparse.ArgumentParser(description="routing accuracy, declines and latency")
    parser.add_argument("--failures", type=int, default=0, help="print this many misses of each kind")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the dev set")
    parser.add_argument("--calibrate", action="store_true", help="print the isotonic calibration fit")
    parser.add_argument(
        "--scorer",
        choices=[*SCORERS, "compare"],
        default=DEFAULT_SCORER,
        help="the resolver's scorer (default: the resolver's); compare: run every scorer and print the figures side by side",
    )
    args = parser.parse_args()

    t0 = time.perf_counter()
    gaz = load_gazetteer(GAZETTEER)
    load_s = time.perf_counter() - t0
    scorers = list(SCORERS) if args.scorer == "compare" else [args.scorer]
    results = {}
    for scorer in scorers:
        print(f"=== scorer: {scorer} ===")
        results[scorer] = evaluate(gaz, scorer, args, load_s)
    if len(results) > 1:
        # Latency again, the scorers taking turns on each text (their order alternating), so that a
        # busy machine slows both alike.
        resolvers = {name: AddressResolver.build(gaz, scorer=name) for name in results}
        texts = [r["text"] for r in read_tsv(DEVSET) + read_tsv(DECLINES)] * args.repeat
        texts += [t for t, _ in official_names(gaz)] + LONG_INPUTS * 20
        paired: dict[str, list[float]] = {name: [] for name in resolvers}
        for i, text in enumerate(texts):
            order = list(resolvers.items())
            for name, resolver in order if i % 2 else reversed(order):
                start = time.perf_counter_ns()
                resolver.understand(text)
                paired[name].append((time.perf_counter_ns() - start) / 1e6)
        for name, values in paired.items():
            results[name]["paired p50 ms"] = percentile(values, 0.5)
            results[name]["paired p99 ms"] = percentile(values, 0.99)
            results[name]["paired mean ms"] = statistics.fmean(values)
        print("=== comparison (accuracy first, then latency) ===")
        keys = list(next(iter(results.values())))
        print(f"  {'':24s}" + "".join(f"{name:>12s}" for name in results))
        for key in keys:
            print(f"  {key:24s}" + "".join(f"{r[key]:12.3f}" for r in results.values()))


def evaluate(gaz: Gazetteer, scorer: str, args: argparse.Namespace, load_s: float) -> dict[str, float]:
    """Print every figure for the resolver built with `scorer`; return the headline ones."""
    t0 = time.perf_counter()
    resolver = AddressResolver.build(gaz, scorer=scorer)
    build_s = load_s + time.perf_counter() - t0
    every_row = read_tsv(DEVSET)
    # The first section (dev…) gives the headline figures, comparable before and after; the tagged
    # section of issue 20's failure kinds (kind…, `make_address_devset.py --failure-kinds`) its own.
    rows = [r for r in every_row if not r["id"].startswith("kind")]
    kind_rows = [r for r in every_row if r["id"].startswith("kind")]
    declines = read_tsv(DECLINES)

    # --- official names ----------------------------------------------------------------------
    names = official_names(gaz)
    official_ok = 0
    official_misses = []
    for text, want in names:
        matches = resolver.resolve(text, limit=1)
        top = matches[0] if matches else None
        if top is not None and (top.district_code, top.street_code, top.committee_code) == want:
            official_ok += 1
        else:
            official_misses.append((text, top.label if top else "-"))

    # --- declines ----------------------------------------------------------------------------
    expect = {"no_address": AddressOutcome.NO_ADDRESS, "outside": AddressOutcome.OUTSIDE}
    decline_ok: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    decline_misses = []
    for row in declines:
        reading = resolver.understand(row["text"])
        right = reading.outcome is expect[row["expect"]]
        decline_ok[row["expect"]][0] += int(right)
        decline_ok[row["expect"]][1] += 1
        if not right:
            got = reading.candidates[0].label if reading.candidates else reading.reason
            decline_misses.append((row["text"], reading.outcome.value, got))

    # --- dev set -----------------------------------------------------------------------------
    street_ok = committee_ok = committee_n = district_ok = declined = 0
    per_tag: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    calibration: list[tuple[float, int]] = []
    fresh = [0, 0]  # all-correct rows among the generated ones (another seed), a larger sample

    def score_row(row: dict[str, str], *, record: bool) -> None:
        nonlocal street_ok, committee_ok, committee_n, district_ok, declined
        reading = resolver.understand(row["text"])
        top = reading.candidates[0] if reading.candidates else None
        s_ok = top is not None and top.street_code == row["street_code"]
        c_ok = not row["committee_code"] or (top is not None and top.committee_code == row["committee_code"])
        if top is not None:
            calibration.append((reading.confidence, int(s_ok and c_ok)))
        if not record:
            fresh[0] += int(s_ok and c_ok)
            fresh[1] += 1
            return
        declined += int(reading.declined)
        street_ok += int(s_ok)
        district_ok += int(top is not None and top.district_code == row["district_code"])
        if row["committee_code"]:
            committee_n += 1
            committee_ok += int(c_ok)
        for tag in row["noise"].split(","):
            per_tag[tag][0] += int(s_ok and c_ok)
            per_tag[tag][1] += 1
        if not (s_ok and c_ok):
            misses.append((row, top, reading))

    for row in rows:
        score_row(row, record=True)
    kind_ok: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    kind_misses = []
    for row in kind_rows:
        reading = resolver.understand(row["text"])
        top = reading.candidates[0] if reading.candidates else None
        right = (
            top is not None
            and top.street_code == row["street_code"]
            and (not row["committee_code"] or top.committee_code == row["committee_code"])
        )
        kind_ok[row["noise"]][0] += int(right)
        kind_ok[row["noise"]][1] += 1
        if not right:
            kind_misses.append((row, top, reading))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_address_devset import make_rows  # the generator, for calibration rows only

    header = ["id", "text", "district_code", "street_code", "committee_code", "noise"]
    for generated in make_rows(gaz, 2000, 20261206):
        score_row(dict(zip(header, generated, strict=True)), record=False)

    # --- latency -----------------------------------------------------------------------------
    texts = [r["text"] for r in every_row] * args.repeat
    texts += [t for t, _ in names] + [r["text"] for r in declines] + LONG_INPUTS * 20
    latencies: list[float] = []
    long_latencies: list[float] = []
    for text in texts:
        start = time.perf_counter_ns()
        resolver.understand(text)
        elapsed = (time.perf_counter_ns() - start) / 1e6
        latencies.append(elapsed)
        if len(text) > 1000:
            long_latencies.append(elapsed)

    n = len(rows)
    print(f"index build {build_s:.2f} s")
    print(
        f"official names    : {official_ok / len(names):6.1%}  ({official_ok}/{len(names)}: "
        f"{len(gaz.committees)} committees, {len(gaz.streets)} streets, {len(gaz.districts)} districts; target 100 %)"
    )
    total_ok = sum(v[0] for v in decline_ok.values())
    total_n = sum(v[1] for v in decline_ok.values())
    print(f"correct declines  : {total_ok / total_n:6.1%}  ({total_ok}/{total_n}; target >= 95 %)")
    for kind, (ok, cnt) in sorted(decline_ok.items()):
        print(f"  {kind:14s} {ok / cnt:6.1%}  ({ok}/{cnt})")
    print(f"dev set: {n} rows ({committee_n} name a committee); {declined} declined")
    print(f"district accuracy : {district_ok / n:6.2%}  ({district_ok}/{n})")
    print(f"street accuracy   : {street_ok / n:6.2%}  ({street_ok}/{n}; target >= 95 %)")
    print(
        f"committee accuracy: {committee_ok / committee_n:6.2%}  ({committee_ok}/{committee_n}; target >= 85 %)"
    )
    print(
        f"latency per lookup: p50 {percentile(latencies, 0.5):.2f} ms, p99 {percentile(latencies, 0.99):.2f} ms, "
        f"max {max(latencies):.2f} ms, mean {statistics.fmean(latencies):.2f} ms over {len(latencies)} lookups; "
        f"inputs over 1,000 characters: max {max(long_latencies):.2f} ms (target p99 < 5 ms)"
    )
    print("calibration (dev set + 2,000 generated rows): confidence band -> share right")
    bands: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for conf, ok in calibration:
        band = min(9, int(conf * 10))
        bands[band][0] += ok
        bands[band][1] += 1
    ece = 0.0
    for band in sorted(bands):
        ok, cnt = bands[band]
        mean_conf = statistics.fmean(c for c, _ in calibration if min(9, int(c * 10)) == band)
        ece += cnt / len(calibration) * abs(mean_conf - ok / cnt)
        print(
            f"  {band / 10:.1f}-{(band + 1) / 10:.1f}  mean confidence {mean_conf:.2f}  right {ok / cnt:6.1%}  ({cnt})"
        )
    print(f"  expected calibration error {ece:.3f}")
    print(f"generated rows (seed 20261206) all correct: {fresh[0] / fresh[1]:6.1%}  ({fresh[0]}/{fresh[1]})")
    print("all-correct rate by noise tag:")
    for tag, (ok, total) in sorted(per_tag.items()):
        print(f"  {tag:14s} {ok / total:6.1%}  ({ok}/{total})")
    kinds_right = sum(v[0] for v in kind_ok.values())
    print(
        f"failure kinds of issue 20 ({len(kind_rows)} rows; street and, where said, committee right): "
        f"{kinds_right / max(1, len(kind_rows)):6.1%}"
    )
    for tag, (ok, total) in sorted(kind_ok.items()):
        print(f"  {tag:22s} {ok / total:6.1%}  ({ok}/{total})")
    if args.calibrate:
        print("isotonic fit (mean raw score, share right, n):")
        for score, share, count in isotonic(calibration):
            print(f"  ({score:.3f}, {share:.3f}),  # n={count}")
    for text, got in official_misses[: args.failures]:
        print(f"OFFICIAL MISS {text!r} got {got}")
    for text, outcome, got in decline_misses[: args.failures]:
        print(f"DECLINE MISS {text!r} got {outcome} {got}")
    for row, top, reading in misses[: args.failures]:
        got = (
            f"{top.label} {top.confidence} {top.reason}"
            if top
            else f"{reading.outcome.value} {reading.reason}"
        )
        print(f"MISS {row['id']} {row['text']!r} want {row['street_code']}/{row['committee_code']} got {got}")
    for row, top, reading in kind_misses[: args.failures]:
        got = f"{top.label} {top.confidence}" if top else f"{reading.outcome.value} {reading.reason}"
        print(
            f"KIND MISS {row['id']} {row['noise']} {row['text']!r} want {row['street_code']}/{row['committee_code']} got {got}"
        )
    return {
        "official names %": 100 * official_ok / len(names),
        "correct declines %": 100 * total_ok / total_n,
        "district %": 100 * district_ok / n,
        "street %": 100 * street_ok / n,
        "committee %": 100 * committee_ok / committee_n,
        "all-correct %": 100 * (n - len(misses)) / n,
        "failure kinds %": 100 * kinds_right / max(1, len(kind_rows)),
        "generated 2,000 %": 100 * fresh[0] / fresh[1],
        "calibration error": ece,
        "p50 ms": percentile(latencies, 0.5),
        "p99 ms": percentile(latencies, 0.99),
        "max ms": max(latencies),
    }


if __name__ == "__main__":
    main()
