"""The OpenAPI document is real (issue 13): every JSON answer of the composed app names its model.

A route that returns a bare dict, `dict[str, Any]` or nothing typed shows in the document as an
empty or free-form schema; this test names each such route.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.app import build_test_app

# Answers that are files, not JSON: they must say so in the document.
NOT_JSON = {
    ("get", "/api/offices/export.csv"): "text/csv",
    ("get", "/api/knowledge/export.csv"): "text/csv",
    (
        "get",
        "/api/supervisor/report.xlsx",
    ): "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    (
        "get",
        "/api/supervisor/report-archive/{period}/{name}",
    ): "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ("get", "/api/orders/{order_id}/voicemails/{call_id}/audio"): "audio/wav",
    ("get", "/api/calls/{call_id}/recordings/{segment}/audio"): "audio/wav",
}


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def test_every_json_route_of_the_composed_app_answers_with_a_named_model(tmp_path: Path) -> None:
    doc = build_test_app(tmp_path).openapi()
    untyped = []
    for method, path, op in _operations(doc):
        content = op["responses"]["200"].get("content", {})
        if (method, path) in NOT_JSON:
            assert "application/json" not in content and NOT_JSON[method, path] in content, (
                method,
                path,
                content,
            )
            continue
        schema = content.get("application/json", {}).get("schema", {})
        if "$ref" not in schema:
            untyped.append(f"{method.upper()} {path}: {schema}")
    assert not untyped, "routes without a response model:\n" + "\n".join(untyped)


def test_the_document_covers_every_api_route(tmp_path: Path) -> None:
    doc = build_test_app(tmp_path).openapi()
    paths = {path for _, path, _ in _operations(doc)}
    # One of each router, so that a router left out of the document (include_in_schema) shows.
    for path in (
        "/api/me",
        "/api/seat/state",
        "/api/supervisor/overview",
        "/api/orders",
        "/api/offices",
        "/api/schedule",
        "/api/admin/reliability",
    ):
        assert path in paths
