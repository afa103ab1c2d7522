"""热点 over the real app: the JSON of the printable report and the XLSX's 热点 sheet, in scope."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from core.calls import CallRecord, CallStatus
from core.clock import ManualClock
from core.ids import CallId, SeatId
from routing.queues import LegalCategory
from seats.records import CheckedRecord
from store.consultations import ConsultationRepository
from tests.console.test_report_xlsx import _seed, _sheet_rows
from tests.console.test_supervisor_api import NOW, runtime_of, supervisor_app
from tests.support.app import login

DAY = "period=day&date=2026-11-25"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = supervisor_app(tmp_path_factory.mktemp("hot"), ManualClock(NOW))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        _seed(c)  # 2026-11-25: 静安 labor 2, family 2; 浦东 family 2
        rt = runtime_of(c)
        for i in range(3):  # the day before: 静安 family 3
            at = NOW - timedelta(days=1, hours=i)
            rt.repos.calls.save(
                CallRecord(
                    id=CallId(f"y{i}"),
                    caller_number="13812348000",
                    offered_at=at,
                    status=CallStatus.ABANDONED,
                    queue="q-310106-family",
                    district_code="310106",
                    category="family",
                    wait_seconds=30.0,
                )
            )
        records = ConsultationRepository(rt.repos.db)
        for call, seat, question, final in (
            ("a1", "1001", "公司拖欠工资，想申请劳动仲裁", True),
            ("a3", "1002", "离婚后孩子抚养权怎么判，拖欠工资能否一起主张", True),
            ("b2", "1003", "物业费纠纷，业主拒交物业费，物业能否停水", True),
            ("a2", "1002", "工伤认定", False),  # a draft: not counted
            ("y0", "1001", "邻居噪音", True),  # the day before's call
        ):
            fields = CheckedRecord(category=LegalCategory.LABOR, question=question)
            records.save(CallId(call), SeatId(seat), fields, NOW, final=final)
        yield c


def test_the_breakdown_json_has_the_categories_trending_and_the_words(client: TestClient) -> None:
    login(client, "banzhang", clear_cookies=True)
    hot = client.get(f"/api/supervisor/breakdown?{DAY}").json()["hot"]
    assert (hot["previous_start"], hot["previous_end"]) == ("2026-11-24", "2026-11-24")
    assert [(c["label"], c["count"], c["previous"], c["change"]) for c in hot["categories"]] == [
        ("劳动争议", 2, 0, 2),
        ("婚姻家庭", 4, 3, 1),
    ]
    words = {w["word"]: w["count"] for w in hot["words"]}
    assert words["拖欠工资"] == 2 and words["物业费"] == 2 and words["抚养权"] == 1
    assert "工伤" not in words and "邻居" not in words  # a draft; the day before's record
    assert hot["records"] == 3


def test_a_district_supervisor_sees_their_district_s_trend_and_words_only(client: TestClient) -> None:
    login(client, "jingan", clear_cookies=True)
    hot = client.get(f"/api/supervisor/breakdown?{DAY}").json()["hot"]
    assert [(c["label"], c["count"], c["previous"], c["change"]) for c in hot["categories"]] == [
        ("劳动争议", 2, 0, 2),
        ("婚姻家庭", 2, 3, -1),
    ]
    words = {w["word"] for w in hot["words"]}
    assert "拖欠工资" in words and not {"物业费", "物业", "停水"} & words
    assert hot["records"] == 2


def test_the_xlsx_has_a_hot_topics_sheet_with_the_same_figures(client: TestClient) -> None:
    login(client, "banzhang", clear_cookies=True)
    hot = client.get(f"/api/supervisor/breakdown?{DAY}").json()["hot"]
    wb = load_workbook(io.BytesIO(client.get(f"/api/supervisor/report.xlsx?{DAY}").content))
    ws = wb["热点"]
    assert "全市" in ws["A2"].value and "2026-11-25" in ws["A2"].value
    trend = _sheet_rows(ws, "法律类别")
    assert trend["劳动争议"][:4] == [2, 0, 2, None] and trend["婚姻家庭"][:3] == [4, 3, 1]
    assert round(trend["婚姻家庭"][3], 4) == round(1 / 3, 4)
    words = _sheet_rows(ws, "词语")
    assert {w: v[0] for w, v in words.items()} == {w["word"]: w["count"] for w in hot["words"]}


def test_bad_periods_and_dates_get_a_chinese_error(client: TestClient) -> None:
    login(client, "banzhang", clear_cookies=True)
    r = client.get("/api/supervisor/breakdown?period=year")
    assert r.status_code == 422 and "报表周期" in r.json()["message"]
    r = client.get("/api/supervisor/breakdown?period=day&date=2026-13-01")
    assert r.status_code == 422
