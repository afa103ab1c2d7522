"""Renders the Asterisk configuration (extensions, queues, manager, pjsip) from templates.

Templates live in asterisk_conf/templates and use `{{name}}` placeholders (Asterisk's own
`${...}` is left alone). Every placeholder must have a value, so a renamed setting fails loudly
instead of producing a silently broken dialplan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

TEMPLATES = Path(__file__).with_name("templates")
FILES = ("extensions.conf", "queues.conf", "manager.conf", "pjsip.conf")

QUEUE_WRAPUP_S = 10
"""app_queue's `wrapuptime`: after a seat's leg of a queue call ends, Asterisk offers it no call for
this long. The seat board's wrap-up (`HOTLINE_SEATS__WRAP_UP_S`) defaults to the same number and
`app.telephony.asterisk_conf_values` renders the setting, so the two cannot drift."""

DEFAULT_QUEUE = "q-city-other"
"""Where a call waits when the IVR set no queue (an IVR failure): the city pool, category 其他."""

_PLACEHOLDER = re.compile(r"\{\{([a-z_]+)\}\}")


@dataclass(frozen=True, slots=True)
class Seat:
    """A PJSIP endpoint of the sample; context `hotline-incoming` makes a test caller."""

    id: str
    password: str
    context: str = "seats-out"


@dataclass(frozen=True, slots=True)
class AsteriskConfValues:
    ami_secret: str
    hotline_number: str = "12348"
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    script_ivr: str = "ivr"
    script_survey: str = "survey"
    prompt_base: str = "hotline"
    default_queue: str = DEFAULT_QUEUE
    queue_timeout: int = 300
    ring_timeout: int = 15
    wrapup_s: int = QUEUE_WRAPUP_S
    queue_maxlen: int = 30
    queues: Sequence[str] = field(default_factory=lambda: default_queues())
    transfer_dial: str = "PJSIP/${EXTEN}@trunk"
    callback_dial: str = "PJSIP/${EXTEN}"
    callback_ring_s: int = 30
    ami_user: str = "hotline"
    ami_port: int = 5038
    ami_bind: str = "127.0.0.1"
    ami_permit: str = "127.0.0.1/255.255.255.255"
    sip_bind: str = "127.0.0.1:5060"
    seats: Sequence[Seat] = field(default_factory=tuple)


def default_queues() -> list[str]:
    """Every queue routing can choose (routing/queue_rules.toml): the dialplan and the rules
    share one source, so a queue the IVR picks always exists in queues.conf."""
    from routing.calendar import load_holidays
    from routing.queues import load_queue_rules

    return load_queue_rules(load_holidays()).all_queues()


def fill(template: str, values: Mapping[str, str], *, name: str = "template") -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"{name}: no value for {{{{{key}}}}}")
        return values[key]

    return _PLACEHOLDER.sub(one, template)


def render_asterisk_conf(out_dir: Path, values: AsteriskConfValues) -> list[Path]:
    """Write extensions.conf, queues.conf, manager.conf, pjsip.conf into `out_dir`."""
    if not values.ami_secret.strip():
        raise ValueError("ami_secret must not be empty")
    for text in (values.ami_secret, values.ami_user, *values.queues):
        if any(c in text for c in "\n[];"):
            raise ValueError(f"value not allowed in an Asterisk config: {text!r}")
    plain = {
        k: str(v) for k, v in asdict(values).items() if isinstance(v, str | int) and not isinstance(v, bool)
    }
    queues = list(dict.fromkeys(values.queues))
    if values.default_queue not in queues:
        raise ValueError(f"default queue {values.default_queue!r} is not among the queues")
    plain["queues"] = "\n".join(f"[{q}](hotline-queue-template)" for q in queues)
    plain["endpoints"] = "\n\n".join(_endpoint(s) for s in values.seats)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for file in FILES:
        text = fill((TEMPLATES / file).read_text(encoding="utf-8"), plain, name=file)
        target = out_dir / file
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def _endpoint(seat: Seat) -> str:
    return (
        f"[{seat.id}](seat-template)\ncontext = {seat.context}\nauth = {seat.id}\naors = {seat.id}\n"
        f"[{seat.id}](auth-template)\nusername = {seat.id}\npassword = {seat.password}\n"
        f"[{seat.id}](aor-template)"
    )
