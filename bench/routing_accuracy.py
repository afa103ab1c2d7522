"""Accuracy and latency of `routing.address.AddressResolver` on the development set.

    .venv/bin/python bench/routing_accuracy.py [--failures N]

Top-1 accuracy at street level (all rows) and committee level (rows that name a committee),
accuracy per noise tag, and per-lookup latency (p50 / p99 / max) over the full Shanghai registry.
Targets: street >= 95 %, committee >= 85 %, p99 < 5 ms.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from collections import defaultdict
from pathlib import Path

from routing.address import AddressResolver
from routing.gazetteer import load_gazetteer

ROOT = Path(__file__).resolve().parents[1]
GAZETTEER = ROOT.parent / "shared" / "gazetteer"
DEVSET = ROOT / "tests" / "data" / "addresses_dev.tsv"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description="routing accuracy and latency")
    parser.add_argument("--failures", type=int, default=0, help="print this many misses")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the set")
    args = parser.parse_args()

    t0 = time.perf_counter()
    resolver = AddressResolver.build(load_gazetteer(GAZETTEER))
    build_s = time.perf_counter() - t0
    with DEVSET.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))

    street_ok = committee_ok = committee_n = district_ok = 0
    per_tag: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for row in rows:
        matches = resolver.resolve(row["text"])
        top = matches[0] if matches else None
        s_ok = top is not None and top.street_code == row["street_code"]
        street_ok += s_ok
        district_ok += top is not None and top.district_code == row["district_code"]
        if row["committee_code"]:
            committee_n += 1
            c_ok = top is not None and top.committee_code == row["committee_code"]
            committee_ok += c_ok
        else:
            c_ok = True
        for tag in row["noise"].split(","):
            per_tag[tag][0] += s_ok and c_ok
            per_tag[tag][1] += 1
        if not (s_ok and c_ok):
            misses.append((row, top))

    latencies: list[float] = []
    for _ in range(args.repeat):
        for row in rows:
            start = time.perf_counter_ns()
            resolver.resolve(row["text"])
            latencies.append((time.perf_counter_ns() - start) / 1e6)

    n = len(rows)
    print(f"dev set: {n} rows ({committee_n} name a committee); index build {build_s:.2f} s")
    print(f"district accuracy : {district_ok / n:6.1%}")
    print(f"street accuracy   : {street_ok / n:6.1%}  (target >= 95 %)")
    print(f"committee accuracy: {committee_ok / committee_n:6.1%}  (target >= 85 %)")
    print(
        f"latency per lookup: p50 {percentile(latencies, 0.5):.2f} ms, p99 {percentile(latencies, 0.99):.2f} ms, "
        f"max {max(latencies):.2f} ms, mean {statistics.fmean(latencies):.2f} ms over {len(latencies)} lookups"
    )
    print("all-correct rate by noise tag:")
    for tag, (ok, total) in sorted(per_tag.items()):
        print(f"  {tag:14s} {ok / total:6.1%}  ({ok}/{total})")
    for row, top in misses[: args.failures]:
        got = f"{top.label} {top.confidence} {top.reason}" if top else "-"
        print(f"MISS {row['id']} {row['text']!r} want {row['street_code']}/{row['committee_code']} got {got}")


if __name__ == "__main__":
    main()
