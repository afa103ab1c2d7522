"""Every console script parses as an ES module, and the lib's own node tests pass.

`node --check file.js` does not check a file with `import` as a module (it passes syntax errors),
so each script is fed as `--input-type=module`. Skipped only when `node` is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "console_web" / "static"
NODE = shutil.which("node")
NO_NAV = {"wallboard.html"}  # 大屏: a wall screen shows figures only, nothing to click

pytestmark = pytest.mark.skipif(NODE is None, reason="需要 node")


def _scripts() -> list[Path]:
    return sorted(STATIC.rglob("*.js"))


def test_given_the_static_folder_then_there_are_page_scripts_and_the_lib() -> None:
    names = {p.relative_to(STATIC).as_posix() for p in _scripts()}
    assert {
        "lib/api.js",
        "lib/live.js",
        "lib/dom.js",
        "lib/nav.js",
        "lib/call_rows.js",
        "seat.js",
        "supervisor.js",
    } <= names


@pytest.mark.parametrize("script", _scripts(), ids=lambda p: p.relative_to(STATIC).as_posix())
def test_given_a_console_script_then_it_parses_as_an_es_module(script: Path) -> None:
    assert NODE is not None
    done = subprocess.run(
        [NODE, "--input-type=module", "--check"],
        input=script.read_bytes(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def test_given_the_page_scripts_then_none_keeps_its_own_api_client_or_socket() -> None:
    for script in _scripts():
        if script.parent.name == "lib":
            continue
        text = script.read_text(encoding="utf-8")
        assert "new WebSocket" not in text, script.name
        assert "function api(" not in text, script.name
        assert "X-CSRF-Token" not in text, script.name


def test_given_the_lib_then_its_node_tests_pass() -> None:
    assert NODE is not None
    tests = sorted((ROOT / "tests" / "e2e" / "js").glob("*.test.mjs"))
    assert {t.name for t in tests} >= {"live.test.mjs", "call_rows.test.mjs"}
    done = subprocess.run(
        [NODE, "--test", *map(str, tests)],
        capture_output=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")


def test_given_each_page_then_it_loads_one_module_from_static_and_has_the_shared_nav() -> None:
    script = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S)
    for page in sorted(STATIC.glob("*.html")):
        html = page.read_text(encoding="utf-8")
        tags = script.findall(html)
        # a vendored library (ECharts) is a classic script from /static/vendor/, with no inline body;
        # the page's own code is one module
        vendored = [attrs for attrs, body in tags if 'src="/static/vendor/' in attrs and body.strip() == ""]
        for attrs in vendored:
            src = re.search(r'src="/static/([^"]+)"', attrs)
            assert src is not None and (STATIC / src.group(1)).is_file(), (page.name, attrs)
            assert 'type="module"' not in attrs, page.name
        own = [(attrs, body) for attrs, body in tags if 'src="/static/vendor/' not in attrs]
        assert len(own) == 1, page.name
        attrs, body = own[0]
        assert 'type="module"' in attrs and 'src="/static/' in attrs and body.strip() == "", page.name
        if page.name in NO_NAV:
            assert "<nav" not in html, page.name
            continue
        assert '<nav id="nav"' in html, page.name
        assert 'href="/' not in html.split("<nav", 1)[1].split("</nav>", 1)[0], page.name
