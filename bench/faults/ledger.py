"""Counting: the PBX's own ledger (what really happened) against the app's database (what it
recorded). The app is never asked what it thinks happened; only its durable rows are read.

Truth, per call (Linkedid), from bench/faults/sim_proc.py's ledger:
* placed: the caller's channel appeared on 12348;
* answered: AgentConnect; abandoned: QueueCallerAbandon (Asterisk 22 reports a queue timeout as
  an abandon too);
* missed: abandoned, or in a queue and never answered when the PBX died under it (`cut`): each
  missed call is owed a callback work order;
* ended: its own channel hung up, or the PBX process it lived in was killed.

Lost: a missed call with no work order; a placed call with no `calls` row; a `calls` row still
open after the settle. Duplicated: a `calls` row the PBX never placed, more than one open order
for one number, or an order's miss count above the calls linked to it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

OPEN_STATUSES = frozenset({"in_ivr", "queued", "ringing", "talking"})


@dataclass
class CallTruth:
    call: str
    gen: int
    number: str = ""
    vt: float = 0.0
    joined: bool = False
    answered: bool = False
    abandoned: bool = False
    ended: bool = False

    @property
    def missed(self) -> bool:
        return self.abandoned or (self.joined and not self.answered and not self.ended)


@dataclass
class Truth:
    calls: dict[str, CallTruth]
    generations: int
    gen_start_vt: dict[int, float]

    @classmethod
    def read(cls, path: Path) -> Truth:
        calls: dict[str, CallTruth] = {}
        gens: dict[int, float] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            fact, gen = rec["f"], int(rec["gen"])
            if fact == "gen-start":
                gens[gen] = float(rec["vt"])
                continue
            cid = rec.get("call", "")
            if fact == "placed":
                calls[cid] = CallTruth(cid, gen, rec.get("number", ""), float(rec.get("vt", 0.0)))
                continue
            c = calls.get(cid)
            if c is None:
                continue  # a fact about a call placed before the ledger began (none in practice)
            if fact == "joined":
                c.joined = True
            elif fact == "answered":
                c.answered = True
            elif fact == "abandoned":
                c.abandoned = True
            elif fact == "ended":
                c.ended = True
        return cls(calls, max(gens, default=0), gens)

    def placed_after(self, vt: float) -> list[CallTruth]:
        return [c for c in self.calls.values() if c.vt >= vt]


def queue_log_misses(path: Path) -> tuple[set[str], set[str]]:
    """(entered, missed) call ids by Asterisk's own queue_log, as the simulator writes it once it
    does (`epoch|callid|queue|agent|EVENT|...`): a caller who entered a queue and left by ABANDON
    or EXITWITHTIMEOUT (or EXITEMPTY) without a CONNECT. A second, independent witness next to
    the ledger: where the two disagree, the figures say so."""
    entered: set[str] = set()
    connected: set[str] = set()
    left_unserved: set[str] = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("|")
        if len(parts) < 5:
            continue
        callid, event = parts[1], parts[4]
        if event == "ENTERQUEUE":
            entered.add(callid)
        elif event == "CONNECT":
            connected.add(callid)
        elif event in {"ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY"}:
            left_unserved.add(callid)
    return entered, left_unserved - connected


@dataclass
class Figures:
    scenario: str
    placed: int = 0
    answered: int = 0
    abandoned: int = 0
    cut: int = 0  # in a queue, unanswered, when the PBX died
    missed: int = 0
    orders: int = 0
    calls_rows: int = 0
    lost: dict[str, list[str]] = field(default_factory=dict)
    duplicated: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # scenario-specific checks that did not hold

    @property
    def lost_count(self) -> int:
        return sum(len(v) for v in self.lost.values())

    @property
    def duplicated_count(self) -> int:
        return sum(len(v) for v in self.duplicated.values())

    def report(self) -> str:
        lines = [
            f"[{self.scenario}] 呼入 placed={self.placed} 接通 answered={self.answered} "
            f"放弃 abandoned={self.abandoned} PBX断开 cut={self.cut} 未接 missed={self.missed} "
            f"工单 orders={self.orders} calls行 rows={self.calls_rows}",
            f"[{self.scenario}] 丢失 lost={self.lost_count} "
            + " ".join(f"{k}={len(v)}" for k, v in self.lost.items()),
            f"[{self.scenario}] 重复 duplicated={self.duplicated_count} "
            + " ".join(f"{k}={len(v)}" for k, v in self.duplicated.items()),
        ]
        if self.extra:
            lines.append(f"[{self.scenario}] " + " ".join(f"{k}={v}" for k, v in self.extra.items()))
        lines += [f"[{self.scenario}] 未通过 FAILED: {text}" for text in self.failures]
        for kind, ids in {**self.lost, **self.duplicated}.items():
            if ids:
                lines.append(
                    f"[{self.scenario}]   {kind}: {', '.join(ids[:8])}{' ...' if len(ids) > 8 else ''}"
                )
        return "\n".join(lines)

    def problems(self) -> str:
        ok = self.lost_count == 0 and self.duplicated_count == 0 and not self.failures
        return "" if ok else self.report()


@dataclass
class DbView:
    calls: dict[str, tuple[str, bool]]  # id -> (status, ended)
    order_calls: dict[str, str]  # missed call id -> order id
    orders: list[tuple[str, str, str, int]]  # (id, caller_number, status, misses)
    ended_in_trail: set[str]  # calls whose trail (call_events) holds their CallEnded

    @classmethod
    def read(cls, url: str) -> DbView:
        from sqlalchemy import select

        from store.db import Database
        from store.models import CallEventRow, CallRow, WorkOrderCallRow, WorkOrderRow

        db = Database(url)
        try:
            with db.session() as s:
                calls = {r.id: (r.status, r.ended_at is not None) for r in s.scalars(select(CallRow))}
                order_calls = {r.call_id: r.order_id for r in s.scalars(select(WorkOrderCallRow))}
                orders = [
                    (o.id, o.caller_number, o.status, o.misses) for o in s.scalars(select(WorkOrderRow))
                ]
                ended = set(
                    s.scalars(select(CallEventRow.call_id).where(CallEventRow.event_type == "CallEnded"))
                )
        finally:
            db.dispose()
        return cls(calls, order_calls, orders, ended)


def count(scenario: str, truth: Truth, db: DbView, queue_log: Path | None = None) -> Figures:
    f = Figures(scenario)
    calls = truth.calls.values()
    f.placed = len(truth.calls)
    f.answered = sum(c.answered for c in calls)
    f.abandoned = sum(c.abandoned for c in calls)
    f.cut = sum(c.missed and not c.abandoned for c in calls)
    missed = [c for c in calls if c.missed]
    f.missed = len(missed)
    f.orders = len(db.orders)
    f.calls_rows = len(db.calls)

    f.lost["missed_without_order"] = sorted(c.call for c in missed if c.call not in db.order_calls)
    f.lost["placed_without_calls_row"] = sorted(c.call for c in calls if c.call not in db.calls)
    f.lost["calls_row_still_open"] = sorted(
        cid for cid, (status, ended) in db.calls.items() if status in OPEN_STATUSES or not ended
    )

    f.duplicated["calls_row_not_placed"] = sorted(set(db.calls) - set(truth.calls))
    open_numbers = Counter(num for _id, num, status, _m in db.orders if status in ("pool", "assigned"))
    f.duplicated["open_orders_same_number"] = sorted(n for n, k in open_numbers.items() if k > 1)
    linked = Counter(db.order_calls.values())
    f.duplicated["order_misses_above_calls"] = sorted(
        oid for oid, _num, _st, misses in db.orders if misses > linked.get(oid, 0)
    )
    # The trail (全程留痕) of each call the PBX ended should hold its end; reported, not asserted.
    f.extra["ended_without_trail_end"] = sum(
        1 for c in calls if c.ended and c.call in db.calls and c.call not in db.ended_in_trail
    )
    f.extra["orders_for_unmissed_calls"] = len(set(db.order_calls) - {c.call for c in missed})
    if queue_log is not None and queue_log.exists():
        _entered, log_missed = queue_log_misses(queue_log)
        abandoned = {c.call for c in calls if c.abandoned}
        f.extra["queue_log_missed"] = len(log_missed)
        f.extra["queue_log_vs_ledger_disagree"] = len(log_missed ^ abandoned)
        # Asterisk's own record of a missed call counts as much as the ledger's.
        f.lost["missed_without_order"] = sorted(
            set(f.lost["missed_without_order"]) | {cid for cid in log_missed if cid not in db.order_calls}
        )
    return f
