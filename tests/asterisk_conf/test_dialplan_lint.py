"""The rendered dialplan passes asterisklint (a test dependency, PyPI `asterisklint`), and every
module it needs is in the rendered modules.conf.

asterisklint parses extensions.conf as Asterisk does and reports E_ (errors: a Goto to a context,
extension or label that does not exist, an unknown application, bad arguments), W_ (warnings) and
H_ (hints). The rendered file must have none of them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from asterisk_conf.render import MODULES, AsteriskConfValues, Seat, render_asterisk_conf

try:
    import asterisklint
except ImportError:
    if os.environ.get("HOTLINE_TEST_REQUIRE_SERVICES") == "1":  # CI: a missing linter fails
        raise
    pytest.skip("asterisklint is a test dependency (pip install -e .[test])", allow_module_level=True)

_RUN = "import os, sys; from asterisklint.main import main; sys.exit(main(sys.argv[1:], os.environ))"
_FINDING = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+) (?P<code>[EWH]_\w+): (?P<text>.*)$", re.M)


def asterisklint(command: str, conf: Path) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k != "ALINT_IGNORE"}  # nothing suppressed
    done = subprocess.run(
        [sys.executable, "-c", _RUN, command, conf.name],
        cwd=conf.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def findings(output: str) -> list[tuple[str, str]]:
    return [(m["code"], f"{m['file']}:{m['line']} {m['text']}") for m in _FINDING.finditer(output)]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lint")
    seats = (Seat("1001", "pw1001xx"), Seat("1002", "pw1002xx"))
    render_asterisk_conf(out, AsteriskConfValues(ami_secret="s3cret", seats=seats))
    return out / "extensions.conf"


def test_given_the_rendered_dialplan_when_linted_then_asterisklint_finds_nothing(rendered: Path) -> None:
    rc, output = asterisklint("dialplan-check", rendered)

    assert findings(output) == [], output
    assert rc == 0, output


@pytest.mark.parametrize(
    ("plant", "code"),
    [
        (lambda t: t.replace("Goto(hotline-queue,s,1)", "Goto(hotline-qeueu,s,1)", 1), "E_DP_GOTO_NOCONTEXT"),
        (lambda t: t.replace("Playback(", "Playbak(", 1), "E_APP_MISSING"),
        (lambda t: t.replace("?overflow)", "?overflw)", 1), "W_DP_GOTO_CONTEXT_NOEXTEN"),
    ],
    ids=["goto-missing-context", "unknown-application", "gotoif-missing-label"],
)
def test_given_a_planted_error_when_linted_then_asterisklint_reports_it(
    rendered: Path, tmp_path: Path, plant: object, code: str
) -> None:
    broken = tmp_path / "extensions.conf"
    text = rendered.read_text(encoding="utf-8")
    planted = plant(text)  # type: ignore[operator]
    assert planted != text
    broken.write_text(planted, encoding="utf-8")

    rc, output = asterisklint("dialplan-check", broken)

    assert code in {c for c, _ in findings(output)}, output
    assert rc != 0


def test_given_the_rendered_dialplan_when_its_modules_are_listed_then_modules_conf_loads_each(
    rendered: Path,
) -> None:
    rc, output = asterisklint("modules-show", rendered)
    needed = set(re.findall(r"^load => (\S+)$", output, re.M))

    assert rc == 0 and needed, output
    assert needed <= set(MODULES), f"not in asterisk_conf.render.MODULES: {needed - set(MODULES)}"
    loaded = set(re.findall(r"^load => (\S+)", (rendered.parent / "modules.conf").read_text(), re.M))
    assert needed <= loaded
