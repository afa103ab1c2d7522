"""Security headers on every response, and pages that live within the CSP (no inline code)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import build_app
from app.settings import DEMO_ADMIN_PASSWORD
from console_web.deps import STATIC, page_html
from tests.support.app import demo_test_settings

PW = DEMO_ADMIN_PASSWORD


def _settings(tmp_path: Path) -> Any:
    return demo_test_settings(tmp_path, "hdr.db", web={"max_body_bytes": 1024})


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(build_app(_settings(tmp_path)), base_url="http://127.0.0.1") as c:
        yield c


def _check(r: Any) -> None:
    h = r.headers
    csp = h["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ):
        assert directive in csp, (r.url, directive)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "no-referrer"
    assert "camera=()" in h["permissions-policy"] and "microphone=()" in h["permissions-policy"]


def test_given_any_kind_of_response_then_it_carries_the_security_headers(client: TestClient) -> None:
    responses = {
        "page": client.get("/"),
        "seat page": client.get("/seat"),
        "static js": client.get("/static/board.js"),
        "static css": client.get("/static/console.css"),
        "api 401": client.get("/api/me"),
        "404": client.get("/no-such-page"),
        "422": client.post("/api/login", json={"username": ""}),
        "413": client.post("/api/login", content=b"x" * 5000, headers={"content-type": "application/json"}),
        "healthz": client.get("/healthz"),
    }
    assert responses["413"].status_code == 413
    client.post("/api/login", json={"username": "admin", "password": PW})
    responses["api 200"] = client.get("/api/me")
    responses["csv"] = client.get("/api/supervisor/report", params={"format": "csv"})
    assert responses["api 200"].status_code == 200 and responses["csv"].status_code == 200
    for name, r in responses.items():
        _check(r)
        assert "strict-transport-security" not in r.headers, name  # plain http on localhost


def test_given_a_public_host_then_hsts_is_sent(tmp_path: Path) -> None:
    with TestClient(build_app(_settings(tmp_path)), base_url="https://hotline.example.cn") as c:
        r = c.get("/")
        _check(r)
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")
        assert "max-age=" in c.get("/api/me").headers["strict-transport-security"]


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
_EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
_STYLE_ATTR = re.compile(r"<[^>]*\sstyle\s*=", re.I)


@pytest.mark.parametrize("page", sorted(p.name for p in STATIC.glob("*.html")))
def test_given_the_csp_then_no_page_has_inline_script_style_or_handlers(page: str) -> None:
    html = page_html(page)  # as served: the shared head, then the page's own part
    assert not _INLINE_SCRIPT.search(html), "inline <script>"
    assert "<style" not in html.lower(), "inline <style>"
    assert not _EVENT_HANDLER.search(html), "inline event handler"
    assert not _STYLE_ATTR.search(html), "style attribute"
    assert "javascript:" not in html.lower()


@pytest.mark.parametrize("script", sorted(p.name for p in STATIC.glob("*.js")))
def test_given_the_csp_then_no_script_evaluates_strings_or_sets_inline_styles(script: str) -> None:
    js = (STATIC / script).read_text(encoding="utf-8")
    assert not re.search(r"\beval\s*\(|new\s+Function\s*\(|set(Timeout|Interval)\s*\(\s*[\"'`]", js)
    assert not re.search(r"\.style\s*[.=\[]|setAttribute\(\s*[\"']style|cssText", js)
    assert not re.search(r"innerHTML\s*=.*style=", js)


@pytest.mark.parametrize("path", ["/", "/seat", "/supervisor", "/orders", "/offices", "/schedule", "/qc"])
def test_given_a_page_route_then_it_serves_one_whole_document_with_the_shared_head(
    client: TestClient, path: str
) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    html = r.text
    assert html.startswith('<!doctype html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">')
    assert html.count("<head>") == html.count("</head>") == html.count("<body>") == 1
    assert html.index('href="/static/console.css"') < html.index("<title>") < html.index("</head>")
    assert html.rstrip().endswith("</body>\n</html>")
