"""The seat workspace API against the real app: real store, board and tracker; a fake CallControl."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core import dialplan
from core.asr_events import Leg, TranscriptSegment
from core.calls import CallRecord, CallStatus
from core.errors import PbxActionFailed
from core.ids import CallId, SeatId
from seats.my_day import china_day_span
from stats.models import Satisfaction, SurveyAnswer
from store.consultations import ConsultationRepository

from .conftest import CALLER, Harness

CSRF = "X-CSRF-Token"


def _h(me: dict[str, str]) -> dict[str, str]:
    return {CSRF: me["csrf_token"]}


def _actions(h: Harness) -> list[str]:
    return [e.action for e in h.runtime.repos.audit.recent(limit=50)]


def test_given_no_session_when_reading_the_seat_state_then_401(harness: Harness) -> None:
    assert harness.client.get("/api/seat/state").status_code == 401


def test_given_a_seat_when_reading_its_state_then_offline_in_chinese_with_manual_pause_reasons(
    harness: Harness,
) -> None:
    harness.login("seat1001")
    body = harness.client.get("/api/seat/state").json()
    assert body["seat_id"] == "1001" and body["status"] == "offline" and body["status_label"] == "离线"
    codes = [r["code"] for r in body["pause_reasons"]]
    assert "meal" in codes and "missed_call" not in codes and "after_call" not in codes
    assert {"code": "labor", "label": "劳动争议"} in body["categories"]


def test_given_a_district_seat_when_listing_transfer_targets_then_its_district_queues_first_in_chinese(
    harness: Harness,
) -> None:
    harness.seat_in_queue("1002")
    harness.login("seat1001")
    body = harness.client.get("/api/seat/transfer-targets").json()
    queues = [(q["name"], q["label"]) for q in body["queues"]]
    assert queues[0] == ("q-310106-family", "静安区·婚姻家庭")
    assert ("q-city-labor", "全市·劳动争议") in queues
    assert {
        "id": "1002",
        "name": "李律师",
        "status": "available",
        "status_label": "空闲",
        "available": True,
        "expert": False,
    } in body["seats"]
    assert all(s["id"] != "1001" for s in body["seats"])


def test_given_the_openapi_document_then_every_seat_json_route_names_its_response_model(
    harness: Harness,
) -> None:
    doc = harness.client.app.openapi()  # type: ignore[attr-defined]
    routes = {
        (path, method): op["responses"]["200"]["content"]["application/json"]["schema"]
        for path, ops in doc["paths"].items()
        if path.startswith("/api/seat/")
        for method, op in ops.items()
    }
    assert (
        len(routes) == 25
    )  # state, 6 commands, 13 on a call, drafts, today, transfer targets, address, knowledge
    untyped = {route: schema for route, schema in routes.items() if "$ref" not in schema}
    assert untyped == {}


def test_given_a_supervisor_when_using_seat_actions_then_403(harness: Harness) -> None:
    me = harness.login("jingan")
    assert harness.client.get("/api/seat/state").status_code == 403
    r = harness.client.post("/api/seat/pause", json={"reason": "rest"}, headers=_h(me))
    assert r.status_code == 403 and "坐席" in r.json()["message"]
    assert harness.control.actions == []


def test_given_an_admin_when_logging_a_seat_in_then_403(harness: Harness) -> None:
    me = harness.login("admin")
    assert harness.client.post("/api/seat/login", headers=_h(me)).status_code == 403


def test_given_a_seat_when_logging_in_without_csrf_then_403_and_with_it_its_queues_are_joined(
    harness: Harness,
) -> None:
    me = harness.login("seat1001")
    assert harness.client.post("/api/seat/login").status_code == 403
    assert harness.client.post("/api/seat/login", headers=_h(me)).status_code == 200
    queues = {a["queue"] for a in harness.control.named("queue_add")}
    assert "q-310106-labor" in queues and "q-city-family" in queues
    assert {a["interface"] for a in harness.control.named("queue_add")} == {"PJSIP/1001"}
    assert "seat.login" in _actions(harness)


def test_given_an_available_seat_when_pausing_then_a_bad_reason_is_422_and_a_good_one_pauses(
    harness: Harness,
) -> None:
    harness.seat_in_queue("1001")
    me = harness.login("seat1001")
    bad = harness.client.post("/api/seat/pause", json={"reason": "nap"}, headers=_h(me))
    assert bad.status_code == 422 and bad.json()["message"] == "示忙原因无效"
    system_only = harness.client.post("/api/seat/pause", json={"reason": "missed_call"}, headers=_h(me))
    assert system_only.status_code == 422
    after_call = harness.client.post("/api/seat/pause", json={"reason": "after_call"}, headers=_h(me))
    assert after_call.status_code == 422
    assert harness.client.post("/api/seat/pause", json={"reason": "meal"}, headers=_h(me)).status_code == 200
    assert harness.control.named("queue_pause") == [
        {"interface": "PJSIP/1001", "paused": True, "reason": "meal"}
    ]
    assert "seat.pause" in _actions(harness)


def test_given_a_ringing_call_when_the_seat_reads_the_screen_pop_then_masked_number_and_ivr_path(
    harness: Harness,
) -> None:
    harness.seat_in_queue("1001")
    call = harness.call_to("1001", answer=False)
    harness.login("seat1001")
    assert harness.client.get("/api/seat/state").json()["call_id"] == call
    r = harness.client.get(f"/api/seat/calls/{call}/screenpop")
    assert r.status_code == 200, r.text
    pop = r.json()
    assert pop["caller"] == "138****5678"
    assert CALLER not in r.text
    assert pop["ivr_path"] == ["法律咨询", "劳动争议"]
    assert pop["category"] == "labor" and pop["category_label"] == "劳动争议"
    assert pop["district_name"] == "静安区"
    assert (pop["queue"], pop["queue_label"]) == ("q-310106-labor", "静安区·劳动争议")
    assert pop["file"]["calls"] == []


@pytest.mark.parametrize(
    ("said", "outcome", "label", "note"),
    [
        (
            "浦东新区果园村",
            "ambiguous",
            "有多处可能，需确认",
            "可能是：浦东新区川沙新镇果园村村委会 或 浦东新区祝桥镇果园村村委会",
        ),
        ("杭州市西湖区", "outside", "外省市地址", "来电者说的不是上海地址：杭州市西湖区"),
        ("我想问离婚", "no_address", "未听到地址", "未听到可识别的地址（没有可识别的地名）"),
    ],
)
def test_given_the_ivr_asked_an_address_when_the_seat_reads_the_screen_pop_then_outcome_and_candidates(
    harness: Harness, said: str, outcome: str, label: str, note: str
) -> None:
    harness.seat_in_queue("1001")
    call = harness.call_to("1001", answer=False, address=(said, outcome, note))
    harness.login("seat1001")
    pop = harness.client.get(f"/api/seat/calls/{call}/screenpop").json()
    assert pop["address"] == said
    assert (pop["address_outcome"], pop["address_outcome_label"]) == (outcome, label)
    assert pop["address_note"] == note


def test_given_no_address_step_when_the_seat_reads_the_screen_pop_then_no_address_outcome(
    harness: Harness,
) -> None:
    harness.seat_in_queue("1001")
    call = harness.call_to("1001", answer=False)
    harness.login("seat1001")
    pop = harness.client.get(f"/api/seat/calls/{call}/screenpop").json()
    assert (pop["address"], pop["address_outcome"], pop["address_outcome_label"], pop["address_note"]) == (
        "",
        "",
        "",
        "",
    )


def test_given_seat_1001s_call_when_seat_1002_asks_for_it_then_404_everywhere(harness: Harness) -> None:
    harness.seat_in_queue("1001")
    harness.seat_in_queue("1002")
    call = harness.call_to("1001")
    me = harness.login("seat1002")
    c = harness.client
    assert c.get(f"/api/seat/calls/{call}/screenpop").status_code == 404
    assert c.get(f"/api/seat/calls/{call}/transcript").status_code == 404
    assert c.put(f"/api/seat/calls/{call}/record", json={"question": "x"}, headers=_h(me)).status_code == 404
    r = c.post(
        f"/api/seat/calls/{call}/transfer", json={"kind": "external", "target": "12345"}, headers=_h(me)
    )
    assert r.status_code == 404
    assert c.post(f"/api/seat/calls/{call}/hangup", headers=_h(me)).status_code == 404
    assert harness.control.named("redirect") == [] and harness.control.named("hangup") == []


def test_given_bad_record_fields_when_saving_the_draft_then_422_with_chinese_messages_per_field(
    harness: Harness,
) -> None:
    call, me = harness.seat_on_call("1001")
    r = harness.client.put(
        f"/api/seat/calls/{call}/record",
        json={"category": "astrology", "question": "问" * 2001, "outcome": "maybe"},
        headers=_h(me),
    )
    assert r.status_code == 422
    fields = r.json()["fields"]
    assert fields == {
        "category": "法律类别无效，请从列表中选择",
        "question": "问题摘要不能超过 2000 字",
        "outcome": "处理结果无效，请从列表中选择",
    }


def test_given_a_draft_when_submitting_then_incomplete_is_422_complete_is_final_and_final_is_locked(
    harness: Harness,
) -> None:
    call, me = harness.seat_on_call("1001")
    c = harness.client
    draft = c.put(f"/api/seat/calls/{call}/record", json={"question": "被拖欠工资三个月"}, headers=_h(me))
    assert draft.status_code == 200 and draft.json()["draft"] is True
    incomplete = c.post(
        f"/api/seat/calls/{call}/record/submit", json={"question": "被拖欠工资三个月"}, headers=_h(me)
    )
    assert incomplete.status_code == 422
    assert set(incomplete.json()["fields"]) == {"category", "outcome"}
    full = {
        "category": "labor",
        "question": "被拖欠工资三个月",
        "advice": "可申请劳动仲裁",
        "outcome": "answered",
    }
    done = c.post(f"/api/seat/calls/{call}/record/submit", json=full, headers=_h(me))
    assert done.status_code == 200 and done.json()["draft"] is False and done.json()["submitted_at"]
    again = c.put(f"/api/seat/calls/{call}/record", json=full, headers=_h(me))
    assert again.status_code == 409
    assert c.get(f"/api/seat/calls/{call}/screenpop").json()["record"]["outcome"] == "answered"
    assert {"seat.record_draft", "seat.record_submit"} <= set(_actions(harness))


def test_given_a_submitted_record_when_the_same_caller_calls_again_then_the_file_shows_it(
    harness: Harness,
) -> None:
    harness.seat_in_queue("1001")
    first = harness.call_to("1001", uid="1795300000.16")
    me = harness.login("seat1001")
    full = {"category": "labor", "question": "被拖欠工资", "advice": "可申请劳动仲裁", "outcome": "answered"}
    harness.client.post(f"/api/seat/calls/{first}/record/submit", json=full, headers=_h(me))
    harness.ami(
        "Hangup", Channel="PJSIP/trunk-16", Uniqueid=first, Linkedid=first, Cause="16", CallerIDNum=CALLER
    )
    second = harness.call_to("1001", uid="1795300100.20")
    body = harness.client.get(f"/api/seat/calls/{second}/screenpop").json()
    assert body["file"]["known"] is True
    assert [r["question"] for r in body["file"]["records"]] == ["被拖欠工资"]
    assert body["file"]["calls"][0]["category_label"] == "劳动争议"


def test_given_a_talking_seat_when_transferring_to_12345_then_the_caller_channel_is_redirected(
    harness: Harness,
) -> None:
    call, me = harness.seat_on_call("1001")
    r = harness.client.post(
        f"/api/seat/calls/{call}/transfer", json={"kind": "external", "target": "12345"}, headers=_h(me)
    )
    assert r.status_code == 200, r.text
    assert _transfer_actions(harness) == [
        (
            "set_variable",
            {"channel": "PJSIP/trunk-16", "variable": dialplan.VAR_TRANSFER_FROM, "value": "1001"},
        ),
        ("redirect", {"channel": "PJSIP/trunk-16", "context": dialplan.TRANSFER, "exten": "12345"}),
    ]
    assert "seat.transfer" in _actions(harness)


def _transfer_actions(h: Harness) -> list[tuple[str, dict[str, object]]]:
    return [(n, a) for n, a in h.control.actions if n in ("set_variable", "redirect")]


@pytest.mark.parametrize("number", ["110", "12348", "12345678"])
def test_given_a_number_the_dialplan_does_not_render_when_transferring_then_422_and_nothing_is_sent(
    harness: Harness, number: str
) -> None:
    harness.runtime.settings.web.transfer_numbers[number] = number  # even if configured
    call, me = harness.seat_on_call("1001")
    r = harness.client.post(
        f"/api/seat/calls/{call}/transfer", json={"kind": "external", "target": number}, headers=_h(me)
    )
    assert r.status_code == 422 and "不支持" in r.json()["message"]
    assert _transfer_actions(harness) == []
    targets = harness.client.get("/api/seat/transfer-targets", headers=_h(me))
    assert targets.status_code == 200
    assert number not in {e["code"] for e in targets.json()["external"]}


def test_given_asterisk_refuses_the_transfer_mark_when_transferring_then_the_caller_is_still_redirected(
    harness: Harness,
) -> None:
    async def refuse(channel: str, variable: str, value: str) -> None:
        raise PbxActionFailed("PBX 拒绝了 Setvar：No such channel", action="Setvar")

    harness.control.set_variable = refuse  # type: ignore[method-assign]
    call, me = harness.seat_on_call("1001")
    r = harness.client.post(
        f"/api/seat/calls/{call}/transfer", json={"kind": "external", "target": "12368"}, headers=_h(me)
    )
    assert r.status_code == 200, r.text
    assert harness.control.named("redirect") == [
        {"channel": "PJSIP/trunk-16", "context": dialplan.TRANSFER, "exten": "12368"}
    ]


def test_given_a_talking_seat_when_transferring_to_a_queue_then_redirected_to_the_queue_extension(
    harness: Harness,
) -> None:
    call, me = harness.seat_on_call("1001")
    url = f"/api/seat/calls/{call}/transfer"
    unknown = harness.client.post(url, json={"kind": "queue", "target": "q-nowhere"}, headers=_h(me))
    assert unknown.status_code == 422
    ok = harness.client.post(url, json={"kind": "queue", "target": "q-city-labor"}, headers=_h(me))
    assert ok.status_code == 200
    assert _transfer_actions(harness) == [
        (
            "set_variable",
            {"channel": "PJSIP/trunk-16", "variable": dialplan.VAR_TRANSFER_FROM, "value": "1001"},
        ),
        ("redirect", {"channel": "PJSIP/trunk-16", "context": dialplan.TRANSFER, "exten": "q-city-labor"}),
    ]


@pytest.mark.parametrize("action", ["transfer", "conference"])
def test_given_a_talking_seat_when_transferring_to_or_inviting_another_seat_then_only_an_available_one_is_dialled(
    harness: Harness, action: str
) -> None:
    call, me = harness.seat_on_call("1001")
    url = f"/api/seat/calls/{call}/{action}"
    offline = harness.client.post(url, json={"kind": "seat", "target": "1002"}, headers=_h(me))
    assert offline.status_code == 409 and "离线" in offline.json()["message"]
    myself = harness.client.post(url, json={"kind": "seat", "target": "1001"}, headers=_h(me))
    assert myself.status_code == 422
    harness.seat_in_queue("1002")
    ok = harness.client.post(url, json={"kind": "seat", "target": "1002"}, headers=_h(me))
    assert ok.status_code == 200
    if action == "conference":  # 三方通话: the third party's Local channel dials seat 1002
        assert [o["variables"] for o in harness.control.named("originate")] == [
            {dialplan.VAR_THIRD: "1002", dialplan.VAR_CALL: call}  # the call names its recording
        ]
        return
    assert _transfer_actions(harness) == [
        (
            "set_variable",
            {"channel": "PJSIP/trunk-16", "variable": dialplan.VAR_TRANSFER_FROM, "value": "1001"},
        ),
        ("redirect", {"channel": "PJSIP/trunk-16", "context": dialplan.SEAT_TRANSFER, "exten": "1002"}),
    ]


def test_given_the_demo_expert_seat_1007_when_seat_1001_asks_for_any_free_expert_then_it_is_listed_marked_and_dialled_once_free(
    harness: Harness,
) -> None:
    call, me = harness.seat_on_call("1001")
    targets = harness.client.get("/api/seat/transfer-targets").json()
    assert [(s["id"], s["name"], s["status_label"]) for s in targets["seats"] if s["expert"]] == [
        ("1007", "孙专家律师", "离线")
    ]
    anyone = targets["any_expert"]
    assert anyone["label"] == "任一空闲专家"
    ask = {"kind": "seat", "target": anyone["code"]}
    offline = harness.client.post(f"/api/seat/calls/{call}/conference", json=ask, headers=_h(me))
    assert offline.status_code == 409 and "当前没有空闲的专家坐席" in offline.json()["message"]
    assert harness.control.actions == []

    harness.seat_in_queue("1007", "q-city-labor")  # signed in: available
    r = harness.client.post(f"/api/seat/calls/{call}/conference", json=ask, headers=_h(me))
    assert r.status_code == 200
    assert r.json() == {"kind": "seat", "target": "1007", "exten": "1007", "target_name": "孙专家律师"}
    assert [o["variables"] for o in harness.control.named("originate")] == [
        {dialplan.VAR_THIRD: "1007", dialplan.VAR_CALL: call}
    ]
    assert harness.client.post(f"/api/seat/calls/{call}/conference/drop", headers=_h(me)).status_code == 200
    consult = harness.client.post(f"/api/seat/calls/{call}/consult", json=ask, headers=_h(me))
    assert consult.status_code == 200 and consult.json()["target_name"] == "孙专家律师"
    assert harness.control.named("attended_transfer") == [
        {"channel": "PJSIP/1001-000016", "exten": "1007", "context": dialplan.CONSULT}
    ]
    audited = [e.detail for e in harness.runtime.repos.audit.recent(limit=50) if e.action == "seat.consult"]
    assert audited == [{"kind": "seat", "target": "1007", "asked": anyone["code"]}]


def test_given_a_ringing_call_when_transferring_then_409_and_nothing_is_sent(harness: Harness) -> None:
    harness.seat_in_queue("1001")
    call = harness.call_to("1001", answer=False)
    me = harness.login("seat1001")
    r = harness.client.post(
        f"/api/seat/calls/{call}/transfer", json={"kind": "external", "target": "12345"}, headers=_h(me)
    )
    assert r.status_code == 409 and harness.control.actions == []


def test_given_a_talking_seat_when_hanging_up_then_its_own_leg_is_hung_up(harness: Harness) -> None:
    call, me = harness.seat_on_call("1001")
    assert harness.client.post(f"/api/seat/calls/{call}/hangup", headers=_h(me)).status_code == 200
    assert harness.control.named("hangup") == [{"channel": "PJSIP/1001-000016"}]


def test_given_a_talking_seat_when_muting_then_its_own_leg_is_muted_inbound_and_unmuted_after(
    harness: Harness,
) -> None:
    call, me = harness.seat_on_call("1001")
    assert (
        harness.client.post(f"/api/seat/calls/{call}/mute", json={"on": True}, headers=_h(me)).status_code
        == 200
    )
    assert (
        harness.client.post(f"/api/seat/calls/{call}/mute", json={"on": False}, headers=_h(me)).status_code
        == 200
    )
    leg = "PJSIP/1001-000016"  # the seat's phone: what it sends is suppressed, the caller's voice is not
    assert harness.control.named("mute_audio") == [
        {"channel": leg, "direction": "in", "on": "True"},
        {"channel": leg, "direction": "in", "on": "False"},
    ]
    other = harness.login("seat1002")
    r = harness.client.post(f"/api/seat/calls/{call}/mute", json={"on": True}, headers=_h(other))
    assert r.status_code == 404 and len(harness.control.named("mute_audio")) == 2


def test_given_a_talking_seat_when_consulting_another_seat_then_atxfer_on_its_own_leg_then_complete_hangs_it_up(
    harness: Harness,
) -> None:
    call, me = harness.seat_on_call("1001")
    base = f"/api/seat/calls/{call}/consult"
    # Nothing to complete or cancel before a consultation.
    assert harness.client.post(f"{base}/complete", headers=_h(me)).status_code == 409
    offline = harness.client.post(base, json={"kind": "seat", "target": "1002"}, headers=_h(me))
    assert offline.status_code == 409 and "离线" in offline.json()["message"]
    queue = harness.client.post(base, json={"kind": "queue", "target": "q-city-labor"}, headers=_h(me))
    assert queue.status_code == 422 and "咨询转接" in queue.json()["message"]
    harness.seat_in_queue("1002")
    ok = harness.client.post(base, json={"kind": "seat", "target": "1002"}, headers=_h(me))
    assert ok.status_code == 200 and ok.json()["context"] == dialplan.CONSULT
    again = harness.client.post(base, json={"kind": "seat", "target": "1002"}, headers=_h(me))
    assert again.status_code == 409 and "正在咨询" in again.json()["message"]
    leg = "PJSIP/1001-000016"  # the seat's own leg: Asterisk holds its peer, the caller
    assert harness.control.named("attended_transfer") == [
        {"channel": leg, "exten": "1002", "context": dialplan.CONSULT}
    ]
    assert harness.client.post(f"{base}/complete", headers=_h(me)).status_code == 200
    assert harness.control.named("hangup") == [{"channel": leg}]
    assert {"seat.consult", "seat.consult.complete"} <= set(_actions(harness))


def test_given_a_consultation_with_12345_when_cancelled_then_cancel_atxfer_and_the_seat_may_consult_again(
    harness: Harness,
) -> None:
    call, me = harness.seat_on_call("1001")
    base = f"/api/seat/calls/{call}/consult"
    nowhere = harness.client.post(base, json={"kind": "external", "target": "110"}, headers=_h(me))
    assert nowhere.status_code == 422
    for _ in range(2):
        r = harness.client.post(base, json={"kind": "external", "target": "12345"}, headers=_h(me))
        assert r.status_code == 200
        assert harness.client.post(f"{base}/cancel", headers=_h(me)).status_code == 200
    leg = "PJSIP/1001-000016"
    assert harness.control.named("cancel_attended_transfer") == [{"channel": leg}, {"channel": leg}]
    assert [a["exten"] for a in harness.control.named("attended_transfer")] == ["12345", "12345"]
    assert harness.control.named("hangup") == []
    other = harness.login("seat1002")
    r = harness.client.post(f"{base}/cancel", headers=_h(other))
    assert r.status_code == 404


def test_given_live_segments_when_reading_the_transcript_then_the_final_replaces_the_partial(
    harness: Harness,
) -> None:
    harness.seat_in_queue("1001")
    call = harness.call_to("1001")
    harness.login("seat1001")

    def seg(text: str, final: bool) -> TranscriptSegment:
        return TranscriptSegment(
            at=datetime.now(UTC),
            call_id=CallId(call),
            stream_id="s1",
            leg=Leg.CALLER,
            text=text,
            start_s=0.0,
            end_s=1.5,
            final=final,
            seq=1,
            seat_id=SeatId("1001"),
        )

    harness.publish(seg("我想咨询", False), seg("我想咨询劳动争议", True), seg("我想", False))
    body = harness.client.get(f"/api/seat/calls/{call}/transcript").json()
    assert [(s["text"], s["final"], s["leg_label"]) for s in body["segments"]] == [
        ("我想咨询劳动争议", True, "来电人")
    ]


def test_given_wrap_up_when_the_seat_says_done_then_available_and_otherwise_409(harness: Harness) -> None:
    call, me = harness.seat_on_call("1001")
    assert harness.client.post("/api/seat/wrapup-done", headers=_h(me)).status_code == 409
    harness.ami(
        "Hangup", Channel="PJSIP/trunk-16", Uniqueid=call, Linkedid=call, Cause="16", CallerIDNum=CALLER
    )
    assert harness.client.get("/api/seat/state").json()["status"] == "wrap_up"
    assert harness.client.post("/api/seat/wrapup-done", headers=_h(me)).status_code == 200
    assert harness.client.get("/api/seat/state").json()["status"] == "available"


def test_given_typed_address_when_looking_up_then_offices_with_chinese_names(harness: Harness) -> None:
    harness.login("seat1001")
    r = harness.client.get("/api/seat/address", params={"q": "静安区南京西路街道"})
    assert r.status_code == 200
    candidates = r.json()["candidates"]
    assert candidates and candidates[0]["district_name"] == "静安区"
    assert harness.client.get("/api/seat/address", params={"q": ""}).status_code == 422


def test_given_a_draft_with_a_number_when_the_masked_draft_is_saved_again_then_the_number_is_kept(
    harness: Harness,
) -> None:
    call, me = harness.seat_on_call("1001")
    c = harness.client
    typed = {"question": "请回电 13812345678 或 021-62345678", "advice": "可申请劳动仲裁"}
    assert c.put(f"/api/seat/calls/{call}/record", json=typed, headers=_h(me)).status_code == 200
    shown = c.get(f"/api/seat/calls/{call}/screenpop").json()["record"]
    assert "13812345678" not in shown["question"]  # the console only ever sees the mask
    edited = {"question": shown["question"], "advice": shown["advice"] + "，并告知时效"}
    assert c.put(f"/api/seat/calls/{call}/record", json=edited, headers=_h(me)).status_code == 200
    # read past the console's masking, straight from the store
    record = ConsultationRepository(harness.runtime.repos.db).get(CallId(call), SeatId("1001"))
    assert record is not None
    assert record.question == typed["question"]
    assert record.advice == "可申请劳动仲裁，并告知时效"


def test_given_a_draft_and_a_submitted_record_when_listing_my_unsubmitted_records_then_only_the_draft_masked(
    harness: Harness,
) -> None:
    me = harness.login("seat1001")
    c = harness.client
    assert c.get("/api/seat/records/unsubmitted").json() == {"records": []}
    harness.seat_in_queue("1001")
    first = harness.call_to("1001", uid="1795300000.16")
    draft = c.put(f"/api/seat/calls/{first}/record", json={"question": "被拖欠工资"}, headers=_h(me))
    assert draft.status_code == 200
    harness.ami(
        "Hangup", Channel="PJSIP/trunk-16", Uniqueid=first, Linkedid=first, Cause="16", CallerIDNum=CALLER
    )
    second = harness.call_to("1001", uid="1795300100.20")
    full = {"category": "labor", "question": "被辞退", "advice": "可申请劳动仲裁", "outcome": "answered"}
    assert c.post(f"/api/seat/calls/{second}/record/submit", json=full, headers=_h(me)).status_code == 200

    records = c.get("/api/seat/records/unsubmitted").json()["records"]
    assert [(r["call_id"], r["question"]) for r in records] == [(first, "被拖欠工资")]
    assert records[0]["updated_at"] == draft.json()["updated_at"]
    assert CALLER not in records[0]["caller"] and records[0]["caller"].endswith(CALLER[-4:])

    harness.login("seat1002")
    assert c.get("/api/seat/records/unsubmitted").json() == {"records": []}
    harness.login("banzhang")
    assert c.get("/api/seat/records/unsubmitted").status_code == 403


def test_given_seeded_calls_and_surveys_when_reading_today_then_only_my_china_day_figures(
    harness: Harness,
) -> None:
    repos = harness.runtime.repos
    midnight = china_day_span(harness.runtime.clock.now())[0]

    def call(cid: str, seat: str, at: datetime, talk: float, direction: str = "inbound") -> None:
        repos.calls.save(
            CallRecord(
                id=CallId(cid),
                caller_number=CALLER,
                offered_at=at,
                status=CallStatus.ENDED,
                seat_id=SeatId(seat),
                answered_at=at + timedelta(seconds=5),
                ended_at=at + timedelta(seconds=5 + talk),
                talk_seconds=talk,
                direction=direction,
            )
        )

    def rate(cid: str, seat: str, score: Satisfaction, at: datetime) -> None:
        repos.surveys.record(SurveyAnswer(call_id=CallId(cid), seat_id=SeatId(seat), score=score, at=at))

    after, before = midnight + timedelta(minutes=1), midnight - timedelta(minutes=1)
    call("d-1", "1001", after, 120)
    call("d-2", "1001", after + timedelta(minutes=5), 60)
    call("d-cb", "1001", after + timedelta(minutes=9), 30, direction="callback")
    call("d-yesterday", "1001", before, 999)  # the day before in China, though the same UTC day
    call("d-other", "1002", after, 300)
    rate("d-1", "1001", Satisfaction.SATISFIED, after + timedelta(minutes=3))
    rate("d-2", "1001", Satisfaction.FAIRLY_SATISFIED, after + timedelta(minutes=7))
    rate("d-yesterday", "1001", Satisfaction.DISSATISFIED, before + timedelta(seconds=20))
    rate("d-other", "1002", Satisfaction.DISSATISFIED, after + timedelta(minutes=6))

    harness.login("seat1001")
    body = harness.client.get("/api/seat/today").json()
    assert body == {
        "day": midnight.date().isoformat(),
        "answered": 2,
        "talk_seconds": 180.0,
        "timed_calls": 2,
        "average_talk_seconds": 90.0,
        "callbacks": 1,
        "survey_answers": 2,
        "satisfied": 1,
        "satisfaction_rate": 0.5,
    }
    harness.login("seat1002")
    mine = harness.client.get("/api/seat/today").json()
    assert (mine["answered"], mine["talk_seconds"], mine["satisfied"], mine["survey_answers"]) == (
        1,
        300.0,
        0,
        1,
    )


def _spy_originate(harness: Harness, context: str, prefix: str) -> dict[str, Any]:
    """The one Originate sent: Local/<prefix><id>@<context> running ChanSpy, its ChannelId and
    ActionID the same `<prefix><id>` (AMI Hangup ends it by that id)."""
    (originate,) = harness.control.named("originate")
    channel_id = originate["channel_id"]
    assert channel_id.startswith(prefix)
    assert {k: originate[k] for k in ("channel", "context", "exten", "application", "action_id")} == {
        "channel": f"Local/{channel_id}@{context}",
        "context": context,
        "exten": channel_id,
        "application": "ChanSpy",
        "action_id": channel_id,
    }
    return originate


def test_given_a_talking_seat_when_holding_then_the_caller_gets_whispered_music_and_both_legs_are_muted(
    harness: Harness,
) -> None:
    call, me = harness.seat_on_call("1001")
    url = f"/api/seat/calls/{call}/hold"
    assert harness.client.post(url, json={"on": True}, headers=_h(me)).status_code == 200
    again = harness.client.post(url, json={"on": True}, headers=_h(me))
    assert again.status_code == 409 and "保持" in again.json()["message"]
    originate = _spy_originate(harness, dialplan.HOLD, dialplan.HOLD_PREFIX)
    hold_id = originate["channel_id"]
    # whisper [hotline-hold]'s music to the caller
    assert (originate["data"], originate["variables"], originate["timeout_ms"]) == (
        "PJSIP/trunk-16,qwE",
        None,
        30_000,
    )
    assert harness.client.post(url, json={"on": False}, headers=_h(me)).status_code == 200
    volume = [(a["channel"], a["variable"], a["value"]) for a in harness.control.named("set_variable")]
    assert volume == [
        ("PJSIP/1001-000016", "VOLUME(RX)", "-32768"),  # the caller no longer hears the seat
        ("PJSIP/trunk-16", "VOLUME(RX)", "-32768"),  # nor the seat the caller
        ("PJSIP/1001-000016", "VOLUME(RX)", "0"),
        ("PJSIP/trunk-16", "VOLUME(RX)", "0"),
    ]
    assert harness.control.named("hangup") == [{"channel": hold_id}]  # 恢复: the hold's Local channel
    assert harness.control.named("mute_audio") == []
    not_held = harness.client.post(url, json={"on": False}, headers=_h(me))
    assert not_held.status_code == 409 and "未处于保持" in not_held.json()["message"]


def test_given_a_muted_seat_when_holding_then_it_is_unmuted_for_the_music_and_muted_again_after(
    harness: Harness,
) -> None:
    call, me = harness.seat_on_call("1001")
    harness.client.post(f"/api/seat/calls/{call}/mute", json={"on": True}, headers=_h(me))
    for on in (True, False):
        harness.client.post(f"/api/seat/calls/{call}/hold", json={"on": on}, headers=_h(me))
    seat_leg = [a["on"] for a in harness.control.named("mute_audio") if a["channel"] == "PJSIP/1001-000016"]
    # res_mutestream drops a muted leg's frames, and the music rides on them: unmuted while held
    assert seat_leg == ["True", "False", "True"]


def test_given_a_talking_seat_when_adding_a_third_party_then_it_is_rung_and_barges_into_the_seat_leg(
    harness: Harness,
) -> None:
    call, me = harness.seat_on_call("1001")
    url = f"/api/seat/calls/{call}/conference"
    bad = harness.client.post(url, json={"kind": "external", "target": "110"}, headers=_h(me))
    assert bad.status_code == 422  # InvalidInput
    queue = harness.client.post(url, json={"kind": "queue", "target": "q-city-labor"}, headers=_h(me))
    assert queue.status_code == 422
    r = harness.client.post(url, json={"kind": "external", "target": "12345"}, headers=_h(me))
    assert r.status_code == 200
    assert r.json() == {"kind": "external", "target": "12345", "exten": "12345", "target_name": ""}
    busy = harness.client.post(url, json={"kind": "external", "target": "12368"}, headers=_h(me))
    assert busy.status_code == 409 and "第三方" in busy.json()["message"]
    hold = harness.client.post(f"/api/seat/calls/{call}/hold", json={"on": True}, headers=_h(me))
    assert hold.status_code == 409
    originate = _spy_originate(harness, dialplan.CONFERENCE, dialplan.CONFERENCE_PREFIX)
    conf_id = originate["channel_id"]
    # barge into the seat's leg and the caller bridged to it, once 12345 answers (65 s at most)
    assert (originate["data"], originate["variables"], originate["timeout_ms"]) == (
        "PJSIP/1001-000016,qBE",
        {dialplan.VAR_THIRD: "12345", dialplan.VAR_CALL: call},
        65_000,
    )
    drop = f"/api/seat/calls/{call}/conference/drop"
    assert harness.client.post(drop, headers=_h(me)).status_code == 200
    assert harness.control.named("hangup") == [{"channel": conf_id}]
    assert harness.client.post(drop, headers=_h(me)).status_code == 409
    other = harness.login("seat1002")
    r = harness.client.post(url, json={"kind": "external", "target": "12345"}, headers=_h(other))
    assert r.status_code == 404


def test_given_a_call_with_a_third_party_when_the_caller_hangs_up_then_the_third_party_is_forgotten(
    harness: Harness,
) -> None:
    harness.seat_in_queue("1001")
    harness.seat_in_queue("1002")
    call = harness.call_to("1001")
    me = harness.login("seat1001")
    harness.client.post(
        f"/api/seat/calls/{call}/conference", json={"kind": "seat", "target": "1002"}, headers=_h(me)
    )
    console = harness.client.app.state.seat_console  # type: ignore[attr-defined]
    assert console.third_party(CallId(call)) and not console.held(CallId(call))
    harness.ami("Hangup", Channel="PJSIP/trunk-16", Uniqueid=call, Linkedid=call, Cause="16")
    assert not console.third_party(CallId(call))  # ChanSpy E ended it with the call


def test_given_a_third_party_in_the_call_when_it_leaves_by_itself_then_the_seat_may_hold_and_invite_again(
    harness: Harness,
) -> None:
    harness.seat_in_queue("1001")
    harness.seat_in_queue("1002")
    call = harness.call_to("1001")
    me = harness.login("seat1001")
    conference = f"/api/seat/calls/{call}/conference"
    hold = f"/api/seat/calls/{call}/hold"
    harness.client.post(conference, json={"kind": "seat", "target": "1002"}, headers=_h(me))
    conf_id = _spy_originate(harness, dialplan.CONFERENCE, dialplan.CONFERENCE_PREFIX)["channel_id"]
    one = f"Local/{conf_id}@{dialplan.CONFERENCE}-00000001;1"
    spy = {"SpyerChannel": one, "SpyeeChannel": "PJSIP/1001-000016", "SpyeeUniqueid": call + "1"}
    harness.ami(
        "DialBegin",
        Channel=one[:-1] + "2",
        Uniqueid=f"{conf_id};2",
        Linkedid=conf_id,
        Exten="1002",
        DestChannel="PJSIP/1002-00000017",
        DestUniqueid="1795300001.17",
    )
    harness.ami("ChanSpyStart", SpyeeLinkedid=call, **spy)
    assert harness.client.post(hold, json={"on": True}, headers=_h(me)).status_code == 409

    # 1002 puts the phone down: its channel, then ChanSpy on ;1, end (the seat dropped nothing).
    harness.ami(
        "Hangup", Channel="PJSIP/1002-00000017", Uniqueid="1795300001.17", Linkedid=conf_id, Cause="16"
    )
    harness.ami("ChanSpyStop", SpyeeLinkedid=call, **spy)

    console = harness.client.app.state.seat_console  # type: ignore[attr-defined]
    assert not console.third_party(CallId(call))
    assert harness.client.post(hold, json={"on": True}, headers=_h(me)).status_code == 200
    assert harness.client.post(hold, json={"on": False}, headers=_h(me)).status_code == 200
    drop = harness.client.post(f"/api/seat/calls/{call}/conference/drop", headers=_h(me))
    assert drop.status_code == 409 and "当前没有第三方" in drop.json()["message"]
    r = harness.client.post(conference, json={"kind": "external", "target": "12345"}, headers=_h(me))
    assert r.status_code == 200, r.text
    hold_id = harness.control.named("originate")[1]["channel_id"]
    assert harness.control.named("hangup") == [{"channel": hold_id}]  # the console hung up no third party
