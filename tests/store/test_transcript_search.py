"""Transcript search (转写检索) on SQLite and PostgreSQL: every word must match (live lines and the
post-call 录音转写 alike), only the calls the principal may hear, newest first, highlighted
snippets, paging, and a clear Chinese error for a bad query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.access import Principal, Role, Scope
from core.calls import CallRecord, CallStatus, TranscriptLine
from core.errors import InvalidInput
from core.ids import CallId, SeatId, UserId
from store.db import Database
from store.recordings import RecordingLibrary, RecordingRepository
from store.repositories import CallRepository, TranscriptRepository
from store.settings import RecordingSettings
from store.transcript_search import highlight, parse_words

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _call(
    db: Database, call_id: str, minutes: int, *, seat: str, district: str, lines: list[tuple[str, str]]
):
    CallRepository(db).save(
        CallRecord(
            id=CallId(call_id),
            caller_number="13812345678",
            offered_at=T0 + timedelta(minutes=minutes),
            status=CallStatus.ANSWERED,
            seat_id=SeatId(seat),
            queue=f"q-{district}-labor",
            district_code=district,
        )
    )
    repo = TranscriptRepository(db)
    for seq, (leg, text) in enumerate(lines):
        repo.add(
            TranscriptLine(
                call_id=CallId(call_id),
                leg=leg,
                seq=seq,
                text=text,
                start_s=float(seq * 5),
                end_s=float(seq * 5 + 4),
                final=True,
                at=T0,
            )
        )


def _library(db: Database, tmp_path: Path) -> RecordingLibrary:
    return RecordingLibrary(
        RecordingRepository(db),
        CallRepository(db),
        RecordingSettings(pbx_dir=str(tmp_path)).folder(),
        lambda p: Scope.of(p, [], []),
    )


def _who(role: Role, *, seat: str | None = None, district: str | None = None) -> Principal:
    return Principal(
        user_id=UserId(f"u-{role.value}-{seat}-{district}"),
        username="x",
        display_name="某人",
        role=role,
        seat_id=SeatId(seat) if seat else None,
        scope_district_code=district,
    )


CITY = _who(Role.ADMIN)


@pytest.fixture
def seeded(db: Database, tmp_path: Path) -> RecordingLibrary:
    _call(db, "c-old", 1, seat="1001", district="310106", lines=[("caller", "老板拖欠工资三个月了")])
    _call(
        db,
        "c-both",
        2,
        seat="1001",
        district="310106",
        lines=[("caller", "我想问一下加班费"), ("seat", "拖欠工资可以申请劳动仲裁")],
    )
    _call(db, "c-mixed", 3, seat="1003", district="310115", lines=[("mixed", "公司拖欠工资，能不能仲裁")])
    _call(db, "c-none", 4, seat="1001", district="310106", lines=[("caller", "离婚财产怎么分")])
    return _library(db, tmp_path)


def test_every_word_must_match_somewhere_in_the_call_newest_first(seeded: RecordingLibrary) -> None:
    page = seeded.search(CITY, "拖欠工资")
    assert [h.call_id for h in page.hits] == ["c-mixed", "c-both", "c-old"]

    page = seeded.search(CITY, "工资 仲裁")  # two words: on one line (c-mixed) or two (c-both)
    assert [h.call_id for h in page.hits] == ["c-mixed", "c-both"]
    assert seeded.search(CITY, "工资 离婚").hits == ()


def test_post_call_lines_are_found_and_labelled_by_leg(seeded: RecordingLibrary) -> None:
    (hit,) = seeded.search(CITY, "能不能").hits
    assert hit.call_id == "c-mixed" and [line.leg for line in hit.lines] == ["mixed"]


def test_snippets_mark_each_word(seeded: RecordingLibrary) -> None:
    hit = next(
        h for h in seeded.search(CITY, "加班费　仲裁").hits if h.call_id == "c-both"
    )  # full-width space
    marked = [[p.text for p in line.parts if p.hit] for line in hit.lines]
    assert marked == [["加班费"], ["仲裁"]]
    assert "".join(p.text for p in hit.lines[1].parts) == "拖欠工资可以申请劳动仲裁"


def test_a_seat_finds_its_own_calls_a_district_supervisor_its_district(seeded: RecordingLibrary) -> None:
    seat = [h.call_id for h in seeded.search(_who(Role.SEAT, seat="1001"), "工资").hits]
    assert seat == ["c-both", "c-old"]
    assert seeded.search(_who(Role.SEAT, seat="1002"), "工资").hits == ()
    pudong = [h.call_id for h in seeded.search(_who(Role.SUPERVISOR, district="310115"), "工资").hits]
    assert pudong == ["c-mixed"]
    inspector = [h.call_id for h in seeded.search(_who(Role.INSPECTOR, district="310106"), "工资").hits]
    assert inspector == ["c-both", "c-old"]


def test_paging(seeded: RecordingLibrary) -> None:
    first = seeded.search(CITY, "工资", page=1, size=2)
    second = seeded.search(CITY, "工资", page=2, size=2)
    assert [h.call_id for h in first.hits] == ["c-mixed", "c-both"] and first.has_more
    assert [h.call_id for h in second.hits] == ["c-old"] and not second.has_more


def test_like_wildcards_are_plain_characters(db: Database, tmp_path: Path) -> None:
    _call(db, "c-pct", 5, seat="1001", district="310106", lines=[("caller", "利息是百分之二十")])
    library = _library(db, tmp_path)
    assert library.search(CITY, "%").hits == ()
    assert library.search(CITY, "_").hits == ()


@pytest.mark.parametrize(
    ("query", "error"), [("", "请输入"), ("   ", "请输入"), ("a b c d e f", "最多"), ("字" * 31, "不超过")]
)
def test_a_bad_query_is_a_clear_chinese_error(query: str, error: str) -> None:
    with pytest.raises(InvalidInput, match=error):
        parse_words(query)


def test_a_long_line_is_cut_around_the_first_word() -> None:
    text = "甲" * 100 + "工资" + "乙" * 100
    parts = highlight(text, ["工资"], context=5)
    assert [p.text for p in parts] == ["…", "甲" * 5, "工资", "乙" * 13, "…"]
    assert [p.hit for p in parts] == [False, False, True, False, False]
