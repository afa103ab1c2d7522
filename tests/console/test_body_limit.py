"""Request bodies are capped before anything parses them or checks the session."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

from app.main import build_app
from app.settings import DEMO_ADMIN_PASSWORD
from console_web.security import BodySizeLimit
from tests.support.app import demo_test_settings

PW = DEMO_ADMIN_PASSWORD


def _settings(tmp_path: Path, **web: Any) -> Any:
    return demo_test_settings(tmp_path, "limits.db", web=web)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = build_app(_settings(tmp_path, max_body_bytes=4096, max_import_bytes=64 * 1024))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def test_given_an_anonymous_login_with_a_huge_declared_length_then_413_in_chinese(client: TestClient) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    body = b'{"username": "admin", "password": "' + b"x" * 10_000 + b'"}'
    r = client.post("/api/login", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {"error_id": "request.too_large", "message": "请求内容过大（上限 4 KB）"}
    # Refused before the login route ran: no failed login was audited for it.
    assert [e.action for e in runtime.repos.audit.recent()] == []


def test_given_a_chunked_body_over_the_cap_when_posting_then_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"username": "admin", "password": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    r = client.post("/api/login", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "上限 4 KB" in r.json()["message"]


def test_given_a_small_body_then_the_route_still_works(client: TestClient) -> None:
    r = client.post("/api/login", json={"username": "admin", "password": PW})
    assert r.status_code == 200


def test_given_a_csv_import_then_its_larger_cap_applies(client: TestClient) -> None:
    me = client.post("/api/login", json={"username": "admin", "password": PW}).json()
    headers = {"X-CSRF-Token": me["csrf_token"], "content-type": "text/csv"}
    # 20 KB: over the general 4 KB cap, under the 64 KB import cap; the route itself judges it (422).
    bad_csv = b"not,a,real,header\n" + b"x" * 20_000
    r = client.post("/api/offices/import", content=bad_csv, headers=headers)
    assert r.status_code == 422, r.text
    r = client.post("/api/offices/import", content=b"x" * 70_000, headers=headers)
    assert r.status_code == 413 and "上限 64 KB" in r.json()["message"]
    r = client.post(
        "/api/schedule/import?team=team-310106&month=2026-12", content=b"x" * 70_000, headers=headers
    )
    assert r.status_code == 413


def test_given_an_anonymous_import_over_the_cap_then_413_before_authentication(client: TestClient) -> None:
    r = client.post("/api/offices/import", content=b"x" * 70_000, headers={"content-type": "text/csv"})
    assert r.status_code == 413


def test_given_a_bad_content_length_then_400() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - never reached
        raise AssertionError("the application must not be called")

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "path": "/api/login", "headers": [(b"content-length", b"lots")]}
    asyncio.run(BodySizeLimit(app, default=10)(scope, receive, send))
    assert sent[0]["status"] == 400


class EchoForm(BaseModel):
    text: str


def test_given_an_endless_stream_then_reading_stops_at_the_cap() -> None:
    """Counted as it arrives: the middleware pulls no more than cap + one chunk, then answers 413."""
    inner = FastAPI()

    @inner.post("/echo")
    async def echo(form: EchoForm, request: Request) -> dict[str, int]:
        return {"n": len(form.text)}

    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * 1000, "more_body": True}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/echo",
        "raw_path": b"/echo",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        "client": ("10.0.0.9", 1234),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    asyncio.run(BodySizeLimit(inner, default=5000)(scope, receive, send))
    assert pulled == 6  # 6 000 bytes > 5 000: the sixth chunk trips the cap
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert [m["status"] for m in starts] == [413]
