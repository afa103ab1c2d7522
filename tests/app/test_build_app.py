from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import build_app
from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD, demo_settings, load_settings
from core.calls import CallRecord
from core.errors import ConfigurationError
from core.events import ComponentStatusChanged, DomainEvent
from core.ids import CallId
from tests.support.pushes import pushed


def _settings(tmp_path: Path, **extra: object) -> object:
    """The demo without telephony: no simulator, no AMI link, the AGI server on a free port."""
    return demo_settings(
        database={"url": f"sqlite:///{tmp_path / 'app.db'}", "auto_migrate": True},
        sim={"enabled": False},
        ami={"enabled": False},
        agi={"port": 0},
        audiosocket={"port": 0},
        recordings={"pbx_dir": str(tmp_path / "recordings")},
        **extra,
    )


def test_given_demo_settings_when_app_starts_then_page_status_and_calls_are_served(tmp_path: Path) -> None:
    app = build_app(_settings(tmp_path))  # type: ignore[arg-type]
    assert not hasattr(app.state, "runtime")  # nothing is built before the lifespan starts
    with TestClient(app, base_url="http://127.0.0.1") as client:
        runtime: Runtime = app.state.runtime
        runtime.repos.calls.save(
            CallRecord(
                id=CallId("c1"), caller_number="13800138000", offered_at=datetime(2026, 11, 23, 2, tzinfo=UTC)
            )
        )
        page = client.get("/")
        assert page.status_code == 200 and "12348 公共法律服务热线" in page.text
        assert client.get("/api/status").status_code == 401  # the data needs a login
        assert (
            client.post("/api/login", json={"username": "admin", "password": DEMO_ADMIN_PASSWORD}).status_code
            == 200
        )
        status = client.get("/api/status").json()
        assert {c["name"]: c["up"] for c in status["components"]} == {
            "bus": True,
            "database": True,
            "recorder": True,
            "recordings": True,
            "routing": True,
            "seats": True,
            "asr": False,  # no Vosk model at the default path: down, and said why
            "post-call": False,  # no Whisper engine either: no post-call transcripts, and said why
            "agi": True,
            "ivr-outcomes": True,
            "appointments": True,
        }
        asr = next(c for c in status["components"] if c["name"] == "asr")
        assert "vosk-model-small-cn-0.22" in str(asr["detail"])
        calls = client.get("/api/calls/recent").json()["calls"]
        assert calls[0]["caller"] == "138****8000"  # masked on the way out
        assert client.get("/healthz").json() == {"ok": True}
        assert client.get("/static/board.js").status_code == 200
    assert runtime.components.started == []  # everything stopped again


def test_given_production_settings_and_an_unmigrated_database_when_starting_then_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_AMI__SECRET", "a")
    monkeypatch.setenv("HOTLINE_WEB__SESSION_SECRET", "b")
    settings = load_settings(database={"url": f"sqlite:///{tmp_path / 'new.db'}"})
    app = build_app(settings)
    with pytest.raises(ConfigurationError, match="hotline db upgrade"), TestClient(app):
        pass


def test_given_a_running_app_when_an_event_is_published_then_the_websocket_gets_it_masked(
    tmp_path: Path,
) -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True, slots=True, kw_only=True)
    class WsProbeHappened(DomainEvent):
        call_id: str
        caller_number: str

    app = build_app(_settings(tmp_path))  # type: ignore[arg-type]
    with TestClient(app, base_url="http://127.0.0.1") as client:
        client.post("/api/login", json={"username": "admin", "password": DEMO_ADMIN_PASSWORD})
        # Starlette's websocket test client always talks to "testserver": re-set the cookie host-free.
        token = client.cookies.get("hotline_session") or ""
        client.cookies.clear()
        client.cookies.set("hotline_session", token)
        ws_cm = client.websocket_connect("/ws/events")
        ws = ws_cm.__enter__()
        assert ws.receive_json()["type"] == "hello"
        runtime: Runtime = app.state.runtime
        event = WsProbeHappened(
            at=datetime(2026, 11, 23, tzinfo=UTC), call_id="c9", caller_number="13912345678"
        )
        client.portal.call(runtime.bus.publish, event)  # type: ignore[union-attr]
        got = next(pushed(ws))
        assert got["type"] == "WsProbeHappened"
        assert got["data"]["caller_number"] == "139****5678"
        trail = client.portal.call(_trail_after_drain, runtime, "c9")  # type: ignore[union-attr]
        assert [t.event_type for t in trail] == ["WsProbeHappened"]
        assert trail[0].data["caller_number"] == "13912345678"  # the store keeps the full number
        ws_cm.__exit__(None, None, None)


async def _trail_after_drain(runtime: Runtime, call_id: str) -> list[object]:
    await runtime.bus.drain()
    return list(runtime.repos.calls.trail(CallId(call_id)))


async def test_given_a_runtime_when_it_starts_then_each_component_status_is_published(tmp_path: Path) -> None:
    runtime = Runtime(_settings(tmp_path))  # type: ignore[arg-type]
    seen: list[tuple[str, bool]] = []

    async def watch(event: DomainEvent) -> None:
        assert isinstance(event, ComponentStatusChanged)
        seen.append((event.component, event.up))

    runtime.bus.subscribe("test", watch, types=(ComponentStatusChanged,))
    await runtime.start()
    await runtime.bus.drain()
    await runtime.stop()
    names = (
        "bus",
        "database",
        "recorder",
        "recordings",
        "routing",
        "seats",
        "asr",
        "post-call",
        "agi",
        "ivr-outcomes",
        "appointments",
    )
    # ASR is down (no model) and says so; with no Whisper engine, so are post-call transcripts.
    assert seen == [(n, n not in ("asr", "post-call")) for n in names]
