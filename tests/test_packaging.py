"""Generic names such as `routing`, `stats`, `store` could be shadowed by other installed
packages: every top-level package must be imported from this repository."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = [
    "core",
    "routing",
    "seats",
    "callbacks",
    "stats",
    "pbx",
    "ivr",
    "asr",
    "store",
    "console_web",
    "app",
    "asterisk_conf",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_given_a_top_level_package_when_imported_then_it_comes_from_this_repository(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().is_relative_to(REPO), module.__file__


def test_given_pyproject_when_read_then_every_layout_package_is_distributed_and_the_cli_is_declared() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = set(project["tool"]["setuptools"]["packages"])
    assert set(PACKAGES) <= packages
    assert project["project"]["scripts"]["hotline"] == "app.cli:main"
    deps = " ".join(project["project"]["dependencies"]).lower()
    for dep in (
        "panoramisk",
        "pyvoip",
        "vosk",
        "fastapi",
        "uvicorn",
        "websockets",
        "sqlalchemy",
        "alembic",
        "pydantic-settings",
        "psycopg",
        "redis",
    ):
        assert dep in deps, dep
