"""The app reconciles with Asterisk's records at start and after every AMI (re)login."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from app.main import build_app
from app.runtime import Runtime
from app.settings import demo_settings
from core.calls import CallStatus
from core.events import StateResynced
from core.ids import CallId
from tests.support.polling import wait_until


def test_given_record_files_in_settings_when_the_app_starts_and_the_ami_resyncs_then_calls_are_reconciled(
    tmp_path: Path, shared_dir: Path
) -> None:
    real = shared_dir / "asterisk-traces" / "project-dialplan-22.10.1"
    queue_log, cdr = tmp_path / "queue_log", tmp_path / "Master.csv"
    shutil.copy(real / "queue_log", queue_log)
    cdr.write_text("")  # Asterisk has not written a CDR yet
    settings = demo_settings(
        database={"url": f"sqlite:///{tmp_path / 'app.db'}", "auto_migrate": True},
        sim={"enabled": False},
        ami={"enabled": False},
        agi={"port": 0},
        audiosocket={"enabled": False},
        # The trace is days old: a long settle time keeps its calls "not over" until the CDR comes.
        asterisk_records={"queue_log": str(queue_log), "cdr_csv": str(cdr), "settle_s": 1e8},
    )
    app = build_app(settings)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        runtime: Runtime = app.state.runtime
        reconciler = runtime.reconciliation.reconciler
        assert reconciler is not None
        wait_until(
            lambda: reconciler.last_report is not None, timeout=20.0
        )  # the first pass runs in the background
        first = reconciler.last_report
        assert first is not None
        assert first.reason == "启动" and first.lines["queue_log"] > 0
        # Without CDR rows the queued calls are not over yet for the reconciler: nothing closed.
        assert first.incomplete > 0 and runtime.repos.calls.count() == 0
        status = {c["name"]: c for c in runtime.components.status()}
        assert status["records"]["up"] is True and "记录核对（启动）" in str(status["records"]["detail"])

        shutil.copy(real / "Master.csv", cdr)  # Asterisk writes the CDR; then the AMI logs in again
        client.portal.call(
            runtime.bus.publish, StateResynced(at=datetime(2026, 12, 2, tzinfo=UTC), source="ami")
        )
        # The pass writes the calls first and records its report after them: wait for both.
        wait_until(
            lambda: (
                runtime.repos.calls.count() == 17
                and reconciler.last_report is not None
                and reconciler.last_report.reason == "AMI 重新登录"
            ),
            timeout=20.0,
        )
        assert runtime.repos.calls.get(CallId("1796163462.55")).status is CallStatus.ABANDONED
        assert runtime.repos.calls.get(CallId("1796162752.29")).talk_seconds == 16.0


def test_given_a_dead_letter_when_an_admin_lists_them_then_it_is_shown_with_chinese_labels_and_seats_are_refused(
    tmp_path: Path,
) -> None:
    from app.settings import DEMO_ADMIN_PASSWORD
    from core.call_events import CallOffered
    from core.ids import EventId
    from store.journal import JournalEntry

    settings = demo_settings(
        database={"url": f"sqlite:///{tmp_path / 'app.db'}", "auto_migrate": True},
        sim={"enabled": False},
        ami={"enabled": False},
        agi={"port": 0},
        audiosocket={"enabled": False},
    )
    app = build_app(settings)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        runtime: Runtime = app.state.runtime
        assert runtime.journals.journal is not None  # the recorder writes through the journal
        event = CallOffered(
            at=datetime(2026, 12, 1, tzinfo=UTC),
            event_id=EventId("c1:offered"),
            call_id=CallId("c1"),
            channel="PJSIP/x",
            caller_number="13900139000",
            dialed="12348",
        )
        from core.events import to_wire

        entry = JournalEntry(
            event_id=event.event_id, event_type="CallOffered", wire=to_wire(event), error="", at="", tries=5
        )
        runtime.journals.journal.dead("call-recorder", entry, "IntegrityError: bad row")

        assert (
            client.post(
                "/api/login", json={"username": "seat1001", "password": DEMO_ADMIN_PASSWORD}
            ).status_code
            == 200
        )
        assert client.get("/api/admin/dead-letters").status_code == 403
        client.cookies.clear()
        assert (
            client.post("/api/login", json={"username": "admin", "password": DEMO_ADMIN_PASSWORD}).status_code
            == 200
        )
        body = client.get("/api/admin/dead-letters").json()
        assert body["columns"]["subscriber_label"] == "处理环节"
        (item,) = body["items"]
        assert (item["subscriber_label"], item["call_id"], item["tries"]) == ("通话留痕", "c1", 5)
        assert "IntegrityError" in item["error"]
        reliability = client.get("/api/admin/reliability").json()
        assert reliability["dead_letters"] == 1 and reliability["journal_backlog"]["call-recorder"] == 0
