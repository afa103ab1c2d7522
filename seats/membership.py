"""Which queues a seat serves: its skills crossed with its team's queues.

* A district team's seat serves `q-<district>-<skill>` for each skill and the city-wide pool of
  the same skills (`q-city-<skill>`), so overflowed calls reach every qualified seat.
* An association team's seat (lawyers', notaries', forensic, mediation associations, the city
  legal-aid centre) serves the city-wide pools of its skills and the after-hours pool.

Queue names are built from the same templates as `routing`'s queue rules, so the two cannot drift.
"""

from __future__ import annotations

from routing.queues import LegalCategory, QueueRules
from seats.models import Seat, Team, TeamKind


def member_name(seat: Seat) -> str:
    """Our queue member name convention; `core.call_events.seat_id_from_member` reads it back."""
    return f"seat-{seat.id}"


def queues_for(seat: Seat, team: Team, rules: QueueRules) -> list[str]:
    skills = [LegalCategory.parse(s) for s in seat.skills] or [LegalCategory.OTHER]
    queues: list[str] = []
    if team.kind is TeamKind.DISTRICT and team.district_code:
        queues += [rules.district_queue_name(team.district_code, s) for s in skills]
        queues += [rules.city_queue_name(s) for s in skills]
    else:
        queues += [rules.city_queue_name(s) for s in skills]
        queues.append(rules.after_hours_queue)
    return list(dict.fromkeys(queues))
