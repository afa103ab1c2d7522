"""The board's wrap-up and app_queue's `wrapuptime` come from one setting (issue 11)."""

from __future__ import annotations

import re
from pathlib import Path

from app.runtime import Runtime
from app.settings import asterisk_conf_values, demo_settings
from asterisk_conf.render import render_asterisk_conf


def _rendered_wrapuptime(tmp_path: Path, **seats: float) -> int:
    settings = demo_settings(seats=seats) if seats else demo_settings()
    render_asterisk_conf(tmp_path, asterisk_conf_values(settings))
    (value,) = re.findall(r"^wrapuptime = (\d+)$", (tmp_path / "queues.conf").read_text(), re.M)
    return int(value)


def test_given_default_settings_when_rendering_then_queues_wrap_up_equals_the_boards(tmp_path: Path) -> None:
    settings = demo_settings()
    assert _rendered_wrapuptime(tmp_path) == settings.seats.wrap_up_s == 10


def test_given_a_longer_wrap_up_setting_when_rendering_then_asterisk_gets_the_same_number(
    tmp_path: Path,
) -> None:
    assert _rendered_wrapuptime(tmp_path, wrap_up_s=25.0) == 25
    # Asterisk takes whole seconds: a fraction is rounded up, never freeing the seat before the board.
    assert _rendered_wrapuptime(tmp_path / "b", wrap_up_s=7.2) == 8


async def test_given_a_wrap_up_setting_when_the_simulator_starts_then_its_queues_use_it() -> None:
    settings = demo_settings(seats={"wrap_up_s": 25.0}, sim={"enabled": True, "calls_per_hour": 0.0})
    sim = await Runtime(settings).sim.launch([], agi_port=None, ami_port=0)
    try:
        assert {q.wrapuptime for q in sim.config.queues} == {25.0}
    finally:
        await sim.stop()
