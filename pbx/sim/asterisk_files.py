"""The Asterisk configuration the simulator runs: extensions.conf and queues.conf.

`SimulatorConfig.asterisk_conf` names a directory holding them (the renderer's output, or the
recorded traces' files for the scenarios). When it is None the simulator renders the project's
own configuration with `asterisk_conf.render.render_asterisk_conf` into its run directory, from
its own settings (queue names, ring timeout and wrap-up of the first queue, the FastAGI target),
so the demo and the tests run exactly the dialplan a real Asterisk would be given.

queues.conf is read like app_queue reads it: `[general]` is skipped, `(!)` sections are
templates, `[name](template)` inherits the template's settings; unset values take app_queue's
defaults (timeout 15, retry 5, wrapuptime 0, strategy ringall, joinempty yes, setinterfacevar no).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from pbx.sim.config import QueueConfig, Strategy
from pbx.sim.dialplan import Dialplan, DialplanError

if TYPE_CHECKING:
    from pbx.sim.config import SimulatorConfig

log = logging.getLogger(__name__)

_YES = {"yes", "true", "y", "t", "1", "on"}


def parse_queues_conf(text: str, *, source: str = "queues.conf") -> tuple[QueueConfig, ...]:
    templates: dict[str, dict[str, str]] = {}
    queues: list[tuple[str, dict[str, str]]] = []
    current: dict[str, str] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            name, _, rest = line[1:].partition("]")
            rest = rest.strip()
            inherited: dict[str, str] = {}
            is_template = False
            if rest.startswith("(") and rest.endswith(")"):
                for item in rest[1:-1].split(","):
                    item = item.strip()
                    if item == "!":
                        is_template = True
                    elif item:
                        if item not in templates:
                            raise DialplanError(f"{source}:{number}: unknown template {item!r}")
                        inherited.update(templates[item])
            current = dict(inherited)
            if name == "general":
                current = None
            elif is_template:
                templates[name] = current
            else:
                queues.append((name, current))
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise DialplanError(f"{source}:{number}: not a setting: {raw.strip()!r}")
        if current is not None:
            current[key.strip().lower()] = value.lstrip(">").strip()
    return tuple(_queue(name, settings) for name, settings in queues)


def _queue(name: str, s: dict[str, str]) -> QueueConfig:
    strategy_text = s.get("strategy", "ringall")
    try:
        strategy = Strategy(strategy_text)
    except ValueError:
        # Only rrmemory and leastrecent are simulated; one seat rings at a time either way.
        log.warning("queue %s: strategy %s is not simulated, rrmemory used", name, strategy_text)
        strategy = Strategy.RRMEMORY
    return QueueConfig(
        name=name,
        strategy=strategy,
        timeout=float(s.get("timeout", 15)),
        retry=float(s.get("retry", 5)),
        wrapuptime=float(s.get("wrapuptime", 0)),
        joinempty=s.get("joinempty", "yes").lower() in _YES,
        setinterfacevar=s.get("setinterfacevar", "no").lower() in _YES,
    )


def render_project_conf(config: SimulatorConfig, out_dir: Path) -> Path:
    """Render the project's Asterisk configuration for this simulator into `out_dir`; MixMonitor
    records into `config.recordings_dir` (None: `recordings` beside `out_dir`)."""
    recordings_dir = config.recordings_dir or out_dir.absolute().parent / "recordings"
    from asterisk_conf.render import AsteriskConfValues, render_asterisk_conf

    first = config.queues[0] if config.queues else QueueConfig(timeout=15, wrapuptime=10)
    extra: dict[str, list[str]] = {}
    if config.queues:
        names = [q.name for q in config.queues]
        if config.default_queue not in names:
            names.append(config.default_queue)
        extra["queues"] = names
    # No queues given: the renderer's own, every queue routing can choose.
    values = AsteriskConfValues(
        ami_secret=config.ami_secret or "simulator",
        ami_user=config.ami_username,
        agi_host=config.agi.host if config.agi else "127.0.0.1",
        agi_port=config.agi.port if config.agi else 4573,
        default_queue=config.default_queue,
        queue_timeout=int(config.queue_timeout),
        ring_timeout=int(first.timeout),
        wrapup_s=int(first.wrapuptime),
        recordings_dir=str(recordings_dir.absolute()),
        **extra,  # type: ignore[arg-type]
    )
    render_asterisk_conf(out_dir, values)
    return out_dir


def load_asterisk_conf(
    config: SimulatorConfig, run_dir: Path
) -> tuple[Dialplan, tuple[QueueConfig, ...], Path]:
    """The dialplan and the queues the simulator runs, and the directory they came from."""
    directory = config.asterisk_conf
    if directory is None:
        directory = render_project_conf(config, run_dir / "asterisk")
    dialplan = Dialplan.load(directory / "extensions.conf")
    queues_file = directory / "queues.conf"
    queues = parse_queues_conf(queues_file.read_text(encoding="utf-8"), source=str(queues_file))
    return dialplan, queues, directory


def pjsip_language(directory: Path) -> str:
    """The endpoints' `language` in pjsip.conf (the channel's Language header); "en" without one."""
    path = directory / "pjsip.conf"
    if not path.exists():
        return "en"
    for raw in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = raw.split(";", 1)[0].partition("=")
        if sep and key.strip().lower() == "language" and value.strip():
            return value.strip()
    return "en"


__all__ = ["load_asterisk_conf", "parse_queues_conf", "pjsip_language", "render_project_conf"]
