"""Fault scenarios of issue 12: SIGKILL of the app, a database outage, a Redis restart, a PBX
restart while seats talk, an AMI cut, an AMI burst; each against real peers it starts itself
(private PostgreSQL and Redis, the PBX simulator as a process, the app as `hotline serve`).

    python bench/fault_scenarios.py                     # all six, the issue's durations
    python bench/fault_scenarios.py --scenario sigkill  # one
    python bench/fault_scenarios.py --scenario ami_burst --burst-events 40000 --keep

Prints, for each: calls placed / answered / abandoned (from the PBX's own ledger), work orders,
lost and duplicated (with the call ids), and exits 1 if any scenario lost or doubled anything.
Never part of the pass/fail suite (tests/faults runs short versions).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.faults.peers import peers_available  # noqa: E402
from bench.faults.scenarios import BENCH, SCENARIOS, TEST, Rig, logs_of  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(
        description="故障场景：进程被杀、数据库中断、Redis 重启、PBX 重启、AMI 断开与突发"
    )
    p.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    p.add_argument("--short", action="store_true", help="use the test suite's short durations")
    p.add_argument("--app-down", type=float, help="seconds the app stays killed (default 28)")
    p.add_argument("--burst-events", type=int, help="events in the AMI burst (default 40000)")
    p.add_argument(
        "--app-env",
        action="append",
        default=[],
        metavar="HOTLINE_X=V",
        help="extra app setting (deployment tuning), e.g. HOTLINE_ASTERISK_RECORDS__INTERVAL_S=5",
    )
    p.add_argument("--keep", action="store_true", help="keep every run's logs and data directories")
    args = p.parse_args()
    why = peers_available()
    if why:
        print(f"无法运行：{why}", file=sys.stderr)
        return 2
    scale = TEST if args.short else BENCH
    if args.app_down is not None:
        scale = replace(scale, app_down_s=args.app_down)
    if args.burst_events is not None:
        scale = replace(scale, burst_events=args.burst_events)
    if args.app_env:
        scale = replace(scale, app_env=tuple(tuple(kv.split("=", 1)) for kv in args.app_env))
    if args.keep:
        Rig.keep_all = True
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    failed = 0
    for name in names:
        t0 = time.monotonic()
        figures = SCENARIOS[name](scale)
        print(figures.report())
        print(f"[{name}] 用时 {time.monotonic() - t0:.0f} s；日志 {logs_of(figures)}", flush=True)
        failed += bool(figures.problems())
    print(f"共 {len(names)} 个场景，{failed} 个有丢失、重复或未通过的检查")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
