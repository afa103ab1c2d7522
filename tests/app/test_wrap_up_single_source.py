"""The board's wrap-up and app_queue's `wrapuptime` come from one setting (issue 11)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.runtime import Runtime
from app.settings import demo_settings
from asterisk_conf.render import Seat, render_asterisk_conf
from asterisk_conf.setup import AsteriskSetupSettings, conf_values


def _rendered_wrapuptime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wrap_up: str | None = None) -> int:
    """What `hotline asterisk-conf render` (asterisk_conf.setup) writes, from the environment."""
    monkeypatch.setenv("HOTLINE_AMI__SECRET", "a-production-secret")
    if wrap_up is not None:
        monkeypatch.setenv("HOTLINE_SEATS__WRAP_UP_S", wrap_up)
    values = conf_values(AsteriskSetupSettings(), [Seat("1001", "phone-secret")], tmp_path)
    render_asterisk_conf(tmp_path, values)
    (value,) = re.findall(r"^wrapuptime = (\d+)$", (tmp_path / "queues.conf").read_text(), re.M)
    return int(value)


def test_given_default_settings_when_rendering_then_queues_wrap_up_equals_the_boards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _rendered_wrapuptime(tmp_path, monkeypatch) == demo_settings().seats.wrap_up_s == 10


def test_given_a_longer_wrap_up_setting_when_rendering_then_asterisk_gets_the_same_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The production renderer read no seats section: HOTLINE_SEATS__WRAP_UP_S=25 still rendered 10.
    assert _rendered_wrapuptime(tmp_path, monkeypatch, "25") == 25
    # Asterisk takes whole seconds: a fraction is rounded up, never freeing the seat before the board.
    assert _rendered_wrapuptime(tmp_path / "b", monkeypatch, "7.2") == 8


async def test_given_a_wrap_up_setting_when_the_simulator_starts_then_its_queues_use_it() -> None:
    settings = demo_settings(seats={"wrap_up_s": 25.0}, sim={"enabled": True, "calls_per_hour": 0.0})
    sim = await Runtime(settings).sim.launch([], agi_port=None, ami_port=0)
    try:
        assert {q.wrapuptime for q in sim.config.queues} == {25.0}
    finally:
        await sim.stop()
