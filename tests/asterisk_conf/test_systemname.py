"""asterisk.conf's `systemname` (HOTLINE_ASTERISK__SYSTEMNAME): rendered when set, so every call id of
that Asterisk starts with it (tests/realpbx/test_systemname_real.py runs calls on a real one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from asterisk_conf.render import AsteriskConfValues, render_asterisk_conf


def _options(out: Path) -> list[str]:
    text = (out / "asterisk.conf").read_text(encoding="utf-8")
    section = text.split("[options]", 1)[1]
    return [line.strip() for line in section.splitlines() if line.strip()]


def test_a_systemname_is_rendered_into_the_options(tmp_path: Path) -> None:
    render_asterisk_conf(tmp_path, AsteriskConfValues(ami_secret="s3cret", systemname="sh-pbx-a"))
    assert "systemname = sh-pbx-a" in _options(tmp_path)


def test_no_systemname_leaves_asterisk_its_own_uniqueids(tmp_path: Path) -> None:
    render_asterisk_conf(tmp_path, AsteriskConfValues(ami_secret="s3cret"))
    assert not any(line.startswith("systemname") for line in _options(tmp_path))


@pytest.mark.parametrize("name", ["sh pbx", "a;b", "-a", "pbx-", "浦东"])
def test_a_systemname_asterisk_or_our_call_ids_cannot_carry_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="systemname"):
        render_asterisk_conf(tmp_path, AsteriskConfValues(ami_secret="s3cret", systemname=name))
