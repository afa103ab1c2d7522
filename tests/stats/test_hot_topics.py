"""热点: the legal categories trending against the previous period, and the records' frequent words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.access import Scope
from core.calls import CallRecord, CallStatus
from core.ids import CallId
from knowledge.segment import plain_words
from stats.hot_topics import RecordText, build_hot_topics, category_trends, frequent_words, previous_span

CITY = Scope(True, "全市", None, frozenset(), frozenset())
JINGAN = Scope(
    False, "静安区", "310106", frozenset({"team-310106"}), frozenset(), frozenset({"district:310106"})
)
WEEK = (date(2026, 11, 23), date(2026, 11, 29))  # Monday to Sunday


def _call(cid: str, day: date, category: str | None, district: str = "310106") -> CallRecord:
    at = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)  # 10:00 China time
    return CallRecord(
        id=CallId(cid),
        caller_number="13812348000",
        offered_at=at,
        status=CallStatus.ANSWERED,
        queue=f"q-{district}-{category or 'other'}",
        district_code=district,
        category=category,
    )


def _calls(spec: dict[str, tuple[int, int]], district: str = "310106", tag: str = "") -> list[CallRecord]:
    """For each category: (calls in the previous week, calls in this week), spread over the days."""
    out = []
    for category, (before, now) in spec.items():
        for i in range(before):
            out.append(
                _call(f"{tag}{category}-p{i}", date(2026, 11, 16) + timedelta(days=i % 7), category, district)
            )
        for i in range(now):
            out.append(_call(f"{tag}{category}-n{i}", WEEK[0] + timedelta(days=i % 7), category, district))
    return out


def test_the_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    assert previous_span(*WEEK) == (date(2026, 11, 16), date(2026, 11, 22))
    assert previous_span(date(2026, 11, 25), date(2026, 11, 25)) == (date(2026, 11, 24), date(2026, 11, 24))
    # a month: as many days back as it has (30 for November)
    assert previous_span(date(2026, 11, 1), date(2026, 11, 30)) == (date(2026, 10, 2), date(2026, 10, 31))


def test_categories_are_sorted_by_their_rise_with_counts_of_both_periods() -> None:
    calls = _calls({"labor": (2, 7), "family": (6, 3), "traffic": (0, 2), "notary": (1, 1)})
    calls.append(_call("too-old", date(2026, 11, 15), "family"))  # before the previous week: not counted
    calls.append(_call("no-category", date(2026, 11, 24), None))
    rows = category_trends(CITY, *WEEK, calls)
    got = [(r.label, r.count, r.previous, r.change) for r in rows]
    assert got == [
        ("劳动争议", 7, 2, 5),
        ("交通事故", 2, 0, 2),
        ("未知", 1, 0, 1),
        ("公证", 1, 1, 0),
        ("婚姻家庭", 3, 6, -3),
    ]
    assert rows[0].change_rate == 2.5 and rows[1].change_rate is None and rows[-1].change_rate == -0.5


def test_a_district_scope_counts_its_own_district_only() -> None:
    calls = _calls({"labor": (1, 2)}) + _calls({"labor": (0, 9), "family": (0, 4)}, "310115", "pd-")
    rows = category_trends(JINGAN, *WEEK, calls)
    assert [(r.label, r.count, r.previous) for r in rows] == [("劳动争议", 2, 1)]


def test_frequent_words_drop_stop_words_single_characters_and_numbers_and_count_each_use() -> None:
    texts = [
        "公司拖欠工资三个月了，我想申请劳动仲裁",
        "老板拖欠工资2000元怎么办",
        "离婚后孩子的抚养权归谁",
        "拖欠工资可以申请劳动仲裁吗",
    ]
    words = {w.word: w.count for w in frequent_words(texts, plain_words)}
    # 拖欠工资 is one of the knowledge base's colloquial words: jieba keeps it whole
    assert words["拖欠工资"] == 3 and words["申请"] == 2 and words["仲裁"] == 2
    assert words["抚养权"] == 1 and words["离婚"] == 1
    for dropped in ("我", "了", "的", "怎么办", "可以", "2000", "吗", "三个", "元"):
        assert dropped not in words
    assert all(len(w) >= 2 for w in words)
    counts = list(words.values())
    assert counts == sorted(counts, reverse=True)


def test_only_the_top_twenty_words_are_kept() -> None:
    texts = ["合同"] * 6 + ["房屋 房屋"] * 2 + ["房屋"] + ["租赁"] * 4
    many = [
        *texts,
        *(
            [
                "律师",
                "公证",
                "鉴定",
                "调解",
                "仲裁",
                "诉讼",
                "起诉",
                "上诉",
                "判决",
                "执行",
                "赔偿",
                "工伤",
                "社保",
                "加班",
                "辞退",
                "违约",
                "定金",
                "物业",
                "邻居",
                "继承",
                "遗嘱",
                "赡养",
            ]
        ),
    ]
    words = frequent_words(many, plain_words)
    assert len(words) == 20
    assert [(w.word, w.count) for w in words[:3]] == [("合同", 6), ("房屋", 5), ("租赁", 4)]
    assert {w.count for w in words[3:]} == {1}  # 17 of the 22 words said once


def test_the_words_come_from_the_records_of_the_scope_s_calls_of_the_period() -> None:
    calls = [
        _call("ja-now", date(2026, 11, 25), "labor"),
        _call("ja-before", date(2026, 11, 18), "labor"),
        _call("pd-now", date(2026, 11, 25), "family", "310115"),
    ]
    records = [
        RecordText(call_id="ja-now", question="单位拖欠工资不发"),
        RecordText(call_id="ja-before", question="邻居噪音扰民"),  # the previous week's call
        RecordText(call_id="pd-now", question="离婚财产分割"),  # another district's call
    ]
    city = build_hot_topics(CITY, *WEEK, calls, records, plain_words)
    jingan = build_hot_topics(JINGAN, *WEEK, calls, records, plain_words)
    assert {w.word for w in city.words} >= {"拖欠工资", "离婚"} and city.records == 2
    assert "邻居" not in {w.word for w in city.words}
    assert "拖欠工资" in {w.word for w in jingan.words} and jingan.records == 1
    assert not {"离婚", "财产"} & {w.word for w in jingan.words}
    none = build_hot_topics(CITY, *WEEK, calls, records, None)
    assert none.words == [] and not none.words_available and none.categories == city.categories
