"""Knowledge search (知识库, issue 19): recall@5 and MRR of the labelled colloquial questions over the
whole law database, and the search's p95 on the seat's screen with 100,000 past records held.

    .venv/bin/python bench/knowledge_search.py [--records 100000] [--db sqlite:///path] [--keep]
        [--questions tests/data/knowledge/heldout.csv ...]

The law articles are imported into a fresh SQLite file (or the database given with --db, which is
left as it is when already imported); 100,000 synthetic submitted consultation records are written
beside them; then the knowledge service loads everything as the app does at start, and answers:

* each labelled set (by default all three below, or the files given with --questions): recall@5
  and MRR of the articles, one line per set.
  - questions.csv (176): the tuning set: the synonym map was grown while looking at it; optimistic.
  - heldout.csv (72): written afterwards without looking at the map; since used as a development
    set for the general thesaurus and the bigram fusion, so optimistic too now.
  - heldout2.csv (79): written before the search was changed and never looked at question by
    question while tuning: the honest figure;
* a suggestion as the seat's screen asks it (articles, entries and similar past cases together,
  the call's category given) for each question: p50 / p95 / max in ms. Target: p95 < 50 ms.

Exits 1 when the p95 is over the target or a set with a threshold (those of
tests/knowledge/test_search_quality.py: questions.csv and heldout2.csv) is under it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from core.clock import SystemClock  # noqa: E402
from knowledge.evaluation import evaluate, parse_questions  # noqa: E402
from knowledge.service import CallContext  # noqa: E402
from routing.queues import LegalCategory  # noqa: E402
from store.db import Database  # noqa: E402
from store.knowledge import import_laws, knowledge_service  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import ConsultationRecordRow  # noqa: E402

QUESTIONS = REPO / "tests" / "data" / "knowledge" / "questions.csv"
HELD_OUT = QUESTIONS.with_name("heldout.csv")
HELD_OUT_2 = QUESTIONS.with_name("heldout2.csv")
P95_TARGET_MS = 50.0
# (recall@5, MRR): the thresholds of tests/knowledge/test_search_quality.py; heldout.csv has none.
THRESHOLDS = {QUESTIONS.name: (0.78, 0.55), HELD_OUT_2.name: (0.65, 0.53)}

LAW_CATEGORY = {
    "劳动法": LegalCategory.LABOR, "劳动合同法": LegalCategory.LABOR, "劳动争议调解仲裁法": LegalCategory.LABOR,
    "社会保险法": LegalCategory.LABOR, "道路交通安全法": LegalCategory.TRAFFIC, "消费者权益保护法": LegalCategory.CONTRACT,
    "食品安全法": LegalCategory.CONTRACT, "法律援助法": LegalCategory.LEGAL_AID, "反家庭暴力法": LegalCategory.FAMILY,
    "人民调解法": LegalCategory.MEDIATION,
}  # fmt: skip
PEOPLE = "张王李赵刘陈杨黄周吴"
PLACES = ("饭店", "工厂", "超市", "快递公司", "装修公司", "物业公司", "学校", "医院", "网店", "工地")
ADVICE = (
    "告知其可先与对方协商，协商不成可申请调解或向人民法院起诉，注意保留证据。",
    "建议向劳动争议仲裁委员会申请仲裁，仲裁时效一年，注意保留工资条、考勤记录。",
    "解释相关法律规定，建议携带身份证明和证据材料到就近公共法律服务中心面谈。",
    "告知诉讼时效为三年，建议及时主张权利，可申请法律援助。",
    "建议先向相关行政部门投诉，必要时通过诉讼解决。",
)


def synthetic_records(n: int, questions: list[str], seed: int = 19) -> list[dict[str, object]]:
    """`n` submitted records: a labelled question reworded with a person, a place and an amount."""
    rnd = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    out: list[dict[str, object]] = []
    for i in range(n):
        q = rnd.choice(questions)
        who, where = rnd.choice(PEOPLE) + "先生", rnd.choice(PLACES)
        question = f"{who}在{where}，{q}，涉及金额{rnd.randint(1, 200) * 500}元，电话1{rnd.randint(3, 9)}{rnd.randint(100000000, 999999999)}"
        at = start + timedelta(minutes=7 * i)
        out.append(
            {
                "id": f"cr_bench_{i}", "call_id": f"bench-{i}", "seat_id": f"{1001 + i % 40}",
                "category": rnd.choice(list(LegalCategory)).value, "question": question,
                "advice": rnd.choice(ADVICE), "outcome": "answered", "draft": False,
                "created_at": at, "updated_at": at, "submitted_at": at,
            }
        )  # fmt: skip
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--db", help="数据库地址（默认新建临时 SQLite 文件）")
    p.add_argument("--keep", action="store_true", help="保留临时数据库文件")
    p.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        default=[QUESTIONS, HELD_OUT, HELD_OUT_2],
        help="标注问题 CSV（默认调参集 questions.csv、留出集 heldout.csv 与 heldout2.csv）",
    )
    args = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="kb-bench-")
    url = args.db or f"sqlite:///{tmp}/kb.db"
    upgrade(url)
    db = Database(url)
    t = time.perf_counter()
    report = import_laws(db)
    print(f"{report.summary()}，用时 {time.perf_counter() - t:.1f} 秒")
    sets = {path.name: parse_questions(path.read_text(encoding="utf-8")) for path in args.questions}
    # The synthetic past records reword the tuning set's questions whichever file is measured, so the
    # database (and a kept one reused with --db) is the same for both files.
    tuning = parse_questions(QUESTIONS.read_text(encoding="utf-8"))
    with db.session() as s:
        held = s.query(ConsultationRecordRow).filter(ConsultationRecordRow.call_id.like("bench-%")).count()
    if held < args.records:
        rows = synthetic_records(args.records, [q.question for q in tuning])[held:]
        t = time.perf_counter()
        for i in range(0, len(rows), 5000):
            with db.session() as s:
                s.execute(insert(ConsultationRecordRow), rows[i : i + 5000])
        print(f"写入 {len(rows)} 条模拟咨询记录，用时 {time.perf_counter() - t:.1f} 秒")
    service = knowledge_service(db, SystemClock())
    t = time.perf_counter()
    service.load()
    base = service.base
    print(
        f"知识库加载（{base.article_count} 条法条，{base.case_count} 条历史记录）用时 {time.perf_counter() - t:.1f} 秒"
    )

    quality_ok = True
    for name, labelled in sets.items():
        quality = evaluate(base, labelled)
        print(
            f"标注问题 {quality.questions} 条（{name}）：recall@5 = {quality.recall_at_5:.3f}，MRR = {quality.mrr:.3f}"
        )
        if name != HELD_OUT_2.name:  # the honest set's misses are not printed: nobody tunes on them
            for miss in quality.misses:
                print(f"  前五条未命中：{miss}")
        threshold = THRESHOLDS.get(name)
        if threshold is None:
            print("  （此集不设质量门槛，仅报告）")
        elif quality.recall_at_5 < threshold[0] or quality.mrr < threshold[1]:
            print(f"  低于门槛 recall@5 ≥ {threshold[0]}、MRR ≥ {threshold[1]}")
            quality_ok = False

    times: list[float] = []
    for q in [q for labelled in sets.values() for q in labelled] * 2:
        short = q.law.removeprefix("中华人民共和国")
        call = CallContext(category=LAW_CATEGORY.get(short), ivr_path=("法律咨询",), text=q.question)
        t = time.perf_counter()
        found = service.suggest(call)
        times.append((time.perf_counter() - t) * 1000)
        assert found.ready
    times.sort()
    p95 = times[int(len(times) * 0.95)]
    print(
        f"坐席推荐（法条 + 问答 + 相似记录，{len(times)} 次）：p50 {statistics.median(times):.1f} ms，"
        f"p95 {p95:.1f} ms，最长 {times[-1]:.1f} ms（目标 p95 < {P95_TARGET_MS:.0f} ms）"
    )
    db.engine.dispose()
    if not args.keep and not args.db:
        for f in Path(tmp).iterdir():
            f.unlink()
        Path(tmp).rmdir()
    ok = p95 < P95_TARGET_MS and quality_ok
    print("达标" if ok else "未达标")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
