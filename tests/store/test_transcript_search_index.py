"""The transcript search's index on PostgreSQL (migration 0028): the search query reads
`ix_transcripts_text_grams` (EXPLAIN) for words of one, two and three characters and for several
words, and finds exactly the calls a plain scan finds. SQLite has no such index (the search tests
in test_transcript_search.py cover both databases)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import insert, text

from core.ids import CallId
from store.db import Database
from store.migrate import alembic_config, upgrade
from store.models import CallRow, TranscriptRow
from store.transcript_search import TranscriptIndex, word_grams

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
COMMON = ["我想问一下", "公司", "加班费", "怎么办", "谢谢", "好的", "请问", "劳动合同", "老板", "上个月"]
RARE = {"c-00042": "宅基地纠纷", "c-01234": "宅基地", "c-02500": "基地", "c-02999": "宅"}
INDEX = "ix_transcripts_text_grams"


def _fill(db: Database, calls: int) -> dict[str, list[str]]:
    """`calls` calls of two final lines each from common words, the RARE words in a few; one
    non-final line holding a rare word (never found). The lines of each call, for the check."""
    rnd = random.Random(18)
    lines: dict[str, list[str]] = {}
    call_rows, line_rows = [], []
    for n in range(calls):
        call_id = f"c-{n:05d}"
        texts = ["".join(rnd.choices(COMMON, k=4)) for _ in range(2)]
        if call_id in RARE:
            texts[1] = texts[1][:6] + RARE[call_id] + texts[1][6:]
        lines[call_id] = texts
        call_rows.append(
            {
                "id": call_id,
                "caller_number": "13812345678",
                "status": "answered",
                "offered_at": T0 + timedelta(seconds=n),
            }
        )
        for seq, line in enumerate(texts):
            line_rows.append(
                {
                    "call_id": call_id,
                    "leg": "caller",
                    "seq": seq,
                    "text": line,
                    "start_s": 0.0,
                    "end_s": 1.0,
                    "final": True,
                    "at": T0,
                }
            )
    line_rows.append(
        {
            "call_id": "c-00007",
            "leg": "seat",
            "seq": 0,
            "text": "宅基地",
            "start_s": 0.0,
            "end_s": 1.0,
            "final": False,
            "at": T0,
        }
    )
    with db.session() as s:
        s.execute(insert(CallRow), call_rows)
        s.execute(insert(TranscriptRow), line_rows)
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE calls"))
        conn.execute(text("ANALYZE transcripts"))
    return lines


def _plan(db: Database, words: list[str]) -> str:
    query = TranscriptIndex(db).matching_query(words, offset=0, limit=20)
    compiled = query.compile(dialect=db.engine.dialect)
    with db.engine.connect() as conn:
        return "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))


@pytest.fixture
def filled(pg_db: Database) -> tuple[Database, dict[str, list[str]]]:
    upgrade(pg_db.url, engine=pg_db.engine)
    return pg_db, _fill(pg_db, 3000)


@pytest.mark.parametrize("words", [["宅"], ["基地"], ["宅基地"], ["宅基地", "纠纷"]])
def test_the_search_query_reads_the_grams_index(
    filled: tuple[Database, dict[str, list[str]]], words: list[str]
) -> None:
    db, lines = filled
    plan = _plan(db, words)
    assert f"Bitmap Index Scan on {INDEX}" in plan, plan

    found = TranscriptIndex(db).matching_calls(words, offset=0, limit=100)
    expected = sorted(
        (c for c, texts in lines.items() if all(any(w in t for t in texts) for w in words)), reverse=True
    )
    assert found == [CallId(c) for c in expected]
    assert found  # every query here has hits: the comparison is not between two empty lists


def test_a_word_with_like_wildcards_still_matches_only_itself(
    filled: tuple[Database, dict[str, list[str]]],
) -> None:
    db, _ = filled
    assert TranscriptIndex(db).matching_calls(["宅%地"], offset=0, limit=10) == []
    assert TranscriptIndex(db).matching_calls(["宅_地"], offset=0, limit=10) == []


def test_the_grams_of_a_word_are_what_the_database_makes_of_a_line(pg_db: Database) -> None:
    upgrade(pg_db.url, engine=pg_db.engine)
    with pg_db.engine.connect() as conn:
        line_grams = set(conn.execute(text("SELECT hotline_transcript_grams('拖欠工资a%')")).scalar_one())
        assert conn.execute(text("SELECT hotline_transcript_grams('')")).scalar_one() == []
    assert line_grams == {"拖", "欠", "工", "资", "a", "%", "拖欠", "欠工", "工资", "资a", "a%"}
    assert set(word_grams("拖欠工资")) <= line_grams and word_grams("资") == ["资"]


def test_downgrading_drops_the_index_and_its_function(pg_db: Database) -> None:
    upgrade(pg_db.url, engine=pg_db.engine)
    with pg_db.engine.begin() as conn:
        cfg = alembic_config(pg_db.url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0027")

    def present() -> tuple[bool, bool]:
        with pg_db.engine.connect() as conn:
            index = conn.execute(text("SELECT to_regclass(:n)"), {"n": INDEX}).scalar_one()
            function = conn.execute(
                text("SELECT to_regprocedure('hotline_transcript_grams(text)')")
            ).scalar_one()
        return index is not None, function is not None

    assert present() == (False, False)
    upgrade(pg_db.url, engine=pg_db.engine)
    assert present() == (True, True)
