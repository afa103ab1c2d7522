"""A web process's forwarding to the telephony process (`console_web.forward`), over real HTTP:
an echoing stand-in for the telephony process, and the web process's middleware stack as
`install_console` builds it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.testclient import TestClient

from console_web.forward import ForwardToTelephony, served_locally
from console_web.security import SecurityConfig
from console_web.web import install_console
from tests.support.live_server import live_server
from tests.support.net import free_port


def _echo_app() -> FastAPI:
    app = FastAPI()

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def echo(rest: str, request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "body": (await request.body()).decode(),
                "forwarded_for": request.headers.get("x-forwarded-for"),
                "csrf": request.headers.get("x-csrf-token"),
                "cookie": request.headers.get("cookie"),
                "caller": "13900001234",  # a number the telephony process chose to show in full
            },
            status_code=201 if request.method == "POST" else 200,
        )

    @app.get("/stream/{n}")
    async def stream(n: int) -> StreamingResponse:
        async def chunks() -> Iterator[bytes]:  # type: ignore[misc]
            for i in range(n):
                yield f"{i:04d}".encode()

        return StreamingResponse(chunks(), media_type="application/octet-stream")  # type: ignore[arg-type]

    return app


@pytest.fixture(scope="module")
def telephony() -> Iterator[str]:
    with live_server(_echo_app()) as server:
        yield server.url


def _web(target: str) -> TestClient:
    app = FastAPI()
    install_console(app, SecurityConfig(), telephony_url=target)
    return TestClient(app, base_url="http://127.0.0.1")


def test_what_a_web_process_answers_itself() -> None:
    assert served_locally("GET", "/")
    assert served_locally("GET", "/seat")
    assert served_locally("GET", "/static/lib/api.js")
    assert served_locally("POST", "/api/login") and served_locally("POST", "/api/logout")
    assert served_locally("GET", "/api/knowledge/search") and served_locally(
        "HEAD", "/api/supervisor/overview"
    )
    assert served_locally("GET", "/api/seat/calls/c-1/screenpop")
    # Every command, and the reads whose state lives with the PBX link, go to the telephony process.
    for method, path in [
        ("POST", "/api/seat/login"),
        ("POST", "/api/seat/calls/c-1/transfer"),
        ("POST", "/api/supervisor/seats/1001/pause"),
        ("PUT", "/api/knowledge/entries/k1"),
        ("DELETE", "/api/schedule/shifts/s1"),
        ("POST", "/api/orders/o1/callback"),
        ("GET", "/api/seat/state"),
        ("GET", "/api/status"),
        ("GET", "/api/orders"),
        ("GET", "/api/calls/c-1/recordings"),
        ("GET", "/api/supervisor/alerts"),
        ("GET", "/api/internal/snapshot"),
        ("GET", "/api/seat/calls/c-1/screenpop/extra"),
        ("GET", "/api/a-route-added-later"),
    ]:
        assert not served_locally(method, path), (method, path)


def test_given_a_command_when_sent_to_a_web_process_then_the_telephony_process_gets_it_as_sent(
    telephony: str,
) -> None:
    with _web(telephony) as web:
        r = web.post(
            "/api/seat/calls/c-1/transfer?x=1",
            json={"kind": "seat", "target": "1002"},
            headers={"X-CSRF-Token": "tok", "Cookie": "hotline_session=abc", "X-Forwarded-For": "6.6.6.6"},
        )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (
        body["method"] == "POST" and body["path"] == "/api/seat/calls/c-1/transfer" and body["query"] == "x=1"
    )
    assert body["body"] == '{"kind":"seat","target":"1002"}'
    assert body["csrf"] == "tok" and body["cookie"] == "hotline_session=abc"
    # The client as this process made it out (no proxy trusted here: the peer), not what it claimed.
    assert body["forwarded_for"] == "testclient"
    # Masking was the telephony process's to do: a number it showed is not masked again here.
    assert body["caller"] == "13900001234"
    # The answer gets the web process's security headers too.
    assert "content-security-policy" in r.headers


def test_given_a_large_answer_when_forwarded_then_it_arrives_whole(telephony: str) -> None:
    # Streamed through chunk by chunk (a recording's audio): a local rule of none forwards /stream.
    inner = FastAPI()
    inner.add_middleware(ForwardToTelephony, target=telephony, local=lambda m, p: False)
    with TestClient(inner) as client:
        r = client.get("/stream/5000")
    assert r.status_code == 200
    assert r.content == b"".join(f"{i:04d}".encode() for i in range(5000))


def test_given_no_telephony_process_when_a_command_comes_then_503_in_chinese() -> None:
    with _web(f"http://127.0.0.1:{free_port()}") as web:
        r = web.post("/api/seat/login", json={})
    assert r.status_code == 503
    assert r.json()["message"] == "电话进程暂不可达，请稍后重试"
