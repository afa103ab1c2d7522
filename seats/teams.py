"""The 21 teams of a Shanghai deployment: one per district (16), and the city's lawyers',
notaries', forensic-appraisal and mediation associations and its legal-aid centre (5). The demo
seeds them; a production deployment gets the same ones from its seat import (by name)."""

from __future__ import annotations

from core.access import district_team
from core.ids import TeamId
from routing.districts import DISTRICTS
from seats.models import Team, TeamKind

ASSOCIATIONS: dict[str, str] = {
    "team-lawyers": "市律师协会",
    "team-notaries": "市公证协会",
    "team-forensic": "市司法鉴定协会",
    "team-mediation": "市人民调解协会",
    "team-legal-aid": "市法律援助中心",
}


def shanghai_teams() -> list[Team]:
    teams = [
        Team(id=district_team(code), name=f"{name}坐席团队", kind=TeamKind.DISTRICT, district_code=code)
        for code, name in DISTRICTS.items()
    ]
    teams += [
        Team(id=TeamId(tid), name=name, kind=TeamKind.ASSOCIATION) for tid, name in ASSOCIATIONS.items()
    ]
    return teams
