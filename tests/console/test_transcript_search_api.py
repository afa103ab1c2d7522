"""GET /api/transcripts/search (转写检索) over the composed app: words all matched, the seat's own
calls only, the caller's number masked, snippets marked; a bad query is a Chinese 422."""

from __future__ import annotations

from datetime import UTC, datetime

from core.calls import TranscriptLine
from core.ids import CallId

from .conftest import CALLER, Harness


def _say(h: Harness, call: str, leg: str, seq: int, text: str) -> None:
    h.runtime.repos.transcripts.add(
        TranscriptLine(
            call_id=CallId(call),
            leg=leg,
            seq=seq,
            text=text,
            start_s=float(seq),
            end_s=seq + 2.0,
            final=True,
            at=datetime.now(UTC),
        )
    )


def test_given_transcripts_when_a_seat_searches_then_its_call_is_found_masked_and_marked(
    harness: Harness,
) -> None:
    harness.seat_in_queue("1001")
    call = harness.call_to("1001")
    _say(harness, call, "caller", 1, "老板拖欠工资，我的电话是13812345678")
    _say(harness, call, "mixed", 100_000, "可以申请劳动仲裁")
    harness.login("seat1001")

    r = harness.client.get("/api/transcripts/search", params={"q": "工资 仲裁"})

    assert r.status_code == 200, r.text
    body = r.json()
    (hit,) = body["hits"]
    assert hit["call_id"] == call
    assert hit["caller"] != CALLER and CALLER[-4:] in hit["caller"]
    assert "13812345678" not in r.text  # a number said on the line is masked too
    assert [[p["text"] for p in line["parts"] if p["hit"]] for line in hit["lines"]] == [["工资"], ["仲裁"]]
    assert [line["leg_label"] for line in hit["lines"]] == ["来电人", "录音转写（通话后）"]
    assert body["words"] == ["工资", "仲裁"] and body["has_more"] is False
    assert harness.client.get("/api/transcripts/search", params={"q": "工资 离婚"}).json()["hits"] == []

    harness.login("seat1002")  # another seat: not its call
    assert harness.client.get("/api/transcripts/search", params={"q": "工资"}).json()["hits"] == []


def test_given_an_empty_query_when_searched_then_a_chinese_422(harness: Harness) -> None:
    harness.login("seat1001")

    r = harness.client.get("/api/transcripts/search", params={"q": "  "})

    assert r.status_code == 422  # InvalidInput, as everywhere in the console
    assert "请输入要检索的词语" in r.text


def test_given_no_login_when_searched_then_401(harness: Harness) -> None:
    assert harness.client.get("/api/transcripts/search", params={"q": "工资"}).status_code == 401
