"""The knowledge API (issue 19) against the real app: suggestions on a seat's own labour call without
typing, what typing changes, similar past records masked, the citation check, and the review of
entries (rights, versions, history)."""

from __future__ import annotations

import pytest

from tests.support.knowledge import load_laws

from .conftest import Harness

CSRF = "X-CSRF-Token"


def _h(me: dict[str, str]) -> dict[str, str]:
    return {CSRF: me["csrf_token"]}


@pytest.fixture
def laws(harness: Harness) -> Harness:
    load_laws(harness.client.app)  # type: ignore[arg-type]
    return harness


def test_given_a_labour_call_and_nothing_typed_when_the_seat_asks_then_labour_contract_law_and_a_masked_past_record(
    laws: Harness,
) -> None:
    call, me = laws.seat_on_call("1001")
    r = laws.client.post(f"/api/seat/calls/{call}/knowledge", json={"text": ""}, headers=_h(me))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ready"] is True
    laws_found = [a["short_law"] for a in body["articles"]]
    assert laws_found and laws_found[0] in ("劳动合同法", "劳动法") and "劳动合同法" in laws_found
    assert all(a["status"] == "in_force" for a in body["articles"])
    assert body["articles"][0]["citation"].startswith("《劳") and "第" in body["articles"][0]["citation"]
    # the demo's answered labour records: found, the caller's number in them masked
    assert body["cases"] and "劳动争议" in [c["category_label"] for c in body["cases"]]
    assert "13912345678" not in r.text
    assert any("139****5678" in c["question"] for c in body["cases"])


def test_given_the_seat_types_when_it_asks_again_then_the_suggestions_follow_the_text(laws: Harness) -> None:
    call, me = laws.seat_on_call("1001")
    text = {"text": "入职半年公司一直不签书面劳动合同"}
    body = laws.client.post(f"/api/seat/calls/{call}/knowledge", json=text, headers=_h(me)).json()
    numbers = [(a["short_law"], a["number"]) for a in body["articles"]]
    assert ("劳动合同法", 82) in numbers or ("劳动合同法", 10) in numbers, numbers
    assert "劳动合同" in body["words"] or "书面" in body["words"]


def test_given_another_seats_call_or_a_supervisor_when_asking_then_404_and_403(laws: Harness) -> None:
    call, _ = laws.seat_on_call("1001")
    me = laws.login("seat1002")
    assert laws.client.post(f"/api/seat/calls/{call}/knowledge", json={}, headers=_h(me)).status_code == 404
    sup = laws.login("banzhang")
    assert laws.client.post(f"/api/seat/calls/{call}/knowledge", json={}, headers=_h(sup)).status_code == 403


def test_given_a_record_with_good_wrong_historical_and_repealed_citations_then_each_is_reported(
    laws: Harness,
) -> None:
    me = laws.login("seat1001")
    text = (
        "依据《劳动合同法》第82条，另见《劳动合同法》第二百条、《仲裁法》第九十六条、"
        "《环境保护法》第七十条和《婚姻法》第三十二条"
    )
    r = laws.client.post("/api/knowledge/check", json={"text": text}, headers=_h(me))
    assert r.status_code == 200, r.text
    checks = {c["citation"]: c for c in r.json()["checks"]}
    assert checks["《劳动合同法》第八十二条"]["ok"] is True
    assert checks["《劳动合同法》第八十二条"]["article"]["status_label"] == "现行有效"
    assert checks["《劳动合同法》第二百条"]["problem_label"] == "该法没有这一条"
    assert checks["《仲裁法》第九十六条"]["ok"] is True
    assert checks["《环境保护法》第七十条"]["problem"] == "repealed"
    assert "民法典" in checks["《婚姻法》第三十二条"]["note"]
    assert r.json()["problems"] == 3


def _entry(title: str = "试用期工资能否低于约定工资的百分之八十") -> dict[str, object]:
    return {
        "kind": "qa",
        "title": title,
        "question": "试用期工资只发一半合法吗",
        "answer": "试用期工资不得低于本单位相同岗位最低档工资或者劳动合同约定工资的百分之八十。",
        "category": "labor",
        "citations": ["《劳动合同法》第二十条"],
    }


def test_given_a_seats_draft_when_a_supervisor_reviews_and_publishes_then_seats_are_shown_it_and_history_names_each_author(
    laws: Harness,
) -> None:
    client = laws.client
    seat = laws.login("seat1001")
    r = client.post("/api/knowledge/entries", json=_entry(), headers=_h(seat))
    assert r.status_code == 200, r.text
    entry = r.json()
    assert (entry["state"], entry["state_label"], entry["author"], entry["version"]) == (
        "draft",
        "草稿",
        "seat1001",
        1,
    )
    refused = client.post(
        f"/api/knowledge/entries/{entry['id']}/state",
        json={"state": "published", "version": 1},
        headers=_h(seat),
    )
    assert refused.status_code == 403

    sup = laws.login("banzhang")
    skip = client.post(
        f"/api/knowledge/entries/{entry['id']}/state",
        json={"state": "published", "version": 1},
        headers=_h(sup),
    )
    assert skip.status_code == 409  # a draft is reviewed before it is published
    reviewed = client.post(
        f"/api/knowledge/entries/{entry['id']}/state",
        json={"state": "reviewed", "version": 1},
        headers=_h(sup),
    ).json()
    stale = client.post(
        f"/api/knowledge/entries/{entry['id']}/state",
        json={"state": "published", "version": 1},
        headers=_h(sup),
    )
    assert stale.status_code == 409
    published = client.post(
        f"/api/knowledge/entries/{entry['id']}/state",
        json={"state": "published", "version": reviewed["version"]},
        headers=_h(sup),
    ).json()
    assert published["state_label"] == "已发布"

    history = client.get(f"/api/knowledge/entries/{entry['id']}/history").json()["changes"]
    assert [(c["action"], c["by"], c["version"]) for c in history] == [
        ("create", "seat1001", 1), ("review", "banzhang", 2), ("publish", "banzhang", 3)
    ]  # fmt: skip

    call, seat = laws.seat_on_call("1001")
    body = client.post(
        f"/api/seat/calls/{call}/knowledge", json={"text": "试用期工资只发一半"}, headers=_h(seat)
    ).json()
    assert entry["title"] in [e["title"] for e in body["entries"]]
    assert client.get(f"/api/knowledge/entries/{entry['id']}/history").status_code == 403


def test_given_another_seats_draft_when_a_seat_edits_it_then_403_and_drafts_stay_private(
    laws: Harness,
) -> None:
    client = laws.client
    mine = client.post(
        "/api/knowledge/entries", json=_entry("甲的草稿"), headers=_h(laws.login("seat1001"))
    ).json()
    other = laws.login("seat1002")
    edit = client.put(
        f"/api/knowledge/entries/{mine['id']}", json=_entry("改写") | {"version": 1}, headers=_h(other)
    )
    assert edit.status_code == 403
    assert "甲的草稿" not in [e["title"] for e in client.get("/api/knowledge/entries").json()["entries"]]


def test_given_entries_when_exported_and_imported_then_the_import_makes_drafts_and_a_bad_line_imports_none(
    laws: Harness,
) -> None:
    client = laws.client
    admin = laws.login("admin")
    csv_text = client.get("/api/knowledge/export.csv").text
    assert csv_text.lstrip("\ufeff").startswith("类型,标题,问题或案情,解答或裁判要旨,法律类别")
    assert "入职超过一个月未签书面劳动合同怎么办" in csv_text  # the demo's published entry
    good = "类型,标题,问题或案情,解答或裁判要旨,法律类别,引用条文\n问答,新条目,问,答,劳动争议,《劳动法》第四十四条\n"
    r = client.post(
        "/api/knowledge/import", content=good.encode(), headers=_h(admin) | {"Content-Type": "text/csv"}
    )
    assert r.status_code == 200, r.text
    assert [(e["title"], e["state"]) for e in r.json()["entries"]] == [("新条目", "draft")]
    bad = good + "问答,另一条,问,答,不存在的类别,\n"
    r = client.post(
        "/api/knowledge/import", content=bad.encode(), headers=_h(admin) | {"Content-Type": "text/csv"}
    )
    assert r.status_code == 422 and "第 3 行" in " ".join(r.json()["errors"])
    titles = [e["title"] for e in client.get("/api/knowledge/entries").json()["entries"]]
    assert titles.count("新条目") == 1 and "另一条" not in titles
