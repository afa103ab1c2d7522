"""Quality inspection (质检) over the real app (SQLite, no PBX): the queue filled by the sweep, scoring
on a configured form and its versions, the seat's appeal and who decides it, the audit, the report."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import build_app
from app.runtime import Runtime
from core.access import Principal
from core.call_events import CallDirection, CallEnded, HangupParty
from core.calls import CallRecord, CallStatus, TranscriptLine
from core.clock import ManualClock
from core.errors import PermissionDenied
from core.ids import CallId, SeatId, UserId
from core.values import copy_fields
from stats.models import Satisfaction, SurveyAnswer
from stats.quality import DEFAULT_FORM, QcReason, QcStatus
from stats.quality_service import QualityService
from tests.support.app import TEST_BASE_URL, demo_test_settings, login
from tests.support.polling import wait_until

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wednesday 11:00 China time
FULL = {i.key: i.max_score for i in DEFAULT_FORM.items}  # 100 in all


def qc_of(app: FastAPI) -> QualityService:
    service: QualityService = app.state.qc_backend
    return service


def queue_for_qc(app: FastAPI, call_id: str, *, scored: bool = False) -> None:
    """Put a stored answered call in the QC queue (flagged), scored on the default form if asked."""
    qc = qc_of(app)
    call = qc.calls.find(CallId(call_id))
    assert call is not None
    item = qc.store.enqueue(qc._entry(call, (), qc._seat_teams(), NOW))
    if scored:
        qc.store.save(
            replace(item, status=QcStatus.SCORED, form_version=1, scores=FULL, total=100, max_total=100)
        )


def answered_call(
    rt: Runtime,
    cid: str,
    *,
    seat: str = "1001",
    district: str = "310106",
    at: datetime = NOW - timedelta(hours=1),
    talk: float = 180.0,
) -> CallRecord:
    call = CallRecord(
        id=CallId(cid),
        caller_number="13812348000",
        offered_at=at,
        status=CallStatus.ANSWERED,
        queue=f"q-{district}-labor",
        district_code=district,
        seat_id=SeatId(seat),
        answered_at=at + timedelta(seconds=10),
        ended_at=at + timedelta(seconds=10 + talk),
        wait_seconds=10.0,
        talk_seconds=talk,
    )
    rt.repos.calls.save(call)
    return call


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = build_app(demo_test_settings(tmp_path, "qc.db"), clock=ManualClock(NOW))
    with TestClient(app, base_url=TEST_BASE_URL) as c:
        yield c


def runtime(c: TestClient) -> Runtime:
    rt: Runtime = c.app.state.runtime  # type: ignore[attr-defined]
    return rt


def as_user(c: TestClient, user: str) -> dict[str, str]:
    return login(c, user, clear_cookies=True)


def post(c: TestClient, user: str, url: str, body: dict[str, Any], method: str = "POST") -> Any:
    return c.request(method, url, json=body, headers=as_user(c, user))


def _week_of_calls(c: TestClient) -> None:
    """Seat 1001: 40 calls of 3 minutes this week, one of 8 s, one of 20 minutes, one rated
    dissatisfied; seat 1003 (浦东): 10 calls."""
    rt = runtime(c)
    for n in range(40):
        answered_call(rt, f"ja-{n:02d}", at=NOW - timedelta(hours=1, minutes=n))
    answered_call(rt, "ja-short", talk=8.0)
    answered_call(rt, "ja-long", talk=1200.0)
    rt.repos.surveys.record(
        SurveyAnswer(call_id=CallId("ja-07"), seat_id=SeatId("1001"), score=Satisfaction.DISSATISFIED, at=NOW)
    )
    for n in range(10):
        answered_call(rt, f"pd-{n}", seat="1003", district="310115", at=NOW - timedelta(hours=2, minutes=n))


def test_given_a_week_of_calls_when_swept_twice_then_each_drawn_call_is_queued_once_with_its_reasons(
    client: TestClient,
) -> None:
    _week_of_calls(client)
    qc = qc_of(client.app)  # type: ignore[arg-type]
    assert qc.sweep() > 0
    assert qc.sweep() == 0  # nothing new: nothing drawn again

    as_user(client, "zhijian")
    items = client.get("/api/qc/items").json()["items"]
    ids = [i["call_id"] for i in items]
    assert len(ids) == len(set(ids))
    reasons = {i["call_id"]: {r["label"] for r in i["reasons"]} for i in items}
    assert "不满意评价" in reasons["ja-07"]
    assert "通话过短" in reasons["ja-short"]
    assert "通话过长" in reasons["ja-long"]
    random_1001 = [i for i in items if i["seat_id"] == "1001" and "随机抽检" in reasons[i["call_id"]]]
    random_1003 = [i for i in items if i["seat_id"] == "1003" and "随机抽检" in reasons[i["call_id"]]]
    assert len(random_1001) >= 0.05 * 42 and len(random_1003) >= 0.05 * 10
    # Filters: by reason, by seat, by status.
    only = client.get("/api/qc/items?reason=dissatisfied").json()["items"]
    assert [i["call_id"] for i in only] == ["ja-07"]
    assert {i["seat_id"] for i in client.get("/api/qc/items?seat=1003").json()["items"]} == {"1003"}
    assert client.get("/api/qc/items?status=scored").json()["items"] == []
    assert client.get("/api/qc/items?reason=nonsense").status_code == 422
    # The 静安 district supervisor sees 静安's only.
    as_user(client, "jingan")
    assert {i["seat_id"] for i in client.get("/api/qc/items").json()["items"]} == {"1001"}


def test_given_a_seat_flags_its_call_then_it_is_queued_as_a_complaint_once_and_audited(
    client: TestClient,
) -> None:
    answered_call(runtime(client), "c-1")
    r = post(client, "seat1001", "/api/qc/calls/c-1/flag", {"note": "来电人投诉服务态度"})
    assert r.status_code == 200, r.text
    assert [x["label"] for x in r.json()["reasons"]] == ["投诉或标记"]
    again = post(client, "jingan", "/api/qc/calls/c-1/flag", {"note": "班长复核"})
    assert again.json()["flag_note"] == "来电人投诉服务态度；班长复核"
    as_user(client, "zhijian")
    assert [i["call_id"] for i in client.get("/api/qc/items").json()["items"]] == ["c-1"]
    blank = post(client, "seat1001", "/api/qc/calls/c-1/flag", {"note": "  "})
    assert blank.status_code == 422 and "送检原因" in blank.json()["message"]
    actions = [e.action for e in runtime(client).repos.audit.recent(limit=20)]
    assert actions.count("qc.flag") == 2


def test_given_a_queued_call_when_the_inspector_scores_it_then_the_seat_sees_the_score_on_its_form(
    client: TestClient,
) -> None:
    answered_call(runtime(client), "c-1")
    queue_for_qc(client.app, "c-1")  # type: ignore[arg-type]
    as_user(client, "seat1001")
    assert client.get("/api/qc/items/c-1").status_code == 404  # not scored yet: not shown to the seat
    assert client.get("/api/qc/mine").json()["items"] == []

    bad = post(client, "zhijian", "/api/qc/items/c-1/score", {"scores": FULL | {"closing": 11}})
    assert bad.status_code == 422 and "结束语" in bad.json()["message"]
    missing = post(client, "zhijian", "/api/qc/items/c-1/score", {"scores": {"greeting": 5}})
    assert missing.status_code == 422 and "请为" in missing.json()["message"]
    assert post(client, "jingan", "/api/qc/items/c-1/score", {"scores": FULL}).status_code == 403

    scores = FULL | {"legal_accuracy": 25, "forbidden_phrases": 10}
    r = post(client, "zhijian", "/api/qc/items/c-1/score", {"scores": scores, "comment": "法律依据引用不全"})
    assert r.status_code == 200, r.text
    assert (r.json()["total"], r.json()["max_total"], r.json()["status_label"]) == (75, 100, "已评分")
    assert post(client, "zhijian", "/api/qc/items/c-1/score", {"scores": FULL}).status_code == 409

    as_user(client, "seat1001")
    mine = client.get("/api/qc/mine").json()["items"]
    assert [(i["call_id"], i["total"], i["comment"]) for i in mine] == [("c-1", 75, "法律依据引用不全")]
    detail = client.get("/api/qc/items/c-1").json()
    assert detail["form"]["version"] == 1 and detail["call"]["id"] == "c-1"
    assert [i["label"] for i in detail["form"]["items"]] == [
        "开头语/问候",
        "规范用语",
        "法律解答准确",
        "服务禁语",
        "结束语",
    ]


def test_given_a_new_form_version_then_old_scores_keep_their_form_and_new_ones_use_the_new(
    client: TestClient,
) -> None:
    rt = runtime(client)
    for cid in ("old", "new"):
        answered_call(rt, cid)
        queue_for_qc(client.app, cid)  # type: ignore[arg-type]
    assert post(client, "zhijian", "/api/qc/items/old/score", {"scores": FULL}).status_code == 200
    items = [
        {"key": "greeting", "label": "开头语", "max_score": 20, "description": "报工号"},
        {"key": "accuracy", "label": "解答准确", "max_score": 30},
    ]
    assert post(client, "jingan", "/api/qc/form", {"items": items}, "PUT").status_code == 403
    dup = post(client, "admin", "/api/qc/form", {"items": items + items[:1]}, "PUT")
    assert dup.status_code == 422 and "重复" in dup.json()["message"]
    saved = post(client, "admin", "/api/qc/form", {"items": items}, "PUT")
    assert saved.status_code == 200 and (saved.json()["version"], saved.json()["max_total"]) == (2, 50)

    as_user(client, "zhijian")
    assert client.get("/api/qc/items/old").json()["form"]["version"] == 1
    assert client.get("/api/qc/items/new").json()["form"]["version"] == 2
    assert post(client, "zhijian", "/api/qc/items/new/score", {"scores": FULL}).status_code == 422
    r = post(client, "zhijian", "/api/qc/items/new/score", {"scores": {"greeting": 20, "accuracy": 10}})
    assert (r.json()["form_version"], r.json()["total"], r.json()["max_total"]) == (2, 30, 50)
    assert client.get("/api/qc/items/old").json()["item"]["total"] == 100  # unchanged by the new form
    assert "qc.form" in [e.action for e in rt.repos.audit.recent(limit=20)]


def test_given_a_scored_call_when_its_seat_appeals_then_only_once_and_an_upheld_decision_changes_the_score(
    client: TestClient,
) -> None:
    rt = runtime(client)
    answered_call(rt, "c-1")
    answered_call(rt, "c-3", seat="1003", district="310115")
    for cid in ("c-1", "c-3"):
        queue_for_qc(client.app, cid, scored=True)  # type: ignore[arg-type]
    url = "/api/qc/items/c-1"
    assert post(client, "seat1001", f"{url}/appeal", {"reason": ""}).status_code == 422
    assert post(client, "seat1002", f"{url}/appeal", {"reason": "不是我的"}).status_code == 404
    assert post(client, "zhijian", f"{url}/appeal", {"reason": "代为申诉"}).status_code == 403
    # Nothing to decide before the appeal.
    assert post(client, "zhijian", f"{url}/decision", {"upheld": False, "note": "维持"}).status_code == 409
    r = post(client, "seat1001", f"{url}/appeal", {"reason": "已使用规范结束语，录音第 3 分钟"})
    assert r.status_code == 200 and r.json()["status_label"] == "申诉中"
    again = post(client, "seat1001", f"{url}/appeal", {"reason": "再次申诉"})
    assert again.status_code == 409 and "只能申诉一次" in again.json()["message"]
    # A seat cannot decide; a supervisor of another district does not find it.
    assert post(client, "seat1001", f"{url}/decision", {"upheld": True, "note": "x"}).status_code == 403
    assert post(client, "seat1003", "/api/qc/items/c-3/appeal", {"reason": "有误"}).status_code == 200
    no_scores = post(client, "jingan", f"{url}/decision", {"upheld": True, "note": "成立"})
    assert no_scores.status_code == 422
    assert (
        post(client, "jingan", "/api/qc/items/c-3/decision", {"upheld": True, "note": "x"}).status_code == 404
    )

    new = FULL | {"closing": 5, "greeting": 8}
    d = post(client, "jingan", f"{url}/decision", {"upheld": True, "note": "核实成立，改分", "scores": new})
    assert d.status_code == 200, d.text
    assert (d.json()["status_label"], d.json()["total"], d.json()["original_total"]) == ("申诉成立", 93, 100)
    assert post(client, "seat1001", f"{url}/appeal", {"reason": "再来"}).status_code == 409
    rejected = post(client, "zhijian", "/api/qc/items/c-3/decision", {"upheld": False, "note": "维持"})
    assert (rejected.json()["status_label"], rejected.json()["total"]) == ("申诉驳回", 100)  # city-wide
    as_user(client, "seat1001")
    mine = client.get("/api/qc/mine").json()["items"]
    assert (mine[0]["total"], mine[0]["decision_note"]) == (93, "核实成立，改分")
    audited = [(e.action, e.target) for e in rt.repos.audit.recent(limit=50)]
    assert ("qc.appeal", "c-1") in audited and ("qc.appeal_decision", "c-1") in audited


def test_given_scored_calls_when_reporting_then_coverage_and_average_score_per_seat_and_team(
    client: TestClient,
) -> None:
    rt = runtime(client)
    for n in range(20):
        answered_call(rt, f"ja-{n}", seat="1001")
    for n in range(10):
        answered_call(rt, f"jb-{n}", seat="1002")
    answered_call(rt, "old", seat="1001", at=NOW - timedelta(days=30))  # outside the period
    for cid, total in (("ja-0", 80), ("ja-1", 90), ("jb-0", 70)):
        queue_for_qc(client.app, cid, scored=True)  # type: ignore[arg-type]
        item = qc_of(client.app).store.find(CallId(cid))  # type: ignore[arg-type]
        assert item is not None
        qc_of(client.app).store.save(replace(item, total=total))  # type: ignore[arg-type]
    queue_for_qc(client.app, "ja-2")  # type: ignore[arg-type]  # queued, not yet inspected

    as_user(client, "jingan")
    r = client.get("/api/qc/report?start=2026-11-23&end=2026-11-29").json()
    seats = {s["key"]: s for s in r["seats"]}
    assert (seats["1001"]["answered"], seats["1001"]["sampled"], seats["1001"]["inspected"]) == (20, 3, 2)
    assert seats["1001"]["coverage"] == pytest.approx(0.10) and seats["1001"]["meets_target"]
    assert seats["1001"]["average_score"] == pytest.approx(0.85)
    assert seats["1002"]["coverage"] == pytest.approx(0.10) and seats["1002"][
        "average_score"
    ] == pytest.approx(0.70)
    team = {t["label"]: t for t in r["teams"]}["静安区坐席团队"]
    assert (team["answered"], team["inspected"]) == (30, 3)
    assert team["average_score"] == pytest.approx(0.80)
    assert r["total"]["coverage"] == pytest.approx(0.10) and r["target"] == pytest.approx(0.05)
    assert client.get("/api/qc/report?start=2026-11-29&end=2026-11-23").status_code == 422
    # The supervisor board asks for its report's period: the same week.
    assert client.get("/api/qc/report?period=week&date=2026-11-25").json() == r
    assert client.get("/api/qc/report?period=year").status_code == 422


def test_given_an_admin_when_changing_the_rule_then_it_is_checked_stored_and_audited(
    client: TestClient,
) -> None:
    body = {"sample_percent": 8, "short_talk_s": 15, "long_talk_factor": 4, "median_min_calls": 3}
    low = post(client, "admin", "/api/qc/rule", body | {"sample_percent": 2}, "PUT")
    assert low.status_code == 422 and "5%" in low.json()["message"]
    assert post(client, "admin", "/api/qc/rule", body, "PUT").status_code == 200
    as_user(client, "zhijian")
    assert client.get("/api/qc/rule").json() == body
    assert "qc.rule" in [e.action for e in runtime(client).repos.audit.recent(limit=20)]


def test_given_a_call_ends_with_a_poor_transcript_then_it_is_queued_with_the_places_in_its_recording(
    client: TestClient,
) -> None:
    rt = runtime(client)
    qc = qc_of(client.app)  # type: ignore[arg-type]
    qc.settle_s = 0.05
    call = answered_call(rt, "c-asr")
    for seq, (leg, text, start) in enumerate(
        [("seat", "喂", 2.0), ("caller", "我想问离婚财产", 4.0), ("seat", "这个不归我们管", 10.0)]
    ):
        rt.repos.transcripts.add(
            TranscriptLine(
                call_id=call.id,
                leg=leg,
                seq=seq,
                text=text,
                start_s=start,
                end_s=start + 2,
                final=True,
                at=NOW,
            )
        )
    ended = CallEnded(
        at=NOW,
        call_id=call.id,
        direction=CallDirection.INBOUND,
        hung_up_by=HangupParty.CALLER,
        answered=True,
        talk_seconds=call.talk_seconds,
        duration_seconds=200.0,
        cause=16,
        seat_id=call.seat_id,
        queue=call.queue,
    )
    client.portal.call(rt.bus.publish, ended)  # type: ignore[union-attr]

    def marked() -> bool:
        item = qc.store.find(call.id)
        return item is not None and QcReason.TRANSCRIPT in item.reasons

    wait_until(marked, 5, "the call queued by its transcript")
    as_user(client, "zhijian")
    item = client.get("/api/qc/items/c-asr").json()["item"]
    assert "转写自动提示" in [r["label"] for r in item["reasons"]]  # (the only call of its week: drawn too)
    assert [(m["kind_label"], m["at_s"], m["text"]) for m in item["marks"]] == [
        ("缺少开头语", 2.0, ""),
        ("服务禁语", 10.0, "不归我们管"),
        ("缺少结束语", 10.0, ""),
    ]


def _principal(c: TestClient, username: str) -> Principal:
    user = runtime(c).repos.users.by_username(username)
    assert user is not None
    return user.principal()


def test_given_an_appeal_then_its_scorer_cannot_decide_it_in_the_service_but_another_inspector_can(
    client: TestClient,
) -> None:
    rt = runtime(client)
    answered_call(rt, "c-1")
    queue_for_qc(client.app, "c-1")  # type: ignore[arg-type]
    qc = qc_of(client.app)  # type: ignore[arg-type]
    scorer = _principal(client, "zhijian")
    other = copy_fields(Principal, scorer, user_id=UserId("u-qc-2"), username="zhijian2")
    qc.score(scorer, CallId("c-1"), FULL, "")
    qc.appeal(_principal(client, "seat1001"), CallId("c-1"), "结束语已说")
    with pytest.raises(PermissionDenied, match="不能复核自己评分的申诉"):
        qc.decide(scorer, CallId("c-1"), upheld=False, note="维持")
    assert qc.store.find(CallId("c-1")).status is QcStatus.APPEALED  # type: ignore[union-attr]
    decided = qc.decide(other, CallId("c-1"), upheld=False, note="维持原分")
    assert (decided.status, decided.decided_by) == (QcStatus.REJECTED, "u-qc-2")


@pytest.mark.parametrize("decider", ["jingan", "banzhang", "admin"])
def test_given_an_appeal_when_its_scorer_decides_through_the_api_then_403_and_a_supervisor_or_admin_can(
    client: TestClient, decider: str
) -> None:
    answered_call(runtime(client), "c-1")
    queue_for_qc(client.app, "c-1")  # type: ignore[arg-type]
    url = "/api/qc/items/c-1"
    assert post(client, "zhijian", f"{url}/score", {"scores": FULL}).status_code == 200
    assert post(client, "seat1001", f"{url}/appeal", {"reason": "结束语已说"}).status_code == 200
    own = post(client, "zhijian", f"{url}/decision", {"upheld": False, "note": "维持"})
    assert own.status_code == 403 and "不能复核自己评分的申诉" in own.json()["message"]
    as_user(client, "zhijian")
    assert client.get(url).json()["item"]["status_label"] == "申诉中"  # nothing decided
    d = post(
        client, decider, f"{url}/decision", {"upheld": True, "note": "成立", "scores": FULL | {"closing": 5}}
    )
    assert d.status_code == 200, d.text
    assert (d.json()["status_label"], d.json()["total"]) == ("申诉成立", 95)


def _say(rt: Runtime, call: CallRecord, lines: list[tuple[str, str, float]]) -> None:
    for seq, (leg, text, start) in enumerate(lines):
        rt.repos.transcripts.add(
            TranscriptLine(
                call_id=call.id,
                leg=leg,
                seq=seq,
                text=text,
                start_s=start,
                end_s=start + 2,
                final=True,
                at=NOW,
            )
        )


def test_given_an_admin_edits_the_phrase_lists_then_they_are_checked_audited_and_used_for_later_calls(
    client: TestClient,
) -> None:
    rt = runtime(client)
    qc = qc_of(client.app)  # type: ignore[arg-type]
    said = [
        ("seat", "早上好，法律服务热线", 1.0),
        ("seat", "这事别问我", 5.0),
        ("seat", "祝您顺利，再见", 9.0),
    ]
    before = answered_call(rt, "c-before")
    _say(rt, before, said)
    assert qc.check_transcripts(["c-before"]) == 1  # the default lists: no greeting
    as_user(client, "zhijian")
    defaults = client.get("/api/qc/phrases").json()
    assert "不归我们管" in defaults["forbidden"] and defaults["greetings"] == ["您好", "你好"]

    body = {"forbidden": ["别问我", " 不知道 "], "greetings": ["早上好", "您好"], "closings": ["再见"]}
    assert post(client, "zhijian", "/api/qc/phrases", body, "PUT").status_code == 403
    assert post(client, "jingan", "/api/qc/phrases", body, "PUT").status_code == 403
    for bad, message in [
        (body | {"forbidden": ["别问我", ""]}, "服务禁语不能为空"),
        (body | {"greetings": ["早上好", "早上好 "]}, "开头语重复"),
        (body | {"closings": []}, "结束语列表至少需要一条"),
        (body | {"forbidden": ["长" * 21]}, "最多 20 个字"),
        (body | {"forbidden": [f"禁语{i}" for i in range(101)]}, "最多 100 条"),
    ]:
        r = post(client, "admin", "/api/qc/phrases", bad, "PUT")
        assert r.status_code == 422 and message in r.json()["message"], r.text
    assert client.get("/api/qc/phrases").json() == defaults  # nothing stored by the refusals

    saved = post(client, "admin", "/api/qc/phrases", body, "PUT")
    assert saved.status_code == 200, saved.text
    assert saved.json()["forbidden"] == ["别问我", "不知道"]  # trimmed
    (entry,) = [e for e in rt.repos.audit.recent(limit=30) if e.action == "qc.phrases"]
    assert entry.actor == "u-admin"
    assert entry.detail["before"] == defaults and entry.detail["after"] == saved.json()

    after = answered_call(rt, "c-after")
    _say(rt, after, said)
    assert qc.check_transcripts(["c-after"]) == 1
    found = qc.store.find(after.id)
    assert found is not None and [(m.kind.value, m.text) for m in found.marks] == [("forbidden", "别问我")]
    earlier = qc.store.find(before.id)  # checked before the change: its marks stay
    assert earlier is not None and [m.kind.value for m in earlier.marks] == ["no_greeting"]
