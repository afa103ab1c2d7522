"""The XLSX report (报表下载) and the district figures over a real app: cells read back with openpyxl."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from core.calls import CallRecord, CallStatus
from core.clock import ManualClock
from core.ids import CallId, SeatId
from tests.console.test_supervisor_api import NOW, runtime_of, supervisor_app
from tests.support.app import login


@pytest.fixture
def sup_client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(supervisor_app(tmp_path, ManualClock(NOW)), base_url="http://127.0.0.1") as c:
        yield c


def _seed(c: TestClient) -> None:
    rt = runtime_of(c)
    rows = [
        # id, queue, district, category, status, wait, seat, final seat
        ("a1", "q-310106-labor", "310106", "labor", CallStatus.ANSWERED, 5.0, "1001", None),
        ("a2", "q-310106-labor", "310106", "labor", CallStatus.ANSWERED, 18.0, "1001", "1002"),  # transferred
        ("a3", "q-310106-family", "310106", "family", CallStatus.ANSWERED, 30.0, "1002", None),
        ("a4", "q-310106-family", "310106", "family", CallStatus.ABANDONED, 40.0, None, None),
        ("b1", "q-310115-family", "310115", "family", CallStatus.ABANDONED, 70.0, None, None),
        ("b2", "q-310115-family", "310115", "family", CallStatus.ANSWERED, 12.0, "1003", None),
    ]
    for cid, queue, district, category, status, wait, seat, final in rows:
        at = NOW - timedelta(hours=1)
        answered = status is CallStatus.ANSWERED
        rt.repos.calls.save(
            CallRecord(
                id=CallId(cid),
                caller_number="13812348000",
                offered_at=at,
                status=status,
                queue=queue,
                district_code=district,
                category=category,
                seat_id=SeatId(seat) if seat else None,
                final_seat_id=SeatId(final) if final else None,
                answered_at=at + timedelta(seconds=wait) if answered else None,
                wait_seconds=wait,
                talk_seconds=200.0 if answered else None,
            )
        )


def _sheet_rows(ws: object, first_header: str) -> dict[str, list[object]]:
    rows = list(ws.iter_rows(values_only=True))  # type: ignore[attr-defined]
    head = next(i for i, r in enumerate(rows) if r[0] == first_header)
    return {str(r[0]): list(r[1:]) for r in rows[head + 1 :] if r[0] is not None}


def test_given_calls_when_downloading_the_xlsx_then_scope_period_and_figures_read_back(
    sup_client: TestClient,
) -> None:
    _seed(sup_client)
    login(sup_client, "banzhang")
    r = sup_client.get("/api/supervisor/report.xlsx?period=day&date=2026-11-25")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    name = unquote(r.headers["content-disposition"].split("filename*=UTF-8''")[1])
    assert name == "12348报表-全市-日报-2026-11-25.xlsx"

    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["汇总", "按区", "按团队", "按坐席", "按队列", "按法律类别", "热点", "指标说明"]
    summary = wb["汇总"]
    assert "全市" in summary["A2"].value and "2026-11-25" in summary["A2"].value
    total = _sheet_rows(summary, "时段")["合计"]
    json_total = sup_client.get("/api/supervisor/report?period=day&date=2026-11-25").json()["total"]
    # offered, answered, abandoned, answer rate, 15 s answer rate, service level: as the JSON report
    assert total[:3] == [json_total["offered"], json_total["answered"], json_total["abandoned"]] == [6, 4, 2]
    assert round(total[3], 4) == json_total["answer_rate"] == round(4 / 6, 4)
    assert round(total[4], 4) == json_total["answer_rate_15s"] == round(2 / 6, 4)
    assert summary.cell(row=5, column=5).number_format == "0.0%"

    districts = _sheet_rows(wb["按区"], "区")
    assert districts["静安区"][:3] == [4, 3, 1] and districts["浦东新区"][:3] == [2, 1, 1]
    seats = _sheet_rows(wb["按坐席"], "坐席")
    # the transferred call counts for the seat that finished it (1002), not the one that took it
    assert [v[1] for k, v in seats.items() if "1001" in k] == [1]
    assert [v[1] for k, v in seats.items() if "1002" in k] == [2]
    categories = _sheet_rows(wb["按法律类别"], "法律类别")
    assert categories["婚姻家庭"][:3] == [4, 2, 2] and categories["劳动争议"][:3] == [2, 2, 0]
    queues = _sheet_rows(wb["按队列"], "队列")
    assert sum(v[0] for k, v in queues.items() if k != "合计") == 6
    assert any("15 秒" in (c.value or "") for c in wb["指标说明"]["B"])


def test_given_a_district_supervisor_then_the_xlsx_holds_their_district_only(sup_client: TestClient) -> None:
    _seed(sup_client)
    login(sup_client, "jingan")
    r = sup_client.get("/api/supervisor/report.xlsx?period=week&date=2026-11-25")
    name = unquote(r.headers["content-disposition"].split("filename*=UTF-8''")[1])
    assert name == "12348报表-静安区-周报-2026-11-23至2026-11-29.xlsx"
    wb = load_workbook(io.BytesIO(r.content))
    assert "静安区" in wb["汇总"]["A2"].value
    assert set(_sheet_rows(wb["按区"], "区")) == {"静安区", "合计"}
    assert _sheet_rows(wb["汇总"], "时段")["合计"][0] == 4


def test_the_live_board_and_the_stored_report_agree_on_the_day(sup_client: TestClient) -> None:
    _seed(sup_client)
    login(sup_client, "banzhang")
    today = sup_client.get("/api/supervisor/overview").json()["today"]
    total = sup_client.get("/api/supervisor/report?period=day").json()["total"]
    keys = (
        "offered",
        "answered",
        "abandoned",
        "answer_rate",
        "answer_rate_15s",
        "service_level",
        "asa_seconds",
    )
    assert {k: today[k] for k in keys} == {k: total[k] for k in keys}


def test_district_figures_for_the_map(sup_client: TestClient) -> None:
    _seed(sup_client)
    login(sup_client, "banzhang")
    body = sup_client.get("/api/supervisor/districts").json()
    by_name = {d["name"]: d for d in body["districts"]}
    assert by_name["静安区"]["code"] == "310106" and by_name["静安区"]["kpis"]["answer_rate"] == 0.75
    assert by_name["浦东新区"]["kpis"]["answer_rate"] == 0.5
    assert "接通率" in body["definitions"]["answer_rate"]
    login(sup_client, "jingan")
    assert [d["name"] for d in sup_client.get("/api/supervisor/districts").json()["districts"]] == ["静安区"]


def test_over_a_simulated_morning_the_board_the_report_and_the_workbook_agree(sup_client: TestClient) -> None:
    """Calls from midnight to now (11:00 China), random outcomes and waits around 15 and 20 s, and
    one offered at 23:58 yesterday and answered after midnight (yesterday's, in all three)."""
    rt = runtime_of(sup_client)
    rng = random.Random(17)
    midnight = NOW - timedelta(hours=11)
    statuses = [CallStatus.ANSWERED] * 6 + [CallStatus.ABANDONED, CallStatus.TIMED_OUT, CallStatus.QUEUED]
    for i in range(200):
        at = midnight + timedelta(seconds=rng.uniform(0, 11 * 3600 - 60))
        status = rng.choice(statuses)
        wait = rng.choice([3.0, 14.9, 15.0, 15.1, 19.9, 20.0, 20.1, 45.0])
        answered = status is CallStatus.ANSWERED
        rt.repos.calls.save(
            CallRecord(
                id=CallId(f"m{i}"),
                caller_number="13812348000",
                offered_at=at,
                status=status,
                queue=rng.choice(["q-310106-labor", "q-310115-family"]),
                district_code=rng.choice(["310106", "310115"]),
                seat_id=SeatId("1001") if answered else None,
                answered_at=at + timedelta(seconds=wait) if answered else None,
                wait_seconds=wait,
                talk_seconds=rng.uniform(60, 600) if answered else None,
            )
        )
    late = midnight - timedelta(minutes=2)
    rt.repos.calls.save(
        CallRecord(
            id=CallId("across-midnight"),
            caller_number="13812348000",
            offered_at=late,
            status=CallStatus.ANSWERED,
            queue="q-310106-labor",
            district_code="310106",
            seat_id=SeatId("1001"),
            answered_at=late + timedelta(seconds=150),
            wait_seconds=150.0,
            talk_seconds=100.0,
        )
    )
    login(sup_client, "banzhang")
    today = sup_client.get("/api/supervisor/overview").json()["today"]
    total = sup_client.get("/api/supervisor/report?period=day").json()["total"]
    wb = load_workbook(io.BytesIO(sup_client.get("/api/supervisor/report.xlsx?period=day").content))
    sheet = _sheet_rows(wb["汇总"], "时段")["合计"]
    keys = (
        "offered",
        "answered",
        "abandoned",
        "answer_rate",
        "answer_rate_15s",
        "service_level",
        "asa_seconds",
    )
    assert {k: today[k] for k in keys} == {k: total[k] for k in keys}
    assert (
        today["waiting"] > 0 and today["offered"] == today["answered"] + today["abandoned"] + today["waiting"]
    )
    assert sheet[:3] == [today["offered"], today["answered"], today["abandoned"]]
    assert [round(sheet[i], 4) for i in (3, 4, 5)] == [
        today["answer_rate"],
        today["answer_rate_15s"],
        today["service_level"],
    ]
    yesterday = sup_client.get("/api/supervisor/report?period=day&date=2026-11-24").json()["total"]
    assert (yesterday["answered"], yesterday["answer_rate_15s"]) == (1, 0.0)
