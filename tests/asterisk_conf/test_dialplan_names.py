"""`core.dialplan` is the one owner of the dialplan's context names.

Asterisk 22.10.1 answered `Extension does not exist` to every callback because the code
originated into `callback` while the rendered dialplan said `[hotline-callback]`. These tests
tie the rendered extensions.conf to `core.dialplan.CONTEXTS` both ways and keep the names out of
every other module.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from asterisk_conf.render import AsteriskConfValues, render_asterisk_conf
from core import dialplan

REPO = Path(__file__).resolve().parents[2]
OWNER = REPO / "core" / "dialplan.py"
SKIP_DIRS = {"tests", ".venv", "venv", "build", "dist", "node_modules", "bench"}


@pytest.fixture(scope="module")
def extensions(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("conf")
    render_asterisk_conf(out, AsteriskConfValues(ami_secret="s3cret"))
    return (out / "extensions.conf").read_text(encoding="utf-8")


def _contexts(conf: str) -> set[str]:
    return set(re.findall(r"^\[([^\]]+)\]", conf, re.M)) - {"general", "globals"}


def test_given_core_dialplan_when_rendered_then_every_named_context_exists(extensions: str) -> None:
    missing = set(dialplan.CONTEXTS) - _contexts(extensions)

    assert not missing, f"contexts named in core.dialplan but not rendered: {missing}"


def test_given_rendered_dialplan_when_read_then_every_context_is_named_in_core_dialplan(
    extensions: str,
) -> None:
    unnamed = _contexts(extensions) - set(dialplan.CONTEXTS)

    assert not unnamed, f"rendered contexts that core.dialplan does not name: {unnamed}"


def test_given_rendered_dialplan_when_a_goto_names_a_context_then_core_dialplan_names_it(
    extensions: str,
) -> None:
    targets = set(re.findall(r"Goto(?:If)?\([^)]*?([a-z][\w-]*),[\w${}-]+,\w+\)", extensions))

    assert targets, "the dialplan has no Goto into another context to check"
    assert targets <= set(dialplan.CONTEXTS)


def _docstring_nodes(tree: ast.AST) -> set[int]:
    """String statements: module, class and function docstrings and attribute docstrings."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def hard_coded_contexts(source: str) -> list[tuple[int, str]]:
    """String literals (not docstrings, not comments) that spell a context of core.dialplan."""
    tree = ast.parse(source)
    docs = _docstring_nodes(tree)
    names = "|".join(re.escape(c) for c in dialplan.CONTEXTS)
    pattern = re.compile(rf"(?<![\w-])(?:{names})(?![\w-])")
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docs
            and pattern.search(node.value)
        ):
            found.append((node.lineno, node.value))
    return found


def test_given_the_scanner_when_a_module_spells_a_context_then_it_is_found() -> None:
    planted = (
        '"""Docstring: hotline-queue."""\nX = "hotline-callback"\nY = f"Local/tap@asr-tap"\nZ = "callback"\n'
    )

    assert [line for line, _ in hard_coded_contexts(planted)] == [2, 3]


def test_given_the_project_when_scanned_then_no_module_but_core_dialplan_spells_a_context() -> None:
    offenders = []
    for path in sorted(REPO.rglob("*.py")):
        rel = path.relative_to(REPO)
        if rel.parts[0] in SKIP_DIRS or rel.parts[0].startswith(".") or path == OWNER:
            continue
        for line, text in hard_coded_contexts(path.read_text(encoding="utf-8")):
            offenders.append(f"{rel}:{line}: {text!r}")

    assert not offenders, "use core.dialplan instead of:\n" + "\n".join(offenders)
