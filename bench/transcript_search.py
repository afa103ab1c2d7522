"""Transcript search (转写检索) on PostgreSQL: latency without and with the grams index (0028).

    .venv/bin/python bench/transcript_search.py [--url postgresql://postgres@127.0.0.1:5432/postgres]
        [--lines 100000] [--reps 40]

Creates a private database (dropped at the end) on the server of `--url`, migrates it, fills
`--lines` final transcript lines (two per call) made of phrases of legal consultations, with a
few words rare on purpose, then times the search's own query (`TranscriptIndex.matching_calls`,
first page of 20) for each query below: first with `ix_transcripts_text_grams` dropped (the plain
LIKE scan of before), then with it rebuilt. Prints p50/p99 per query and phase, the index's build
time and size, and whether both phases found the same calls. Never part of the pass/fail suite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from core.ids import CallId  # noqa: E402
from store.db import Database, create_db_engine  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import CallRow, TranscriptRow  # noqa: E402
from store.transcript_search import TranscriptIndex  # noqa: E402

PHRASES = [
    "我想问一下",
    "公司拖欠工资",
    "已经三个月了",
    "加班费怎么算",
    "劳动合同到期",
    "老板不给签合同",
    "能不能申请劳动仲裁",
    "需要准备什么材料",
    "离婚财产怎么分",
    "孩子的抚养权",
    "房子是婚前买的",
    "邻居占了我家的地",
    "交通事故对方全责",
    "保险公司不赔",
    "借条上写的利息",
    "对方一直不还钱",
    "可以去法律援助中心",
    "您所在的区县",
    "请您稍等",
    "我帮您查一下",
    "建议您先协商",
    "协商不成可以起诉",
    "诉讼时效是三年",
    "带上身份证",
    "工伤认定",
    "社保没有交",
    "辞退没有补偿",
    "物业费纠纷",
    "租房押金不退",
    "网购被骗了",
    "好的谢谢",
    "还有别的问题吗",
    "对的",
    "嗯",
    "是这样的",
]
RARE = [("宅基地", 0.001), ("遗嘱公证", 0.0005), ("抚养费", 0.01)]
QUERIES = ["工资", "仲裁", "宅基地", "遗嘱公证", "抚养费", "赔", "工伤 社保", "宅基地 协商"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def line(rnd: random.Random) -> str:
    parts = rnd.choices(PHRASES, k=rnd.randint(1, 4))
    for word, p in RARE:
        if rnd.random() < p:
            parts.insert(rnd.randint(0, len(parts)), word)
    return "，".join(parts)


def fill(db: Database, lines: int) -> None:
    rnd = random.Random(12348)
    batch_calls: list[dict[str, object]] = []
    batch_lines: list[dict[str, object]] = []

    def flush() -> None:
        with db.session() as s:
            s.execute(insert(CallRow), batch_calls)
            s.execute(insert(TranscriptRow), batch_lines)
        batch_calls.clear()
        batch_lines.clear()

    for n in range(lines // 2):
        call_id = f"c-{n:07d}"
        batch_calls.append(
            {
                "id": call_id,
                "caller_number": "13812345678",
                "status": "answered",
                "offered_at": T0 + timedelta(minutes=n),
            }
        )
        for seq, leg in enumerate(("caller", "seat")):
            batch_lines.append(
                {
                    "call_id": call_id,
                    "leg": leg,
                    "seq": seq,
                    "text": line(rnd),
                    "start_s": seq * 5.0,
                    "end_s": seq * 5.0 + 4,
                    "final": True,
                    "at": T0,
                }
            )
        if len(batch_calls) >= 5000:
            flush()
    if batch_calls:
        flush()


def measure(index: TranscriptIndex, reps: int) -> dict[str, tuple[float, float, list[CallId]]]:
    out = {}
    for query in QUERIES:
        words = query.split()
        found = index.matching_calls(words, offset=0, limit=20)  # warm-up, and the result
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            index.matching_calls(words, offset=0, limit=20)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
        out[query] = (statistics.median(times), p99, found)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=40)
    args = ap.parse_args()

    name = "hotline_bench_" + uuid.uuid4().hex[:10]
    admin = create_db_engine(args.url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(make_url(args.url).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(db.url, engine=db.engine)
        with db.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_transcripts_text_grams"))
        t = time.perf_counter()
        fill(db, args.lines)
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        print(f"{args.lines} lines in {args.lines // 2} calls filled in {time.perf_counter() - t:.1f} s")

        index = TranscriptIndex(db)
        before = measure(index, args.reps)
        t = time.perf_counter()
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE INDEX ix_transcripts_text_grams ON transcripts "
                    "USING gin (hotline_transcript_grams(text))"
                )
            )
            conn.execute(text("ANALYZE transcripts"))
            size = conn.execute(text("SELECT pg_size_pretty(pg_relation_size('ix_transcripts_text_grams'))"))
            index_size = size.scalar_one()
            size = conn.execute(text("SELECT pg_size_pretty(pg_relation_size('transcripts'))"))
            table_size = size.scalar_one()
        print(f"index built in {time.perf_counter() - t:.1f} s: {index_size} (table {table_size})")
        after = measure(index, args.reps)

        print(f"{'query':<14}{'hits':>6}{'before p50':>12}{'p99':>9}{'after p50':>12}{'p99':>9}  (ms)")
        same = True
        for query in QUERIES:
            b50, b99, bfound = before[query]
            a50, a99, afound = after[query]
            same &= bfound == afound
            print(f"{query:<14}{len(afound):>6}{b50:>12.2f}{b99:>9.2f}{a50:>12.2f}{a99:>9.2f}")
        print("same calls found before and after:", "yes" if same else "NO")
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


if __name__ == "__main__":
    main()
