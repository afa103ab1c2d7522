"""The admin's oversight routes (issue 16, item 3) through the app as composed: each role's rights
(监听与耳语, 强插与强拆, 调度坐席) changed by the admin, applied at once to monitoring and steering,
kept over a restart and audited; the seat role refused those rights; the audit page's filters,
paging and Chinese labels; and the listen page's list for an inspector."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD
from core.access import Role
from core.audit import AuditEntry
from core.ids import UserId
from seats.models import User
from tests.support.app import TEST_BASE_URL, build_test_app, login

SEAT = "/api/supervisor/seats/1001"


def _runtime(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def _add_inspector(client: TestClient) -> None:
    rt = _runtime(client)
    rt.repos.users.add(
        User(
            id=UserId("u-jingan-qc"),
            username="jingan-qc",
            display_name="静安质检员",
            role=Role.INSPECTOR,
            password_hash=rt.passwords.hash(DEMO_ADMIN_PASSWORD),
            scope_district_code="310106",
        )
    )


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(build_test_app(tmp_path), base_url=TEST_BASE_URL) as c:
        _add_inspector(c)
        yield c


def _table(client: TestClient, headers: dict[str, str]) -> dict[str, tuple[list[str], bool]]:
    r = client.get("/api/admin/rights", headers=headers)
    assert r.status_code == 200, r.text
    return {x["role"]: (x["rights"], x["saved"]) for x in r.json()["roles"]}


def test_given_the_settings_defaults_when_the_admin_changes_rights_then_applied_at_once_and_audited(
    client: TestClient,
) -> None:
    admin = login(client, "admin")
    assert _table(client, admin) == {
        "seat": ([], False),
        "supervisor": (["monitor", "barge", "steer"], False),
        "admin": (["monitor", "barge", "steer"], False),
        "inspector": (["monitor"], False),
    }
    # Before: the city supervisor may steer (the seat is not signed in: a conflict, not a refusal).
    sup = login(client, "banzhang")
    assert client.post(f"{SEAT}/pause", json={"reason": "meeting"}, headers=sup).status_code == 409

    admin = login(client, "admin")
    r = client.put(
        "/api/admin/rights",
        json={"roles": {"supervisor": ["monitor", "barge"], "inspector": ["monitor", "barge"]}},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "权限已保存，立即生效"
    table = _table(client, admin)
    assert table["supervisor"] == (["monitor", "barge"], True)
    assert table["inspector"] == (["monitor", "barge"], True)
    assert table["admin"] == (["monitor", "barge", "steer"], True)

    sup = login(client, "banzhang")
    r = client.post(f"{SEAT}/pause", json={"reason": "meeting"}, headers=sup)
    assert r.status_code == 403 and "调度坐席" in r.json()["message"]
    qc = login(client, "jingan-qc")
    rights = [x["value"] for x in client.get("/api/supervisor/monitor", headers=qc).json()["rights"]]
    assert rights == ["monitor", "barge"]

    (entry,) = _runtime(client).repos.audit.recent(prefixes=("rights.",))
    assert (entry.actor, entry.action) == (_id(_runtime(client), "admin"), "rights.change")
    assert entry.detail["roles"] == ["supervisor", "inspector"]
    assert entry.detail["before"]["supervisor"] == ["monitor", "barge", "steer"]
    assert entry.detail["after"]["supervisor"] == ["monitor", "barge"]
    assert entry.detail["after"]["inspector"] == ["monitor", "barge"]


def test_given_saved_rights_when_the_app_restarts_then_they_still_hold(tmp_path: Path) -> None:
    with TestClient(build_test_app(tmp_path), base_url=TEST_BASE_URL) as c:
        r = c.put("/api/admin/rights", json={"roles": {"inspector": []}}, headers=login(c, "admin"))
        assert r.status_code == 200, r.text
    with TestClient(build_test_app(tmp_path), base_url=TEST_BASE_URL) as c:
        assert _table(c, login(c, "admin"))["inspector"] == ([], True)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"roles": {"seat": ["monitor"]}}, "坐席角色不能获得监听、耳语、强插、强拆或调度坐席的权限"),
        ({"roles": {"seat": ["steer"], "inspector": []}}, "坐席角色不能获得"),
        ({"roles": {"boss": ["monitor"]}}, "未知角色：boss"),
        ({"roles": {"inspector": ["fly"]}}, "未知权限：fly"),
        ({"roles": {"inspector": ["monitor"]}}, "权限没有变化"),
    ],
)
def test_given_a_refused_change_when_saving_rights_then_a_chinese_message_and_nothing_changes(
    client: TestClient, body: dict[str, dict[str, list[str]]], message: str
) -> None:
    admin = login(client, "admin")
    r = client.put("/api/admin/rights", json=body, headers=admin)
    assert r.status_code == 422, r.text
    assert message in r.json()["message"]
    assert all(not saved for _, saved in _table(client, admin).values())
    assert _runtime(client).repos.audit.recent(prefixes=("rights.",)) == []


@pytest.mark.parametrize("who", ["banzhang", "jingan", "seat1001", "jingan-qc"])
def test_given_someone_not_an_admin_when_reading_or_changing_rights_or_the_audit_then_403(
    client: TestClient, who: str
) -> None:
    headers = login(client, who)
    assert client.get("/api/admin/rights", headers=headers).status_code == 403
    r = client.put("/api/admin/rights", json={"roles": {who: []}}, headers=headers)
    assert r.status_code == 403  # refused before the body is judged
    r = client.put("/api/admin/rights", json={"roles": {"supervisor": []}}, headers=headers)
    assert r.status_code == 403 and r.json()["message"] == "仅管理员可以设置角色权限"
    r = client.get("/api/admin/audit", headers=headers)
    assert r.status_code == 403 and r.json()["message"] == "仅管理员可以查看审计日志"


def _id(rt: Runtime, username: str) -> UserId:
    user = rt.repos.users.by_username(username)
    assert user is not None
    return user.id


def _seed_audit(client: TestClient) -> datetime:
    """Monitors, a force hang-up, steering, a rights change over two China days; and an entry of
    another kind (a work order) the page never lists."""
    rt = _runtime(client)
    audit = rt.repos.audit
    ids = {name: _id(rt, name) for name in ("banzhang", "admin", "jingan")}
    day1 = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # 10:00 on 12-05 in China
    day2 = day1 + timedelta(days=1)
    rows = [
        (day1, ids["banzhang"], "monitor.start", {"seat_id": "1001", "call_id": "c1", "mode": "listen"}),
        (
            day1 + timedelta(minutes=1),
            ids["banzhang"],
            "monitor.switch",
            {"seat_id": "1001", "call_id": "c1", "mode": "whisper", "from": "listen"},
        ),
        (
            day1 + timedelta(minutes=3),
            ids["banzhang"],
            "monitor.end",
            {"seat_id": "1001", "call_id": "c1", "mode": "whisper", "reason": "stopped", "seconds": 150.0},
        ),
        (
            day1 + timedelta(minutes=4),
            ids["admin"],
            "call.force_hangup",
            {"seat_id": "1002", "call_id": "c2"},
        ),
        (day2, ids["jingan"], "steer.pause", {"seat_id": "1001", "reason": "meeting", "note": "例会"}),
        (
            day2 + timedelta(minutes=1),
            ids["jingan"],
            "steer.add_queue",
            {"seat_id": "1001", "queue": "q-city-family", "note": "支援"},
        ),
        (
            day2 + timedelta(minutes=2),
            ids["admin"],
            "rights.change",
            {
                "roles": ["inspector"],
                "before": {"inspector": ["monitor"]},
                "after": {"inspector": ["monitor", "barge"]},
            },
        ),
        (day2 + timedelta(minutes=3), ids["admin"], "order.claim", {"order_id": "wo-1"}),
    ]
    for at, actor, action, detail in rows:
        audit.append(
            AuditEntry(at=at, actor=actor, action=action, target="", detail=detail, source_ip="10.0.0.9")
        )
    return day1


def test_given_audit_entries_when_the_admin_reads_the_page_then_newest_first_in_chinese_with_filters_and_paging(
    client: TestClient,
) -> None:
    _seed_audit(client)
    admin = login(client, "admin")

    got = client.get("/api/admin/audit", headers=admin).json()
    actions = [e["action"] for e in got["entries"]]
    assert actions == [
        "rights.change",
        "steer.add_queue",
        "steer.pause",
        "call.force_hangup",
        "monitor.end",
        "monitor.switch",
        "monitor.start",
    ]
    assert got["total"] == 7
    by = {e["action"]: e for e in got["entries"]}
    assert by["monitor.end"]["action_label"] == "结束监听"
    assert by["monitor.end"]["what"] == "耳语；班长结束" and by["monitor.end"]["seconds"] == 150.0
    assert by["monitor.switch"]["what"] == "耳语；原为监听"
    rt = _runtime(client)
    banzhang = rt.repos.users.by_username("banzhang")
    assert banzhang is not None
    assert by["monitor.start"]["actor_name"] == banzhang.display_name != banzhang.id
    assert (by["call.force_hangup"]["seat_id"], by["call.force_hangup"]["call_id"]) == ("1002", "c2")
    assert by["steer.pause"]["what"] == "会议；例会" and by["steer.pause"]["action_label"] == "班长示忙"
    assert by["rights.change"]["what"] == "质检员：增加强插与强拆"
    assert {k["value"] for k in got["kinds"]} == {"monitor", "force_hangup", "steer", "rights"}
    assert {a["value"] for a in got["actors"]} == {_id(rt, n) for n in ("banzhang", "admin", "jingan")}

    def actions_of(query: str) -> list[str]:
        r = client.get(f"/api/admin/audit?{query}", headers=admin)
        assert r.status_code == 200, r.text
        return [e["action"] for e in r.json()["entries"]]

    assert actions_of("kind=monitor") == ["monitor.end", "monitor.switch", "monitor.start"]
    assert actions_of("kind=force_hangup") == ["call.force_hangup"]
    assert actions_of(f"kind=steer&actor={_id(rt, 'jingan')}") == ["steer.add_queue", "steer.pause"]
    assert actions_of(f"actor={_id(rt, 'admin')}") == ["rights.change", "call.force_hangup"]
    assert actions_of("since=2026-12-06") == ["rights.change", "steer.add_queue", "steer.pause"]
    assert actions_of("until=2026-12-05") == [
        "call.force_hangup",
        "monitor.end",
        "monitor.switch",
        "monitor.start",
    ]
    assert actions_of("since=2026-12-07") == []

    page2 = client.get("/api/admin/audit?per_page=3&page=2", headers=admin).json()
    assert [e["action"] for e in page2["entries"]] == ["call.force_hangup", "monitor.end", "monitor.switch"]
    assert (page2["total"], page2["page"], page2["per_page"]) == (7, 2, 3)


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("since=2026-12-06&until=2026-12-05", 422, "开始日期不能晚于结束日期"),
        ("since=12/05", 422, "日期格式应为 YYYY-MM-DD"),
        ("kind=orders", 422, "未知的操作类别"),
        ("page=0", 422, "页码应从 1 开始"),
    ],
)
def test_given_bad_filters_when_reading_the_audit_then_a_chinese_message(
    client: TestClient, query: str, status: int, message: str
) -> None:
    r = client.get(f"/api/admin/audit?{query}", headers=login(client, "admin"))
    assert r.status_code == status, r.text
    assert message in r.json()["message"]


def test_given_an_inspector_with_the_listen_right_when_listing_calls_then_the_scopes_seats_and_not_without_it(
    client: TestClient,
) -> None:
    qc = login(client, "jingan-qc")
    r = client.get("/api/monitor/seats", headers=qc)
    assert r.status_code == 200, r.text
    assert r.json()["seats"] == []  # nobody is talking in the tests' app
    assert r.json()["scope"] != "全市"

    r = client.put("/api/admin/rights", json={"roles": {"inspector": []}}, headers=login(client, "admin"))
    assert r.status_code == 200
    r = client.get("/api/monitor/seats", headers=login(client, "jingan-qc"))
    assert r.status_code == 403 and r.json()["message"] == "您没有监听、耳语的权限"
