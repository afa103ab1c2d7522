"""`hotline knowledge import-laws` on a small law database of the package's shape (idempotent, statuses
kept, the 全文 rows of amendments numbered 0), and the masking of past cases shown to other seats."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.cli import main
from knowledge.models import LawStatus
from knowledge.service import mask_personal
from store.db import Database
from store.knowledge import LawArticleRepository

SCHEMA = """CREATE TABLE articles (
    id INTEGER PRIMARY KEY, law_id TEXT NOT NULL, law_name TEXT NOT NULL, law_department TEXT, level TEXT,
    status TEXT, chapter TEXT, section TEXT, article_no TEXT, article_no_arabic INTEGER, article_text TEXT,
    char_count INTEGER)"""
ROWS = [
    (1, "a", "中华人民共和国劳动合同法", "现行有效", "第七章 法律责任", "第八十二条", 82, "用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同的，应当向劳动者每月支付二倍的工资。"),
    (2, "b", "中华人民共和国商标法", "历史版本", "第一章 总则", "第一条", 1, "为了加强商标管理，保护商标专用权，制定本法。"),
    (3, "c", "中华人民共和国刑法修正案（十）", "现行有效", None, "全文", None, "在刑法第二百九十九条中增加一款作为第二款。"),
]  # fmt: skip


def _source(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute(SCHEMA)
    con.executemany(
        "INSERT INTO articles (id, law_id, law_name, status, chapter, article_no, article_no_arabic, article_text)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ROWS,
    )
    con.commit()
    con.close()
    return path


def test_given_a_law_database_when_imported_twice_from_the_cli_then_the_second_run_adds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("jieba")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("HOTLINE_DATABASE__URL", url)
    source = _source(tmp_path / "laws.db")
    assert main(["knowledge", "import-laws", "--source", str(source)]) == 0
    assert "3 部法律，3 条（新增 3，更新 0；现行有效 2 条）" in capsys.readouterr().out
    assert main(["knowledge", "import-laws", "--source", str(source)]) == 0
    assert "新增 0，更新 0" in capsys.readouterr().out
    db = Database(url)
    articles = {a.id: a for a in LawArticleRepository(db).all_articles()}
    db.engine.dispose()
    assert articles[2].status is LawStatus.HISTORICAL and articles[2].label == "第一条"
    assert articles[3].number == 0 and articles[3].label == "全文"
    assert articles[1].citation == "《劳动合同法》第八十二条"


def test_given_a_past_record_with_a_phone_and_an_id_card_number_then_both_are_masked() -> None:
    text = "来电人张某，电话13912345678，身份证号310101199001011234，要求返还借款"
    masked = mask_personal(text)
    assert "13912345678" not in masked and "139****5678" in masked
    assert "310101199001011234" not in masked and "310101********1234" in masked
    assert masked.endswith("要求返还借款")
