"""The QC sampling rule and the scoring form (pure)."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from core.calls import CallRecord, CallStatus, TranscriptLine
from core.errors import InvalidInput
from core.ids import CallId, SeatId
from stats.quality import (
    DEFAULT_FORM,
    DEFAULT_PHRASES,
    PHRASE_MAX_CHARS,
    PHRASES_MAX,
    FormItem,
    MarkKind,
    QcForm,
    QcPhrases,
    QcReason,
    QcRule,
    answered_calls,
    checked_items,
    draw,
    transcript_marks,
    week_start,
)

MONDAY = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 China time


def call(
    cid: str, seat: str = "1001", *, at: datetime = MONDAY, talk: float | None = 180.0, ended: bool = True
) -> CallRecord:
    return CallRecord(
        id=CallId(cid),
        caller_number="13812348000",
        offered_at=at,
        status=CallStatus.ANSWERED,
        seat_id=SeatId(seat),
        answered_at=at + timedelta(seconds=5),
        ended_at=at + timedelta(seconds=5 + (talk or 0)) if ended else None,
        talk_seconds=talk,
    )


def random_drawn(result: dict[CallId, set[QcReason]], calls: list[CallRecord], seat: str) -> int:
    return sum(1 for c in calls if c.seat_id == seat and QcReason.RANDOM in result.get(c.id, set()))


@pytest.mark.parametrize("n", [1, 19, 20, 21, 57, 400])
def test_given_n_answered_calls_of_a_seat_in_a_week_then_at_least_5_percent_are_drawn_at_random(
    n: int,
) -> None:
    calls = [call(f"c-{i}", at=MONDAY + timedelta(minutes=i)) for i in range(n)]
    result = draw(QcRule(), answered_calls(calls), dissatisfied=(), queued={})
    assert random_drawn(result, calls, "1001") == math.ceil(0.05 * n)


def test_given_two_seats_and_two_weeks_then_each_seat_week_gets_its_own_quota() -> None:
    calls = [call(f"a-{i}", "1001", at=MONDAY + timedelta(hours=i)) for i in range(30)]
    calls += [call(f"b-{i}", "1003", at=MONDAY + timedelta(hours=i)) for i in range(3)]
    calls += [call(f"n-{i}", "1001", at=MONDAY + timedelta(days=7, hours=i)) for i in range(10)]
    result = draw(QcRule(), answered_calls(calls), dissatisfied=(), queued={})
    this_week = [c for c in calls if week_start(c.offered_at) == week_start(MONDAY)]
    assert random_drawn(result, this_week, "1001") == 2
    assert random_drawn(result, this_week, "1003") == 1
    assert random_drawn(result, calls[33:], "1001") == 1


def test_given_the_same_calls_in_any_order_then_the_same_calls_are_drawn_and_none_again() -> None:
    calls = [call(f"c-{i}", at=MONDAY + timedelta(minutes=i)) for i in range(60)]
    first = draw(QcRule(), answered_calls(calls), dissatisfied=(), queued={})
    shuffled = calls[:]
    random.Random(7).shuffle(shuffled)
    assert draw(QcRule(), answered_calls(shuffled), dissatisfied=(), queued={}) == first
    queued = {cid: reasons for cid, reasons in first.items()}
    assert draw(QcRule(), answered_calls(calls), dissatisfied=(), queued=queued) == {}
    # A growing week adds only what the larger quota needs; nothing drawn before is drawn again.
    more = calls + [call(f"d-{i}", at=MONDAY + timedelta(hours=5, minutes=i)) for i in range(20)]
    added = draw(QcRule(), answered_calls(more), dissatisfied=(), queued=queued)
    assert set(added).isdisjoint(first) and len(added) == math.ceil(0.05 * 80) - len(first)


def test_given_the_triggers_then_each_call_is_drawn_with_its_reasons() -> None:
    calls = [call(f"c-{i}", at=MONDAY + timedelta(minutes=i), talk=100.0 + i) for i in range(10)]
    calls += [call("short", talk=12.0), call("long", talk=1000.0), call("unhappy"), call("open", ended=False)]
    result = draw(QcRule(sample_percent=5), answered_calls(calls), dissatisfied=["unhappy"], queued={})
    assert QcReason.SHORT_TALK in result["short"]
    assert QcReason.LONG_TALK in result["long"]  # > 3 x the seat's median of the week (~106 s)
    assert QcReason.DISSATISFIED in result["unhappy"]
    assert "open" not in result  # not over yet
    plain = [c for c in calls[:10] if QcReason.RANDOM not in result.get(c.id, set())]
    assert all(c.id not in result for c in plain)
    # An already queued call gets a new reason, not a second entry; a known reason is not repeated.
    again = draw(
        QcRule(),
        answered_calls(calls),
        dissatisfied=["unhappy", "c-3"],
        queued={k: v for k, v in result.items()},
    )
    assert again == {CallId("c-3"): {QcReason.DISSATISFIED}}


def test_given_a_configured_rule_then_its_thresholds_apply() -> None:
    calls = [call(f"c-{i}", at=MONDAY + timedelta(minutes=i), talk=100.0) for i in range(3)]
    calls += [call("x", talk=250.0)]
    default = draw(QcRule(), answered_calls(calls), dissatisfied=(), queued={})
    assert QcReason.LONG_TALK not in default.get(CallId("x"), set())  # 4 calls: too few for a median
    rule = QcRule(long_talk_factor=2.0, median_min_calls=3, short_talk_s=150.0, sample_percent=50)
    result = draw(rule, answered_calls(calls), dissatisfied=(), queued={})
    assert QcReason.LONG_TALK in result["x"]
    assert all(QcReason.SHORT_TALK in result[f"c-{i}"] for i in range(3))
    assert random_drawn(result, calls, "1001") == 2
    with pytest.raises(InvalidInput, match="5%"):
        QcRule(sample_percent=4).checked()


def test_given_a_form_then_a_score_is_checked_item_by_item() -> None:
    full = {i.key: i.max_score for i in DEFAULT_FORM.items}
    assert DEFAULT_FORM.total(full) == DEFAULT_FORM.max_total == 100
    with pytest.raises(InvalidInput, match="服务禁语"):
        DEFAULT_FORM.total(full | {"forbidden_phrases": -1})
    with pytest.raises(InvalidInput, match="不属于"):
        DEFAULT_FORM.total(full | {"speed": 3})
    form = QcForm(version=2, items=checked_items([FormItem(key="a", label="甲", max_score=5)]))
    assert form.total({"a": 5}) == 5
    with pytest.raises(InvalidInput, match="1 到 100"):
        checked_items([FormItem(key="a", label="甲", max_score=0)])
    with pytest.raises(InvalidInput, match="小写字母开头"):
        checked_items([FormItem(key="Bad Key", label="甲", max_score=5)])
    with pytest.raises(InvalidInput, match="最多 30"):
        checked_items([FormItem(key=f"k{i}", label="甲", max_score=1) for i in range(31)])


def line(leg: str, text: str, start: float, end: float | None = None) -> TranscriptLine:
    return TranscriptLine(
        call_id=CallId("c"), leg=leg, seq=int(start), text=text, start_s=start,
        end_s=end if end is not None else start + 3, final=True, at=MONDAY,
    )  # fmt: skip


def test_given_a_transcript_then_forbidden_phrases_missing_greeting_and_closing_and_silences_are_marked() -> (
    None
):
    good = [
        line("seat", "您好，12348 法律服务热线，请讲", 1.0),
        line("caller", "我想咨询劳动合同的问题", 5.0),
        line("seat", "根据劳动合同法第四十七条", 9.0),
        line("seat", "还有其他问题吗？感谢您的来电，再见", 14.0),
    ]
    assert transcript_marks(good) == []
    assert transcript_marks([line("caller", "喂？", 1.0)]) == []  # no seat speech: nothing to judge
    bad = [
        line("seat", "喂，说吧", 1.0),
        line("caller", "公司不给我加班费", 5.0, 9.0),
        line("seat", "这个不归我们管", 30.0),  # 21 s of silence before it
        line("seat", "你自己看着办", 36.0),
    ]
    found = [(m.kind, m.at_s, m.text) for m in transcript_marks(bad)]
    assert found == [
        (MarkKind.NO_GREETING, 1.0, ""),
        (MarkKind.SILENCE, 9.0, "21 秒"),
        (MarkKind.FORBIDDEN, 30.0, "不归我们管"),
        (MarkKind.FORBIDDEN, 36.0, "你自己看着办"),
        (MarkKind.NO_CLOSING, 36.0, ""),
    ]


def test_given_edited_phrase_lists_then_the_check_uses_them_instead_of_the_defaults() -> None:
    lines = [
        line("seat", "早上好，这里是法律服务热线", 1.0),
        line("seat", "这事别问我", 8.0),
        line("seat", "祝您顺利", 14.0),
    ]
    default = [(m.kind, m.text) for m in transcript_marks(lines)]
    assert default == [(MarkKind.NO_GREETING, ""), (MarkKind.NO_CLOSING, "")]
    edited = QcPhrases(forbidden=("别问我",), greetings=("早上好",), closings=("祝您顺利",))
    assert [(m.kind, m.at_s, m.text) for m in transcript_marks(lines, edited)] == [
        (MarkKind.FORBIDDEN, 8.0, "别问我")
    ]


def test_given_phrase_lists_then_they_are_trimmed_and_checked_with_chinese_errors() -> None:
    checked = QcPhrases(
        forbidden=(" 不知道 ", "不清楚"), greetings=("您好",), closings=("再见\u3000",)
    ).checked()
    assert (checked.forbidden, checked.closings) == (("不知道", "不清楚"), ("再见",))
    with pytest.raises(InvalidInput, match="服务禁语不能为空"):
        QcPhrases(forbidden=("不知道", "  ")).checked()
    with pytest.raises(InvalidInput, match="开头语重复：您好"):
        QcPhrases(greetings=("您好", " 您好")).checked()
    with pytest.raises(InvalidInput, match="结束语列表至少需要一条"):
        QcPhrases(closings=()).checked()
    with pytest.raises(InvalidInput, match=f"最多 {PHRASE_MAX_CHARS} 个字"):
        QcPhrases(forbidden=("长" * (PHRASE_MAX_CHARS + 1),)).checked()
    assert QcPhrases(forbidden=("长" * PHRASE_MAX_CHARS,)).checked().forbidden == ("长" * PHRASE_MAX_CHARS,)
    with pytest.raises(InvalidInput, match=f"最多 {PHRASES_MAX} 条"):
        QcPhrases(forbidden=tuple(f"禁语{i}" for i in range(PHRASES_MAX + 1))).checked()
    assert DEFAULT_PHRASES.checked() == DEFAULT_PHRASES


def test_given_only_a_post_call_transcript_then_its_mixed_lines_are_checked() -> None:
    # The recording's transcript (leg "mixed", issue 18) holds both voices: judged when the seat
    # has no live lines, and only then.
    mixed = [
        line("mixed", "您好，12348 法律服务热线", 1.0),
        line("mixed", "公司不给我加班费怎么办", 5.0),
        line("mixed", "这个不归我们管", 9.0),
        line("mixed", "感谢您的来电，再见", 13.0),
    ]
    assert [(m.kind, m.at_s, m.text) for m in transcript_marks(mixed)] == [
        (MarkKind.FORBIDDEN, 9.0, "不归我们管")
    ]
    no_greeting = [line("mixed", "喂", 1.0), line("mixed", "再见", 5.0)]
    assert [m.kind for m in transcript_marks(no_greeting)] == [MarkKind.NO_GREETING]
    live = [
        line("seat", "您好，12348 法律服务热线", 1.0),
        line("seat", "感谢您的来电，再见", 4.0),
        line("mixed", "这个不归我们管", 2.0),
    ]
    assert transcript_marks(live) == []  # the seat's own lines are judged; the mixed one is not
