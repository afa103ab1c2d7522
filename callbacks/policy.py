"""Which missed calls open (or extend) a callback work order, and for which team. Pure.

Facts that count as a miss: a caller who hung up in the queue (`CallAbandoned`, when the wait
reached `min_abandon_wait_seconds`), a queue timeout (`CallTimedOut`), a full queue, and the
IVR's callback requests (after hours, or a caller tired of waiting). Each comes in through one
function here and leaves as an `OrderDecision`: either "open/extend an order for this number in
this team" or "no order, because ..." (a hidden or invalid number is still counted).

The team is the caller's district team (`team-<district code>`, taken from the IVR or from the
queue name `q-<district>-<category>`), else the matched office's team, else the city pool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from callbacks.events import NotOrderedReason
from callbacks.models import MissReason
from core.access import district_team, queue_district
from core.call_events import CallAbandoned, CallTimedOut
from core.ids import CallId, TeamId

CITYWIDE_TEAM = TeamId("team-citywide")
#: How the pages name the city-wide pool (it is no seat team of its own: every seat serves it).
CITYWIDE_POOL_NAME = "全市工单池"

_SEPARATORS = re.compile(r"[\s\-()]")
# What Asterisk and carriers put in CallerID when the number is withheld.
_HIDDEN = frozenset({"", "anonymous", "unknown", "<unknown>", "restricted", "private", "unavailable"})


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyConfig:
    min_abandon_wait_seconds: float = 0.0
    min_digits: int = 7  # a local landline without area code has 8 digits; extensions have fewer
    max_digits: int = 20
    citywide_team: TeamId = CITYWIDE_TEAM
    # Numbers accepted besides digits, e.g. the lab PBX's SIP users (`caller\d+`). None in production.
    extra_number_pattern: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderDecision:
    """What to do with one missed call. `caller_number` is normalised (the key of the open order)."""

    call_id: CallId
    at: datetime
    reason: MissReason
    caller_number: str
    team_id: TeamId
    district_code: str | None = None
    skill: str | None = None  # the legal category, when known: auto-assignment prefers that skill
    not_ordered: NotOrderedReason | None = None

    @property
    def creates_order(self) -> bool:
        return self.not_ordered is None


def normalise_number(
    raw: str | None, config: PolicyConfig = PolicyConfig()
) -> tuple[str, NotOrderedReason | None]:
    """(number as stored and dialled, why it cannot be called back or None).

    Spaces, dashes and brackets go; `+86` is dropped (a mainland number is dialled without it) and
    any other `+` becomes the international prefix `00`, because the `callback` dialplan only
    matches `[a-z0-9]`.
    """
    text = _SEPARATORS.sub("", (raw or "").strip())
    if text.lower() in _HIDDEN:
        return "", NotOrderedReason.HIDDEN_NUMBER
    if config.extra_number_pattern and re.fullmatch(config.extra_number_pattern, text):
        return text, None
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("+"):
        text = "00" + text[1:]
    if not text.isascii() or not text.isdigit():
        return text, NotOrderedReason.INVALID_NUMBER
    if len(text) < config.min_digits:
        return text, NotOrderedReason.TOO_SHORT
    if len(text) > config.max_digits:
        return text, NotOrderedReason.INVALID_NUMBER
    return text, None


def district_and_category(
    queue: str | None, district_code: str | None, category: str | None
) -> tuple[str | None, str | None]:
    """A call's (district, legal category): the ones known otherwise (the IVR's, the rated
    call's), else the ones its queue's name carries (`core.access.queue_district`)."""
    queue_code, queue_category = queue_district(queue)
    return district_code or queue_code, category or queue_category


def team_for(
    district_code: str | None, office_team_id: TeamId | None, config: PolicyConfig = PolicyConfig()
) -> TeamId:
    if district_code:
        return district_team(district_code)
    if office_team_id:
        return office_team_id
    return config.citywide_team


def decide(
    *,
    call_id: CallId,
    caller_number: str | None,
    reason: MissReason,
    at: datetime,
    district_code: str | None = None,
    office_team_id: TeamId | None = None,
    queue: str | None = None,
    category: str | None = None,
    config: PolicyConfig = PolicyConfig(),
) -> OrderDecision:
    """The general rule every kind of miss goes through."""
    district, skill = district_and_category(queue, district_code, category)
    number, why_not = normalise_number(caller_number, config)
    return OrderDecision(
        call_id=call_id,
        at=at,
        reason=reason,
        caller_number=number,
        team_id=team_for(district, office_team_id, config),
        district_code=district,
        skill=skill,
        not_ordered=why_not,
    )


def from_abandoned(event: CallAbandoned, config: PolicyConfig = PolicyConfig()) -> OrderDecision:
    decision = _from_queue_miss(event, MissReason.ABANDONED, config)
    if decision.creates_order and event.wait_seconds < config.min_abandon_wait_seconds:
        return replace(decision, not_ordered=NotOrderedReason.WAIT_TOO_SHORT)
    return decision


def from_timed_out(event: CallTimedOut, config: PolicyConfig = PolicyConfig()) -> OrderDecision:
    return _from_queue_miss(event, MissReason.TIMED_OUT, config)


def _from_queue_miss(
    event: CallAbandoned | CallTimedOut, reason: MissReason, config: PolicyConfig
) -> OrderDecision:
    return decide(
        call_id=event.call_id,
        caller_number=event.caller_number,
        reason=reason,
        at=event.at,
        queue=event.queue,
        config=config,
    )


def from_queue_full(
    call_id: CallId,
    caller_number: str | None,
    queue: str,
    at: datetime,
    config: PolicyConfig = PolicyConfig(),
) -> OrderDecision:
    """A caller turned away because the queue was full (app_queue's QUEUESTATUS=FULL)."""
    return decide(
        call_id=call_id,
        caller_number=caller_number,
        reason=MissReason.QUEUE_FULL,
        at=at,
        queue=queue,
        config=config,
    )
