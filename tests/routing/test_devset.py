from __future__ import annotations

import csv
from pathlib import Path

from routing.address import AddressResolver

DEVSET = Path(__file__).resolve().parents[1] / "data" / "addresses_dev.tsv"


def test_given_dev_set_when_resolved_then_accuracy_targets_met(resolver: AddressResolver) -> None:
    with DEVSET.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert len(rows) >= 300
    street = committee = named = 0
    for row in rows:
        matches = resolver.resolve(row["text"])
        top = matches[0] if matches else None
        street += top is not None and top.street_code == row["street_code"]
        if row["committee_code"]:
            named += 1
            committee += top is not None and top.committee_code == row["committee_code"]
    assert street / len(rows) >= 0.95
    assert committee / named >= 0.85
