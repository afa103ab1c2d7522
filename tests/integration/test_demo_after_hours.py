"""Issue 14: `hotline demo --after-hours` shows the after-hours menu's 留言. Composed as `hotline
demo` composes it (the simulator's demo traffic behind AMI and FastAGI) with the demo's after-hours
setting, on a working Monday at 10:00 in Shanghai (inside production hours: the setting, not the
clock, closes the hotline), the simulator 20 times faster than real time. The demo callers' own
keys answer the after-hours menu; one who keys 2 speaks a message, which becomes a 来电留言 work
order whose recording the orders page streams."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.runtime import Runtime
from callbacks.models import MissReason
from callbacks.voicemail import Voicemail
from tests.support.app import TEST_BASE_URL, WorkdayClock, build_test_app, login
from tests.support.polling import wait_until

pytestmark = pytest.mark.slow


def _messages(runtime: Runtime) -> list[tuple[str, Voicemail]]:
    repos = runtime.repos
    orders = [o.id for o in repos.work_orders.search() if o.reason is MissReason.VOICEMAIL]
    return [(oid, m) for oid, left in repos.voicemails.for_orders(orders).items() for m in left if m.saved]


def test_given_the_after_hours_demo_when_it_runs_then_callers_leave_messages_that_orders_play(
    tmp_path: Path,
) -> None:
    app = build_test_app(
        tmp_path,
        clock=WorkdayClock(),
        sim={"enabled": True, "after_hours": True, "time_scale": 20.0, "seed": 14},
        ami={"port": 0},
        callbacks={"tick_s": 3600.0},
    )
    with TestClient(app, base_url=TEST_BASE_URL) as client:
        runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        wait_until(lambda: bool(_messages(runtime)), 60, "a message left by a demo caller")
        order_id, message = _messages(runtime)[0]
        calls = runtime.repos.calls

        def ended() -> bool:
            call = calls.find(message.call_id)
            return call is not None and call.ended_at is not None

        wait_until(ended, 20, "the message's call ended")
        assert calls.get(message.call_id).ivr_path == ("after_hours:2",)
        path = runtime.settings.voicemail.folder().local(message.recording)
        assert path is not None
        with wave.open(str(path)) as w:
            assert w.getnframes() > w.getframerate()  # more than a second: what the caller said
        headers = login(client, "banzhang")
        r = client.get(f"/api/orders/{order_id}/voicemails/{message.call_id}/audio", headers=headers)
        assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
        assert r.content == path.read_bytes()
