"""How many events the simulator publishes per call, against the real Asterisk 22.10.1 run.

Replays the seven real calls of shared/asterisk-traces/project-dialplan-22.10.1 in the simulator
(tests/sim/test_sim_faithful.py's scenario) and prints, per call, the channel events and the
VarSets of each side. RTCP and RTPAUDIOQOS* (no RTP in the simulator) are left out of both.

    PYTHONPATH=. python bench/sim_fidelity.py
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    spec = importlib.util.spec_from_file_location("faithful", ROOT / "tests" / "sim" / "test_sim_faithful.py")
    assert spec is not None and spec.loader is not None
    faithful = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(faithful)
    events, which = asyncio.run(faithful._simulate(Path(tempfile.mkdtemp(prefix="sim-fidelity-"))))
    real = faithful._real_events()

    def counts(stream: list[dict[str, str]], linkedid: str) -> tuple[int, int]:
        mine = [
            e
            for e in stream
            if e.get("Linkedid") == linkedid
            and not e.get("Channel", "").startswith("Local/")
            and not (e["Event"] == "VarSet" and e["Variable"].startswith("RTPAUDIOQOS"))
        ]
        kinds = Counter(e["Event"] for e in mine)
        return len(mine), kinds["VarSet"]

    print(f"{'real call':<16}{'real events':>12}{'sim events':>12}{'real VarSet':>13}{'sim VarSet':>12}")
    totals = [0, 0, 0, 0]
    for real_call, sim_call in which.items():
        r, rv = counts(real, real_call)
        s, sv = counts(events, sim_call)
        totals = [totals[0] + r, totals[1] + s, totals[2] + rv, totals[3] + sv]
        print(f"{real_call:<16}{r:>12}{s:>12}{rv:>13}{sv:>12}")
    print(f"{'total':<16}{totals[0]:>12}{totals[1]:>12}{totals[2]:>13}{totals[3]:>12}")
    print(f"simulator / real: events {totals[1] / totals[0]:.0%}, VarSet {totals[3] / totals[2]:.0%}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
